//! The up-front checks: every database of the run is connected, read and planned, and every
//! plan is checked (SQL for the dialect, irreversible steps, edited files, cross-database
//! dependencies), before any database is touched. Every problem is collected, not only the
//! first; the connections of a run that passes are handed to the execution.

use std::collections::{BTreeMap, BTreeSet};

use retort_core::{Action, Dialect, Direction, MigrationSet, MissingSql, Plan, RevisionError, RevisionMap, Step};
use retort_db::{Backend, HistoryRow};

use crate::error::RunError;
use crate::read::{DatabaseState, connect_read_only, read_database, read_state};
use crate::request::{Command, DatabaseTarget, RunRequest};
use crate::rollback::rollback_plan;

/// How the checks connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// For a run: connect (creating a missing SQLite file, or a server database when the
    /// options say so) and keep the connection for the run.
    Run,
    /// For `plan`: create nothing; a database that does not exist reads as empty.
    ReadOnly,
}

/// A database that passed the checks: its plan, and its connection when it has one.
pub(crate) struct PreparedDatabase {
    pub(crate) target: DatabaseTarget,
    /// Open for [`Access::Run`]; `None` for [`Access::ReadOnly`], which closes its connections.
    pub(crate) backend: Option<Box<dyn Backend>>,
    /// The plan made before the lock was taken (re-made under the lock when the rows moved).
    pub(crate) plan: Plan,
}

/// A database's plan, without its connection: what the cross-database checks look at (a
/// connection is `Send` but not `Sync`, so the checks must not hold references to one).
struct PlannedDatabase {
    target: DatabaseTarget,
    plan: Plan,
}

/// Connects to, reads, plans and checks every database of the request (in name order), then
/// checks the cross-database dependencies; all connections are closed again when anything is
/// wrong.
pub(crate) async fn prepare_databases(request: &RunRequest, access: Access) -> Result<Vec<PreparedDatabase>, RunError> {
    let mut targets: Vec<&DatabaseTarget> = request.databases.iter().collect();
    targets.sort_by(|left, right| left.name.cmp(&right.name));
    let mut problems = Vec::new();
    let mut planned = Vec::new();
    let mut connections = Vec::new();
    for target in targets {
        if let Some((backend, plan)) = check_database(target, &request.command, access, &mut problems).await {
            planned.push(PlannedDatabase { target: target.clone(), plan });
            connections.push(backend);
        }
    }
    let mut external = ExternalDatabases::new(request);
    match &request.command {
        Command::Upgrade { .. } => check_upgrade_dependencies(&planned, &mut external, &mut problems).await,
        Command::Downgrade { .. } => check_downgrade_dependants(&planned, &mut external, &mut problems).await,
        Command::Rollback { run_id } => {
            if problems.is_empty() && planned.iter().all(|database| database.plan.steps.is_empty()) {
                problems.push(RunError::UnknownRun {
                    run_id: run_id.clone(),
                    databases: planned.iter().map(|database| database.target.name.clone()).collect(),
                });
            }
            check_downgrade_dependants(&planned, &mut external, &mut problems).await;
        }
        Command::Stamp { .. } => {}
    }
    if let Some(error) = RunError::from_problems(problems) {
        for backend in connections.into_iter().flatten() {
            // The run is refused already; a failure to close adds nothing the user can act on.
            let _closed = backend.close().await;
        }
        return Err(error);
    }
    Ok(planned
        .into_iter()
        .zip(connections)
        .map(|(PlannedDatabase { target, plan }, backend)| PreparedDatabase { target, backend, plan })
        .collect())
}

/// The plan `command` makes from `rows`. A rollback is planned from the history as well
/// (`rollback.rs`); from the rows alone it has nothing to do.
pub(crate) fn plan_command(map: &RevisionMap, command: &Command, rows: &[String]) -> Result<Plan, RevisionError> {
    match command {
        Command::Rollback { .. } => Ok(Plan { start_rows: rows.to_vec(), steps: Vec::new() }),
        Command::Upgrade { target } => map.upgrade(rows, target),
        Command::Downgrade { target } => map.downgrade(rows, target),
        Command::Stamp { targets, purge } => {
            let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
            map.stamp(rows, &targets, *purge)
        }
    }
}

/// The problems of a plan's steps: a missing migration, an irreversible downgrade, SQL missing
/// for the dialect.
pub(crate) fn check_steps(target: &DatabaseTarget, dialect: Dialect, plan: &Plan) -> Vec<RunError> {
    plan.steps.iter().filter_map(|step| step_sql(target, dialect, step).err()).collect()
}

