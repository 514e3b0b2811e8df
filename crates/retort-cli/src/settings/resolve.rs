//! From the configuration as written (figment's view, with its defaults) to
//! [`DatabaseSettings`]: `url_env` read, URLs parsed and made absolute, names and `after`
//! checked, every problem of every database collected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use retort_db::DatabaseUrl;

use crate::settings::error::{ConfigError, Origin};
use crate::settings::layers::Layers;
use crate::settings::{ConfigLocation, DatabaseSettings, TransactionMode, is_valid_database_name};

/// The config file as written: figment deserialises it, unknown keys are errors.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub(crate) databases: BTreeMap<String, RawDatabase>,
}

/// One `[databases.NAME]` table as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDatabase {
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
pub(crate) struct DatabaseResolver<'a> {
    pub(crate) location: &'a ConfigLocation,
    pub(crate) figment: &'a Figment,
    pub(crate) layers: &'a Layers,
    pub(crate) variable: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) configured: &'a [String],
}

impl DatabaseResolver<'_> {
    /// Applies defaults, reads `url_env`, parses the URL and checks names; every problem found.
    pub(crate) fn resolve(
        &self,
        name: &str,
        raw: RawDatabase,
    ) -> Result<DatabaseSettings, Vec<ConfigError>> {
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
            .map(|metadata| self.layers.origin_of_metadata(metadata, &keys))
            .unwrap_or_else(|| self.layers.origin())
    }
}
