//! A run from start to end, in four phases:
//!
//! ```text
//!   checks (checks.rs)           DAG (dag/)                locks (locks.rs)        scheduler.rs
//!   connect, read, plan and  ──▶ one graph of every   ──▶ every lock, in name ──▶ steps run
//!   check every database;        step; a cycle refuses     order; rows read        concurrently,
//!   refuse with every problem    the run                   again, plans re-made    one task per
//!   before anything changes                                                        database
//! ```
//!
//! Everything that can refuse a run (the checks, a cycle) happens before any database is
//! touched, so a refused run changes nothing. Events are reported by this function in the first
//! three phases (which run one database at a time) and by the scheduler's loop in the last.

use std::sync::Arc;
use std::time::Instant;

use retort_db::LockHolder;

use crate::checks::{Access, PreparedDatabase, prepare_databases};
use crate::dag::{DatabaseInput, StepGraph};
use crate::error::RunError;
use crate::event::{DatabaseReport, Event, RunReport};
use crate::locks::{LockOutcome, lock_all, release_all};
use crate::request::RunRequest;
use crate::scheduler::{ScheduleOptions, run_schedule};
use crate::worker::RunShared;

/// Runs `request`, reporting every event to `on_event`. Errors that stop the run before any
/// database changes are `Err` (every problem the up-front checks found, see [`RunError`]); a
/// failed migration is reported in the [`RunReport`], whose databases are in name order.
pub async fn run(request: RunRequest, on_event: &mut (dyn FnMut(&Event) + Send)) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let mut names: Vec<String> = request.databases.iter().map(|target| target.name.clone()).collect();
    names.sort();
    on_event(&Event::RunStarted { run_id: request.run_id.clone(), databases: names });
    let refused = |on_event: &mut (dyn FnMut(&Event) + Send)| {
        on_event(&Event::RunFinished { run_id: request.run_id.clone(), ok: false, duration: started.elapsed() });
    };
    let prepared = match prepare_databases(&request, Access::Run).await {
        Ok(prepared) => prepared,
        Err(error) => {
            refused(on_event);
            return Err(error);
        }
    };
    let direction = request.command.order_direction();
    if let Err(error) = StepGraph::new(&prepared_inputs(&prepared), direction) {
        for database in prepared {
            if let Some(backend) = database.backend {
                // The run is refused already; a failure to close adds nothing the user can act on.
                let _closed = backend.close().await;
            }
        }
        refused(on_event);
        return Err(error);
    }
    let holder = LockHolder::for_this_process(request.run_id.clone());
    let locked = lock_all(prepared, &request.command, &holder, request.keep_going, on_event).await;
    // The plans made under the locks hold a subset of the checked plans' steps, so they cannot
    // make a cycle the checked plans did not; refused all the same should that ever change.
    let graph = match StepGraph::new(&locked_inputs(&locked), direction) {
        Ok(graph) => graph,
        Err(error) => {
            release_all(locked).await;
            refused(on_event);
            return Err(error);
        }
    };
    let shared = Arc::new(RunShared { run_id: request.run_id.clone() });
    let options = ScheduleOptions { keep_going: request.keep_going, jobs: request.jobs };
    let lanes = run_schedule(&graph, locked, shared, options, on_event).await;
    let databases: Vec<DatabaseReport> = lanes
        .into_iter()
        .map(|lane| DatabaseReport {
            database: lane.name,
            started_at: lane.started_at,
            now_at: lane.now_at,
            steps_run: lane.steps_run,
            failed_revision: lane.failed_revision,
            error: lane.error,
            outcome: lane.outcome,
        })
        .collect();
    let report = RunReport { run_id: request.run_id.clone(), databases, duration: started.elapsed() };
    on_event(&Event::RunFinished { run_id: request.run_id.clone(), ok: report.is_success(), duration: report.duration });
    Ok(report)
}

/// The DAG's view of the checked databases.
pub(crate) fn prepared_inputs(prepared: &[PreparedDatabase]) -> Vec<DatabaseInput<'_>> {
    prepared
        .iter()
        .map(|database| DatabaseInput {
            name: &database.target.name,
            after: &database.target.after,
            migrations: &database.target.migrations,
            plan: &database.plan,
        })
        .collect()
}

fn locked_inputs(locked: &[LockOutcome]) -> Vec<DatabaseInput<'_>> {
    locked
        .iter()
        .map(|outcome| DatabaseInput {
            name: &outcome.target().name,
            after: &outcome.target().after,
            migrations: &outcome.target().migrations,
            plan: outcome.plan(),
        })
        .collect()
}
