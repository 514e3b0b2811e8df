//! Events a run reports, and the report it ends with.

use std::time::Duration;

/// Something that happened during a run, in the order it happened.
///
/// A run that gets past ordering its databases reports `RunStarted` first and `RunFinished`
/// last, also when the up-front checks refuse it (then with `ok: false` and nothing between).
/// Each database that starts reports `DatabasePlanned` (its plan as made under its lock), its
/// steps, and `DatabaseFinished` (also when it failed; when creating its tables or taking its
/// lock failed, `DatabaseFinished` comes without `DatabasePlanned`). Databases that never start
/// report no event; the [`RunReport`] says why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// `databases` in the order they run.
    RunStarted { run_id: String, databases: Vec<String> },
    /// A database's plan is known: where it starts and how many steps it will run.
    DatabasePlanned { database: String, from: Vec<String>, steps: usize },
    /// Waiting for another runner's lock on this database. Not reported yet: `Backend::lock`
    /// polls internally and has no way to say it is waiting.
    WaitingForLock { database: String, holder: String },
    /// `index` counts from 1 up to `steps`; `direction` is `upgrade`, `downgrade` or `stamp`;
    /// `revision` is the migration's id, or for a stamp the revisions it stamps (`base` for none).
    StepStarted { database: String, index: usize, steps: usize, revision: String, message: String, direction: String },
    StepFinished { database: String, index: usize, steps: usize, revision: String, #[serde(serialize_with = "as_millis")] duration: Duration },
    /// `error` is the whole error chain, joined with `: `.
    StepFailed { database: String, revision: String, error: String },
    /// The database is done (succeeded or failed); `now` is its version rows.
    DatabaseFinished { database: String, now: Vec<String> },
    RunFinished { run_id: String, ok: bool },
}

/// Where one database started and ended, and what failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DatabaseReport {
    pub database: String,
    /// The version rows before the run (read under the lock when the database started).
    pub started_at: Vec<String>,
    /// The version rows now.
    pub now_at: Vec<String>,
    pub steps_run: usize,
    /// The revision of the step that failed.
    pub failed_revision: Option<String>,
    /// Why the database failed: the whole error chain, joined with `: `.
    pub error: Option<String>,
    pub outcome: DatabaseOutcome,
}

/// How a database's part of the run ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DatabaseOutcome {
    /// Every planned step ran (possibly none: nothing to do).
    Completed,
    /// A step failed, or locking, reading or re-planning did; see `error`.
    Failed,
    /// Never started: it runs after `database`, which failed (or was itself blocked).
    BlockedBy { database: String },
    /// Never started: fail-fast stopped the run when `database` failed.
    StoppedAfter { database: String },
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    pub run_id: String,
    /// Every database of the request, in the order they ran (or would have).
    pub databases: Vec<DatabaseReport>,
}

impl RunReport {
    /// True when every database completed.
    pub fn is_success(&self) -> bool {
        self.databases.iter().all(|database| database.outcome == DatabaseOutcome::Completed)
    }
}

fn as_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}
