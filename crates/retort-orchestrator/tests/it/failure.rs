//! A failing migration: its database stays at the previous revision, what depends on it never
//! starts, fail-fast stops the rest, keep-going lets independent databases carry on.

use retort_orchestrator::{DatabaseOutcome, Event, RunReport};

use crate::common::{
    TestDatabases, app_files, file, migration, request, run_collecting, steps_run, strings, tool_registry_files,
    upgrade_heads, user_tables, version_rows,
};

/// audit and zeta are independent; app depends on tool_registry and its a3 fails; search runs
/// after app. The run order is audit, tool_registry, app, search, zeta.
async fn run_with_failing_app(keep_going: bool) -> (TestDatabases, RunReport, Vec<Event>) {
    let databases = TestDatabases::new();
    let mut app = app_files();
    app.push(file("app", "a3", migration("a3", "a2", "", "CREATE TABLE broken (;", Some("SELECT 1;"))));
    let single = |name: &str| {
        vec![file(name, "s1", migration("s1", "", "", &format!("CREATE TABLE {name}_table (id INTEGER);"), Some("SELECT 1;")))]
    };
    let targets = vec![
        databases.target("zeta", &single("zeta"), &[]),
        databases.target("search", &single("search"), &["app"]),
        databases.target("app", &app, &[]),
        databases.target("tool_registry", &tool_registry_files(), &[]),
        databases.target("audit", &single("audit"), &[]),
    ];
    let mut run_request = request(upgrade_heads(), targets, Vec::new());
    run_request.keep_going = keep_going;
    let (result, events) = run_collecting(run_request).await;
    match result {
        Ok(report) => (databases, report, events),
        Err(error) => panic!("run refused: {error}"),
    }
}

#[tokio::test]
async fn a_failed_migration_stops_its_database_its_dependants_and_the_run() {
    let (databases, report, events) = run_with_failing_app(false).await;

    assert!(!report.is_success());
    assert_eq!(steps_run(&report), [("audit", 1), ("tool_registry", 2), ("app", 2), ("search", 0), ("zeta", 0)]);
    let outcomes: Vec<&DatabaseOutcome> = report.databases.iter().map(|database| &database.outcome).collect();
    assert_eq!(
        outcomes,
        [
            &DatabaseOutcome::Completed,
            &DatabaseOutcome::Completed,
            &DatabaseOutcome::Failed,
            &DatabaseOutcome::BlockedBy { database: "app".to_owned() },
            &DatabaseOutcome::StoppedAfter { database: "app".to_owned() },
        ]
    );
    let app = &report.databases[2];
    assert_eq!(app.started_at, Vec::<String>::new());
    assert_eq!(app.now_at, strings(&["a2"]));
    assert_eq!(app.failed_revision.as_deref(), Some("a3"));
    let error = app.error.clone().unwrap_or_default();
    assert!(error.starts_with("upgrade of a3 failed"), "{error}");
    assert!(error.contains("syntax error"), "{error}");

    // The failed migration left nothing behind; the steps before it stay applied.
    assert_eq!(user_tables(&databases.path("app")).await, strings(&["tool_links", "users"]));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
    assert_eq!(user_tables(&databases.path("search")).await, Vec::<String>::new());
    assert_eq!(user_tables(&databases.path("zeta")).await, Vec::<String>::new());
    assert_eq!(version_rows(&databases.path("zeta")).await, Vec::<String>::new());

    assert!(events.contains(&Event::StepFailed { database: "app".to_owned(), revision: "a3".to_owned(), error: error.clone() }));
    assert!(events.contains(&Event::DatabaseFinished { database: "app".to_owned(), now: strings(&["a2"]) }));
    assert_eq!(events.last(), Some(&Event::RunFinished { run_id: "run-1".to_owned(), ok: false }));
    let planned: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            Event::DatabasePlanned { database, .. } => Some(database.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(planned, ["audit", "tool_registry", "app"]);
}

#[tokio::test]
async fn keep_going_lets_independent_databases_carry_on() {
    let (databases, report, _) = run_with_failing_app(true).await;

    assert!(!report.is_success());
    assert_eq!(steps_run(&report), [("audit", 1), ("tool_registry", 2), ("app", 2), ("search", 0), ("zeta", 1)]);
    assert_eq!(report.databases[3].outcome, DatabaseOutcome::BlockedBy { database: "app".to_owned() });
    assert_eq!(report.databases[4].outcome, DatabaseOutcome::Completed);
    assert_eq!(version_rows(&databases.path("zeta")).await, strings(&["s1"]));
    assert_eq!(user_tables(&databases.path("search")).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_lock_held_elsewhere_fails_the_database_after_its_timeout_and_is_left_alone() {
    let databases = TestDatabases::new();
    let target = || {
        let mut target = databases.target("tool_registry", &tool_registry_files(), &[]);
        target.lock_timeout = std::time::Duration::from_millis(200);
        target
    };
    let mut other_runner = match retort_db::connect(&target().backend).await {
        Ok(backend) => backend,
        Err(error) => panic!("{error}"),
    };
    let other_holder = retort_db::LockHolder::for_this_process("other-run");
    if let Err(error) = other_runner.ensure_tables().await {
        panic!("{error}");
    }
    if let Err(error) = other_runner.lock(&other_holder, std::time::Duration::from_secs(5)).await {
        panic!("{error}");
    }

    let (result, events) = run_collecting(request(upgrade_heads(), vec![target()], Vec::new())).await;
    let report = match result {
        Ok(report) => report,
        Err(error) => panic!("run refused: {error}"),
    };
    assert_eq!(report.databases[0].outcome, DatabaseOutcome::Failed);
    assert_eq!(report.databases[0].steps_run, 0);
    assert_eq!(report.databases[0].failed_revision, None);
    let error = report.databases[0].error.clone().unwrap_or_default();
    assert!(error.contains("other-run"), "{error}");
    assert_eq!(
        events,
        [
            Event::RunStarted { run_id: "run-1".to_owned(), databases: strings(&["tool_registry"]) },
            Event::DatabaseFinished { database: "tool_registry".to_owned(), now: Vec::new() },
            Event::RunFinished { run_id: "run-1".to_owned(), ok: false },
        ]
    );
    assert_eq!(version_rows(&databases.path("tool_registry")).await, Vec::<String>::new());

    // The other runner still holds its lock; once it lets go, a run goes through.
    if let Err(error) = other_runner.unlock().await {
        panic!("{error}");
    }
    if let Err(error) = other_runner.close().await {
        panic!("{error}");
    }
    let (result, _) = run_collecting(request(upgrade_heads(), vec![target()], Vec::new())).await;
    assert!(result.is_ok_and(|report| report.is_success()));
    assert_eq!(version_rows(&databases.path("tool_registry")).await, strings(&["t2"]));
}
