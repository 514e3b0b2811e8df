//! `retort rebase --db D`: linearise a database's heads before a release, when two people
//! added migrations in parallel and none of one side has been released yet. Each unreleased
//! branch (the revisions only one head has) is moved on top of the other: the `down_revision`
//! of its first revision is rewritten to the other's head, so the graph is one line again and
//! no merge revision is needed.
//!
//! Only revisions nobody has seen may move: none applied to the database or in its history,
//! none pinned by `retort.lock` (which is how releases to other environments are known).
//! Anything else is refused, with the `merge` command that joins the heads instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;

use anyhow::Context as _;
use retort_core::{Migration, MigrationSet};

use crate::commands::context::Context;
use crate::commands::database_state::read_state;
use crate::commands::generate;
use crate::commands::lock::read_lock;
use crate::exit::Outcome;
use crate::lockfile::LOCK_FILE_NAME;
use crate::settings::DatabaseSettings;

/// Why a database's heads cannot be rebased.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RebaseError {
    #[error(
        "cannot rebase database '{database}': {refusal}; merge its heads instead: retort merge --db {database} heads -m \"merge heads\""
    )]
    Refused { database: String, refusal: Refusal },
}

/// What stops a rebase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Revisions of more than one branch were seen: at most one branch may be released.
    SeveralBranchesSeen { seen: Vec<SeenRevision> },
    /// A branch holds a merge, or a branch point of its own.
    NotALine { head: String, revision: String },
    /// A branch starts a new base instead of branching off the graph.
    NewBase { revision: String },
    /// A branch branches off a revision the line it would move onto does not have.
    ForkOffTheLine {
        revision: String,
        parent: String,
        head: String,
    },
}

/// A revision that has been seen, and by what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRevision {
    pub revision: String,
    pub seen_by: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::SeveralBranchesSeen { seen } => {
                let seen: Vec<String> = seen
                    .iter()
                    .map(|seen| format!("{} ({})", seen.revision, seen.seen_by))
                    .collect();
                write!(
                    f,
                    "more than one of its branches has released revisions: {}",
                    seen.join(", ")
                )
            }
            Refusal::NotALine { head, revision } => write!(
                f,
                "the branch of head {head} is not a line of revisions (at {revision})"
            ),
            Refusal::NewBase { revision } => write!(f, "revision {revision} starts a new base"),
            Refusal::ForkOffTheLine {
                revision,
                parent,
                head,
            } => write!(
                f,
                "revision {revision} branches off {parent}, which {head} does not have"
            ),
        }
    }
}

pub async fn rebase(context: &Context<'_>) -> anyhow::Result<Outcome> {
    let database = generate::single_database(context, "rebase")?;
    let set = context.project.load_source(database)?;
    let heads: Vec<String> = set.map().heads().into_iter().map(str::to_owned).collect();
    if heads.len() < 2 {
        context.printer.status(format!(
            "database '{}' has {} head; nothing to rebase",
            database.name,
            heads.len()
        ));
        return Ok(Outcome::Success);
    }
    let seen = seen_revisions(context, database, &set).await?;
    let moves = plan_moves(&set, &heads, &seen).map_err(|refusal| RebaseError::Refused {
        database: database.name.clone(),
        refusal,
    })?;
    let rewritten = rewrite(context, &set, &moves)?;
    // The rebased graph must load before anything is written.
    let mut files = context.project.read_versions(database)?;
    for file in &mut files {
        if let Some((_, text)) = rewritten.iter().find(|(path, _)| *path == file.path) {
            file.bytes = text.clone().into_bytes();
        }
    }
    MigrationSet::load(files).map_err(|errors| crate::project::ProjectError::Invalid { errors })?;
    for (shown, text) in &rewritten {
        let path = context.project.root().join(shown);
        fs::write(&path, text).with_context(|| format!("cannot write {shown}"))?;
    }
    for step in &moves {
        context.printer.data(format!(
            "Moving revision {} ({}) onto {} (was {}) ... done",
            step.revision, step.path, step.new_parent, step.old_parent
        ));
    }
    Ok(Outcome::Success)
}

/// One branch moved: its first revision gets a new parent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Move {
    revision: String,
    path: String,
    old_parent: String,
    new_parent: String,
}

/// The revisions that may not move, with what saw them: those applied to the database or in
/// its history, and those `retort.lock` pins (its heads and their ancestors).
async fn seen_revisions(
    context: &Context<'_>,
    database: &DatabaseSettings,
    set: &MigrationSet,
) -> anyhow::Result<BTreeMap<String, String>> {
    let map = set.map();
    let mut seen = BTreeMap::new();
    if let Some(lock) = read_lock(context)?
        && let Some(locked) = lock.databases.get(&database.name)
    {
        let known: Vec<String> = locked
            .heads
            .iter()
            .filter(|head| map.get(head).is_some())
            .cloned()
            .collect();
        for revision in map.applied(&known)? {
            seen.insert(revision, format!("pinned by {LOCK_FILE_NAME}"));
        }
    }
    let state = read_state(context, database)
        .await
        .context("rebase reads the database to know which revisions it has seen")?;
    let in_database = format!("applied to database '{}'", database.name);
    for revision in map.applied(&state.rows)? {
        seen.insert(revision, in_database.clone());
    }
    for revision in state.checksums.keys() {
        seen.entry(revision.clone())
            .or_insert_with(|| format!("in the history of database '{}'", database.name));
    }
    Ok(seen)
}

