//! Taking the locks of a run, before any step runs.
//!
//! Every database of the run is locked in one fixed order, by name, each on its own
//! connection; so two runs over overlapping databases can never hold one lock each while
//! waiting for the other's. Once its lock is held, a database's rows are read again and its plan
//! re-made when another runner moved them ([`crate::replan`]), and `DatabasePlanned` reports the
//! plan that will run. A database whose lock is not free says who holds it (`WaitingForLock`)
//! and waits up to its lock timeout.
//!
//! When locking or re-planning a database fails, fail-fast stops taking locks (the databases
//! already locked are released by the scheduler without running anything); `--keep-going`
//! carries on with the others.

use std::time::Duration;

use retort_core::Plan;
use retort_db::{Backend, BackendError, LockHolder};

use crate::checks::PreparedDatabase;
use crate::error::error_chain_text;
use crate::event::{DatabaseOutcome, Event};
use crate::replan::replan_under_lock;
use crate::request::{Command, DatabaseTarget};

/// How the lock phase left one database.
pub(crate) enum LockOutcome {
    /// Its lock is held and its plan re-made under it.
    Locked { target: DatabaseTarget, backend: Box<dyn Backend>, plan: Plan },
    /// Connecting, creating the tables, locking, reading or re-planning failed; the connection
    /// is closed and `DatabaseFinished` reported. `plan` is the checked plan.
    Failed { target: DatabaseTarget, plan: Plan, now_at: Vec<String>, error: String },
    /// Fail-fast stopped the run before this database was locked; its connection is closed.
    NotLocked { target: DatabaseTarget, plan: Plan },
}

impl LockOutcome {
    pub(crate) fn target(&self) -> &DatabaseTarget {
        match self {
            LockOutcome::Locked { target, .. } | LockOutcome::Failed { target, .. } | LockOutcome::NotLocked { target, .. } => {
                target
            }
        }
    }

    /// The plan that runs (re-made under the lock), or the checked plan of a database that is
    /// not locked.
    pub(crate) fn plan(&self) -> &Plan {
        match self {
            LockOutcome::Locked { plan, .. } | LockOutcome::Failed { plan, .. } | LockOutcome::NotLocked { plan, .. } => plan,
        }
    }
}

/// Locks every prepared database in name order (`prepared` is in name order).
pub(crate) async fn lock_all(
    prepared: Vec<PreparedDatabase>,
    command: &Command,
    holder: &LockHolder,
    keep_going: bool,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Vec<LockOutcome> {
    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut stopped = false;
    for database in prepared {
        if stopped {
            if let Some(backend) = database.backend {
                // Nothing was done on this connection; a failure to close it changes nothing.
                let _closed = backend.close().await;
            }
            outcomes.push(LockOutcome::NotLocked { target: database.target, plan: database.plan });
            continue;
        }
        let outcome = lock_one(database, command, holder, on_event).await;
        if let LockOutcome::Failed { target, now_at, .. } = &outcome {
            on_event(&Event::DatabaseFinished {
                database: target.name.clone(),
                now: now_at.clone(),
                steps_run: 0,
                outcome: DatabaseOutcome::Failed,
            });
            stopped = !keep_going;
        }
        outcomes.push(outcome);
    }
    outcomes
}

/// Connects when not connected yet, creates the tables, takes the lock, and re-plans under it.
async fn lock_one(
    database: PreparedDatabase,
    command: &Command,
    holder: &LockHolder,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> LockOutcome {
    let PreparedDatabase { target, backend, plan: checked_plan } = database;
    let now_at = checked_plan.start_rows.clone();
    let mut backend = match backend {
        Some(backend) => backend,
        None => match retort_db::connect(&target.backend).await {
            Ok(backend) => backend,
            Err(error) => {
                let error = error_chain_text(&error);
                return LockOutcome::Failed { target, plan: checked_plan, now_at, error };
            }
        },
    };
    if let Err(error) = take_lock(backend.as_mut(), &target, holder, on_event).await {
        let error = error_chain_text(&error);
        // Nothing changed on this connection; the error above is what the user needs.
        let _closed = backend.close().await;
        return LockOutcome::Failed { target, plan: checked_plan, now_at, error };
    }
    let replanned = match backend.read_rows().await {
        Ok(rows) => replan_under_lock(&target, command, target.backend.url.dialect(), checked_plan.clone(), &rows)
            .map_err(|error| (error_chain_text(&error), rows)),
        Err(error) => Err((error_chain_text(&error), now_at)),
    };
    match replanned {
        Ok(plan) => {
            on_event(&Event::DatabasePlanned {
                database: target.name.clone(),
                from: plan.start_rows.clone(),
                to: plan.end_rows().to_vec(),
                steps: plan.steps.len(),
            });
            LockOutcome::Locked { target, backend, plan }
        }
        Err((mut error, now_at)) => {
            if let Err(unlock_error) = backend.unlock().await {
                error = format!("{error}; then releasing the lock failed: {}", error_chain_text(&unlock_error));
            }
            let _closed = backend.close().await;
            LockOutcome::Failed { target, plan: checked_plan, now_at, error }
        }
    }
}

/// Creates the tables and takes the lock; when another runner holds it, reports who before
/// waiting for it up to the database's lock timeout.
async fn take_lock(
    backend: &mut dyn Backend,
    target: &DatabaseTarget,
    holder: &LockHolder,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<(), BackendError> {
    backend.ensure_tables().await?;
    match backend.lock(holder, Duration::ZERO).await {
        Ok(()) => return Ok(()),
        Err(BackendError::LockTimeout { holder: other, .. }) => {
            let holder_text = match other {
                Some(other) => format!("pid {} on {} (run {})", other.pid, other.host, other.run_id),
                None => "another process".to_owned(),
            };
            on_event(&Event::WaitingForLock { database: target.name.clone(), holder: holder_text });
        }
        Err(error) => return Err(error),
    }
    backend.lock(holder, target.lock_timeout).await
}

/// Releases and closes the databases of `outcomes` that are locked (a run that stops before
/// scheduling); errors are dropped, as nothing ran on them.
pub(crate) async fn release_all(outcomes: Vec<LockOutcome>) {
    for outcome in outcomes {
        if let LockOutcome::Locked { mut backend, .. } = outcome {
            let _unlocked = backend.unlock().await;
            let _closed = backend.close().await;
        }
    }
}
