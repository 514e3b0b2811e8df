//! Whole-release rollback (issue 5) across three databases of three engines: `accounts` on
//! SQLite, `billing` on PostgreSQL, `events` on MariaDB, with cross-database dependencies
//! (`billing` depends on `accounts`, `events` on `billing`). `downgrade --run RUN_ID` returns
//! every database the run touched to where it was, dependants first, and refuses up front
//! when a database moved on since or a step cannot be reversed.

use super::{Engine, TestDatabase, toml_string};
use crate::common::{Migration, Run, TestProject};

/// The three databases, or `None` (after a loud message) when a server is unreachable outside
/// CI; in CI an unreachable server fails the test.
fn three_databases() -> Option<[TestDatabase; 3]> {
    Some([
        TestDatabase::create(Engine::Sqlite)?,
        TestDatabase::create(Engine::Postgres)?,
        TestDatabase::create(Engine::Mysql)?,
    ])
}

const NAMES: [&str; 3] = ["accounts", "billing", "events"];

fn project_on(databases: &[TestDatabase; 3]) -> TestProject {
    let config: String = NAMES
        .iter()
        .zip(databases)
        .map(|(name, database)| {
            format!(
                "[databases.{name}]\nurl = {}\n\n",
                toml_string(&database.url)
            )
        })
        .collect();
    let project = TestProject::with_config(&config);
    for name in NAMES {
        std::fs::create_dir_all(project.versions(name)).expect("versions directory");
    }
    project
}

/// Revision `revision` of `database`, creating the table of the same name.
fn table_revision(
    project: &TestProject,
    database: &str,
    revision: &str,
    down_revision: &str,
    depends_on: &str,
) {
    let upgrade = format!("CREATE TABLE {revision} (id INTEGER PRIMARY KEY);");
    let downgrade = format!("DROP TABLE {revision};");
    project.migration(
        database,
        &format!("{revision}.sql"),
        &Migration {
            revision,
            down_revision,
            depends_on,
            message: revision,
            upgrade: &upgrade,
            downgrade: Some(&downgrade),
            ..Migration::default()
        },
    );
}

/// The run id and `database:direction:revision` of each started step, from JSON events.
fn run_of(run: &Run) -> (String, Vec<String>) {
    let mut run_id = String::new();
    let mut steps = Vec::new();
    for line in run.stdout.lines() {
        let event: serde_json::Value = serde_json::from_str(line).expect("a JSON event per line");
        match event["event"].as_str() {
            Some("run_started") => run_id = event["run_id"].as_str().unwrap_or_default().to_owned(),
            Some("step_started") => steps.push(format!(
                "{}:{}:{}",
                event["database"].as_str().unwrap_or_default(),
                event["direction"].as_str().unwrap_or_default(),
                event["revision"].as_str().unwrap_or_default()
            )),
            _ => {}
        }
    }
    (run_id, steps)
}

fn rows_and_tables(databases: &[TestDatabase; 3]) -> Vec<(Vec<String>, Vec<String>)> {
    databases
        .iter()
        .map(|database| (database.version_rows(), database.tables()))
        .collect()
}

#[test]
fn a_release_is_rolled_back_across_sqlite_postgres_and_mariadb() {
    let Some(databases) = three_databases() else {
        return;
    };
    let project = project_on(&databases);
    table_revision(&project, "accounts", "acc1", "", "");
    table_revision(&project, "billing", "bill1", "", "accounts:acc1");
    table_revision(&project, "events", "ev1", "", "billing:bill1");
    project.retort(&["upgrade"]).success();
    let release_one = rows_and_tables(&databases);

    // Release two: a revision in each database, each depending on the one before.
    table_revision(&project, "accounts", "acc2", "acc1", "");
    table_revision(&project, "billing", "bill2", "bill1", "accounts:acc2");
    table_revision(&project, "events", "ev2", "ev1", "billing:bill2");
    let upgrade = project.retort(&["upgrade", "--format", "json"]);
    upgrade.success();
    let (release_two, _) = run_of(&upgrade);
    assert_eq!(databases[2].version_rows(), ["ev2"]);

    let rollback = project.retort(&["downgrade", "--run", &release_two, "--format", "json"]);
    rollback.success();
    let (_, steps) = run_of(&rollback);
    assert_eq!(
        steps,
        [
            "events:downgrade:ev2",
            "billing:downgrade:bill2",
            "accounts:downgrade:acc2"
        ],
        "dependants first"
    );
    assert_eq!(rows_and_tables(&databases), release_one);

    // Rolled back already: every database moved on since (the rollback ran after it).
    project
        .retort(&["downgrade", "--run", &release_two])
        .fails_with(
            2,
            &format!("database 'accounts' has moved on since run {release_two}: run "),
        );
}

#[test]
fn a_rollback_is_refused_before_anything_runs() {
    let Some(databases) = three_databases() else {
        return;
    };
    let project = project_on(&databases);
    table_revision(&project, "accounts", "acc1", "", "");
    table_revision(&project, "billing", "bill1", "", "accounts:acc1");
    table_revision(&project, "events", "ev1", "", "billing:bill1");
    let (release_one, _) = run_of(&project.retort(&["upgrade", "--format", "json"]));

    // A later release with an irreversible migration in `events` only.
    project.migration(
        "events",
        "ev2.sql",
        &Migration {
            revision: "ev2",
            down_revision: "ev1",
            message: "irreversible",
            upgrade: "CREATE TABLE ev2 (id INTEGER PRIMARY KEY);",
            downgrade: None,
            ..Migration::default()
        },
    );
    let (release_two, _) = run_of(&project.retort(&["upgrade", "--format", "json"]));
    let before = rows_and_tables(&databases);

    let refused = project.retort(&["downgrade", "--run", &release_one]);
    refused.fails_with(
        2,
        &format!("database 'events' has moved on since run {release_one}: run {release_two} then ran 'upgrade ev2'"),
    );
    project.retort(&["downgrade", "--run", &release_two]).fails_with(
        2,
        "database 'events': revision ev2 (databases/events/versions/ev2.sql) has no downgrade section, so it is irreversible",
    );
    project
        .retort(&["downgrade", "--run", "no-such-run"])
        .fails_with(
            2,
            "no database has history of run no-such-run (looked in: accounts, billing, events)",
        );
    assert_eq!(
        rows_and_tables(&databases),
        before,
        "a refused rollback changed a database"
    );
}
