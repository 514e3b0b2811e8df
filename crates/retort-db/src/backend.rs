//! The [`Backend`] trait every engine implements, and the values that cross it.
//!
//! The trait is engine-neutral: SQLite, PostgreSQL and MySQL differ in how they lock and how
//! much of a step they can roll back, not in what they are asked to do.

use std::collections::BTreeMap;
use std::time::Duration;

use retort_core::{Dialect, Step};

use crate::error::BackendError;
use crate::sql_text::check_name;
use crate::url::DatabaseUrl;

/// The version table's default name.
pub const DEFAULT_VERSION_TABLE: &str = "retort_version";

/// The history table's default name.
pub const DEFAULT_HISTORY_TABLE: &str = "retort_history";

/// The connect timeout of [`BackendOptions::new`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach and lay out one database.
///
/// Start from [`BackendOptions::new`] and change fields with struct-update syntax
/// (`BackendOptions { schema: Some("app".into()), ..BackendOptions::new(url) }`).
#[derive(Debug, Clone)]
pub struct BackendOptions {
    pub url: DatabaseUrl,
    /// The version table, `retort_version` by default (`alembic_version` to adopt Alembic's).
    pub version_table: String,
    /// The history table, `retort_history` by default.
    pub history_table: String,
    /// Give up connecting after this long.
    pub connect_timeout: Duration,
    /// PostgreSQL only: the schema that holds the version and history tables (created when
    /// missing) and comes first in the migration connection's `search_path`. `None` keeps the
    /// server's `search_path`. Refused for other engines.
    pub schema: Option<String>,
    /// PostgreSQL and MySQL: create the database the URL names when it does not exist
    /// (through the `postgres` maintenance database on PostgreSQL). SQLite files are always
    /// created.
    pub create_database: bool,
    /// PostgreSQL only: extensions enabled with `CREATE EXTENSION IF NOT EXISTS` by
    /// [`Backend::ensure_tables`]. Refused for other engines.
    pub extensions: Vec<String>,
}

impl BackendOptions {
    /// Options for `url` with the defaults: `retort_version` and `retort_history`, a 10 s connect
    /// timeout, no schema, no database creation, no extensions.
    pub fn new(url: DatabaseUrl) -> BackendOptions {
        BackendOptions {
            url,
            version_table: DEFAULT_VERSION_TABLE.to_owned(),
            history_table: DEFAULT_HISTORY_TABLE.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            schema: None,
            create_database: false,
            extensions: Vec::new(),
        }
    }
}

/// Who holds a lock: shown to a runner that waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub host: String,
    pub pid: u32,
    pub run_id: String,
}

impl LockHolder {
    /// This process on this host, for the run `run_id`.
    pub fn for_this_process(run_id: impl Into<String>) -> LockHolder {
        LockHolder {
            host: crate::history::this_host_name(),
            pid: std::process::id(),
            run_id: run_id.into(),
        }
    }
}

/// One step to execute, with everything the backend needs and nothing it must look up.
#[derive(Debug, Clone, Copy)]
pub struct StepRun<'a> {
    /// Shared by every database of one orchestrated run; written to history.
    pub run_id: &'a str,
    /// The step from the core plan, with its version-table changes.
    pub step: &'a Step,
    /// The migration's SQL for this backend's dialect; `None` for a stamp.
    pub sql: Option<&'a str>,
    /// Run SQL and version change in one transaction (false for `transaction: false`).
    pub transactional: bool,
    /// Checksum of the migration file, recorded in history.
    pub checksum: Option<&'a str>,
    /// The version rows the plan expects before this step, in any order; the backend checks
    /// them inside its transaction, so a concurrent runner can never apply a step twice.
    pub expected_rows: &'a [String],
}

/// How a step ended, as recorded in history.
///
/// The history table may also hold `abandoned`, which retort never writes: a user sets it (as
/// [`BackendError::ResumeRefused`] says) so that a MySQL step starts over instead of resuming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Failed,
    /// MySQL only: the step is under way (its row is written first and updated as statements
    /// complete); a row left `running` belongs to a runner that died mid-step.
    Running,
    /// MySQL only: a row left `running` by a runner that died mid-step, once a later attempt of
    /// the same step (resuming after its statements, or starting over) has completed it.
    Resumed,
}

