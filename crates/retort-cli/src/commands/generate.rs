//! Writing a new revision file, shared by `revision` and `merge` (Alembic's
//! `ScriptDirectory.generate_revision`): choosing and checking the parents, the id, the file
//! name and content, and writing it so that a half-written or unloadable file never lands in
//! `versions/`.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;
use chrono::{SecondsFormat, Utc};
use retort_core::{
    LoadError, MigrationSet, RevisionError, RevisionMap, SourceFile, validate_revision_id,
};

use crate::args::NewRevisionArgs;
use crate::commands::context::Context;
use crate::settings::DatabaseSettings;

/// Alembic cuts file-name slugs to this many characters.
const SLUG_MAX_CHARS: usize = 40;
/// Generated ids are the last 12 hex digits of a UUID v4, as Alembic makes them.
const GENERATED_ID_CHARS: usize = 12;

/// A revision about to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRevision {
    pub id: String,
    pub down_revisions: Vec<String>,
    /// Same-database ids or labels, and `db:rev` entries, as they go into the header.
    pub depends_on: Vec<String>,
    pub branch_labels: Vec<String>,
    pub message: String,
    /// RFC 3339, UTC.
    pub created: String,
}

/// Why a revision cannot be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    #[error("{command} acts on exactly one database; pass --db NAME (configured: {})", configured.join(", "))]
    NeedOneDatabase {
        command: &'static str,
        configured: Vec<String>,
    },
    #[error(
        "database '{database}': multiple heads are present ({}); please specify the head revision on which the new revision should be based, or perform a merge: retort merge --db {database} heads -m \"merge heads\"",
        heads.join(", ")
    )]
    MultipleHeads {
        database: String,
        heads: Vec<String>,
    },
    #[error(
        "database '{database}': revision {revision} is not a head revision; please specify --splice to create a new branch from this revision"
    )]
    NotAHead { database: String, revision: String },
    #[error("database '{database}': duplicate head revisions specified ({})", revisions.join(", "))]
    DuplicateParents {
        database: String,
        revisions: Vec<String>,
    },
    #[error("database '{database}': revision id '{id}' is already used by {path}")]
    RevisionExists {
        database: String,
        id: String,
        path: String,
    },
    #[error("the message must be one line: it is written to the '-- message:' header")]
    MultilineMessage,
    #[error("--depends-on '{entry}': database '{other}' is not configured (configured: {})", configured.join(", "))]
    UnknownDependencyDatabase {
        entry: String,
        other: String,
        configured: Vec<String>,
    },
    #[error(
        "--depends-on '{entry}': '{database}' is the database of the new revision; name the revision without '{database}:'"
    )]
    OwnDatabaseDependency { entry: String, database: String },
    #[error("--depends-on '{entry}' names no revision")]
    DependsOnBase { entry: String },
    #[error("{path} already exists")]
    FileExists { path: String },
    #[error("the new revision would not load, nothing was written:{}", errors.iter().map(|error| format!("\n  {error}")).collect::<String>())]
    WouldNotLoad { errors: Vec<LoadError> },
    #[error("cannot write {path}")]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl NewRevision {
    /// `<rev>_<slug>.sql`.
    pub fn file_name(&self) -> String {
        format!("{}_{}.sql", self.id, slug(&self.message))
    }

    /// The file: its header, then empty upgrade and downgrade sections.
    pub fn render(&self) -> String {
        self.render_with("-- upgrade\n\n\n-- downgrade\n\n")
    }

    /// The file: its header, then `sections` (markers included), as autogenerate writes it.
    pub fn render_with(&self, sections: &str) -> String {
        let mut text = String::new();
        text.push_str(&header_line("revision", &self.id));
        text.push_str(&header_line(
            "down_revision",
            &self.down_revisions.join(", "),
        ));
        if !self.depends_on.is_empty() {
            text.push_str(&header_line("depends_on", &self.depends_on.join(", ")));
        }
        if !self.branch_labels.is_empty() {
            text.push_str(&header_line(
                "branch_labels",
                &self.branch_labels.join(", "),
            ));
        }
        text.push_str(&header_line("message", &self.message));
        text.push_str(&header_line("created", &self.created));
        text.push('\n');
        text.push_str(sections);
        text
    }
}

