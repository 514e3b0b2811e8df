//! The project: its configuration and each database's migrations, read into [`MigrationSet`]s.
//! Every problem in every file is collected before anything is reported.
//!
//! In development (a config file is found) migrations are read from each database's
//! `versions/` on disk, and a database whose crate the binary carries is checked against the
//! built-in copy: a mismatch stops the command. With no config file, the binary runs on what it
//! carries: the built-in configuration and migrations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::{fs, io};

use retort_core::{LoadError, MigrationSet, SourceFile};

use crate::embedded::{self, Bundle, Difference, EmbeddedDatabase};
use crate::paths::display_path;
use crate::settings::{self, ConfigError, ConfigSource, DatabaseSettings, Settings};

/// A configured project.
#[derive(Debug, Clone)]
pub struct Project {
    pub settings: Settings,
    /// What the binary carries.
    pub bundle: &'static Bundle,
}

/// A problem reading a database's migration files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectError {
    #[error(
        "the versions directory {path} of database '{database}' does not exist; create it, or set 'versions' in the config"
    )]
    MissingVersions { database: String, path: String },
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    /// Every problem of every file; each already names its file and line.
    #[error("{}", describe_load_errors(errors))]
    Invalid { errors: Vec<LoadError> },
    #[error(
        "database '{database}' is configured, but this retort carries no migrations for it; run it in the project (where config/retort.toml is), or build it with the database's crate"
    )]
    NotBuiltIn { database: String },
    #[error(
        "database '{database}': the migrations on disk are not the ones built into this retort; rebuild it (cargo build) or restore the files:{}",
        differences.iter().map(|difference| format!("\n  {difference}")).collect::<String>()
    )]
    BuiltInMismatch {
        database: String,
        differences: Vec<Difference>,
    },
    #[error(
        "'{command}' changes the project's files, but no config/retort.toml was found in {} or any parent directory (this retort is running on its built-in migrations); run it in the project",
        start.display()
    )]
    NoSourceTree {
        command: &'static str,
        start: PathBuf,
    },
}

impl Project {
    /// Finds and reads the configuration as the global options say: the config file, or, when
    /// there is none and no `--config` was given, the one built into the binary.
    pub fn open(
        current_dir: &Path,
        explicit_config: Option<&Path>,
        env_name: Option<&str>,
        variable: &dyn Fn(&str) -> Option<String>,
        bundle: &'static Bundle,
    ) -> Result<Project, ConfigError> {
        let settings = match (
            settings::find_config(current_dir, explicit_config),
            &bundle.config,
        ) {
            (Ok(location), _) => settings::load(&location, env_name, variable)?,
            (Err(_), Some(built_in)) => {
                settings::load_built_in(current_dir, built_in, env_name, variable)?
            }
            (Err(_), None) => {
                return Err(ConfigError::NotFound {
                    start: current_dir.to_path_buf(),
                });
            }
        };
        Ok(Project { settings, bundle })
    }

    /// Whether the project runs on the binary's built-in configuration and migrations.
    pub fn is_built_in(&self) -> bool {
        self.settings.source == ConfigSource::BuiltIn
    }

    /// An error for `command`, which writes the project's files, when there are none.
    pub fn require_source_tree(&self, command: &'static str) -> Result<(), ProjectError> {
        if self.is_built_in() {
            return Err(ProjectError::NoSourceTree {
                command,
                start: self.root().to_path_buf(),
            });
        }
        Ok(())
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        &self.settings.location.root
    }

    /// `path` as shown in output: relative to the root when inside it.
    pub fn display(&self, path: &Path) -> String {
        display_path(self.root(), path)
    }

    /// The databases `--db` names, or all of them in name order.
    pub fn select(&self, names: &[String]) -> Result<Vec<&DatabaseSettings>, ConfigError> {
        self.settings.select(names)
    }

    /// Reads one database's migrations to run them: from disk in development, checked against
    /// the built-in copy when the binary carries the database's crate; else the built-in ones.
    pub fn load_migrations(
        &self,
        database: &DatabaseSettings,
    ) -> Result<MigrationSet, ProjectError> {
        let set = self.load_source(database)?;
        if let Some(built_in) = self.built_in_counterpart(database) {
            let built_in_set = MigrationSet::load(built_in.source_files())
                .map_err(|errors| ProjectError::Invalid { errors })?;
            let differences = embedded::differences(&set, &built_in_set);
            if !differences.is_empty() {
                return Err(ProjectError::BuiltInMismatch {
                    database: database.name.clone(),
                    differences,
                });
            }
        }
        Ok(set)
    }

    /// Reads one database's migrations as they are, unchecked: for the commands that write
    /// them (`revision`, `merge`, `rebase`, `lock`), which work on the files on disk.
    pub fn load_source(&self, database: &DatabaseSettings) -> Result<MigrationSet, ProjectError> {
        let files = self.read_versions(database)?;
        MigrationSet::load(files).map_err(|errors| ProjectError::Invalid { errors })
    }

