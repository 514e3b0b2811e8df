//! The configuration, resolved once into plain structs: `config/retort.toml`, then
//! `config/retort.<env>.toml`, then `RETORT_` environment variables (`__` nests), then each
//! database's `url_env`. figment does the layering; none of its types leave this module.
//!
//! Where no config file is found, the binary's built-in copy of the workspace's
//! `config/retort.toml` (and its overlays) takes the file's place ([`load_built_in`]), so a
//! release binary runs with nothing but environment variables.
//!
//! Every problem names where the offending value came from: a file and the line of the key (and,
//! for TOML syntax, the line and column of the error) or an environment variable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::Env;
use retort_db::DatabaseUrl;

mod error;
mod layers;
mod resolve;

pub use self::error::{ConfigError, Origin};
use self::layers::{Layer, Layers};
use self::resolve::{DatabaseResolver, RawConfig};

/// The config file's name inside `config/`.
pub const CONFIG_FILE_NAME: &str = "retort.toml";
/// The directory that holds the config file, below the project root.
pub const CONFIG_DIR_NAME: &str = "config";
/// The prefix of environment variables that override the config.
pub(crate) const ENV_PREFIX: &str = "RETORT_";

/// Where the config file is and which project it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    /// The config file (it may not exist yet: `init` creates it).
    pub path: PathBuf,
    /// The project root: the directory holding `config/`, or the config file's own directory
    /// when it is not in a `config/` directory.
    pub root: PathBuf,
}

/// Everything the commands need from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub location: ConfigLocation,
    /// Where the configuration was read from.
    pub source: ConfigSource,
    /// The layers read, as one origin (for messages about the configuration as a whole).
    origin: Origin,
    /// Every configured database, by name (so in name order).
    pub databases: BTreeMap<String, DatabaseSettings>,
}

/// One `[databases.NAME]` entry, with defaults applied and paths made absolute.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub name: String,
    /// `None` when `url_env` names a variable that is not set and no `url` is configured.
    pub url: Option<DatabaseUrl>,
    pub url_env: Option<String>,
    /// The `versions/` directory, absolute.
    pub versions: PathBuf,
    pub version_table: String,
    pub history_table: String,
    pub after: Vec<String>,
    pub lock_timeout: Duration,
    pub connect_timeout: Duration,
    /// How many heads the database's graph may have before `check` fails and runs warn.
    pub expected_heads: usize,
    /// PostgreSQL: the schema of the version and history tables, first in `search_path`.
    pub schema: Option<String>,
    /// PostgreSQL: extensions enabled with `CREATE EXTENSION IF NOT EXISTS`.
    pub extensions: Vec<String>,
    /// PostgreSQL and MySQL: create the database when it does not exist.
    pub create_database: bool,
    #[expect(
        dead_code,
        reason = "the orchestrator runs one transaction per migration for now"
    )]
    pub transaction_mode: TransactionMode,
}

/// How migrations are grouped into transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionMode {
    /// One transaction per migration (the default).
    #[default]
    PerMigration,
    /// One transaction for the whole run, where the engine allows it.
    PerRun,
}

/// Finds the config file: `explicit` (relative to `current_dir`) when given, else the first
/// `config/retort.toml` in `current_dir` or one of its parents. With nothing found, the
/// location `current_dir/config/retort.toml` is returned as `Err` for `init` to create.
pub fn find_config(
    current_dir: &Path,
    explicit: Option<&Path>,
) -> Result<ConfigLocation, ConfigLocation> {
    if let Some(explicit) = explicit {
        let path = current_dir.join(explicit);
        let root = project_root_of(&path);
        return Ok(ConfigLocation { path, root });
    }
    for directory in current_dir.ancestors() {
        let candidate = directory.join(CONFIG_DIR_NAME).join(CONFIG_FILE_NAME);
        if candidate.is_file() {
            return Ok(ConfigLocation {
                path: candidate,
                root: directory.to_path_buf(),
            });
        }
    }
    Err(ConfigLocation {
        path: current_dir.join(CONFIG_DIR_NAME).join(CONFIG_FILE_NAME),
        root: current_dir.to_path_buf(),
    })
}

