//! A failing migration: its database stays at the previous revision, what waits for it never
//! starts, fail-fast lets the others finish the step in hand and stop, keep-going lets
//! independent databases carry on.

use retort_orchestrator::{DatabaseOutcome, Event};

use crate::common::{
    Gate, RunningRun, TestDatabases, app_files, file, gated_migration, migration, request, run_collecting, steps_run,
    strings, tool_registry_files, upgrade_heads, user_tables, version_rows,
};

fn failed_step(database: &str) -> impl Fn(&Event) -> bool {
    let database = database.to_owned();
    move |event| matches!(event, Event::StepFailed { database: d, .. } if *d == database)
}

/// `bad` fails at once; `other` is independent, its first step held at `gate`; `later` runs
/// after `bad` (config `after`).
fn targets(databases: &TestDatabases, gate: &Gate) -> Vec<retort_orchestrator::DatabaseTarget> {
    let other = vec![
        file("other", "o1", gated_migration("o1", "", "", gate)),
        file("other", "o2", migration("o2", "o1", "", "CREATE TABLE o2 (id INTEGER);", Some("DROP TABLE o2;"))),
    ];
    let bad = vec![file("bad", "b1", migration("b1", "", "", "CREATE TABLE broken (;", Some("SELECT 1;")))];
    let later = vec![file("later", "l1", migration("l1", "", "", "CREATE TABLE l1 (id INTEGER);", Some("SELECT 1;")))];
    vec![
        databases.target("other", &other, &[]),
        databases.target("bad", &bad, &[]),
        databases.target("later", &later, &["bad"]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_lets_other_databases_finish_the_step_in_hand_and_stop() {
    let databases = TestDatabases::new();
    let gate = Gate::closed(&databases).await;
    let mut run = RunningRun::start(request(upgrade_heads(), targets(&databases, &gate), Vec::new()));
    run.wait_for(failed_step("bad")).await;
    gate.open().await;
    let (report, events) = run.finish().await;

    assert!(!report.is_success());
    assert_eq!(steps_run(&report), [("bad", 0), ("later", 0), ("other", 1)]);
    let outcomes: Vec<&DatabaseOutcome> = report.databases.iter().map(|database| &database.outcome).collect();
    assert_eq!(
        outcomes,
        [
            &DatabaseOutcome::Failed,
            &DatabaseOutcome::BlockedBy { database: "bad".to_owned() },
            &DatabaseOutcome::StoppedAfter { database: "bad".to_owned() },
        ]
    );
    assert_eq!(report.databases[0].failed_revision.as_deref(), Some("b1"));
    assert_eq!(version_rows(&databases.path("other")).await, strings(&["o1"]));
    assert_eq!(user_tables(&databases.path("later")).await, Vec::<String>::new());
    assert!(!events.iter().any(|event| matches!(event, Event::StepStarted { revision, .. } if revision == "o2" || revision == "l1")));
    assert!(events.contains(&Event::DatabaseFinished {
        database: "other".to_owned(),
        now: strings(&["o1"]),
        steps_run: 1,
        outcome: DatabaseOutcome::StoppedAfter { database: "bad".to_owned() },
    }));
    assert!(matches!(events.last(), Some(Event::RunFinished { ok: false, .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_going_lets_independent_databases_finish_but_not_dependants() {
    let databases = TestDatabases::new();
    let gate = Gate::closed(&databases).await;
    let mut run_request = request(upgrade_heads(), targets(&databases, &gate), Vec::new());
    run_request.keep_going = true;
    let mut run = RunningRun::start(run_request);
    run.wait_for(failed_step("bad")).await;
    gate.open().await;
    let (report, _) = run.finish().await;

    assert_eq!(steps_run(&report), [("bad", 0), ("later", 0), ("other", 2)]);
    assert_eq!(report.databases[1].outcome, DatabaseOutcome::BlockedBy { database: "bad".to_owned() });
    assert_eq!(report.databases[2].outcome, DatabaseOutcome::Completed);
    assert_eq!(version_rows(&databases.path("other")).await, strings(&["o2"]));
    assert_eq!(user_tables(&databases.path("later")).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_failed_migration_rolls_back_and_stops_what_waits_for_it() {
    let databases = TestDatabases::new();
    let mut app = app_files();
    app.push(file("app", "a3", migration("a3", "a2", "", "CREATE TABLE broken (;", Some("SELECT 1;"))));
    let search = vec![file("search", "s1", migration("s1", "", "", "CREATE TABLE s1 (id INTEGER);", Some("SELECT 1;")))];
    let targets = vec![
        databases.target("search", &search, &["app"]),
        databases.target("app", &app, &[]),
        databases.target("tool_registry", &tool_registry_files(), &[]),
    ];
    let (result, events) = run_collecting(request(upgrade_heads(), targets, Vec::new())).await;
    let report = match result {
        Ok(report) => report,
        Err(error) => panic!("run refused: {error}"),
    };

    assert_eq!(steps_run(&report), [("app", 2), ("search", 0), ("tool_registry", 2)]);
    let app = &report.databases[0];
    assert_eq!(app.outcome, DatabaseOutcome::Failed);
    assert_eq!(app.started_at, Vec::<String>::new());
    assert_eq!(app.now_at, strings(&["a2"]));
    assert_eq!(app.failed_revision.as_deref(), Some("a3"));
    let error = app.error.clone().unwrap_or_default();
    assert!(error.starts_with("upgrade of a3 failed"), "{error}");
    assert!(error.contains("syntax error"), "{error}");
    assert_eq!(report.databases[1].outcome, DatabaseOutcome::BlockedBy { database: "app".to_owned() });
    assert_eq!(report.databases[2].outcome, DatabaseOutcome::Completed);
    // The failed migration left nothing behind; the steps before it stay applied.
    assert_eq!(user_tables(&databases.path("app")).await, strings(&["tool_links", "users"]));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
    assert_eq!(user_tables(&databases.path("search")).await, Vec::<String>::new());
    assert!(events.iter().any(|event| matches!(
        event,
        Event::StepFailed { database, revision, error: text, index: 3, steps: 3, .. } if database == "app" && revision == "a3" && *text == error
    )));
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
    let holder = format!("pid {} on {} (run other-run)", other_holder.pid, other_holder.host);
    assert_eq!(events.len(), 4, "{events:#?}");
    assert_eq!(events[1], Event::WaitingForLock { database: "tool_registry".to_owned(), holder });
    assert_eq!(
        events[2],
        Event::DatabaseFinished { database: "tool_registry".to_owned(), now: Vec::new(), steps_run: 0, outcome: DatabaseOutcome::Failed }
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
