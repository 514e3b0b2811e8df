//! Running `upgrade`, `downgrade` and `stamp` against the databases: the request for the
//! orchestrator, the display of its events (bars, lines or JSON, see `display.rs`), and the
//! summary at the end. The loop itself is the orchestrator's; this file only renders what it
//! reports.

use std::collections::BTreeMap;
use std::sync::Arc;

use retort_core::MigrationSet;
use retort_orchestrator::{Command, DatabaseTarget, Event, RunReport, RunRequest};

use crate::args::RunArgs;
use crate::commands::context::Context;
use crate::commands::overview::merge_hint;
use crate::display::{self, Reporter};
use crate::exit::Outcome;
use crate::render;
use crate::settings::DatabaseSettings;

/// Runs `command` on the selected databases and shows it as `args` say.
pub async fn run(
    context: &Context<'_>,
    command: Command,
    args: &RunArgs,
) -> anyhow::Result<Outcome> {
    let printer = context.printer;
    let request = run_request(context, command, args.keep_going, args.jobs)?;
    if matches!(request.command, Command::Upgrade { .. }) {
        warn_about_heads(context, &request);
    }
    let sets_by_name: BTreeMap<String, Arc<MigrationSet>> =
        request.all_migrations.iter().cloned().collect();
    let runs_migrations = !matches!(request.command, Command::Stamp { .. });
    let run_id = request.run_id.clone();
    let terminal = printer.terminal();
    let mode = display::resolve(
        args.format,
        terminal.stderr_is_terminal,
        terminal.is_ci,
        printer.verbosity(),
    );
    let mut reporter = Reporter::new(mode, printer);
    let result = retort_orchestrator::run(request, &mut |event: &Event| {
        reporter.report(event, printer)
    })
    .await;
    let mut report = match result {
        Ok(report) => report,
        Err(error) => {
            let error = anyhow::Error::from(error);
            reporter.refused(&run_id, format!("{error:#}"), printer);
            return Err(error);
        }
    };
    if runs_migrations {
        name_failed_files(&mut report, &sets_by_name);
    }
    reporter.summary(&report, printer);
    let table = render::summary_table(&report);
    if !report.is_success() {
        if !reporter.is_json() {
            printer.report(table.trim_end());
        }
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
    if context.databases.len() > 1 && !reporter.is_json() {
        printer.status(table.trim_end());
    }
    Ok(Outcome::Success)
}

/// The orchestrator's request for `command` over the selected databases. Every configured
/// database's migrations are loaded (cross-database dependencies are checked against them); the
/// unselected ones that have a URL are passed as external databases, whose rows the run reads
/// but never changes.
pub fn run_request(
    context: &Context<'_>,
    command: Command,
    keep_going: bool,
    jobs: Option<std::num::NonZeroUsize>,
) -> anyhow::Result<RunRequest> {
    let all_sets = context.load_every_database()?;
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
                // A marker names a Rust migration of the crate the binary carries for the
                // database of that name.
                rust_migrations: context
                    .project
                    .bundle
                    .database(name)
                    .map_or(&[], |built_in| built_in.rust),
            })
        };
        if is_selected(name) {
            databases.push(target(settings)?);
        } else if settings.url.is_some() {
            external.push(target(settings)?);
        }
    }
    Ok(RunRequest {
        run_id: uuid::Uuid::new_v4().to_string(),
        command,
        databases,
        external,
        all_migrations: all_sets.into_iter().collect(),
        keep_going,
        jobs,
    })
}

/// Warns about each database of the run with more heads than its config expects: `upgrade
/// heads` applies every branch, but the branches want a merge.
fn warn_about_heads(context: &Context<'_>, request: &RunRequest) {
    for target in &request.databases {
        let Some(settings) = context.project.settings.databases.get(&target.name) else {
            continue;
        };
        let heads: Vec<String> = target
            .migrations
            .map()
            .heads()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if heads.len() > settings.expected_heads {
            context
                .printer
                .warning(merge_hint(&target.name, &heads, settings.expected_heads));
        }
    }
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
