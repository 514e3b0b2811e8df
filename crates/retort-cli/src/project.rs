//! The project on disk: its configuration and each database's `versions/` directory, read into
//! [`MigrationSet`]s. Every problem in every file is collected before anything is reported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::{fs, io};

use retort_core::{LoadError, MigrationSet, SourceFile};

use crate::paths::display_path;
use crate::settings::{self, ConfigError, DatabaseSettings, Settings};

/// A configured project.
#[derive(Debug, Clone)]
pub struct Project {
    pub settings: Settings,
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
}

impl Project {
    /// Finds and reads the configuration as the global options say.
    pub fn open(
        current_dir: &Path,
        explicit_config: Option<&Path>,
        env_name: Option<&str>,
        variable: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Project, ConfigError> {
        let location = match settings::find_config(current_dir, explicit_config) {
            Ok(location) => location,
            Err(_) => {
                return Err(ConfigError::NotFound {
                    start: current_dir.to_path_buf(),
                });
            }
        };
        Ok(Project {
            settings: settings::load(&location, env_name, variable)?,
        })
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

    /// Reads one database's migrations.
    pub fn load_migrations(
        &self,
        database: &DatabaseSettings,
    ) -> Result<MigrationSet, ProjectError> {
        let files = self.read_versions(database)?;
        MigrationSet::load(files).map_err(|errors| ProjectError::Invalid { errors })
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

    /// The `.sql` files of a database's `versions/`, in file-name order (hidden files skipped).
    pub fn read_versions(
        &self,
        database: &DatabaseSettings,
    ) -> Result<Vec<SourceFile>, ProjectError> {
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

fn describe_load_errors(errors: &[LoadError]) -> String {
    match errors {
        [single] => single.to_string(),
        several => {
            let lines: String = several.iter().map(|error| format!("\n  {error}")).collect();
            format!("{} problems in the migration files:{lines}", several.len())
        }
    }
}
