//! One database's part of a run: create the tables, take the lock, re-read the rows and re-plan
//! under it, run the steps one at a time, and always unlock and close.
//!
//! Events leave through the `emit` callback it is given and nothing else: the sequential loop
//! forwards them to the caller, the later concurrent scheduler will send them to its loop.

use std::time::Instant;

use retort_core::{Action, Dialect, Plan, RevisionError, RevisionMap, Step};
use retort_db::{Backend, LockHolder, StepRun};

use crate::checks::{PreparedDatabase, applied_set, check_steps, plan_command, step_sql};
use crate::error::{RunError, error_chain_text};
use crate::event::Event;
use crate::request::{Command, DatabaseTarget};

/// What every database of a run shares.
pub(crate) struct RunContext<'run> {
    pub(crate) command: &'run Command,
    pub(crate) run_id: &'run str,
    pub(crate) holder: &'run LockHolder,
}

/// How one database's part ended.
#[derive(Debug)]
pub(crate) struct DatabaseResult {
    pub(crate) started_at: Vec<String>,
    pub(crate) now_at: Vec<String>,
    pub(crate) steps_run: usize,
    pub(crate) failed_revision: Option<String>,
    /// The error chain of what failed; `None` when every step ran.
    pub(crate) error: Option<String>,
}

/// Runs one database's plan. Never fails: what went wrong is in the result. The connection is
/// unlocked and closed on every path.
pub(crate) async fn run_database(
    prepared: PreparedDatabase,
    context: &RunContext<'_>,
    emit: &mut (dyn FnMut(Event) + Send),
) -> DatabaseResult {
    let PreparedDatabase { target, mut backend, plan, .. } = prepared;
    let mut result = DatabaseResult {
        started_at: plan.start_rows.clone(),
        now_at: plan.start_rows.clone(),
        steps_run: 0,
        failed_revision: None,
        error: None,
    };
    if let Err(error) = lock_and_migrate(backend.as_mut(), &target, context, plan, &mut result, emit).await {
        result.error = Some(error);
    }
    if let Err(error) = backend.close().await
        && result.error.is_none()
    {
        result.error = Some(error_chain_text(&error));
    }
    emit(Event::DatabaseFinished { database: target.name.clone(), now: result.now_at.clone() });
    result
}

/// Takes the lock, migrates, and releases the lock whatever happened; errors are chain texts.
async fn lock_and_migrate(
    backend: &mut dyn Backend,
    target: &DatabaseTarget,
    context: &RunContext<'_>,
    plan: Plan,
    result: &mut DatabaseResult,
    emit: &mut (dyn FnMut(Event) + Send),
) -> Result<(), String> {
    backend.ensure_tables().await.map_err(|error| error_chain_text(&error))?;
    backend.lock(context.holder, target.lock_timeout).await.map_err(|error| error_chain_text(&error))?;
    let migrated = migrate_locked(backend, target, context, plan, result, emit).await;
    if migrated.is_err() {
        // Say where the database really is now; the rows from the plan are the fallback.
        if let Ok(rows) = backend.read_rows().await {
            result.now_at = rows;
        }
    }
    let unlocked = backend.unlock().await;
    migrated?;
    unlocked.map_err(|error| error_chain_text(&error))
}

/// Re-reads the rows under the lock, re-plans when another runner moved them, and runs each
/// step, stopping at the first failure.
async fn migrate_locked(
    backend: &mut dyn Backend,
    target: &DatabaseTarget,
    context: &RunContext<'_>,
    checked_plan: Plan,
    result: &mut DatabaseResult,
    emit: &mut (dyn FnMut(Event) + Send),
) -> Result<(), String> {
    let dialect = backend.dialect();
    let rows = backend.read_rows().await.map_err(|error| error_chain_text(&error))?;
    let plan = replan_under_lock(target, context.command, dialect, checked_plan, &rows)
        .map_err(|error| error_chain_text(&error))?;
    result.started_at = plan.start_rows.clone();
    result.now_at = plan.start_rows.clone();
    emit(Event::DatabasePlanned { database: target.name.clone(), from: plan.start_rows.clone(), steps: plan.steps.len() });
    let n_steps = plan.steps.len();
    let mut rows_before = plan.start_rows.clone();
    for (step_idx, step) in plan.steps.iter().enumerate() {
        let sql = step_sql(target, dialect, step).map_err(|error| error_chain_text(&error))?;
        let revision = step_revision_label(step);
        let migration = step_migration(target, step);
        emit(Event::StepStarted {
            database: target.name.clone(),
            index: step_idx + 1,
            steps: n_steps,
            revision: revision.clone(),
            message: migration.map(|migration| migration.message.clone()).unwrap_or_default(),
            direction: step_direction_name(step).to_owned(),
        });
        let started = Instant::now();
        let step_run = StepRun {
            run_id: context.run_id,
            step,
            sql,
            // A stamp runs no SQL; its version change is always one transaction.
            transactional: step.revision().is_none() || migration.is_none_or(|migration| migration.transaction),
            checksum: migration.map(|migration| migration.checksum.as_str()),
            expected_rows: &rows_before,
        };
        if let Err(error) = backend.run_step(step_run).await {
            let error = error_chain_text(&error);
            emit(Event::StepFailed { database: target.name.clone(), revision: revision.clone(), error: error.clone() });
            result.failed_revision = Some(revision);
            return Err(error);
        }
        emit(Event::StepFinished {
            database: target.name.clone(),
            index: step_idx + 1,
            steps: n_steps,
            revision,
            duration: started.elapsed(),
        });
        result.steps_run += 1;
        result.now_at = step.rows_after.clone();
        rows_before = step.rows_after.clone();
    }
    Ok(())
}