/// The one database `revision` and `merge` act on: the only one selected.
pub fn single_database<'a>(
    context: &Context<'a>,
    command: &'static str,
) -> anyhow::Result<&'a DatabaseSettings> {
    context.project.require_source_tree(command)?;
    match context.databases.as_slice() {
        [database] => Ok(*database),
        _ => Err(GenerateError::NeedOneDatabase {
            command,
            configured: context.project.settings.databases.keys().cloned().collect(),
        }
        .into()),
    }
}

/// The revisions `spec` names as parents (`base` names none), with Alembic's message when
/// `head` is ambiguous.
pub fn resolve_parents(
    database: &DatabaseSettings,
    map: &RevisionMap,
    spec: &str,
) -> anyhow::Result<Vec<String>> {
    match map.resolve(spec) {
        Ok(parents) => Ok(parents),
        Err(RevisionError::MultipleHeads { heads, .. }) => Err(GenerateError::MultipleHeads {
            database: database.name.clone(),
            heads,
        }
        .into()),
        Err(error) => {
            Err(anyhow::Error::new(error).context(format!("database '{}'", database.name)))
        }
    }
}

/// Alembic's checks on parents: no duplicates, and each a head unless `splice`.
pub fn check_parents(
    database: &DatabaseSettings,
    map: &RevisionMap,
    parents: &[String],
    splice: bool,
) -> Result<(), GenerateError> {
    let mut seen: Vec<&String> = Vec::new();
    for parent in parents {
        if seen.contains(&parent) {
            return Err(GenerateError::DuplicateParents {
                database: database.name.clone(),
                revisions: parents.to_vec(),
            });
        }
        seen.push(parent);
    }
    if !splice
        && let Some(parent) = parents
            .iter()
            .find(|parent| map.info(parent).is_some_and(|info| !info.is_head))
    {
        return Err(GenerateError::NotAHead {
            database: database.name.clone(),
            revision: parent.clone(),
        });
    }
    Ok(())
}

