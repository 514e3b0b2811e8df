//! The [`Backend`] trait every engine implements, and the values that cross it.
//!
//! The trait is engine-neutral: SQLite, PostgreSQL and MySQL differ in how they lock and how
//! much of a step they can roll back, not in what they are asked to do.

use std::collections::BTreeMap;
use std::time::Duration;

use retort_core::{Dialect, Step};

use crate::error::BackendError;
use crate::url::DatabaseUrl;

/// The version table's default name.
pub const DEFAULT_VERSION_TABLE: &str = "retort_version";

/// The history table's default name.
pub const DEFAULT_HISTORY_TABLE: &str = "retort_history";

/// How to reach and lay out one database.
#[derive(Debug, Clone)]
pub struct BackendOptions {
    pub url: DatabaseUrl,
    /// The version table, `retort_version` by default (`alembic_version` to adopt Alembic's).
    pub version_table: String,
    /// The history table, `retort_history` by default.
    pub history_table: String,
    /// Give up connecting after this long.
    pub connect_timeout: Duration,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Failed,
}

impl Outcome {
    /// The word stored in the history table.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Failed => "failed",
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
    /// before planning upgrade, downgrade and stamp, but not for `current`).
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

/// Connects to the database `options.url` names, with the backend for its engine.
pub async fn connect(options: &BackendOptions) -> Result<Box<dyn Backend>, BackendError> {
    match options.url.dialect() {
        Dialect::Sqlite => Ok(Box::new(
            crate::sqlite::SqliteBackend::connect(options).await?,
        )),
        dialect => Err(BackendError::UnsupportedEngine {
            url: options.url.clone(),
            dialect,
        }),
    }
}