/// The plan to run now that the lock is held. Unchanged rows keep the checked plan. Rows that
/// another runner moved are planned again towards where the checked plan ended (not from the
/// command's target again: `-1` must not go one further), and a database already there has
/// nothing to do.
#[expect(clippy::result_large_err, reason = "built a handful of times per run at most; boxing would only obscure the fields")]
fn replan_under_lock(
    target: &DatabaseTarget,
    command: &Command,
    dialect: Dialect,
    checked_plan: Plan,
    rows: &[String],
) -> Result<Plan, RunError> {
    if same_rows(rows, &checked_plan.start_rows) {
        return Ok(checked_plan);
    }
    let map = target.migrations.map();
    let plan = replan_from(map, command, &checked_plan, rows)
        .map_err(|source| RunError::Plan { database: target.name.clone(), source })?;
    match RunError::from_problems(check_steps(target, dialect, &plan)) {
        Some(error) => Err(error),
        None => Ok(plan),
    }
}

fn replan_from(map: &RevisionMap, command: &Command, checked_plan: &Plan, rows: &[String]) -> Result<Plan, RevisionError> {
    let applied_now = applied_set(map, rows)?;
    let applied_when_done = applied_set(map, checked_plan.end_rows())?;
    let already_there = match command {
        Command::Upgrade { .. } => applied_when_done.is_subset(&applied_now),
        Command::Downgrade { .. } => applied_now.is_subset(&applied_when_done),
        Command::Stamp { .. } => same_rows(rows, checked_plan.end_rows()),
    };
    if already_there {
        return Ok(Plan { start_rows: rows.to_vec(), steps: Vec::new() });
    }
    match command {
        Command::Upgrade { target } => map.upgrade(rows, &absolute_target(map, checked_plan.end_rows(), target)),
        Command::Downgrade { target } => map.downgrade(rows, &absolute_target(map, checked_plan.end_rows(), target)),
        Command::Stamp { .. } => plan_command(map, command, rows),
    }
}

/// A target that names where the checked plan ended, independent of the current rows.
fn absolute_target(map: &RevisionMap, end_rows: &[String], given_target: &str) -> String {
    match end_rows {
        [] => "base".to_owned(),
        [single] => single.clone(),
        several => {
            let heads: Vec<String> = map.heads().into_iter().map(str::to_owned).collect();
            if same_rows(several, &heads) { "heads".to_owned() } else { given_target.to_owned() }
        }
    }
}

/// Version rows are a set; the database returns them in any order.
fn same_rows(left: &[String], right: &[String]) -> bool {
    let mut left = left.to_vec();
    let mut right = right.to_vec();
    left.sort_unstable();
    right.sort_unstable();
    left == right
}

/// The migration a step runs, or for a stamp the one it stamps (whose checksum is recorded).
fn step_migration<'set>(target: &'set DatabaseTarget, step: &Step) -> Option<&'set retort_core::Migration> {
    match (&step.action, step.to.as_slice()) {
        (Action::Upgrade(revision) | Action::Downgrade(revision), _) => target.migrations.migration(revision),
        (Action::Stamp(_), [single]) => target.migrations.migration(single),
        (Action::Stamp(_), _) => None,
    }
}

/// The revision a step's events name: its migration, or what a stamp stamps (`base` for none).
fn step_revision_label(step: &Step) -> String {
    match step.revision() {
        Some(revision) => revision.to_owned(),
        None if step.to.is_empty() => "base".to_owned(),
        None => step.to.join(","),
    }
}

fn step_direction_name(step: &Step) -> &'static str {
    match step.action {
        Action::Upgrade(_) => "upgrade",
        Action::Downgrade(_) => "downgrade",
        Action::Stamp(_) => "stamp",
    }
}

#[cfg(test)]
mod tests;