/// Reads and resolves the configuration at `location`, with the overlay for `env_name` (an empty
/// name is no environment, as an empty `RETORT_ENV` should be) and the
/// process environment (`variable` looks a variable up; the binary passes `std::env::var`).
pub fn load(
    location: &ConfigLocation,
    env_name: Option<&str>,
    variable: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let mut layers = vec![Layer::read_file(&location.root, &location.path)?];
    if let Some(env_name) = checked_env_name(env_name)? {
        let overlay = overlay_path(&location.path, env_name);
        layers.push(Layer::read_file(&location.root, &overlay)?);
    }
    let layers = Layers {
        root: location.root.clone(),
        layers,
    };
    resolve(location, layers, ConfigSource::File, variable)
}

/// Resolves the configuration built into the binary (`built_in`, with `overlays` by
/// environment name), for a binary run where no config file is found. The project root is
/// `current_dir`: relative SQLite paths are relative to it.
pub fn load_built_in(
    current_dir: &Path,
    built_in: &BuiltInConfig,
    env_name: Option<&str>,
    variable: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let shown = |file_name: &str| format!("{CONFIG_DIR_NAME}/{file_name} (built in)");
    let mut layers = vec![Layer::built_in(shown(CONFIG_FILE_NAME), built_in.base)?];
    if let Some(env_name) = checked_env_name(env_name)? {
        let Some((_, text)) = built_in.overlays.iter().find(|(name, _)| *name == env_name) else {
            return Err(ConfigError::NoBuiltInOverlay {
                name: env_name.to_owned(),
                available: built_in
                    .overlays
                    .iter()
                    .map(|(name, _)| (*name).to_owned())
                    .collect(),
            });
        };
        let file_name = format!("retort.{env_name}.toml");
        layers.push(Layer::built_in(shown(&file_name), text)?);
    }
    let location = ConfigLocation {
        path: current_dir.join(CONFIG_DIR_NAME).join(CONFIG_FILE_NAME),
        root: current_dir.to_path_buf(),
    };
    let layers = Layers {
        root: location.root.clone(),
        layers,
    };
    resolve(&location, layers, ConfigSource::BuiltIn, variable)
}

/// The configuration the binary carries: `config/retort.toml` and its overlays, by environment
/// name, as they were when it was built.
#[derive(Debug, Clone, Copy)]
pub struct BuiltInConfig {
    pub base: &'static str,
    pub overlays: &'static [(&'static str, &'static str)],
}

/// Where the configuration was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// `config/retort.toml` (and its overlay) on disk: a project in development.
    File,
    /// The configuration built into the binary: no config file was found.
    BuiltIn,
}

/// `--env` or `RETORT_ENV`: `None` when unset or empty, an error when not a plain name.
fn checked_env_name(env_name: Option<&str>) -> Result<Option<&str>, ConfigError> {
    let Some(env_name) = env_name.filter(|env_name| !env_name.is_empty()) else {
        return Ok(None);
    };
    if !env_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ConfigError::InvalidEnvName {
            name: env_name.to_owned(),
        });
    }
    Ok(Some(env_name))
}

