//! Re-planning under the lock: the rows read once a database's lock is held may differ from
//! those the up-front checks planned from (another runner moved the database in between). The
//! plan is then made again towards where the checked plan ended, so a run that waited behind
//! another finds nothing left to do instead of failing or going one step too far.

use retort_core::{Dialect, Plan, RevisionError, RevisionMap};

use crate::checks::{applied_set, check_steps, plan_command};
use crate::error::RunError;
use crate::request::{Command, DatabaseTarget};

/// The plan to run now that the lock is held. Unchanged rows keep the checked plan. Rows that
/// another runner moved are planned again towards where the checked plan ended (not from the
/// command's target again: `-1` must not go one further), and a database already there has
/// nothing to do.
#[expect(clippy::result_large_err, reason = "built a handful of times per run at most; boxing would only obscure the fields")]
pub(crate) fn replan_under_lock(
    target: &DatabaseTarget,
    command: &Command,
    dialect: Dialect,
    checked_plan: Plan,
    rows: &[String],
) -> Result<Plan, RunError> {
    if same_rows(rows, &checked_plan.start_rows) {
        return Ok(checked_plan);
    }
    if let Command::Rollback { run_id } = command {
        // Another runner changed the database between the checks and the lock: finished
        // this same rollback (nothing left to do), or moved it on (refused, as the checks
        // would have).
        if same_rows(rows, checked_plan.end_rows()) {
            return Ok(Plan { start_rows: rows.to_vec(), steps: Vec::new() });
        }
        return Err(RunError::MovedDuringRollback { database: target.name.clone(), run_id: run_id.clone() });
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
        Command::Stamp { .. } | Command::Rollback { .. } => same_rows(rows, checked_plan.end_rows()),
    };
    if already_there {
        return Ok(Plan { start_rows: rows.to_vec(), steps: Vec::new() });
    }
    match command {
        Command::Upgrade { target } => map.upgrade(rows, &absolute_target(map, checked_plan.end_rows(), target)),
        Command::Downgrade { target } => map.downgrade(rows, &absolute_target(map, checked_plan.end_rows(), target)),
        Command::Stamp { .. } | Command::Rollback { .. } => plan_command(map, command, rows),
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

#[cfg(test)]
mod tests;
