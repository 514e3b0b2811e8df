//! The configuration, resolved once into plain structs: `config/retort.toml`, then
//! `config/retort.<env>.toml`, then `RETORT_` environment variables (`__` nests), then each
//! database's `url_env`. figment does the layering; none of its types leave this file.
//!
//! Every problem names where the offending value came from: a file and the line of the key (and,
//! for TOML syntax, the line and column of the error) or an environment variable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use std::{fmt, fs, io};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use retort_db::{BackendError, DatabaseUrl};

use crate::paths::display_path;

/// The config file's name inside `config/`.
pub const CONFIG_FILE_NAME: &str = "retort.toml";
/// The directory that holds the config file, below the project root.
pub const CONFIG_DIR_NAME: &str = "config";
/// The prefix of environment variables that override the config.
const ENV_PREFIX: &str = "RETORT_";

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
    /// The files read, in the order they were layered (for messages).
    pub files_read: Vec<PathBuf>,
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

/// A problem with the configuration. Each names the file or variable it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(
        "no {CONFIG_DIR_NAME}/{CONFIG_FILE_NAME} found in {} or any parent directory; pass --config PATH, or create one with 'retort init NAME'",
        start.display()
    )]
    NotFound { start: PathBuf },
    #[error("cannot read config file {path}")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}:{line}:{column}: invalid TOML: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unknown key '{key}' in {origin}; expected one of: {}", expected.join(", "))]
    UnknownKey {
        key: String,
        origin: Origin,
        expected: Vec<String>,
    },
    #[error("invalid value for '{key}' in {origin}: {message}")]
    InvalidValue {
        key: String,
        origin: Origin,
        message: String,
    },
    #[error("{origin}: {message}")]
    Other { origin: Origin, message: String },
    #[error(
        "invalid environment name '{name}' (from --env or RETORT_ENV); expected letters, digits, '_' and '-'"
    )]
    InvalidEnvName { name: String },
    #[error("invalid database name '{name}' in {origin}; expected letters, digits and '_'")]
    InvalidDatabaseName { name: String, origin: Origin },
    #[error("database '{database}' has neither 'url' nor 'url_env' in {origin}")]
    MissingUrl { database: String, origin: Origin },
    #[error("invalid url for database '{database}' (from {origin})")]
    InvalidUrl {
        database: String,
        origin: Origin,
        #[source]
        source: Box<BackendError>,
    },
    #[error(
        "database '{database}' has no url: the environment variable {variable} named by its url_env is not set, and {origin} gives no 'url'"
    )]
    UrlVariableUnset {
        database: String,
        variable: String,
        origin: Origin,
    },
    #[error("database '{database}' in {origin} lists '{after}' in 'after', which is {}", if after == database { "itself".to_owned() } else { format!("not configured (configured: {})", configured.join(", ")) })]
    UnknownAfter {
        database: String,
        after: String,
        origin: Origin,
        configured: Vec<String>,
    },
    #[error("database '{database}' in {origin}: expected_heads must be at least 1")]
    ZeroExpectedHeads { database: String, origin: Origin },
    #[error("{}; configured in {origin}: {}", describe_unknown(names), if configured.is_empty() { "none".to_owned() } else { configured.join(", ") })]
    UnknownDatabase {
        names: Vec<String>,
        origin: Origin,
        configured: Vec<String>,
    },
    #[error("no databases are configured in {origin}; add one with 'retort init NAME'")]
    NoDatabases { origin: Origin },
    #[error("{} problems in the configuration:{}", problems.len(), problems.iter().map(|problem| format!("\n  {}", chain_text(problem))).collect::<String>())]
    Several { problems: Vec<ConfigError> },
}