/// The SQL a step runs in `dialect`: `None` for a stamp.
#[expect(clippy::result_large_err, reason = "built a handful of times per run at most; boxing would only obscure the fields")]
pub(crate) fn step_sql<'set>(target: &'set DatabaseTarget, dialect: Dialect, step: &Step) -> Result<Option<&'set str>, RunError> {
    let (revision, direction) = match &step.action {
        Action::Upgrade(revision) => (revision, Direction::Up),
        Action::Downgrade(revision) => (revision, Direction::Down),
        Action::Stamp(_) => return Ok(None),
    };
    let Some(migration) = target.migrations.migration(revision) else {
        return Err(RunError::Plan {
            database: target.name.clone(),
            source: RevisionError::UnknownRevision { id: revision.clone() },
        });
    };
    match migration.sql(direction, dialect) {
        Ok(sql) => match retort_migration::marker(sql) {
            Some(name) if !target.rust_migrations.iter().any(|(registered, _)| *registered == name) => {
                Err(RunError::UnknownRustMigration {
                    database: target.name.clone(),
                    revision: revision.clone(),
                    path: migration.path.clone(),
                    name: name.to_owned(),
                })
            }
            _ => Ok(Some(sql)),
        },
        Err(MissingSql::Irreversible) => Err(RunError::Irreversible {
            database: target.name.clone(),
            revision: revision.clone(),
            path: migration.path.clone(),
        }),
        Err(MissingSql::NoSectionForDialect) => Err(RunError::MissingSection {
            database: target.name.clone(),
            revision: revision.clone(),
            path: migration.path.clone(),
            direction,
            dialect,
        }),
    }
}

/// Every revision applied when the version table holds `rows`.
pub(crate) fn applied_set(map: &RevisionMap, rows: &[String]) -> Result<BTreeSet<String>, RevisionError> {
    Ok(map.applied(rows)?.into_iter().collect())
}

/// Connects, reads and plans one database and checks its plan, adding what is wrong to
/// `problems`. Returns the plan (with the connection for [`Access::Run`]) when it got as far as
/// a plan, even with problems, so the cross-database checks can use the plan.
async fn check_database(
    target: &DatabaseTarget,
    command: &Command,
    access: Access,
    problems: &mut Vec<RunError>,
) -> Option<(Option<Box<dyn Backend>>, Plan)> {
    let backend_error = |source| RunError::Backend { database: target.name.clone(), source };
    let connected = match access {
        Access::Run => retort_db::connect(&target.backend).await.map(Some),
        Access::ReadOnly => connect_read_only(&target.backend).await,
    };
    let mut backend = match connected {
        Ok(backend) => backend,
        Err(source) => {
            problems.push(backend_error(source));
            return None;
        }
    };
    let state = match backend.as_mut() {
        Some(backend) => read_state(backend.as_mut()).await,
        None => Ok(DatabaseState::default()),
    };
    // Only a rollback reads the history: it is planned from it.
    let history = match (command, backend.as_mut()) {
        (Command::Rollback { .. }, Some(backend)) => backend.history().await,
        _ => Ok(Vec::new()),
    };
    let plan = match state.and_then(|state| Ok((state, history?))) {
        Ok((state, history)) => plan_and_check(target, command, &state, &history, problems),
        Err(source) => {
            problems.push(backend_error(source));
            None
        }
    };
    let keep = plan.is_some() && access == Access::Run;
    if !keep
        && let Some(backend) = backend.take()
        && let Err(source) = backend.close().await
    {
        problems.push(backend_error(source));
    }
    plan.map(|plan| (backend, plan))
}

