//! `retort.lock`: what a release pins for each database, its heads and a checksum of its whole
//! revision graph (every revision id with its file's checksum). `retort lock` writes it;
//! `check --locked` and `upgrade --locked` compare the migrations they load with it.
//!
//! The file is TOML, written in a fixed layout so that it diffs well:
//!
//! ```toml
//! version = 1
//!
//! [databases.app]
//! heads = ["9b3d5f7a2c48"]
//! revisions = 8
//! graph = "sha256:…"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use retort_core::MigrationSet;
use sha2::{Digest, Sha256};

/// The lock file's name, at the project root.
pub const LOCK_FILE_NAME: &str = "retort.lock";

/// The layout version this retort writes and reads.
const LOCK_VERSION: u32 = 1;

/// What `retort.lock` pins, by database name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lockfile {
    pub databases: BTreeMap<String, LockedDatabase>,
}

/// One database's entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedDatabase {
    /// The heads of its graph, sorted.
    pub heads: Vec<String>,
    /// How many revisions its graph has.
    pub revisions: usize,
    /// `sha256:` and the hex SHA-256 of every `revision-id file-checksum` line, sorted by id.
    pub graph: String,
}

/// A problem with the lock file itself.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    #[error("{path} is not a valid lock file: {message}; write it again with 'retort lock'")]
    Invalid { path: String, message: String },
    #[error(
        "{path} has layout version {found}; this retort reads version {LOCK_VERSION}: write it again with 'retort lock'"
    )]
    UnknownVersion { path: String, found: u32 },
    #[error("there is no {path}; write it with 'retort lock' and commit it")]
    Missing { path: String },
    /// `upgrade --locked` with migrations that are not the ones locked.
    #[error(
        "the migrations are not the ones {path} pins; refusing to run them (run 'retort lock' and commit {path} if the change is intended):{}",
        differences.iter().map(|difference| format!("\n  {difference}")).collect::<String>()
    )]
    Mismatch {
        path: String,
        differences: Vec<LockDifference>,
    },
}

/// One way the loaded migrations differ from the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockDifference {
    /// A configured database that the lock does not have.
    NotLocked { database: String },
    /// A database the lock has that is not configured.
    NotConfigured { database: String },
    /// The heads moved.
    Heads {
        database: String,
        locked: Vec<String>,
        now: Vec<String>,
    },
    /// Same heads, but a revision was added, removed or edited.
    Graph {
        database: String,
        locked_revisions: usize,
        revisions: usize,
    },
}

impl fmt::Display for LockDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockDifference::NotLocked { database } => {
                write!(f, "database '{database}' is not in the lock")
            }
            LockDifference::NotConfigured { database } => {
                write!(
                    f,
                    "the lock has database '{database}', which is not configured"
                )
            }
            LockDifference::Heads {
                database,
                locked,
                now,
            } => write!(
                f,
                "database '{database}': heads {}; the lock has {}",
                describe_heads(now),
                describe_heads(locked)
            ),
            LockDifference::Graph {
                database,
                locked_revisions,
                revisions,
            } => write!(
                f,
                "database '{database}': revisions were edited, added or removed since the lock was written ({} now, {locked_revisions} locked)",
                count_revisions(*revisions)
            ),
        }
    }
}

impl Lockfile {
    /// The lock of `sets`.
    pub fn of(sets: &BTreeMap<String, Arc<MigrationSet>>) -> Lockfile {
        Lockfile {
            databases: sets
                .iter()
                .map(|(name, set)| (name.clone(), LockedDatabase::of(set)))
                .collect(),
        }
    }

    /// Parses a lock file's text; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Lockfile, LockError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawLock {
            version: u32,
            #[serde(default)]
            databases: BTreeMap<String, LockedDatabase>,
        }
        let raw: RawLock = toml::from_str(text).map_err(|error| LockError::Invalid {
            path: path.to_owned(),
            message: error.message().trim().to_owned(),
        })?;
        if raw.version != LOCK_VERSION {
            return Err(LockError::UnknownVersion {
                path: path.to_owned(),
                found: raw.version,
            });
        }
        Ok(Lockfile {
            databases: raw.databases,
        })
    }

    /// The file's text, in its fixed layout.
    pub fn render(&self) -> String {
        let mut text = String::from(
            "# retort.lock: each database's heads and a checksum of its whole revision graph, as\n\
             # released. Written by 'retort lock'; 'retort check --locked' fails and\n\
             # 'retort upgrade --locked' refuses to run while the migrations differ from it.\n\
             # Commit it; do not edit it by hand.\n\
             version = 1\n",
        );
        for (name, database) in &self.databases {
            let heads: Vec<String> = database
                .heads
                .iter()
                .map(|head| toml_string(head))
                .collect();
            text.push_str(&format!(
                "\n[databases.{name}]\nheads = [{}]\nrevisions = {}\ngraph = {}\n",
                heads.join(", "),
                database.revisions,
                toml_string(&database.graph)
            ));
        }
        text
    }

    /// How `current` differs from this lock: for the databases of `current`, and, when
    /// `every_database` (no `--db` narrowed the command), the locked ones not configured.
    pub fn differences(&self, current: &Lockfile, every_database: bool) -> Vec<LockDifference> {
        let mut found = Vec::new();
        for (name, now) in &current.databases {
            let Some(locked) = self.databases.get(name) else {
                found.push(LockDifference::NotLocked {
                    database: name.clone(),
                });
                continue;
            };
            if locked.heads != now.heads {
                found.push(LockDifference::Heads {
                    database: name.clone(),
                    locked: locked.heads.clone(),
                    now: now.heads.clone(),
                });
            } else if locked.graph != now.graph {
                found.push(LockDifference::Graph {
                    database: name.clone(),
                    locked_revisions: locked.revisions,
                    revisions: now.revisions,
                });
            }
        }
        if every_database {
            for name in self.databases.keys() {
                if !current.databases.contains_key(name) {
                    found.push(LockDifference::NotConfigured {
                        database: name.clone(),
                    });
                }
            }
        }
        found
    }
}

impl LockedDatabase {
    /// The entry for `set`.
    pub fn of(set: &MigrationSet) -> LockedDatabase {
        let mut heads: Vec<String> = set.map().heads().into_iter().map(str::to_owned).collect();
        heads.sort();
        let mut lines: Vec<(&str, &str)> = set
            .migrations()
            .iter()
            .map(|migration| (migration.revision.id.as_str(), migration.checksum.as_str()))
            .collect();
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        for (revision, checksum) in &lines {
            hasher.update(revision.as_bytes());
            hasher.update(b" ");
            hasher.update(checksum.as_bytes());
            hasher.update(b"\n");
        }
        LockedDatabase {
            heads,
            revisions: lines.len(),
            graph: format!("sha256:{}", hex::encode(hasher.finalize())),
        }
    }
}

fn count_revisions(count: usize) -> String {
    match count {
        1 => "1 revision".to_owned(),
        count => format!("{count} revisions"),
    }
}

fn describe_heads(heads: &[String]) -> String {
    match heads {
        [] => "none".to_owned(),
        heads => heads.join(", "),
    }
}

/// A TOML basic string (ids and checksums hold no characters that need more than this).
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests;
