//! Where a database's migrations on disk and the ones the binary carries disagree: a revision
//! whose file changed (its checksum differs), one only on disk, one only built in.

use std::collections::BTreeMap;
use std::fmt;

use retort_core::MigrationSet;

/// One disagreement between the migrations on disk and those built into the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The file changed since the binary was built.
    Edited { revision: String, path: String },
    /// A revision added since the binary was built.
    OnDiskOnly { revision: String, path: String },
    /// A revision removed (or renumbered) since the binary was built.
    BuiltInOnly { revision: String, path: String },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Edited { revision, path } => {
                write!(
                    f,
                    "revision {revision} ({path}) differs from the copy built in"
                )
            }
            Difference::OnDiskOnly { revision, path } => {
                write!(
                    f,
                    "revision {revision} ({path}) is on disk but not built in"
                )
            }
            Difference::BuiltInOnly { revision, path } => {
                write!(
                    f,
                    "revision {revision} ({path}) is built in but not on disk"
                )
            }
        }
    }
}

/// Every difference between `disk` and `built_in`: disk revisions in file order, then the
/// revisions only built in, in theirs.
pub fn differences(disk: &MigrationSet, built_in: &MigrationSet) -> Vec<Difference> {
    let built_in_checksums: BTreeMap<&str, &str> = built_in
        .migrations()
        .iter()
        .map(|migration| (migration.revision.id.as_str(), migration.checksum.as_str()))
        .collect();
    let mut found = Vec::new();
    for migration in disk.migrations() {
        let revision = migration.revision.id.clone();
        let path = migration.path.clone();
        match built_in_checksums.get(revision.as_str()) {
            None => found.push(Difference::OnDiskOnly { revision, path }),
            Some(checksum) if *checksum != migration.checksum => {
                found.push(Difference::Edited { revision, path });
            }
            Some(_) => {}
        }
    }
    for migration in built_in.migrations() {
        if disk.migration(&migration.revision.id).is_none() {
            found.push(Difference::BuiltInOnly {
                revision: migration.revision.id.clone(),
                path: migration.path.clone(),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use retort_core::SourceFile;

    use super::*;

    fn file(name: &str, revision: &str, down_revision: &str, upgrade: &str) -> SourceFile {
        SourceFile {
            path: format!("versions/{name}"),
            bytes: format!(
                "-- revision: {revision}\n-- down_revision: {down_revision}\n-- message: m\n\n-- upgrade\n{upgrade}\n\n-- downgrade\nSELECT 2;\n"
            )
            .into_bytes(),
        }
    }

    fn set(files: Vec<SourceFile>) -> MigrationSet {
        MigrationSet::load(files).expect("valid migrations")
    }

    #[test]
    fn the_same_files_do_not_differ() {
        let files = vec![
            file("a.sql", "a1", "", "SELECT 1;"),
            file("b.sql", "b1", "a1", "SELECT 1;"),
        ];
        assert_eq!(differences(&set(files.clone()), &set(files)), []);
    }

    #[test]
    fn edited_added_and_removed_revisions_are_each_named() {
        let built_in = set(vec![
            file("a.sql", "a1", "", "SELECT 1;"),
            file("b.sql", "b1", "a1", "SELECT 1;"),
        ]);
        let disk = set(vec![
            file("a.sql", "a1", "", "SELECT 'edited';"),
            file("c.sql", "c1", "a1", "SELECT 1;"),
        ]);
        let found: Vec<String> = differences(&disk, &built_in)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "revision a1 (versions/a.sql) differs from the copy built in",
                "revision c1 (versions/c.sql) is on disk but not built in",
                "revision b1 (versions/b.sql) is built in but not on disk",
            ]
        );
    }
}