/// Plans `command` from the database's rows (and, for a rollback, its history) and checks the
/// plan's steps and the applied files.
fn plan_and_check(
    target: &DatabaseTarget,
    command: &Command,
    state: &DatabaseState,
    history: &[HistoryRow],
    problems: &mut Vec<RunError>,
) -> Option<Plan> {
    let database = &target.name;
    let map = target.migrations.map();
    // Planning checks the rows (a row no file has is an error), except for `stamp --purge`,
    // which is how such a table is repaired.
    let planned = match command {
        Command::Rollback { run_id } => rollback_plan(target, run_id, &state.rows, history),
        _ => plan_command(map, command, &state.rows).map_err(|source| RunError::Plan { database: database.clone(), source }),
    };
    let plan = match planned {
        Ok(plan) => plan,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    problems.extend(check_steps(target, target.backend.url.dialect(), &plan));
    // A stamp runs no migration and records the files' checksums anew: it is how an edit made
    // on purpose is accepted, so it does not refuse edited files.
    if !matches!(command, Command::Stamp { .. }) {
        check_edited_files(target, state, problems);
    }
    Some(plan)
}

/// Compares the checksums recorded for the applied revisions with the files'.
fn check_edited_files(target: &DatabaseTarget, state: &DatabaseState, problems: &mut Vec<RunError>) {
    let applied = match target.migrations.map().applied(&state.rows) {
        Ok(applied) => applied,
        Err(source) => {
            problems.push(RunError::Plan { database: target.name.clone(), source });
            return;
        }
    };
    for revision in applied {
        let (Some(recorded_checksum), Some(migration)) =
            (state.checksums.get(&revision), target.migrations.migration(&revision))
        else {
            continue;
        };
        if *recorded_checksum != migration.checksum {
            problems.push(RunError::EditedMigration {
                database: target.name.clone(),
                revision,
                path: migration.path.clone(),
            });
        }
    }
}

/// Each planned upgrade step's `depends_on: db:rev` must be applied in `db` already, or be
/// applied by `db`'s plan in this run (which runs earlier).
async fn check_upgrade_dependencies(
    planned: &[PlannedDatabase],
    external: &mut ExternalDatabases<'_>,
    problems: &mut Vec<RunError>,
) {
    let mut applied_after_run: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for database in planned {
        match applied_set(database.target.migrations.map(), database.plan.end_rows()) {
            Ok(applied) => {
                applied_after_run.insert(&database.target.name, applied);
            }
            Err(source) => problems.push(RunError::Plan { database: database.target.name.clone(), source }),
        }
    }
    for database in planned {
        for step in &database.plan.steps {
            let Action::Upgrade(revision) = &step.action else { continue };
            let Some(migration) = database.target.migrations.migration(revision) else { continue };
            for dependency in &migration.external_depends_on {
                if dependency.database == database.target.name {
                    continue;
                }
                let in_run = planned.iter().find(|other| other.target.name == dependency.database);
                let in_request = external.request.databases.iter().any(|target| target.name == dependency.database);
                if in_request && in_run.is_none() {
                    // Its own checks failed, and said so.
                    continue;
                }
                let (dependency_migrations, applied) = match in_run {
                    Some(other) => match applied_after_run.get(other.target.name.as_str()) {
                        Some(applied) => (other.target.migrations.as_ref(), applied),
                        None => continue,
                    },
                    None => match external.state(&dependency.database, &database.target.name, problems).await {
                        ExternalState::Read { migrations, applied } => (*migrations, applied),
                        ExternalState::Unknown => {
                            problems.push(RunError::UnknownDependencyDatabase {
                                database: database.target.name.clone(),
                                revision: revision.clone(),
                                path: migration.path.clone(),
                                dependency_database: dependency.database.clone(),
                            });
                            continue;
                        }
                        ExternalState::Reported => continue,
                    },
                };
                let resolved = match dependency_migrations.map().resolve_one(&dependency.revision) {
                    Ok(resolved) => resolved,
                    Err(source) => {
                        problems.push(RunError::UnknownDependencyRevision {
                            database: database.target.name.clone(),
                            revision: revision.clone(),
                            path: migration.path.clone(),
                            dependency_database: dependency.database.clone(),
                            dependency_revision: dependency.revision.clone(),
                            source,
                        });
                        continue;
                    }
                };
                // `None` is base: always reached.
                if let Some(dependency_revision) = resolved
                    && !applied.contains(&dependency_revision)
                {
                    problems.push(RunError::DependencyNotApplied {
                        database: database.target.name.clone(),
                        revision: revision.clone(),
                        path: migration.path.clone(),
                        dependency_database: dependency.database.clone(),
                        dependency_revision,
                        dependency_in_run: in_run.is_some(),
                    });
                }
            }
        }
    }
}

/// A downgrade must not remove a revision that another database still depends on once the run
/// is over (its dependants are downgraded first, so their end rows count).
async fn check_downgrade_dependants(
    planned: &[PlannedDatabase],
    external: &mut ExternalDatabases<'_>,
    problems: &mut Vec<RunError>,
) {
    // For each database whose plan removes revisions: its migrations and the removed ids.
    let mut removing: BTreeMap<&str, (&MigrationSet, BTreeSet<String>)> = BTreeMap::new();
    // For each database of the run: the revisions applied once its own plan has run.
    let mut applied_after_run: Vec<(&str, &MigrationSet, BTreeSet<String>)> = Vec::new();
    for database in planned {
        let map = database.target.migrations.map();
        let before_and_after = applied_set(map, &database.plan.start_rows)
            .and_then(|before| Ok((before, applied_set(map, database.plan.end_rows())?)));
        match before_and_after {
            Ok((before, after)) => {
                let removed: BTreeSet<String> = before.difference(&after).cloned().collect();
                if !removed.is_empty() {
                    removing.insert(&database.target.name, (&database.target.migrations, removed));
                }
                applied_after_run.push((&database.target.name, &database.target.migrations, after));
            }
            Err(source) => problems.push(RunError::Plan { database: database.target.name.clone(), source }),
        }
    }
    if removing.is_empty() {
        return;
    }
    let mut candidates: Vec<(String, &MigrationSet, BTreeSet<String>)> = applied_after_run
        .into_iter()
        .map(|(name, migrations, applied)| (name.to_owned(), migrations, applied))
        .collect();
    let removing_names: Vec<&str> = removing.keys().copied().collect();
    for (name, depended_on) in external.dependants_of(&removing_names) {
        if let ExternalState::Read { migrations, applied } = external.state(&name, &depended_on, problems).await {
            candidates.push((name, migrations, applied.clone()));
        }
    }
    for (dependant_database, migrations, applied) in &candidates {
        for migration in migrations.migrations() {
            if !applied.contains(&migration.revision.id) {
                continue;
            }
            for dependency in &migration.external_depends_on {
                if dependency.database == *dependant_database {
                    continue;
                }
                let Some((dependency_migrations, removed)) = removing.get(dependency.database.as_str()) else {
                    continue;
                };
                // An unknown dependency revision was reported when it was applied; nothing to remove.
                let Ok(Some(dependency_revision)) = dependency_migrations.map().resolve_one(&dependency.revision) else {
                    continue;
                };
                if removed.contains(&dependency_revision) {
                    problems.push(RunError::DependantStillApplied {
                        database: dependency.database.clone(),
                        revision: dependency_revision,
                        dependant_database: dependant_database.clone(),
                        dependant_revision: migration.revision.id.clone(),
                        dependant_path: migration.path.clone(),
                    });
                }
            }
        }
    }
}

/// The configured databases outside the run, read at most once each.
struct ExternalDatabases<'request> {
    request: &'request RunRequest,
    read: BTreeMap<String, ExternalState<'request>>,
}

