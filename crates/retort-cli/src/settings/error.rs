//! Problems with the configuration, and where a value came from ([`Origin`]): every error names
//! a file and the line of its key, the built-in configuration, or an environment variable.

use std::path::PathBuf;
use std::{fmt, io};

use retort_db::BackendError;

use crate::settings::{CONFIG_DIR_NAME, CONFIG_FILE_NAME};

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
        "no built-in config/retort.{name}.toml for environment '{name}' (from --env or RETORT_ENV); built-in overlays: {}",
        if available.is_empty() { "none".to_owned() } else { available.join(", ") }
    )]
    NoBuiltInOverlay {
        name: String,
        available: Vec<String>,
    },
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

impl ConfigError {
    /// One error for the problems found: `None` for none, the problem itself for one.
    pub(crate) fn from_problems(mut problems: Vec<ConfigError>) -> Option<ConfigError> {
        match problems.len() {
            0 => None,
            1 => problems.pop(),
            _ => Some(ConfigError::Several { problems }),
        }
    }
}

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
