//! The task of one database: it owns the database's connection and lock, runs the steps the
//! scheduler hands it, one at a time and in plan order, and reports each one back on a channel.
//! It never reports events itself (the scheduler does). When the scheduler closes its command
//! channel it releases the lock, closes the connection and ends with where the database is.

use std::sync::Arc;
use std::time::{Duration, Instant};

use retort_core::{Action, Plan, Step};
use retort_db::{Backend, RustStep, StepRun};
use retort_migration::Progress;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::checks::step_sql;
use crate::error::error_chain_text;
use crate::request::DatabaseTarget;

/// What every worker of a run shares.
#[derive(Debug)]
pub(crate) struct RunShared {
    pub(crate) run_id: String,
}

/// A worker's report of one step.
#[derive(Debug)]
pub(crate) struct StepDone {
    pub(crate) database_idx: usize,
    /// The step's 0-based position in the database's plan.
    pub(crate) position: usize,
    pub(crate) duration: Duration,
    /// The error chain when the step failed; the step's changes are rolled back where the
    /// engine allows.
    pub(crate) result: Result<(), String>,
}

/// What a worker tells the scheduler.
#[derive(Debug)]
pub(crate) enum WorkerReport {
    /// A step ended.
    Done(StepDone),
    /// The Rust migration of the step at `position` reported its progress.
    Progress { database_idx: usize, position: usize, progress: Progress },
}

/// How a worker ended.
#[derive(Debug)]
pub(crate) struct WorkerEnd {
    /// The version rows now: after the last step that ran, or read again after a failure.
    pub(crate) now_at: Vec<String>,
    /// Releasing the lock or closing the connection failed.
    pub(crate) error: Option<String>,
}

/// One database's worker, before it is spawned.
pub(crate) struct Worker {
    pub(crate) database_idx: usize,
    pub(crate) target: DatabaseTarget,
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) plan: Plan,
    pub(crate) shared: Arc<RunShared>,
}

impl Worker {
    /// Runs each step position received on `commands`, reporting it on `done`, until
    /// `commands` is closed; then unlocks and closes.
    pub(crate) async fn run(self, mut commands: UnboundedReceiver<usize>, done: UnboundedSender<WorkerReport>) -> WorkerEnd {
        let Worker { database_idx, target, mut backend, plan, shared } = self;
        let mut rows = plan.start_rows.clone();
        while let Some(position) = commands.recv().await {
            let Some(step) = plan.steps.get(position) else { continue };
            let started = Instant::now();
            let progress_sender = done.clone();
            let on_progress = move |progress: Progress| {
                // A closed receiver means the run is being dropped: nothing to tell.
                let _sent = progress_sender.send(WorkerReport::Progress { database_idx, position, progress });
            };
            let result = run_step(backend.as_mut(), &target, &shared.run_id, step, &rows, &on_progress).await;
            match &result {
                Ok(()) => rows = step.rows_after.clone(),
                Err(_) => {
                    // Say where the database really is now; the rows before the step are the fallback.
                    if let Ok(rows_now) = backend.read_rows().await {
                        rows = rows_now;
                    }
                }
            }
            let report = StepDone { database_idx, position, duration: started.elapsed(), result };
            // The scheduler only closes this worker's channel once it has every report it waits
            // for, so a closed receiver means the run is being dropped: nothing to tell.
            let _sent = done.send(WorkerReport::Done(report));
        }
        let mut error = None;
        if let Err(unlock_error) = backend.unlock().await {
            error = Some(error_chain_text(&unlock_error));
        }
        if let Err(close_error) = backend.close().await {
            error.get_or_insert_with(|| error_chain_text(&close_error));
        }
        WorkerEnd { now_at: rows, error }
    }
}

/// Runs one step: its SQL, version-row changes and history row, through the backend. A Rust
/// migration (a marker in place of its SQL) runs first on a connection of its own, reporting
/// its progress to `on_progress`; the backend then records the step with no SQL of its own.
async fn run_step(
    backend: &mut dyn Backend,
    target: &DatabaseTarget,
    run_id: &str,
    step: &Step,
    rows_before: &[String],
    on_progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(), String> {
    let dialect = target.backend.url.dialect();
    let sql = step_sql(target, dialect, step).map_err(|error| error_chain_text(&error))?;
    let migration = step_migration(target, step);
    let transactional =
        // A stamp runs no SQL; its version change is always one transaction.
        step.revision().is_none() || migration.is_none_or(|migration| migration.transaction);
    let rust = sql.and_then(retort_migration::marker).and_then(|name| {
        let (_, implementation) = target.rust_migrations.iter().find(|(registered, _)| *registered == name)?;
        Some(RustStep {
            revision: step.revision().unwrap_or_default(),
            name,
            migration: *implementation,
            direction: step.direction(),
            transactional,
        })
    });
    if let Some(rust_step) = rust {
        retort_db::run_rust_migration(&target.backend, rust_step, on_progress)
            .await
            .map_err(|error| error_chain_text(&error))?;
    }
    let step_run = StepRun {
        run_id,
        step,
        // The Rust migration's own changes are committed; the backend records the step.
        sql: if rust.is_some() { Some("") } else { sql },
        transactional: rust.is_some() || transactional,
        checksum: migration.map(|migration| migration.checksum.as_str()),
        expected_rows: rows_before,
    };
    backend.run_step(step_run).await.map_err(|error| error_chain_text(&error))
}

/// The migration a step runs, or for a stamp the one it stamps (whose checksum is recorded).
pub(crate) fn step_migration<'set>(target: &'set DatabaseTarget, step: &Step) -> Option<&'set retort_core::Migration> {
    match (&step.action, step.to.as_slice()) {
        (Action::Upgrade(revision) | Action::Downgrade(revision), _) => target.migrations.migration(revision),
        (Action::Stamp(_), [single]) => target.migrations.migration(single),
        (Action::Stamp(_), _) => None,
    }
}

/// `upgrade`, `downgrade` or `stamp`.
pub(crate) fn step_direction_name(step: &Step) -> &'static str {
    match step.action {
        Action::Upgrade(_) => "upgrade",
        Action::Downgrade(_) => "downgrade",
        Action::Stamp(_) => "stamp",
    }
}
