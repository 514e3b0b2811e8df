//! The scheduler: runs the steps of a locked run concurrently, one task per database.
//!
//! # Design note
//!
//! ```text
//!                       ┌──────────── the loop (this file) ────────────┐
//!                       │ owns the Schedule (dag/ready.rs): the state  │
//!                       │ of every step; the only caller of on_event   │──▶ on_event(&Event)
//!                       └───┬──────────────────────────────▲───────────┘
//!        "run step k" (mpsc, │ one channel per database)    │ StepDone (one mpsc for all),
//!                            ▼                              │ WorkerEnd (JoinSet)
//!          ┌─ worker: app ──────┐  ┌─ worker: tool_registry ┐  ┌─ worker: … ┐
//!          │ own connection and │  │ own connection and     │  │            │
//!          │ lock; runs one     │  │ lock; runs one step at │  │            │
//!          │ step at a time     │  │ a time                 │  │            │
//!          └────────────────────┘  └────────────────────────┘  └────────────┘
//! ```
//!
//! Before the loop starts, `locks.rs` has locked every database in name order and re-made its
//! plan, and the DAG of all steps (`dag/graph.rs`) is built from those plans. Each turn of the
//! loop:
//!
//! 1. unless the run is stopping, reports the steps that have just come to wait for another
//!    database (`StepWaiting`), then starts ready steps (every step they wait for is committed),
//!    longest remaining chain first, while fewer than `--jobs` steps run: it reports
//!    `StepStarted` and sends the step's position to its database's worker;
//! 2. closes the command channel of every database with nothing running and nothing more to
//!    run: all done, or its next step can never start (it waits for a failed step), or the run
//!    is stopping. Its worker then unlocks, closes and ends;
//! 3. waits for a worker's `StepDone` (reported as `StepFinished` or `StepFailed`; a failure
//!    stops the run unless `--keep-going`), a Rust migration's progress (`StepProgress`), or
//!    a worker to end (`DatabaseFinished`).
//!
//! The loop ends when no worker is left. Workers never touch `on_event`: events are reported
//! in the order the loop sees them, from one place, as nextest's runner does. A worker that
//! panics is seen ending through the `JoinSet`, and its database fails.
//!
//! Fail-fast (the default): after a failure nothing new starts; steps in progress in other
//! databases finish and are committed. `--keep-going`: steps that do not wait for the failed
//! step, directly or through others, carry on. Because every wait is on a committed step, a
//! failure can never leave a dependant half-applied.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Arc;

use retort_core::Plan;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::{Id, JoinSet};

use crate::dag::{Schedule, StepGraph, StepId};
use crate::event::{DatabaseOutcome, Event};
use crate::locks::LockOutcome;
use crate::worker::{RunShared, StepDone, Worker, WorkerEnd, WorkerReport, step_direction_name, step_migration};

/// How the scheduler runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScheduleOptions {
    pub(crate) keep_going: bool,
    pub(crate) jobs: Option<NonZeroUsize>,
}

/// What the events say about one step before it runs.
#[derive(Debug, Clone)]
struct StepDescription {
    message: String,
    direction: &'static str,
    /// Why a failure halfway could not be rolled back (MySQL), if it could not.
    warning: Option<String>,
}

/// How one database's part of the run ended.
#[derive(Debug)]
pub(crate) struct Lane {
    pub(crate) name: String,
    pub(crate) started_at: Vec<String>,
    pub(crate) now_at: Vec<String>,
    pub(crate) steps_run: usize,
    pub(crate) failed_revision: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) outcome: DatabaseOutcome,
    plan: Plan,
    /// For each step: what `StepWarning` and `StepStarted` say about it.
    descriptions: Vec<StepDescription>,
    /// Open while the database's worker may be sent more steps.
    commands: Option<UnboundedSender<usize>>,
}