/// Layers `layers` and the `RETORT_` variables with figment and resolves every database.
fn resolve(
    location: &ConfigLocation,
    layers: Layers,
    source: ConfigSource,
    variable: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let mut figment = Figment::new();
    for layer in &layers.layers {
        figment = figment.merge(layer.clone());
    }
    figment = figment.merge(
        Env::prefixed(ENV_PREFIX)
            .split("__")
            .filter(|key| key.as_str().contains('.')),
    );
    let raw: RawConfig = figment
        .extract()
        .map_err(|error| layers.convert_figment_errors(error))?;
    let configured: Vec<String> = raw.databases.keys().cloned().collect();
    let resolver = DatabaseResolver {
        location,
        figment: &figment,
        layers: &layers,
        variable,
        configured: &configured,
    };
    let mut problems = Vec::new();
    let mut databases = BTreeMap::new();
    for (name, raw_database) in raw.databases {
        match resolver.resolve(&name, raw_database) {
            Ok(database) => {
                databases.insert(name, database);
            }
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    match ConfigError::from_problems(problems) {
        None => Ok(Settings {
            location: location.clone(),
            source,
            origin: layers.origin(),
            databases,
        }),
        Some(error) => Err(error),
    }
}

impl Settings {
    /// The origin to name in messages about the configuration as a whole.
    pub fn origin(&self) -> Origin {
        self.origin.clone()
    }

    /// The databases `--db` selects (all of them, in name order, when `names` is empty).
    /// Unknown names are an error listing the configured ones.
    pub fn select(&self, names: &[String]) -> Result<Vec<&DatabaseSettings>, ConfigError> {
        if self.databases.is_empty() {
            return Err(ConfigError::NoDatabases {
                origin: self.origin(),
            });
        }
        if names.is_empty() {
            return Ok(self.databases.values().collect());
        }
        let unknown: Vec<String> = names
            .iter()
            .filter(|name| !self.databases.contains_key(*name))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(ConfigError::UnknownDatabase {
                names: unknown,
                origin: self.origin(),
                configured: self.databases.keys().cloned().collect(),
            });
        }
        let mut selected: Vec<&DatabaseSettings> = Vec::new();
        for name in names {
            if let Some(database) = self.databases.get(name)
                && !selected.iter().any(|already| already.name == database.name)
            {
                selected.push(database);
            }
        }
        Ok(selected)
    }
}

impl DatabaseSettings {
    /// The URL, or why there is none.
    pub fn require_url(&self, origin: Origin) -> Result<&DatabaseUrl, ConfigError> {
        self.url
            .as_ref()
            .ok_or_else(|| ConfigError::UrlVariableUnset {
                database: self.name.clone(),
                variable: self.url_env.clone().unwrap_or_default(),
                origin,
            })
    }
}

/// Whether `name` can name a database: `[A-Za-z0-9_]+`, as `depends_on: db:rev` requires.
pub fn is_valid_database_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn overlay_path(config_path: &Path, env_name: &str) -> PathBuf {
    let stem = config_path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file_name = match config_path.extension() {
        Some(extension) => format!("{stem}.{env_name}.{}", extension.to_string_lossy()),
        None => format!("{stem}.{env_name}"),
    };
    config_path.with_file_name(file_name)
}

/// The project root for a config file: the parent of its `config/` directory, else its own
/// directory.
fn project_root_of(config_path: &Path) -> PathBuf {
    let directory = config_path.parent().unwrap_or(Path::new(""));
    match directory.file_name() {
        Some(name) if name == CONFIG_DIR_NAME => {
            directory.parent().unwrap_or(directory).to_path_buf()
        }
        _ => directory.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_sits_beside_the_config_file() {
        assert_eq!(
            overlay_path(Path::new("/p/config/retort.toml"), "ci"),
            Path::new("/p/config/retort.ci.toml")
        );
    }

    #[test]
    fn root_is_above_the_config_directory() {
        assert_eq!(
            project_root_of(Path::new("/p/config/retort.toml")),
            Path::new("/p")
        );
        assert_eq!(
            project_root_of(Path::new("/p/other/retort.toml")),
            Path::new("/p/other")
        );
    }

    #[test]
    fn database_names_fit_depends_on() {
        assert!(is_valid_database_name("tool_registry"));
        assert!(!is_valid_database_name("tool-registry"));
        assert!(!is_valid_database_name(""));
    }
}