/// What the checks know about a database outside the run.
enum ExternalState<'request> {
    /// Its version rows were read: the revisions applied now.
    Read { migrations: &'request MigrationSet, applied: BTreeSet<String> },
    /// No configured database has that name.
    Unknown,
    /// It could not be read, and that problem is already reported.
    Reported,
}

impl<'request> ExternalDatabases<'request> {
    fn new(request: &'request RunRequest) -> Self {
        ExternalDatabases { request, read: BTreeMap::new() }
    }

    /// The configured databases outside the run with a migration that depends on one of
    /// `databases`: their names, each with the first such database.
    fn dependants_of(&self, databases: &[&str]) -> Vec<(String, String)> {
        let request = self.request;
        let outside_run = request
            .external
            .iter()
            .map(|target| (&target.name, &target.migrations))
            .chain(request.all_migrations.iter().map(|(name, migrations)| (name, migrations)))
            .filter(|(name, _)| !request.databases.iter().any(|target| target.name == **name));
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        for (name, migrations) in outside_run {
            if found.contains_key(name.as_str()) {
                continue;
            }
            let depended_on = migrations
                .migrations()
                .iter()
                .flat_map(|migration| &migration.external_depends_on)
                .find(|dependency| dependency.database != *name && databases.contains(&dependency.database.as_str()));
            if let Some(dependency) = depended_on {
                found.insert(name.clone(), dependency.database.clone());
            }
        }
        found.into_iter().collect()
    }

    /// Reads `name`'s rows (once), reporting failures to `problems`; `checking` names the
    /// database whose dependencies need it, for the message when it has no connection.
    async fn state(&mut self, name: &str, checking: &str, problems: &mut Vec<RunError>) -> &ExternalState<'request> {
        if !self.read.contains_key(name) {
            let state = self.read_state(name, checking, problems).await;
            self.read.insert(name.to_owned(), state);
        }
        &self.read[name]
    }

    async fn read_state(&self, name: &str, checking: &str, problems: &mut Vec<RunError>) -> ExternalState<'request> {
        let Some(target) = self.request.external.iter().find(|target| target.name == name) else {
            let configured = self.request.databases.iter().map(|target| &target.name)
                .chain(self.request.all_migrations.iter().map(|(configured_name, _)| configured_name))
                .any(|configured_name| configured_name == name);
            if configured {
                problems.push(RunError::MissingConnection { database: name.to_owned(), checking: checking.to_owned() });
                return ExternalState::Reported;
            }
            return ExternalState::Unknown;
        };
        let rows = match read_rows_once(target).await {
            Ok(rows) => rows,
            Err(error) => {
                problems.push(error);
                return ExternalState::Reported;
            }
        };
        match applied_set(target.migrations.map(), &rows) {
            Ok(applied) => ExternalState::Read { migrations: &target.migrations, applied },
            Err(source) => {
                problems.push(RunError::Plan { database: name.to_owned(), source });
                ExternalState::Reported
            }
        }
    }
}

/// Reads the version rows of a database outside the run, creating nothing.
async fn read_rows_once(target: &DatabaseTarget) -> Result<Vec<String>, RunError> {
    read_database(&target.backend)
        .await
        .map(|state| state.rows)
        .map_err(|source| RunError::Backend { database: target.name.clone(), source })
}