/// Which branch stays and where each other one moves, in order: the released branch (or, with
/// none released, the oldest) stays; the others go on top, oldest first.
fn plan_moves(
    set: &MigrationSet,
    heads: &[String],
    seen: &BTreeMap<String, String>,
) -> Result<Vec<Move>, Refusal> {
    let ancestry: Vec<BTreeSet<String>> = heads.iter().map(|head| ancestors(set, head)).collect();
    let mut branches = Vec::new();
    for (index, head) in heads.iter().enumerate() {
        let others: BTreeSet<&String> = ancestry
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index)
            .flat_map(|(_, revisions)| revisions)
            .collect();
        let only_here: BTreeSet<String> = ancestry[index]
            .iter()
            .filter(|revision| !others.contains(revision))
            .cloned()
            .collect();
        branches.push(branch_line(set, head, &only_here)?);
    }
    let seen_in: Vec<usize> = branches
        .iter()
        .enumerate()
        .filter(|(_, branch)| {
            branch
                .revisions
                .iter()
                .any(|revision| seen.contains_key(revision))
        })
        .map(|(index, _)| index)
        .collect();
    if seen_in.len() > 1 {
        let seen = branches
            .iter()
            .flat_map(|branch| &branch.revisions)
            .filter_map(|revision| {
                Some(SeenRevision {
                    revision: revision.clone(),
                    seen_by: seen.get(revision)?.clone(),
                })
            })
            .collect();
        return Err(Refusal::SeveralBranchesSeen { seen });
    }
    let created = |branch: &Branch| {
        let first = set.migration(&branch.root);
        (
            first.and_then(|migration| migration.created.clone()),
            first.map(|migration| migration.path.clone()),
        )
    };
    branches.sort_by_key(created);
    let stays = match seen_in.first() {
        Some(&index) => heads[index].clone(),
        None => branches[0].head.clone(),
    };
    let stay_index = branches
        .iter()
        .position(|branch| branch.head == stays)
        .unwrap_or(0);
    let line = branches.remove(stay_index);
    let mut line_revisions = ancestors(set, &line.head);
    let mut tip = line.head.clone();
    let mut moves = Vec::new();
    for branch in branches {
        if !line_revisions.contains(&branch.parent) {
            return Err(Refusal::ForkOffTheLine {
                revision: branch.root.clone(),
                parent: branch.parent.clone(),
                head: line.head.clone(),
            });
        }
        moves.push(Move {
            path: set
                .migration(&branch.root)
                .map(|migration| migration.path.clone())
                .unwrap_or_default(),
            revision: branch.root.clone(),
            old_parent: branch.parent.clone(),
            new_parent: tip.clone(),
        });
        line_revisions.extend(branch.revisions.iter().cloned());
        tip = branch.head;
    }
    Ok(moves)
}

/// The revisions only one head has, as a line from its first revision to the head.
#[derive(Debug, Clone)]
struct Branch {
    head: String,
    root: String,
    /// The revision the line branches off.
    parent: String,
    revisions: Vec<String>,
}

/// Walks down from `head` through `only_here`, which must be a line ending on a revision
/// outside it.
fn branch_line(
    set: &MigrationSet,
    head: &str,
    only_here: &BTreeSet<String>,
) -> Result<Branch, Refusal> {
    let mut revisions = Vec::new();
    let mut current = head.to_owned();
    loop {
        let down_revisions = set
            .map()
            .get(&current)
            .map(|revision| revision.down_revisions.clone())
            .unwrap_or_default();
        revisions.push(current.clone());
        let parent = match down_revisions.as_slice() {
            [] => return Err(Refusal::NewBase { revision: current }),
            [parent] => parent.clone(),
            _ => {
                return Err(Refusal::NotALine {
                    head: head.to_owned(),
                    revision: current,
                });
            }
        };
        if !only_here.contains(&parent) {
            if revisions.len() != only_here.len() {
                return Err(Refusal::NotALine {
                    head: head.to_owned(),
                    revision: current,
                });
            }
            revisions.reverse();
            return Ok(Branch {
                head: head.to_owned(),
                root: current,
                parent,
                revisions,
            });
        }
        current = parent;
    }
}

/// `head` and every revision below it, through `down_revision`.
fn ancestors(set: &MigrationSet, head: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![head.to_owned()];
    while let Some(revision) = pending.pop() {
        if !found.insert(revision.clone()) {
            continue;
        }
        if let Some(revision) = set.map().get(&revision) {
            pending.extend(revision.down_revisions.iter().cloned());
        }
    }
    found
}

/// The new text of each moved revision's file, its `down_revision` line rewritten.
fn rewrite(
    context: &Context<'_>,
    set: &MigrationSet,
    moves: &[Move],
) -> anyhow::Result<Vec<(String, String)>> {
    let mut rewritten = Vec::new();
    for step in moves {
        let Some(migration) = set.migration(&step.revision) else {
            continue;
        };
        let path = context.project.root().join(&migration.path);
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", migration.path))?;
        rewritten.push((
            migration.path.clone(),
            with_down_revision(&text, migration, &step.new_parent),
        ));
    }
    Ok(rewritten)
}

/// `text` with the value of its `down_revision` header line replaced by `parent`.
fn with_down_revision(text: &str, migration: &Migration, parent: &str) -> String {
    let line_number = migration.line_of("down_revision");
    let mut result = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if index + 1 != line_number {
            result.push_str(line);
            continue;
        }
        let ending = &line[line.trim_end_matches(['\r', '\n']).len()..];
        let key_end = line.find(':').map_or(line.len(), |colon| colon + 1);
        result.push_str(&line[..key_end]);
        result.push(' ');
        result.push_str(parent);
        result.push_str(ending);
    }
    result
}

#[cfg(test)]
mod tests;