/// The new revision from the options: the id (`--rev-id`, checked, or generated), the message
/// and the branch label.
pub fn new_revision(
    database: &DatabaseSettings,
    set: &MigrationSet,
    args: &NewRevisionArgs,
    down_revisions: Vec<String>,
    depends_on: Vec<String>,
) -> anyhow::Result<NewRevision> {
    let message = args.message.clone().unwrap_or_default();
    if message.contains(['\n', '\r']) {
        return Err(GenerateError::MultilineMessage.into());
    }
    let id = match &args.rev_id {
        Some(id) => {
            validate_revision_id(id).context("--rev-id")?;
            if let Some(existing) = set.migration(id) {
                return Err(GenerateError::RevisionExists {
                    database: database.name.clone(),
                    id: id.clone(),
                    path: existing.path.clone(),
                }
                .into());
            }
            id.clone()
        }
        None => loop {
            let id = generate_id();
            if set.map().get(&id).is_none() {
                break id;
            }
        },
    };
    Ok(NewRevision {
        id,
        down_revisions,
        depends_on,
        branch_labels: args.branch_label.iter().cloned().collect(),
        message: message.trim().to_owned(),
        created: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

/// Writes `new` into the database's `versions/`: checked by loading it with the existing files
/// first, written to a temporary file and renamed into place, then loaded again from disk.
/// Prints `Generating <path> ... done`.
pub fn write_revision(
    context: &Context<'_>,
    database: &DatabaseSettings,
    new: &NewRevision,
) -> anyhow::Result<()> {
    write_revision_text(context, database, new, new.render())
}

/// [`write_revision`] with the file's text given (autogenerate's, with its sections).
pub fn write_revision_text(
    context: &Context<'_>,
    database: &DatabaseSettings,
    new: &NewRevision,
    content: String,
) -> anyhow::Result<()> {
    let project = context.project;
    let path = database.versions.join(new.file_name());
    let shown = project.display(&path);
    if path.exists() {
        return Err(GenerateError::FileExists { path: shown }.into());
    }
    let mut files = project.read_versions(database)?;
    files.push(SourceFile {
        path: shown.clone(),
        bytes: content.clone().into_bytes(),
    });
    files.sort_by(|left, right| left.path.cmp(&right.path));
    MigrationSet::load(files).map_err(|errors| GenerateError::WouldNotLoad { errors })?;
    write_new_file(&database.versions, &path, content.as_bytes()).map_err(|source| {
        GenerateError::Write {
            path: shown.clone(),
            source,
        }
    })?;
    project.load_source(database).with_context(|| {
        format!(
            "{shown} was written, but the versions of database '{}' no longer load",
            database.name
        )
    })?;
    context.printer.data(format!("Generating {shown} ... done"));
    Ok(())
}

/// Alembic's slug: the `\w+` words of the message, lowercased, joined by `_`; past 40
/// characters it is cut at the last `_` within them and ends with `_`.
pub fn slug(message: &str) -> String {
    let words: Vec<&str> = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .collect();
    let slug = words.join("_").to_lowercase();
    if slug.chars().count() <= SLUG_MAX_CHARS {
        return slug;
    }
    let cut: String = slug.chars().take(SLUG_MAX_CHARS).collect();
    let kept = match cut.rsplit_once('_') {
        Some((before, _)) => before.to_owned(),
        None => cut,
    };
    format!("{kept}_")
}

/// A new revision id: the last 12 hex digits of a UUID v4 (Alembic's `uuid4().hex[-12:]`).
pub fn generate_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    hex.chars()
        .skip(hex.len().saturating_sub(GENERATED_ID_CHARS))
        .collect()
}

/// `-- key: value`, or `-- key:` for an empty value (no trailing space).
fn header_line(key: &str, value: &str) -> String {
    if value.is_empty() {
        format!("-- {key}:\n")
    } else {
        format!("-- {key}: {value}\n")
    }
}

/// Writes a temporary file in `directory`, syncs it, and renames it to `path`, failing rather
/// than replacing a file that appeared there meanwhile.
fn write_new_file(directory: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = tempfile::Builder::new()
        .prefix(".retort-new-")
        .tempfile_in(directory)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist_noclobber(path).map_err(|error| error.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_alembic() {
        assert_eq!(slug("create users"), "create_users");
        assert_eq!(slug("Add: e-mail (unique)!"), "add_e_mail_unique");
        assert_eq!(slug(""), "");
        assert_eq!(
            slug("this is a rather long message that goes past forty characters"),
            "this_is_a_rather_long_message_that_goes_"
        );
        assert_eq!(slug(&"x".repeat(50)), format!("{}_", "x".repeat(40)));
    }

    #[test]
    fn generated_ids_are_twelve_lowercase_hex_digits() {
        let id = generate_id();
        assert_eq!(id.len(), 12);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{id}"
        );
    }

    #[test]
    fn the_file_has_header_then_empty_sections() {
        let new = NewRevision {
            id: "3f1c2a9b7d10".to_owned(),
            down_revisions: vec!["a".to_owned(), "b".to_owned()],
            depends_on: vec!["tool_registry:77ab01c9e4d2".to_owned()],
            branch_labels: vec![],
            message: "create users".to_owned(),
            created: "2026-11-21T10:00:00Z".to_owned(),
        };
        assert_eq!(new.file_name(), "3f1c2a9b7d10_create_users.sql");
        assert_eq!(
            new.render(),
            "\
-- revision: 3f1c2a9b7d10
-- down_revision: a, b
-- depends_on: tool_registry:77ab01c9e4d2
-- message: create users
-- created: 2026-11-21T10:00:00Z

-- upgrade


-- downgrade

"
        );
    }
}
