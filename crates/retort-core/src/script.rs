//! A database's migration set: its parsed files and the revision map built from them, the way
//! Alembic's `ScriptDirectory` pairs scripts with the `RevisionMap`. Graph errors are turned into
//! errors that point at the file and line that caused them.

use std::collections::HashMap;

use crate::error::RevisionError;
use crate::file::{self, Migration, ParseError, ParseErrorKind};
use crate::graph::RevisionMap;

/// One migration file's path (as it should appear in messages) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A problem found while loading a migration set, pointing at a file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{path}:{line}: revision {id} is present more than once (also in {other_path}); give one of them a new id")]
    Duplicate { path: String, line: usize, id: String, other_path: String },
    /// The graph error is part of the message (not a `#[source]`), so it prints once.
    #[error("{path}:{line}: {problem}")]
    Graph { path: String, line: usize, problem: RevisionError },
}

/// The migrations of one database and their revision map.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    map: RevisionMap,
    /// In map order: a revision's index in the map is its migration's index here.
    migrations: Vec<Migration>,
}

impl MigrationSet {
    /// Parses every file (in the order given: callers pass file-name order) and builds the map.
    /// Every parse problem and duplicate id is reported, not only the first.
    ///
    /// Files are taken one at a time and each one's bytes are dropped as soon as it is parsed, so
    /// a caller that reads them lazily never holds more than one file's bytes.
    pub fn load(files: impl IntoIterator<Item = SourceFile>) -> Result<MigrationSet, Vec<LoadError>> {
        let files = files.into_iter();
        let mut migrations: Vec<Migration> = Vec::with_capacity(files.size_hint().0);
        // Each problem with the position of its file, so that they are reported in file order.
        let mut errors: Vec<(usize, LoadError)> = Vec::new();
        let mut positions: Vec<usize> = Vec::new();
        for (position, source) in files.enumerate() {
            let parsed = file::parse(&source.path, &source.bytes);
            drop(source);
            let migration = match parsed {
                Ok(migration) => migration,
                Err(error) => {
                    errors.push((position, error.into()));
                    continue;
                }
            };
            // A forgotten down_revision would silently start a second base: a base says so
            // with an empty value (or `none`).
            if !migration.header_lines.contains_key("down_revision") {
                errors.push((
                    position,
                    LoadError::Parse(ParseError {
                        path: migration.path.clone(),
                        line: 1,
                        kind: ParseErrorKind::MissingHeaderKey { key: "down_revision" },
                    }),
                ));
                continue;
            }
            migrations.push(migration);
            positions.push(position);
        }
        if errors.is_empty() {
            // Building the map finds a duplicate id too; only then is every duplicate looked for,
            // so that they are reported (rather than the map's first error) as before.
            let revisions = migrations.iter().map(|migration| migration.revision.clone()).collect();
            let map_error = match RevisionMap::from_parsed(revisions) {
                Ok(map) => return Ok(MigrationSet { map, migrations }),
                Err(error) => error,
            };
            errors = duplicates(&migrations, &positions);
            if errors.is_empty() {
                return Err(vec![locate(&migrations, map_error)]);
            }
        } else {
            errors.extend(duplicates(&migrations, &positions));
        }
        // Stable: at most one problem per file.
        errors.sort_by_key(|(position, _)| *position);
        Err(errors.into_iter().map(|(_, error)| error).collect())
    }

    /// The revision map.
    pub fn map(&self) -> &RevisionMap {
        &self.map
    }

    /// The migration with exactly this revision id.
    pub fn migration(&self, id: &str) -> Option<&Migration> {
        self.map.index_of(id).map(|index| &self.migrations[index])
    }

    /// Every migration, in map (file-name) order.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }
}

/// Every migration whose id an earlier one has, with its position among the files.
fn duplicates(migrations: &[Migration], positions: &[usize]) -> Vec<(usize, LoadError)> {
    let mut first_by_id: HashMap<&str, &Migration> = HashMap::with_capacity(migrations.len());
    let mut errors = Vec::new();
    for (migration, &position) in migrations.iter().zip(positions) {
        if let Some(first) = first_by_id.get(migration.revision.id.as_str()) {
            errors.push((
                position,
                LoadError::Duplicate {
                    path: migration.path.clone(),
                    line: migration.line_of("revision"),
                    id: migration.revision.id.clone(),
                    other_path: first.path.clone(),
                },
            ));
            continue;
        }
        first_by_id.insert(&migration.revision.id, migration);
    }
    errors
}

/// Points a graph error at the file and header line that caused it.
fn locate(migrations: &[Migration], error: RevisionError) -> LoadError {
    let (revision, key) = match &error {
        RevisionError::MissingDownRevision { revision, .. } | RevisionError::SelfLoop { id: revision } => {
            (Some(revision.as_str()), "down_revision")
        }
        RevisionError::MissingDependency { revision, .. } | RevisionError::DependencySelfLoop { id: revision } => {
            (Some(revision.as_str()), "depends_on")
        }
        RevisionError::DuplicateBranchLabel { revision, .. } => (Some(revision.as_str()), "branch_labels"),
        RevisionError::InvalidId { id, .. } | RevisionError::DuplicateRevision { id } => (Some(id.as_str()), "revision"),
        RevisionError::Cycle { ids } => (ids.first().map(String::as_str), "down_revision"),
        RevisionError::DependencyCycle { ids } => (ids.first().map(String::as_str), "depends_on"),
        _ => (None, "revision"),
    };
    let migration = revision
        .and_then(|id| migrations.iter().find(|migration| migration.revision.id == id))
        .or(migrations.first());
    match migration {
        Some(migration) => LoadError::Graph { path: migration.path.clone(), line: migration.line_of(key), problem: error },
        None => LoadError::Graph { path: "<no migrations>".to_owned(), line: 0, problem: error },
    }
}
