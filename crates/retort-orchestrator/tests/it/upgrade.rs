//! Upgrades and downgrades across databases: dependency order, reaching head, a second run
//! with nothing to do.

use retort_orchestrator::DatabaseOutcome;

use crate::common::{
    TestDatabases, app_files, finished, position, request, run_ok, started, steps_run, strings, tool_registry_files,
    upgrade_heads, user_tables, version_rows,
};

#[tokio::test]
async fn app_runs_after_tool_registry_and_both_reach_head() {
    let databases = TestDatabases::new();
    // Listed app first: the order comes from app's depends_on, not from the request.
    let targets = vec![
        databases.target("app", &app_files(), &[]),
        databases.target("tool_registry", &tool_registry_files(), &[]),
    ];
    let report = run_ok(request(upgrade_heads(), targets, Vec::new())).await;

    assert!(report.is_success());
    assert_eq!(steps_run(&report), [("app", 2), ("tool_registry", 2)]);
    for database in &report.databases {
        assert_eq!(database.started_at, Vec::<String>::new());
        assert_eq!(database.outcome, DatabaseOutcome::Completed);
        assert_eq!(database.error, None);
    }
    assert_eq!(report.databases[0].now_at, strings(&["a2"]));
    assert_eq!(report.databases[1].now_at, strings(&["t2"]));
    assert_eq!(user_tables(&databases.path("tool_registry")).await, strings(&["tool_versions", "tools"]));
    assert_eq!(version_rows(&databases.path("tool_registry")).await, strings(&["t2"]));
    assert_eq!(user_tables(&databases.path("app")).await, strings(&["tool_links", "users"]));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
}

#[tokio::test]
async fn a_second_run_finds_nothing_to_do() {
    let databases = TestDatabases::new();
    let targets = || {
        vec![
            databases.target("app", &app_files(), &[]),
            databases.target("tool_registry", &tool_registry_files(), &[]),
        ]
    };
    run_ok(request(upgrade_heads(), targets(), Vec::new())).await;
    let second = run_ok(request(upgrade_heads(), targets(), Vec::new())).await;

    assert!(second.is_success());
    assert_eq!(steps_run(&second), [("app", 0), ("tool_registry", 0)]);
    assert_eq!(second.databases[1].started_at, strings(&["t2"]));
    assert_eq!(second.databases[1].now_at, strings(&["t2"]));
    assert_eq!(second.databases[0].started_at, strings(&["a2"]));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
}

#[tokio::test]
async fn app_alone_runs_once_tool_registry_is_there() {
    let databases = TestDatabases::new();
    let tool_registry = || databases.target("tool_registry", &tool_registry_files(), &[]);
    let app = || databases.target("app", &app_files(), &[]);
    run_ok(request(upgrade_heads(), vec![tool_registry()], vec![app()])).await;
    let report = run_ok(request(upgrade_heads(), vec![app()], vec![tool_registry()])).await;

    assert_eq!(steps_run(&report), [("app", 2)]);
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
}

#[tokio::test]
async fn config_after_orders_databases_without_dependencies() {
    let databases = TestDatabases::new();
    let files = |name: &str| {
        vec![crate::common::file(
            name,
            "x1",
            crate::common::migration("x1", "", "", &format!("CREATE TABLE {name}_t (id INTEGER);"), Some("SELECT 1;")),
        )]
    };
    let targets = vec![
        databases.target("alpha", &files("alpha"), &["omega"]),
        databases.target("omega", &files("omega"), &[]),
        databases.target("beta", &files("beta"), &[]),
    ];
    let (result, events) = crate::common::run_collecting(request(upgrade_heads(), targets, Vec::new())).await;
    assert!(result.is_ok_and(|report| report.is_success()));

    assert!(position(&events, finished("omega", "x1")) < position(&events, started("alpha", "x1")));
}

#[tokio::test]
async fn downgrade_runs_dependants_first_and_both_reach_base() {
    let databases = TestDatabases::new();
    let targets = || {
        vec![
            databases.target("tool_registry", &tool_registry_files(), &[]),
            databases.target("app", &app_files(), &[]),
        ]
    };
    run_ok(request(upgrade_heads(), targets(), Vec::new())).await;
    let (result, events) = crate::common::run_collecting(request(crate::common::downgrade_to("base"), targets(), Vec::new())).await;
    let report = result.unwrap_or_else(|error| panic!("run refused: {error}"));

    assert!(report.is_success());
    assert_eq!(steps_run(&report), [("app", 2), ("tool_registry", 2)]);
    // tool_registry removes t2 only once app's a2, which depends on it, is removed.
    assert!(position(&events, finished("app", "a2")) < position(&events, started("tool_registry", "t2")));
    assert_eq!(user_tables(&databases.path("app")).await, Vec::<String>::new());
    assert_eq!(user_tables(&databases.path("tool_registry")).await, Vec::<String>::new());
    assert_eq!(version_rows(&databases.path("tool_registry")).await, Vec::<String>::new());
}

#[tokio::test]
async fn stamp_records_heads_without_running_anything() {
    let databases = TestDatabases::new();
    let stamp = retort_orchestrator::Command::Stamp { targets: strings(&["heads"]), purge: false };
    let targets = vec![
        databases.target("app", &app_files(), &[]),
        databases.target("tool_registry", &tool_registry_files(), &[]),
    ];
    let (result, events) = crate::common::run_collecting(request(stamp, targets, Vec::new())).await;

    assert!(result.is_ok_and(|report| report.is_success()));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
    assert_eq!(version_rows(&databases.path("tool_registry")).await, strings(&["t2"]));
    assert_eq!(user_tables(&databases.path("app")).await, Vec::<String>::new());
    let directions: Vec<&str> = events
        .iter()
        .filter_map(|event| match event {
            retort_orchestrator::Event::StepStarted { direction, .. } => Some(direction.as_str()),
            _ => None,
        })
        .collect();
    assert!(!directions.is_empty() && directions.iter().all(|direction| *direction == "stamp"), "{directions:?}");
}