    /// The database crate the binary carries for `database`, when the project on disk is one
    /// that builds its own retort (it has [`embedded::CLI_MANIFEST`], so the binary run in it
    /// is meant to be built from it) and holds that same crate: a crate directory (the parent
    /// of `versions/`) whose package has the built-in crate's name. A project that only uses
    /// retort, with a database named alike, is not compared.
    fn built_in_counterpart(
        &self,
        database: &DatabaseSettings,
    ) -> Option<&'static EmbeddedDatabase> {
        if self.is_built_in() || !self.root().join(embedded::CLI_MANIFEST).is_file() {
            return None;
        }
        let built_in = self.bundle.database(&database.name)?;
        let manifest = database.versions.parent()?.join("Cargo.toml");
        let package = package_name(&manifest)?;
        (package == built_in.package).then_some(built_in)
    }

    /// Reads several databases' migrations, reporting the problems of all of them at once.
    pub fn load_all<'a>(
        &self,
        databases: impl IntoIterator<Item = &'a DatabaseSettings>,
    ) -> Result<BTreeMap<String, Arc<MigrationSet>>, ProjectError> {
        let mut sets = BTreeMap::new();
        let mut all_errors = Vec::new();
        for database in databases {
            match self.load_migrations(database) {
                Ok(set) => {
                    sets.insert(database.name.clone(), Arc::new(set));
                }
                Err(ProjectError::Invalid { mut errors }) => all_errors.append(&mut errors),
                Err(other) => return Err(other),
            }
        }
        if all_errors.is_empty() {
            Ok(sets)
        } else {
            Err(ProjectError::Invalid { errors: all_errors })
        }
    }

    /// The `.sql` files of a database's `versions/`, in file-name order (hidden files skipped);
    /// the built-in ones when the project runs on them.
    pub fn read_versions(
        &self,
        database: &DatabaseSettings,
    ) -> Result<Vec<SourceFile>, ProjectError> {
        if self.is_built_in() {
            return match self.bundle.database(&database.name) {
                Some(built_in) => Ok(built_in.source_files()),
                None => Err(ProjectError::NotBuiltIn {
                    database: database.name.clone(),
                }),
            };
        }
        let directory = &database.versions;
        if !directory.is_dir() {
            return Err(ProjectError::MissingVersions {
                database: database.name.clone(),
                path: self.display(directory),
            });
        }
        let read_error = |path: &Path| {
            let shown = self.display(path);
            move |source| ProjectError::Read {
                path: shown,
                source,
            }
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in fs::read_dir(directory).map_err(read_error(directory))? {
            let entry = entry.map_err(read_error(directory))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || !name.ends_with(".sql") {
                continue;
            }
            if entry
                .file_type()
                .map_err(read_error(&entry.path()))?
                .is_dir()
            {
                continue;
            }
            paths.push(entry.path());
        }
        paths.sort_by(|left, right| left.file_name().cmp(&right.file_name()));
        paths
            .into_iter()
            .map(|path| {
                let bytes = fs::read(&path).map_err(read_error(&path))?;
                Ok(SourceFile {
                    path: self.display(&path),
                    bytes,
                })
            })
            .collect()
    }
}

/// The package name in a `Cargo.toml`; `None` when it cannot be read.
fn package_name(manifest: &Path) -> Option<String> {
    let text = fs::read_to_string(manifest).ok()?;
    let table: toml::Table = text.parse().ok()?;
    Some(table.get("package")?.get("name")?.as_str()?.to_owned())
}

fn describe_load_errors(errors: &[LoadError]) -> String {
    match errors {
        [single] => single.to_string(),
        several => {
            let lines: String = several.iter().map(|error| format!("\n  {error}")).collect();
            format!("{} problems in the migration files:{lines}", several.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static WITHOUT_CONFIG: Bundle = Bundle {
        config: None,
        lock: None,
        databases: &[],
    };

    #[test]
    fn no_config_file_and_none_built_in_says_how_to_make_one() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let error = Project::open(directory.path(), None, None, &|_| None, &WITHOUT_CONFIG)
            .expect_err("no configuration anywhere");
        assert_eq!(
            error.to_string(),
            format!(
                "no config/retort.toml found in {} or any parent directory; pass --config PATH, or create one with 'retort init NAME'",
                directory.path().display()
            )
        );
    }

    #[test]
    fn a_config_file_wins_over_the_built_in_one() {
        let directory = tempfile::tempdir().expect("temporary directory");
        fs::create_dir_all(directory.path().join("config")).expect("config directory");
        fs::write(
            directory.path().join("config/retort.toml"),
            "[databases.only_here]\nurl = \"sqlite:x.db\"\n",
        )
        .expect("write config");
        let project = Project::open(directory.path(), None, None, &|_| None, &embedded::BUNDLE)
            .expect("the config file is read");
        assert!(!project.is_built_in());
        let names: Vec<&String> = project.settings.databases.keys().collect();
        assert_eq!(names, ["only_here"]);
    }
}
