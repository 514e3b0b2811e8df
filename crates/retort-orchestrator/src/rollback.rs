//! Rolling back a whole run (`retort downgrade --run RUN_ID`): each database the run touched
//! goes back to where it was before the run, read from its history table.
//!
//! The revisions a run applied to a database are its `upgrade` rows there that succeeded
//! (`applied`, or `resumed` on MySQL); taking exactly those back out (retort-core's
//! `downgrade_removing`) returns the database to where the run's first step found it. The
//! rollback is refused, before anything is touched, when that is not possible:
//!
//! - the run did something other than upgrade (a downgrade or a stamp is not undone here);
//! - a step of the run failed halfway on an engine that cannot roll a migration back (MySQL),
//!   leaving part of it applied;
//! - the database has moved on since: a later run changed it, or the plan would remove other
//!   revisions than the run applied (or no longer finds them all applied).
//!
//! Irreversible steps, and revisions other databases still depend on, are refused by the usual
//! downgrade checks (`checks.rs`), since a rollback is a downgrade; the DAG orders it
//! dependants first, as any downgrade.

use std::collections::BTreeSet;

use retort_core::Plan;
use retort_db::HistoryRow;

use crate::checks::applied_set;
use crate::error::RunError;
use crate::request::DatabaseTarget;

/// The history outcomes of a step that completed.
const COMPLETED: [&str; 2] = ["applied", "resumed"];

/// The plan that takes back what run `run_id` applied to `target`, now at `rows`, with
/// `history` (oldest first). A database the run did not touch gets an empty plan.
#[expect(clippy::result_large_err, reason = "built once per database of a run; boxing would only obscure the fields")]
pub(crate) fn rollback_plan(
    target: &DatabaseTarget,
    run_id: &str,
    rows: &[String],
    history: &[HistoryRow],
) -> Result<Plan, RunError> {
    let database = &target.name;
    let Some(last_of_run) = history.iter().rposition(|row| row.run_id == run_id) else {
        return Ok(Plan { start_rows: rows.to_vec(), steps: Vec::new() });
    };
    let mut applied_by_run = Vec::new();
    for row in history.iter().filter(|row| row.run_id == run_id) {
        let completed = COMPLETED.contains(&row.outcome.as_str());
        if completed && row.direction != "upgrade" {
            return Err(RunError::RollbackOfNonUpgrade {
                database: database.clone(),
                run_id: run_id.to_owned(),
                direction: row.direction.clone(),
                revision: row.revision.clone(),
            });
        }
        if !completed && row.statements_done.is_some_and(|done| done > 0) {
            return Err(RunError::RollbackOfPartialStep {
                database: database.clone(),
                run_id: run_id.to_owned(),
                revision: row.revision.clone(),
            });
        }
        if completed && !applied_by_run.contains(&row.revision) {
            applied_by_run.push(row.revision.clone());
        }
    }
    if let Some(later) = history[last_of_run + 1..]
        .iter()
        .find(|row| row.run_id != run_id && row.outcome != "failed")
    {
        return Err(RunError::MovedOnSinceRun {
            database: database.clone(),
            run_id: run_id.to_owned(),
            later_run: later.run_id.clone(),
            direction: later.direction.clone(),
            revision: later.revision.clone(),
        });
    }
    let map = target.migrations.map();
    let plan_error = |source| RunError::Plan { database: database.clone(), source };
    let plan = map.downgrade_removing(rows, &applied_by_run).map_err(plan_error)?;
    let removed: BTreeSet<String> = applied_set(map, &plan.start_rows)
        .and_then(|before| Ok(before.difference(&applied_set(map, plan.end_rows())?).cloned().collect()))
        .map_err(plan_error)?;
    let expected: BTreeSet<String> = applied_by_run.iter().cloned().collect();
    if removed != expected {
        return Err(RunError::NotWhereRunLeftIt {
            database: database.clone(),
            run_id: run_id.to_owned(),
            applied_by_run: applied_by_run.clone(),
            would_remove: removed.into_iter().collect(),
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests;