/// Where a configuration value came from, as shown in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A config file, displayed relative to the project root when inside it, with the line of
    /// the key the message is about when it is known (`config/retort.toml:3`).
    File { path: String, line: Option<usize> },
    /// An environment variable.
    Variable(String),
    /// Several files layered together.
    Files(Vec<String>),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line: None } => f.write_str(path),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{path}:{line}"),
            Origin::Variable(name) => write!(f, "environment variable {name}"),
            Origin::Files(paths) => f.write_str(&paths.join(" + ")),
        }
    }
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
    let mut files_read = vec![location.path.clone()];
    if let Some(env_name) = env_name.filter(|env_name| !env_name.is_empty()) {
        if !env_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ConfigError::InvalidEnvName {
                name: env_name.to_owned(),
            });
        }
        files_read.push(overlay_path(&location.path, env_name));
    }
    let mut figment = Figment::new();
    for path in &files_read {
        check_toml_file(&location.root, path)?;
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(
        Env::prefixed(ENV_PREFIX)
            .split("__")
            .filter(|key| key.as_str().contains('.')),
    );
    let files_origin = origin_of_files(&location.root, &files_read);
    let raw: RawConfig = figment
        .extract()
        .map_err(|error| from_figment_errors(&location.root, &files_origin, error))?;
    let configured: Vec<String> = raw.databases.keys().cloned().collect();
    let resolver = DatabaseResolver {
        location,
        figment: &figment,
        files_origin: &files_origin,
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
            files_read,
            databases,
        }),
        Some(error) => Err(error),
    }
}

impl ConfigError {
    /// One error for the problems found: `None` for none, the problem itself for one.
    fn from_problems(mut problems: Vec<ConfigError>) -> Option<ConfigError> {
        match problems.len() {
            0 => None,
            1 => problems.pop(),
            _ => Some(ConfigError::Several { problems }),
        }
    }
}

impl Settings {
    /// The origin to name in messages about the configuration as a whole.
    pub fn origin(&self) -> Origin {
        origin_of_files(&self.location.root, &self.files_read)
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

/// The config file as written: figment deserialises it, unknown keys are errors.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    databases: BTreeMap<String, RawDatabase>,
}

/// One `[databases.NAME]` table as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<String>,
    url_env: Option<String>,
    versions: Option<PathBuf>,
    #[serde(default = "default_version_table")]
    version_table: String,
    #[serde(default = "default_history_table")]
    history_table: String,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default = "default_lock_timeout_secs")]
    lock_timeout_secs: u64,
    #[serde(default = "default_connect_timeout_secs")]
    connect_timeout_secs: u64,
    #[serde(default = "default_expected_heads")]
    expected_heads: usize,
    schema: Option<String>,
    #[serde(default)]
    extensions: Vec<String>,
    #[serde(default)]
    create_database: bool,
    #[serde(default)]
    transaction_mode: TransactionMode,
}

fn default_version_table() -> String {
    "retort_version".to_owned()
}

fn default_history_table() -> String {
    "retort_history".to_owned()
}

fn default_lock_timeout_secs() -> u64 {
    60
}

fn default_connect_timeout_secs() -> u64 {
    10
}

fn default_expected_heads() -> usize {
    1
}

/// What resolving one database needs to know about the whole configuration.
struct DatabaseResolver<'a> {
    location: &'a ConfigLocation,
    figment: &'a Figment,
    files_origin: &'a Origin,
    variable: &'a dyn Fn(&str) -> Option<String>,
    configured: &'a [String],
}

