//! The run loop.
//!
//! # Design note
//!
//! ```text
//!   order (order.rs)         checks (checks.rs)                 loop (this file)
//!   databases by name,  ──▶  connect, read, plan, check  ──▶   for each database in order:
//!   after + depends_on       every database; refuse the          blocked? stopped? → report
//!   (toposort, ties by       run with every problem              run_database (execute.rs)
//!   name; cycle → error)     before anything is touched            └─ emit(Event) ──▶ on_event
//! ```
//!
//! Databases run one after another, in dependency order (dependants first for a downgrade).
//! That is enough for this issue and keeps failure handling obvious: when a database fails,
//! nothing else is in flight. Every check that needs more than one database (cross-database
//! dependencies, both ways) runs up front, against every plan, so a refused run changes nothing.
//!
//! The later concurrent scheduler keeps every piece but the `for` loop. Each database's work is
//! already one function, `run_database` (execute.rs), that owns its connection and reports through an
//! `emit` callback rather than calling `on_event` itself. The scheduler will spawn one task per
//! ready database (the ready set is the one `DatabaseGraph` orders by, capped at `--jobs`),
//! give each an `emit` that sends into a channel, and keep this loop as the only receiver: it
//! alone calls `on_event`, updates the reports and decides, on a failure, what may still start
//! (fail-fast: nothing new; keep-going: what the failed database does not block).
//!
//! Locks: a database's lock is released before the next database's is taken, so two runs can
//! never deadlock across databases. The concurrent scheduler holds several at once and must
//! take them in one fixed order (by name), as DESIGN.md "Tables" asks. Each database re-reads
//! its rows once its lock is held and re-plans towards where its checked plan ended, so a run
//! that waited behind another finds nothing left to do instead of failing.

use retort_db::LockHolder;

use crate::checks::{PreparedDatabase, prepare_databases};
use crate::error::RunError;
use crate::event::{DatabaseOutcome, DatabaseReport, Event, RunReport};
use crate::execute::{DatabaseResult, RunContext, run_database};
use crate::order::{DatabaseGraph, DatabaseNode, FileDependency};
use crate::request::{DatabaseTarget, RunRequest};

/// Runs `request`, reporting every event to `on_event`. Errors that stop the run before any
/// database changes are `Err` (every problem the up-front checks found, see [`RunError`]); a
/// failed migration is reported in the [`RunReport`], whose databases are in run order.
pub async fn run(request: RunRequest, on_event: &mut (dyn FnMut(&Event) + Send)) -> Result<RunReport, RunError> {
    let nodes: Vec<DatabaseNode> = request.databases.iter().map(database_node).collect();
    let graph = DatabaseGraph::new(&nodes, request.command.order_direction());
    let order = graph.order()?;
    on_event(&Event::RunStarted {
        run_id: request.run_id.clone(),
        databases: order.iter().map(|index| graph.name(*index).to_owned()).collect(),
    });
    let prepared = match prepare_databases(&request, &order).await {
        Ok(prepared) => prepared,
        Err(error) => {
            on_event(&Event::RunFinished { run_id: request.run_id.clone(), ok: false });
            return Err(error);
        }
    };
    let holder = LockHolder::for_this_process(request.run_id.clone());
    let context = RunContext { command: &request.command, run_id: &request.run_id, holder: &holder };
    let mut failed: Vec<usize> = Vec::new();
    let mut reports = Vec::with_capacity(prepared.len());
    for database in prepared {
        let index = database.index;
        let not_started = if let Some(blocker) = graph.blocked_by(index, &failed) {
            Some(DatabaseOutcome::BlockedBy { database: graph.name(blocker).to_owned() })
        } else if let Some(&first_failed) = failed.first().filter(|_| !request.keep_going) {
            Some(DatabaseOutcome::StoppedAfter { database: graph.name(first_failed).to_owned() })
        } else {
            None
        };
        if let Some(outcome) = not_started {
            if matches!(outcome, DatabaseOutcome::BlockedBy { .. }) {
                // What runs after a blocked database is blocked too.
                failed.push(index);
            }
            reports.push(skip_database(database, outcome).await);
            continue;
        }
        let name = database.target.name.clone();
        let result = run_database(database, &context, &mut |event| on_event(&event)).await;
        if result.error.is_some() {
            failed.push(index);
        }
        reports.push(database_report(name, result));
    }
    let report = RunReport { run_id: request.run_id.clone(), databases: reports };
    on_event(&Event::RunFinished { run_id: request.run_id.clone(), ok: report.is_success() });
    Ok(report)
}

/// What orders a database: its name, config `after`, and its files' cross-database depends_on.
fn database_node(target: &DatabaseTarget) -> DatabaseNode {
    let depends_on = target
        .migrations
        .migrations()
        .iter()
        .flat_map(|migration| {
            migration.external_depends_on.iter().map(|dependency| FileDependency {
                path: migration.path.clone(),
                revision: migration.revision.id.clone(),
                database: dependency.database.clone(),
                dependency_revision: dependency.revision.clone(),
            })
        })
        .collect();
    DatabaseNode { name: target.name.clone(), after: target.after.clone(), depends_on }
}

/// Closes a database that never starts and reports why.
async fn skip_database(database: PreparedDatabase, outcome: DatabaseOutcome) -> DatabaseReport {
    // Nothing was done on this connection; a failure to close it changes nothing to report.
    let _closed = database.backend.close().await;
    DatabaseReport {
        database: database.target.name,
        started_at: database.plan.start_rows.clone(),
        now_at: database.plan.start_rows,
        steps_run: 0,
        failed_revision: None,
        error: None,
        outcome,
    }
}

fn database_report(database: String, result: DatabaseResult) -> DatabaseReport {
    let outcome = if result.error.is_some() { DatabaseOutcome::Failed } else { DatabaseOutcome::Completed };
    DatabaseReport {
        database,
        started_at: result.started_at,
        now_at: result.now_at,
        steps_run: result.steps_run,
        failed_revision: result.failed_revision,
        error: result.error,
        outcome,
    }
}