/// Runs every step of `graph` over the databases of `locked` (in the graph's database order)
/// and returns how each database ended.
pub(crate) async fn run_schedule(
    graph: &StepGraph,
    locked: Vec<LockOutcome>,
    shared: Arc<RunShared>,
    options: ScheduleOptions,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Vec<Lane> {
    let mut schedule = Schedule::new(graph);
    let (done_sender, mut done_receiver) = mpsc::unbounded_channel::<WorkerReport>();
    let mut workers: JoinSet<WorkerEnd> = JoinSet::new();
    let mut worker_of_task: HashMap<Id, usize> = HashMap::new();
    let mut lanes = Vec::with_capacity(locked.len());
    let mut first_failure: Option<usize> = None;
    for (database_idx, outcome) in locked.into_iter().enumerate() {
        let descriptions = {
            let target = outcome.target();
            let dialect = target.backend.url.dialect();
            let describe = |step: &retort_core::Step| {
                let migration = step_migration(target, step);
                let message = migration.map(|migration| migration.message.clone()).unwrap_or_default();
                let warning = migration
                    .and_then(|migration| migration.sql(step.direction(), dialect).ok())
                    .and_then(|sql| retort_db::non_atomic_warning(dialect, sql))
                    .map(|warning| warning.to_string());
                StepDescription { message, direction: step_direction_name(step), warning }
            };
            outcome.plan().steps.iter().map(describe).collect()
        };
        let mut lane = Lane {
            name: outcome.target().name.clone(),
            started_at: outcome.plan().start_rows.clone(),
            now_at: outcome.plan().start_rows.clone(),
            steps_run: 0,
            failed_revision: None,
            error: None,
            outcome: DatabaseOutcome::Completed,
            plan: outcome.plan().clone(),
            descriptions,
            commands: None,
        };
        match outcome {
            LockOutcome::Locked { target, backend, plan } => {
                let (command_sender, command_receiver) = mpsc::unbounded_channel();
                let worker = Worker { database_idx, target, backend, plan, shared: Arc::clone(&shared) };
                let handle = workers.spawn(worker.run(command_receiver, done_sender.clone()));
                worker_of_task.insert(handle.id(), database_idx);
                lane.commands = Some(command_sender);
            }
            LockOutcome::Failed { now_at, error, .. } => {
                schedule.fail_database(database_idx);
                first_failure.get_or_insert(database_idx);
                lane.now_at = now_at;
                lane.error = Some(error);
                lane.outcome = DatabaseOutcome::Failed;
            }
            LockOutcome::NotLocked { .. } => {
                // Only a failure before it in name order keeps a database from being locked.
                let failed = first_failure.map_or(database_idx, |failed| failed);
                lane.outcome = DatabaseOutcome::StoppedAfter { database: graph.database_name(failed).to_owned() };
            }
        }
        lanes.push(lane);
    }
    // Only the workers hold senders now: a worker that ends drops its own.
    drop(done_sender);
    let jobs = options.jobs.map_or(usize::MAX, NonZeroUsize::get);
    let mut stopping = first_failure.is_some() && !options.keep_going;
    let mut running = 0usize;
    loop {
        if !stopping {
            for (step, waiting_for) in schedule.newly_waiting() {
                let lane = &lanes[graph.database_of(step)];
                on_event(&Event::StepWaiting {
                    database: lane.name.clone(),
                    index: graph.index_in_database(step) + 1,
                    steps: lane.plan.steps.len(),
                    revision: graph.step_ref(step).revision,
                    waiting_for: waiting_for.iter().map(|waited| graph.step_ref(*waited).to_string()).collect(),
                });
            }
            for step in schedule.ready().into_iter().take(jobs.saturating_sub(running)) {
                let database_idx = graph.database_of(step);
                let position = graph.index_in_database(step);
                let lane = &lanes[database_idx];
                let Some(commands) = &lane.commands else { continue };
                if commands.send(position).is_err() {
                    // The worker is gone; its end, already queued, fails the database.
                    continue;
                }
                schedule.start(step);
                running += 1;
                let description = lane.descriptions[position].clone();
                if let Some(warning) = description.warning {
                    on_event(&Event::StepWarning {
                        database: lane.name.clone(),
                        revision: graph.step_ref(step).revision,
                        warning,
                    });
                }
                on_event(&Event::StepStarted {
                    database: lane.name.clone(),
                    index: position + 1,
                    steps: lane.plan.steps.len(),
                    revision: graph.step_ref(step).revision,
                    message: description.message,
                    direction: description.direction.to_owned(),
                });
            }
            // Nothing runs and nothing could start: whatever is left waits for a failure.
            stopping |= running == 0;
        }
        for (database_idx, lane) in lanes.iter_mut().enumerate() {
            if lane.commands.is_some() && !schedule.is_running(database_idx) {
                let more_to_run = schedule
                    .next_step(database_idx)
                    .is_some_and(|step| !stopping && schedule.failed_ancestor(step).is_none());
                if !more_to_run {
                    lane.commands = None;
                }
            }
        }
        if workers.is_empty() {
            break;
        }
        tokio::select! {
            Some(report) = done_receiver.recv() => match report {
                WorkerReport::Progress { database_idx, position, progress } => {
                    let lane = &lanes[database_idx];
                    let step_id: StepId = graph.steps_of(database_idx).start + position;
                    on_event(&Event::StepProgress {
                        database: lane.name.clone(),
                        index: position + 1,
                        steps: lane.plan.steps.len(),
                        revision: graph.step_ref(step_id).revision,
                        done: progress.done,
                        total: progress.total,
                    });
                }
                WorkerReport::Done(done) => {
                    running = running.saturating_sub(1);
                    let failed = record_step(graph, &mut schedule, &mut lanes[done.database_idx], done, on_event);
                    if let Some(database_idx) = failed {
                        first_failure.get_or_insert(database_idx);
                        stopping |= !options.keep_going;
                    }
                }
            },
            Some(joined) = workers.join_next_with_id() => {
                let (database_idx, end) = match joined {
                    Ok((id, end)) => (worker_of_task.get(&id).copied(), Ok(end)),
                    Err(join_error) => (worker_of_task.get(&join_error.id()).copied(), Err(join_error)),
                };
                let Some(database_idx) = database_idx else { continue };
                let lane = &mut lanes[database_idx];
                lane.commands = None;
                match end {
                    Ok(end) => {
                        lane.now_at = end.now_at;
                        if let Some(error) = end.error {
                            lane.error.get_or_insert(error);
                        }
                    }
                    Err(join_error) => {
                        if let Some(step) = schedule.running_step(database_idx) {
                            running = running.saturating_sub(1);
                            schedule.fail(step);
                        }
                        schedule.fail_database(database_idx);
                        lane.error.get_or_insert(format!("the task of database '{}' ended unexpectedly: {join_error}", lane.name));
                        first_failure.get_or_insert(database_idx);
                        stopping |= !options.keep_going;
                    }
                }
                lane.outcome = outcome_of(graph, &schedule, database_idx, lane, first_failure);
                on_event(&Event::DatabaseFinished {
                    database: lane.name.clone(),
                    now: lane.now_at.clone(),
                    steps_run: lane.steps_run,
                    outcome: lane.outcome.clone(),
                });
            }
            else => break,
        }
    }
    for (database_idx, lane) in lanes.iter_mut().enumerate() {
        if lane.outcome == DatabaseOutcome::Completed && lane.error.is_none() {
            lane.outcome = outcome_of(graph, &schedule, database_idx, lane, first_failure);
        }
    }
    lanes
}

/// Records a worker's report of a step and reports it; returns the database when it failed.
fn record_step(
    graph: &StepGraph,
    schedule: &mut Schedule<'_>,
    lane: &mut Lane,
    done: StepDone,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Option<usize> {
    let step_id: StepId = graph.steps_of(done.database_idx).start + done.position;
    let revision = graph.step_ref(step_id).revision;
    let (index, steps) = (done.position + 1, lane.plan.steps.len());
    match done.result {
        Ok(()) => {
            schedule.finish(step_id);
            lane.steps_run += 1;
            if let Some(step) = lane.plan.steps.get(done.position) {
                lane.now_at = step.rows_after.clone();
            }
            on_event(&Event::StepFinished { database: lane.name.clone(), index, steps, revision, duration: done.duration });
            None
        }
        Err(error) => {
            schedule.fail(step_id);
            lane.failed_revision = Some(revision.clone());
            lane.error = Some(error.clone());
            on_event(&Event::StepFailed { database: lane.name.clone(), index, steps, revision, error, duration: done.duration });
            Some(done.database_idx)
        }
    }
}

/// How a database that will run nothing more ended.
fn outcome_of(graph: &StepGraph, schedule: &Schedule<'_>, database_idx: usize, lane: &Lane, first_failure: Option<usize>) -> DatabaseOutcome {
    if lane.error.is_some() {
        return DatabaseOutcome::Failed;
    }
    let Some(next) = schedule.next_step(database_idx) else {
        return DatabaseOutcome::Completed;
    };
    if let Some(failed) = schedule.failed_ancestor(next) {
        return DatabaseOutcome::BlockedBy { database: graph.database_name(graph.database_of(failed)).to_owned() };
    }
    match first_failure {
        Some(failed) => DatabaseOutcome::StoppedAfter { database: graph.database_name(failed).to_owned() },
        // Nothing failed, so every step ran; kept total for the type's sake.
        None => DatabaseOutcome::Completed,
    }
}