impl DatabaseResolver<'_> {
    /// Applies defaults, reads `url_env`, parses the URL and checks names; every problem found.
    fn resolve(&self, name: &str, raw: RawDatabase) -> Result<DatabaseSettings, Vec<ConfigError>> {
        let mut problems = Vec::new();
        let table_origin = self.origin_of(&format!("databases.{name}"));
        if !is_valid_database_name(name) {
            problems.push(ConfigError::InvalidDatabaseName {
                name: name.to_owned(),
                origin: table_origin.clone(),
            });
        }
        let url = match self.resolve_url(name, &raw) {
            Ok(url) => url,
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        for after in &raw.after {
            if after == name || !self.configured.contains(after) {
                problems.push(ConfigError::UnknownAfter {
                    database: name.to_owned(),
                    after: after.clone(),
                    origin: self.origin_of(&format!("databases.{name}.after")),
                    configured: self.configured.to_vec(),
                });
            }
        }
        if raw.expected_heads == 0 {
            problems.push(ConfigError::ZeroExpectedHeads {
                database: name.to_owned(),
                origin: self.origin_of(&format!("databases.{name}.expected_heads")),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let versions = raw
            .versions
            .unwrap_or_else(|| Path::new("databases").join(name).join("versions"));
        Ok(DatabaseSettings {
            name: name.to_owned(),
            url,
            url_env: raw.url_env,
            versions: self.location.root.join(versions),
            version_table: raw.version_table,
            history_table: raw.history_table,
            after: raw.after,
            lock_timeout: Duration::from_secs(raw.lock_timeout_secs),
            connect_timeout: Duration::from_secs(raw.connect_timeout_secs),
            expected_heads: raw.expected_heads,
            schema: raw.schema,
            extensions: raw.extensions,
            create_database: raw.create_database,
            transaction_mode: raw.transaction_mode,
        })
    }

    /// The URL: `url_env`'s variable when set, else `url`; relative SQLite paths are made
    /// relative to the project root. `Ok(None)` when only an unset `url_env` is configured.
    fn resolve_url(
        &self,
        name: &str,
        raw: &RawDatabase,
    ) -> Result<Option<DatabaseUrl>, ConfigError> {
        let from_variable = raw
            .url_env
            .as_deref()
            .and_then(|variable| Some((variable, (self.variable)(variable)?)));
        let (text, origin) = match (from_variable, &raw.url) {
            (Some((variable, value)), _) => (value, Origin::Variable(variable.to_owned())),
            (None, Some(url)) => (
                url.clone(),
                self.origin_of(&format!("databases.{name}.url")),
            ),
            (None, None) if raw.url_env.is_some() => return Ok(None),
            (None, None) => {
                return Err(ConfigError::MissingUrl {
                    database: name.to_owned(),
                    origin: self.origin_of(&format!("databases.{name}")),
                });
            }
        };
        let url = DatabaseUrl::parse(&text).map_err(|source| ConfigError::InvalidUrl {
            database: name.to_owned(),
            origin,
            source: Box::new(source),
        })?;
        Ok(Some(url.resolve_relative(&self.location.root)))
    }

    /// Where the value at `key` came from: its file or variable, else the config files.
    fn origin_of(&self, key: &str) -> Origin {
        let keys: Vec<&str> = key.split('.').collect();
        self.figment
            .find_metadata(key)
            .map(|metadata| origin_of_metadata(&self.location.root, metadata, &keys))
            .unwrap_or_else(|| self.files_origin.clone())
    }
}

/// The files read, as one origin.
fn origin_of_files(root: &Path, files_read: &[PathBuf]) -> Origin {
    let paths: Vec<String> = files_read
        .iter()
        .map(|path| display_path(root, path))
        .collect();
    match <[String; 1]>::try_from(paths) {
        Ok([single]) => Origin::File {
            path: single,
            line: None,
        },
        Err(paths) => Origin::Files(paths),
    }
}

/// The `--env` overlay beside the config file: `retort.toml` → `retort.<env>.toml`.
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

/// Reads a TOML file and checks its syntax, for an error with line and column (figment would
/// report the same problem less precisely).
fn check_toml_file(root: &Path, path: &Path) -> Result<(), ConfigError> {
    let shown = display_path(root, path);
    let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    if let Err(error) = toml::from_str::<toml::Table>(&text) {
        let offset = error.span().map_or(0, |span| span.start);
        let before = text.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |line_text| line_text.chars().count())
            + 1;
        return Err(ConfigError::Syntax {
            path: shown,
            line,
            column,
            message: error.message().trim().to_owned(),
        });
    }
    Ok(())
}

/// Turns figment's errors (it reports every one) into ours.
fn from_figment_errors(root: &Path, files_origin: &Origin, error: figment::Error) -> ConfigError {
    let problems: Vec<ConfigError> = error
        .into_iter()
        .map(|error| from_figment_error(root, files_origin, error))
        .collect();
    ConfigError::from_problems(problems).unwrap_or_else(|| ConfigError::Other {
        origin: files_origin.clone(),
        message: "the configuration could not be read".to_owned(),
    })
}

fn from_figment_error(root: &Path, files_origin: &Origin, error: figment::Error) -> ConfigError {
    let origin_of = |keys: &[String]| match &error.metadata {
        Some(metadata) => origin_of_metadata(root, metadata, keys),
        None => files_origin.clone(),
    };
    let origin = origin_of(&error.path);
    let key = error.path.join(".");
    match &error.kind {
        figment::error::Kind::UnknownField(field, expected) => {
            let mut key_path = error.path.clone();
            if key_path.last() != Some(field) {
                key_path.push(field.clone());
            }
            // The unknown key's own line, not its table's.
            let origin = origin_of(&key_path);
            ConfigError::UnknownKey {
                key: key_path.join("."),
                origin,
                expected: expected.iter().map(|name| (*name).to_owned()).collect(),
            }
        }
        kind if key.is_empty() => ConfigError::Other {
            origin,
            message: kind.to_string().trim().to_owned(),
        },
        kind => ConfigError::InvalidValue {
            key,
            origin,
            message: kind.to_string().trim().to_owned(),
        },
    }
}

/// A file's path, or for an environment value the variable that holds `keys`.
fn origin_of_metadata<K: AsRef<str>>(
    root: &Path,
    metadata: &figment::Metadata,
    keys: &[K],
) -> Origin {
    match &metadata.source {
        Some(figment::Source::File(path)) => Origin::File {
            path: display_path(root, path),
            line: line_of_key(path, keys),
        },
        _ => {
            let nested: Vec<String> = keys
                .iter()
                .map(|key| key.as_ref().to_ascii_uppercase())
                .collect();
            Origin::Variable(format!("{ENV_PREFIX}{}", nested.join("__")))
        }
    }
}

/// The line (from 1) of the key at `keys` in the TOML file at `path`; `None` when the file does
/// not parse or has no such key (the value came from elsewhere).
fn line_of_key<K: AsRef<str>>(path: &Path, keys: &[K]) -> Option<usize> {
    let text = fs::read_to_string(path).ok()?;
    let document = toml::de::DeTable::parse(&text).ok()?;
    let mut table = document.get_ref();
    let mut key_start = None;
    for (depth, key) in keys.iter().enumerate() {
        let (found, value) = table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key.as_ref())?;
        key_start = Some(found.span().start);
        if depth + 1 < keys.len() {
            table = value.get_ref().as_table()?;
        }
    }
    let before = text.get(..key_start?)?;
    Some(before.matches('\n').count() + 1)
}

/// An error and its sources joined with `: `, as `{:#}` prints a chain.
fn chain_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn describe_unknown(names: &[String]) -> String {
    match names {
        [single] => format!("database '{single}' is not configured"),
        several => format!(
            "databases {} are not configured",
            several
                .iter()
                .map(|name| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
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
    fn keys_are_found_on_their_lines() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("retort.toml");
        fs::write(
            &path,
            "# databases\n[databases.app]\nurl = \"sqlite:app.db\"\n\n[databases.other]\nafter = [\"app\"]\ninline = { deep = 1 }\n",
        )
        .expect("write");
        assert_eq!(line_of_key(&path, &["databases", "app"]), Some(2));
        assert_eq!(line_of_key(&path, &["databases", "app", "url"]), Some(3));
        assert_eq!(
            line_of_key(&path, &["databases", "other", "after"]),
            Some(6)
        );
        assert_eq!(
            line_of_key(&path, &["databases", "other", "inline", "deep"]),
            Some(7)
        );
        assert_eq!(line_of_key(&path, &["databases", "app", "versions"]), None);
        assert_eq!(
            line_of_key(&directory.path().join("missing.toml"), &["databases"]),
            None
        );
    }

    #[test]
    fn database_names_fit_depends_on() {
        assert!(is_valid_database_name("tool_registry"));
        assert!(!is_valid_database_name("tool-registry"));
        assert!(!is_valid_database_name(""));
    }
}