impl Outcome {
    /// The word stored in the history table.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Failed => "failed",
            Outcome::Running => "running",
            Outcome::Resumed => "resumed",
        }
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    pub run_id: String,
    pub revision: String,
    /// `upgrade`, `downgrade` or `stamp`.
    pub direction: String,
    pub checksum: Option<String>,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: i64,
    pub user_name: String,
    pub host: String,
    pub retort_version: String,
    pub outcome: String,
    pub statements_done: Option<i64>,
    pub statements_total: Option<i64>,
    pub error: Option<String>,
}

/// One connected database. Every method leaves the database consistent when it fails.
#[async_trait::async_trait]
pub trait Backend: Send {
    /// The SQL dialect migrations are picked for.
    fn dialect(&self) -> Dialect;

    /// Whether DDL can be rolled back (PostgreSQL, SQLite: yes; MySQL: no).
    fn transactional_ddl(&self) -> bool;

    /// Creates the version and history tables when missing (Alembic creates its version table
    /// before planning upgrade, downgrade and stamp, but not for `current`). On PostgreSQL it
    /// also creates the configured schema and enables the configured extensions.
    async fn ensure_tables(&mut self) -> Result<(), BackendError>;

    /// The version rows in the order the database returns them; empty when the table is missing.
    async fn read_rows(&mut self) -> Result<Vec<String>, BackendError>;

    /// For each revision, the checksum recorded by its latest applied upgrade (or stamp).
    async fn applied_checksums(&mut self) -> Result<BTreeMap<String, String>, BackendError>;

    /// Takes the database's migration lock, polling until `timeout`; the error names the holder.
    /// Taking a lock this backend already holds is a no-op; the lock is not shared with other
    /// backends, even of the same process and run.
    async fn lock(&mut self, holder: &LockHolder, timeout: Duration) -> Result<(), BackendError>;

    /// Releases the lock taken by [`Backend::lock`]; a no-op when not held.
    async fn unlock(&mut self) -> Result<(), BackendError>;

    /// Runs one step: its SQL, its version changes and its history row, atomically where the
    /// engine allows. First checks that the version rows are `run.expected_rows` (else
    /// [`BackendError::VersionRowsChanged`]); creates the tables when missing. On failure the
    /// history records the failure (best effort) and the error says what ran.
    async fn run_step(&mut self, run: StepRun<'_>) -> Result<(), BackendError>;

    /// The history rows, oldest first; empty when the table is missing.
    async fn history(&mut self) -> Result<Vec<HistoryRow>, BackendError>;

    /// Closes the connections (releasing the lock if still held).
    async fn close(self: Box<Self>) -> Result<(), BackendError>;
}

/// Connects to the database `options.url` names, with the backend for its engine, within
/// `options.connect_timeout`.
///
/// An unreachable server, a refused login and a missing database (without
/// `options.create_database`) each get their own [`BackendError`] naming the redacted URL.
pub async fn connect(options: &BackendOptions) -> Result<Box<dyn Backend>, BackendError> {
    check_engine_options(options)?;
    match options.url.dialect() {
        Dialect::Sqlite => Ok(Box::new(
            crate::sqlite::SqliteBackend::connect(options).await?,
        )),
        Dialect::Postgres => Ok(Box::new(
            crate::postgres::PostgresBackend::connect(options).await?,
        )),
        Dialect::Mysql => Ok(Box::new(
            crate::mysql::MysqlBackend::connect(options).await?,
        )),
    }
}

/// Refuses options the engine has no use for, and names no engine can hold.
fn check_engine_options(options: &BackendOptions) -> Result<(), BackendError> {
    let dialect = options.url.dialect();
    let unsupported = |option| BackendError::UnsupportedOption {
        url: options.url.clone(),
        option,
        dialect,
    };
    if let Some(schema) = &options.schema {
        if dialect != Dialect::Postgres {
            return Err(unsupported("schema"));
        }
        check_name("schema", schema)?;
    }
    if !options.extensions.is_empty() && dialect != Dialect::Postgres {
        return Err(unsupported("extensions"));
    }
    for extension in &options.extensions {
        check_name("extension", extension)?;
    }
    Ok(())
}
