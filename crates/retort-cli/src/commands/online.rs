//! Running `upgrade`, `downgrade` and `stamp` against the databases: the request for the
//! orchestrator, a plain line per event on stderr, and the summary table at the end. The loop
//! itself is the orchestrator's; this file only renders what it reports.

use std::collections::BTreeMap;
use std::sync::Arc;

use retort_core::MigrationSet;
use retort_orchestrator::{Command, DatabaseTarget, Event, RunReport, RunRequest};

use crate::commands::context::Context;
use crate::exit::Outcome;
use crate::render::{self, EventLine, PlainEvents};
use crate::settings::DatabaseSettings;

/// Runs `command` on the selected databases. Every configured database's migrations are
/// loaded (cross-database dependencies are checked against them); the unselected ones that
/// have a URL are passed as external databases, whose rows the run reads but never changes.
pub async fn run(
    context: &Context<'_>,
    command: Command,
    keep_going: bool,
) -> anyhow::Result<Outcome> {
    let all_sets = context.load_every_database()?;
    let runs_migrations = !matches!(command, Command::Stamp { .. });
    let sets_by_name = all_sets.clone();
    let is_selected = |name: &str| {
        context
            .databases
            .iter()
            .any(|database| database.name == name)
    };
    let mut databases = Vec::new();
    let mut external = Vec::new();
    for (name, migrations) in &all_sets {
        let Some(settings) = context.project.settings.databases.get(name) else {
            continue;
        };
        let target = |settings: &DatabaseSettings| -> anyhow::Result<DatabaseTarget> {
            Ok(DatabaseTarget {
                name: name.clone(),
                backend: context.backend_options(settings)?,
                migrations: migrations.clone(),
                after: settings.after.clone(),
                lock_timeout: settings.lock_timeout,
            })
        };
        if is_selected(name) {
            databases.push(target(settings)?);
        } else if settings.url.is_some() {
            external.push(target(settings)?);
        }
    }
    let request = RunRequest {
        run_id: uuid::Uuid::new_v4().to_string(),
        command,
        databases,
        external,
        all_migrations: all_sets.into_iter().collect(),
        keep_going,
    };
    let printer = context.printer;
    let mut plain_events = PlainEvents::default();
    let mut on_event = |event: &Event| match plain_events.update(event) {
        Some(EventLine::Status(line)) => printer.status(line),
        Some(EventLine::Detail(line)) => printer.detail(line),
        None => {}
    };
    let mut report = retort_orchestrator::run(request, &mut on_event).await?;
    if runs_migrations {
        name_failed_files(&mut report, &sets_by_name);
    }
    let table = render::summary_table(&report);
    if !report.is_success() {
        printer.report(table.trim_end());
        // A step that failed is a migration that failed (1); a database that failed before or
        // after its steps (its lock was not free in time, say) is not (2).
        let step_failed = report
            .databases
            .iter()
            .any(|database| database.failed_revision.is_some());
        return Ok(if step_failed {
            Outcome::MigrationFailed
        } else {
            Outcome::Stopped
        });
    }
    if context.databases.len() > 1 {
        printer.status(table.trim_end());
    }
    Ok(Outcome::Success)
}

/// Puts the file of each failed migration in front of its error, as problems with files are
/// shown everywhere else (`path: what went wrong`), so the summary says which file to fix.
fn name_failed_files(report: &mut RunReport, sets: &BTreeMap<String, Arc<MigrationSet>>) {
    for database in &mut report.databases {
        let (Some(revision), Some(error)) = (&database.failed_revision, &mut database.error) else {
            continue;
        };
        let Some(migration) = sets
            .get(&database.database)
            .and_then(|set| set.migration(revision))
        else {
            continue;
        };
        *error = format!("{}: {error}", migration.path);
    }
}
