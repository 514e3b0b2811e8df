//! A step waits for the cross-database dependency it declares: app's a2 (`depends_on:
//! tool_registry:t2`) starts only once t2 is committed, while app's a1 runs meanwhile; the
//! history tables' timestamps prove the order.

use retort_orchestrator::Event;

use crate::common::{
    Gate, RunningRun, TestDatabases, file, finished, gated_migration, history_times, migration, position, request,
    started, strings, upgrade_heads, version_rows,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_starts_only_once_its_dependency_is_committed() {
    let databases = TestDatabases::new();
    let gate = Gate::closed(&databases).await;
    let tool_registry = vec![
        file("tool_registry", "t1", migration("t1", "", "", "CREATE TABLE tools (id INTEGER);", Some("DROP TABLE tools;"))),
        file("tool_registry", "t2", gated_migration("t2", "t1", "", &gate)),
    ];
    let app = vec![
        file("app", "a1", migration("a1", "", "", "CREATE TABLE users (id INTEGER);", Some("DROP TABLE users;"))),
        file("app", "a2", migration("a2", "a1", "tool_registry:t2", "CREATE TABLE links (id INTEGER);", Some("DROP TABLE links;"))),
    ];
    let targets = vec![databases.target("app", &app, &[]), databases.target("tool_registry", &tool_registry, &[])];
    let mut run = RunningRun::start(request(upgrade_heads(), targets, Vec::new()));

    // t2 is held at the gate: app runs a1, then says a2 waits for t2, and does not start it.
    let waiting = run.wait_for(|event| matches!(event, Event::StepWaiting { .. })).await;
    assert_eq!(
        waiting,
        Event::StepWaiting {
            database: "app".to_owned(),
            index: 2,
            steps: 2,
            revision: "a2".to_owned(),
            waiting_for: strings(&["tool_registry:t2"]),
        }
    );
    assert!(run.seen.iter().any(finished("app", "a1")));
    // t2 may still be waiting for t1 when a2 starts waiting; it starts and stops at the gate.
    if !run.seen.iter().any(started("tool_registry", "t2")) {
        run.wait_for(started("tool_registry", "t2")).await;
    }
    assert!(!run.seen.iter().any(started("app", "a2")));
    gate.open().await;
    let (report, events) = run.finish().await;

    assert!(report.is_success(), "{report:?}");
    assert!(position(&events, finished("tool_registry", "t2")) < position(&events, started("app", "a2")));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
    // The history rows say the same: a1 ran while t2 was in progress, a2 began after t2's commit.
    let (a1_started, a1_finished) = history_times(&databases.path("app"), "a1").await;
    let (a2_started, _) = history_times(&databases.path("app"), "a2").await;
    let (t2_started, t2_finished) = history_times(&databases.path("tool_registry"), "t2").await;
    assert!(a1_finished <= t2_finished, "a1 finished at {a1_finished}, t2 at {t2_finished}");
    assert!(a1_started <= t2_finished);
    assert!(t2_started <= a2_started);
    assert!(t2_finished <= a2_started, "a2 started at {a2_started}, before t2 finished at {t2_finished}");
}

#[tokio::test]
async fn one_job_runs_one_step_at_a_time_and_every_database_shares_the_run_id() {
    let databases = TestDatabases::new();
    let single = |name: &str| {
        vec![
            file(name, "x1", migration("x1", "", "", &format!("CREATE TABLE {name}_1 (id INTEGER);"), Some("SELECT 1;"))),
            file(name, "x2", migration("x2", "x1", "", &format!("CREATE TABLE {name}_2 (id INTEGER);"), Some("SELECT 1;"))),
        ]
    };
    let targets = vec![databases.target("one", &single("one"), &[]), databases.target("two", &single("two"), &[])];
    let mut run_request = request(upgrade_heads(), targets, Vec::new());
    run_request.jobs = std::num::NonZeroUsize::new(1);
    let (report, events) = RunningRun::start(run_request).finish().await;

    assert!(report.is_success());
    let mut in_progress = 0;
    for event in &events {
        match event {
            Event::StepStarted { .. } => {
                in_progress += 1;
                assert_eq!(in_progress, 1, "{events:#?}");
            }
            Event::StepFinished { .. } => in_progress -= 1,
            _ => {}
        }
    }
    for name in ["one", "two"] {
        let run_ids = crate::common::query(&databases.path(name), "SELECT DISTINCT run_id FROM retort_history").await;
        assert_eq!(run_ids, strings(&["run-1"]));
    }
}
