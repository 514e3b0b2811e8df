//! Runs the up-front checks refuse, before any database changes: missing cross-database
//! dependencies, irreversible downgrades, edited files, dependants still applied, missing SQL,
//! cycles.

use retort_orchestrator::{Event, RunError};

use crate::common::{
    TestDatabases, app_files, downgrade_to, file, migration, request, run_ok, run_refused, strings, tool_registry_files,
    upgrade_heads, upgrade_to, user_tables, version_rows,
};

/// A refused run of `app` reports that it started and that it failed, nothing between.
#[track_caller]
fn assert_refused_events(events: &[Event]) {
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0], Event::RunStarted { run_id: "run-1".to_owned(), databases: strings(&["app"]) });
    assert!(matches!(&events[1], Event::RunFinished { ok: false, .. }), "{events:#?}");
}

#[tokio::test]
async fn upgrading_app_alone_is_refused_while_tool_registry_is_behind() {
    let databases = TestDatabases::new();
    let app = databases.target("app", &app_files(), &[]);
    let tool_registry = databases.target("tool_registry", &tool_registry_files(), &[]);
    let (error, events) = run_refused(request(upgrade_heads(), vec![app], vec![tool_registry])).await;

    let RunError::DependencyNotApplied {
        database,
        revision,
        path,
        dependency_database,
        dependency_revision,
        dependency_in_run,
    } = &error
    else {
        panic!("unexpected error: {error}");
    };
    assert_eq!(
        (database.as_str(), revision.as_str(), path.as_str()),
        ("app", "a2", "databases/app/versions/a2.sql")
    );
    assert_eq!((dependency_database.as_str(), dependency_revision.as_str()), ("tool_registry", "t2"));
    assert!(!dependency_in_run);
    assert_eq!(
        error.to_string(),
        "database 'app': revision a2 (databases/app/versions/a2.sql) depends on tool_registry:t2, which is not \
         applied; run 'upgrade --db tool_registry' first"
    );
    assert_refused_events(&events);
    assert_eq!(user_tables(&databases.path("app")).await, Vec::<String>::new());
    assert_eq!(version_rows(&databases.path("app")).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_run_whose_plan_stops_below_the_dependency_is_refused() {
    let databases = TestDatabases::new();
    let mut tool_registry_files = tool_registry_files();
    tool_registry_files.push(file("tool_registry", "t3", migration("t3", "t2", "", "CREATE TABLE t3 (id INTEGER);", Some("DROP TABLE t3;"))));
    let app_files = vec![
        file("app", "a1", migration("a1", "", "", "CREATE TABLE users (id INTEGER);", Some("DROP TABLE users;"))),
        file("app", "a2", migration("a2", "a1", "tool_registry:t3", "CREATE TABLE links (id INTEGER);", Some("DROP TABLE links;"))),
    ];
    let targets = vec![databases.target("app", &app_files, &[]), databases.target("tool_registry", &tool_registry_files, &[])];
    // "+2" takes tool_registry to t2 only, while app's a2 needs t3.
    let (error, events) = run_refused(request(upgrade_to("+2"), targets, Vec::new())).await;

    assert!(matches!(error, RunError::DependencyNotApplied { dependency_in_run: true, .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "database 'app': revision a2 (databases/app/versions/a2.sql) depends on tool_registry:t3, which is not \
         applied and which this run does not reach; run 'upgrade --db tool_registry' first"
    );
    assert_eq!(events.len(), 2);
    assert_eq!(version_rows(&databases.path("tool_registry")).await, Vec::<String>::new());
}

#[tokio::test]
async fn an_irreversible_migration_refuses_the_downgrade_before_anything_runs() {
    let databases = TestDatabases::new();
    let files = vec![
        file("app", "r1", migration("r1", "", "", "CREATE TABLE one (id INTEGER);", Some("DROP TABLE one;"))),
        file("app", "r2", migration("r2", "r1", "", "CREATE TABLE two (id INTEGER);", None)),
        file("app", "r3", migration("r3", "r2", "", "CREATE TABLE three (id INTEGER);", Some("DROP TABLE three;"))),
    ];
    run_ok(request(upgrade_heads(), vec![databases.target("app", &files, &[])], Vec::new())).await;
    let (error, events) = run_refused(request(downgrade_to("base"), vec![databases.target("app", &files, &[])], Vec::new())).await;

    assert_eq!(
        error.to_string(),
        "database 'app': revision r2 (databases/app/versions/r2.sql) has no downgrade section, so it is \
         irreversible and the downgrade cannot pass it; pick a target that keeps it applied"
    );
    assert_refused_events(&events);
    // r3 was not downgraded although it comes before r2.
    assert_eq!(user_tables(&databases.path("app")).await, strings(&["one", "three", "two"]));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["r3"]));
}

#[tokio::test]
async fn an_edited_applied_file_refuses_the_run() {
    let databases = TestDatabases::new();
    let original = vec![file("app", "a1", migration("a1", "", "", "CREATE TABLE users (id INTEGER);", Some("DROP TABLE users;")))];
    run_ok(request(upgrade_heads(), vec![databases.target("app", &original, &[])], Vec::new())).await;
    let edited = vec![
        file("app", "a1", migration("a1", "", "", "CREATE TABLE users (id INTEGER, email TEXT);", Some("DROP TABLE users;"))),
        file("app", "a2", migration("a2", "a1", "", "CREATE TABLE posts (id INTEGER);", Some("DROP TABLE posts;"))),
    ];
    let (error, _) = run_refused(request(upgrade_heads(), vec![databases.target("app", &edited, &[])], Vec::new())).await;

    assert_eq!(
        error.to_string(),
        "database 'app': revision a1 (databases/app/versions/a1.sql) was edited after it was applied; restore it, \
         or add a new migration"
    );
    assert_eq!(user_tables(&databases.path("app")).await, strings(&["users"]));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a1"]));
}

#[tokio::test]
async fn downgrading_tool_registry_below_what_app_depends_on_is_refused() {
    let databases = TestDatabases::new();
    let tool_registry = || databases.target("tool_registry", &tool_registry_files(), &[]);
    let app = || databases.target("app", &app_files(), &[]);
    run_ok(request(upgrade_heads(), vec![tool_registry(), app()], Vec::new())).await;
    let (error, _) = run_refused(request(downgrade_to("t1"), vec![tool_registry()], vec![app()])).await;

    let RunError::DependantStillApplied { database, revision, dependant_database, dependant_revision, dependant_path } = &error
    else {
        panic!("unexpected error: {error}");
    };
    assert_eq!((database.as_str(), revision.as_str()), ("tool_registry", "t2"));
    assert_eq!(
        (dependant_database.as_str(), dependant_revision.as_str(), dependant_path.as_str()),
        ("app", "a2", "databases/app/versions/a2.sql")
    );
    assert_eq!(
        error.to_string(),
        "database 'tool_registry': the downgrade would remove revision t2, but revision a2 of 'app' \
         (databases/app/versions/a2.sql) depends on it and stays applied; downgrade 'app' below a2 first"
    );
    assert_eq!(version_rows(&databases.path("tool_registry")).await, strings(&["t2"]));
    assert_eq!(user_tables(&databases.path("tool_registry")).await, strings(&["tool_versions", "tools"]));
}

#[tokio::test]
async fn every_problem_is_reported_not_only_the_first() {
    let databases = TestDatabases::new();
    let postgres_only = |name: &str| {
        vec![file(name, "p1", "-- revision: p1\n-- down_revision: \n-- message: x\n\n-- upgrade postgres\nCREATE EXTENSION vector;\n".to_owned())]
    };
    let targets = vec![databases.target("one", &postgres_only("one"), &[]), databases.target("two", &postgres_only("two"), &[])];
    let (error, _) = run_refused(request(upgrade_heads(), targets, Vec::new())).await;

    assert_eq!(error.problems().len(), 2);
    assert_eq!(
        error.to_string(),
        "2 problems, nothing was run:\n  \
         - database 'one': revision p1 (databases/one/versions/p1.sql) has no upgrade section for sqlite; add '-- upgrade sqlite' or a plain '-- upgrade' section\n  \
         - database 'two': revision p1 (databases/two/versions/p1.sql) has no upgrade section for sqlite; add '-- upgrade sqlite' or a plain '-- upgrade' section"
    );
    assert_eq!(version_rows(&databases.path("one")).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_cycle_between_databases_is_refused_with_its_files() {
    let databases = TestDatabases::new();
    let targets = vec![
        databases.target("app", &app_files(), &[]),
        databases.target("tool_registry", &tool_registry_files(), &["app"]),
    ];
    let (error, events) = run_refused(request(upgrade_heads(), targets, Vec::new())).await;

    assert_eq!(
        error.to_string(),
        "the run's steps wait for each other in a cycle: app:a2 waits for tool_registry:t2 \
         (databases/app/versions/a2.sql (revision a2) depends on tool_registry:t2), tool_registry:t2 waits for \
         tool_registry:t1 ('tool_registry' runs its steps in plan order), tool_registry:t1 waits for app:a2 \
         (config of 'tool_registry' lists 'app' in 'after')"
    );
    assert_eq!(events.len(), 2);
    assert_eq!(version_rows(&databases.path("app")).await, Vec::<String>::new());
    assert!(!databases.path("app").exists() || user_tables(&databases.path("app")).await.is_empty());
}

#[tokio::test]
async fn a_dependency_on_an_unknown_database_is_refused() {
    let databases = TestDatabases::new();
    let files = vec![file("app", "a1", migration("a1", "", "billing:b1", "CREATE TABLE users (id INTEGER);", None))];
    let (error, _) = run_refused(request(upgrade_heads(), vec![databases.target("app", &files, &[])], Vec::new())).await;

    assert_eq!(
        error.to_string(),
        "database 'app': revision a1 (databases/app/versions/a1.sql) depends on database 'billing', which is not configured"
    );
}
