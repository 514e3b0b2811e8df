//! Events a run reports, and the report it ends with.

use std::time::Duration;

/// Something that happened during a run.
///
/// A run that gets past reading its arguments reports `RunStarted` first and `RunFinished`
/// last, also when the up-front checks refuse it (then with `ok: false` and nothing between).
/// Then every database is locked in name order (`WaitingForLock` while another runner holds it)
/// and reports `DatabasePlanned` (its plan as made under its lock) before any step runs. Steps
/// of different databases then run at the same time, so their events interleave; the events of
/// one database stay in order: for each step `StepWaiting` (when it waits for another
/// database), `StepStarted`, `StepProgress` (a Rust migration reporting, any number of times),
/// then `StepFinished` or `StepFailed`. Each database that got as far
/// as its lock ends with `DatabaseFinished` (also when it failed or was stopped); databases
/// that a fail-fast stop kept from locking report nothing, and the [`RunReport`] says why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// `databases`: every database of the run, in name order.
    RunStarted { run_id: String, databases: Vec<String> },
    /// Another runner holds this database's lock; the run waits up to the lock timeout.
    /// `holder` says who (`pid 12 on host (run ...)`).
    WaitingForLock { database: String, holder: String },
    /// A database's plan is known: where it starts (`from`), where it ends (`to`), and how many
    /// steps it runs.
    DatabasePlanned { database: String, from: Vec<String>, to: Vec<String>, steps: usize },
    /// The database's next step waits until each of `waiting_for` (`database:revision`) is
    /// applied and committed.
    StepWaiting { database: String, index: usize, steps: usize, revision: String, waiting_for: Vec<String> },
    /// The step about to start cannot be rolled back if it fails halfway (MySQL commits each
    /// DDL statement): `warning` says why. Sent just before its `StepStarted`.
    StepWarning { database: String, revision: String, warning: String },
    /// `index` counts from 1 up to `steps`; `direction` is `upgrade`, `downgrade` or `stamp`;
    /// `revision` is the migration's id, or for a stamp the revisions it stamps (`base` for none).
    StepStarted { database: String, index: usize, steps: usize, revision: String, message: String, direction: String },
    /// A Rust migration reported how far it has got: `done` out of `total` units of its
    /// choosing (`total` is `None` while it does not know). Only Rust migrations report this.
    StepProgress { database: String, index: usize, steps: usize, revision: String, done: u64, total: Option<u64> },
    /// The step is committed.
    StepFinished {
        database: String,
        index: usize,
        steps: usize,
        revision: String,
        #[serde(rename = "duration_ms", serialize_with = "as_millis")]
        duration: Duration,
    },
    /// `error` is the whole error chain, joined with `: `.
    StepFailed {
        database: String,
        index: usize,
        steps: usize,
        revision: String,
        error: String,
        #[serde(rename = "duration_ms", serialize_with = "as_millis")]
        duration: Duration,
    },
    /// The database is done, whatever the outcome; `now` is its version rows.
    DatabaseFinished { database: String, now: Vec<String>, steps_run: usize, outcome: DatabaseOutcome },
    RunFinished {
        run_id: String,
        ok: bool,
        #[serde(rename = "duration_ms", serialize_with = "as_millis")]
        duration: Duration,
    },
}

/// Where one database started and ended, and what failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DatabaseReport {
    pub database: String,
    /// The version rows before the run (read under the lock).
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
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DatabaseOutcome {
    /// Every planned step ran (possibly none: nothing to do).
    Completed,
    /// A step failed, or locking, reading or re-planning did; see `error`.
    Failed,
    /// Stopped before its next step (possibly its first): that step waits, directly or through
    /// others, for a step of `database` that failed.
    BlockedBy { database: String },
    /// Stopped before its next step (possibly its first): fail-fast stopped the run when
    /// `database` failed.
    StoppedAfter { database: String },
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    pub run_id: String,
    /// Every database of the request, in name order.
    pub databases: Vec<DatabaseReport>,
    /// From the start of the run to its end.
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
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
