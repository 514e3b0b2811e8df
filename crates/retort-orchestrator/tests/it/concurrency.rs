//! Two runs at once on the same databases: the locks and the re-plan under them make every
//! migration run once, and the run that waited finds nothing left to do rather than failing.

use retort_orchestrator::{Event, RunReport};

use crate::common::{
    TestDatabases, app_files, request, run_collecting, strings, tool_registry_files, upgrade_heads, version_rows,
};

fn report_of(result: Result<RunReport, retort_orchestrator::RunError>) -> RunReport {
    match result {
        Ok(report) => report,
        Err(error) => panic!("run refused: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_at_once_apply_each_migration_once() {
    let databases = TestDatabases::new();
    let targets = || {
        vec![
            databases.target("app", &app_files(), &[]),
            databases.target("tool_registry", &tool_registry_files(), &[]),
        ]
    };
    let mut second_request = request(upgrade_heads(), targets(), Vec::new());
    second_request.run_id = "run-2".to_owned();
    let (first, second) = tokio::join!(
        run_collecting(request(upgrade_heads(), targets(), Vec::new())),
        run_collecting(second_request),
    );
    let (first, second) = (report_of(first.0), report_of(second.0));

    assert!(first.is_success(), "{first:?}");
    assert!(second.is_success(), "{second:?}");
    for database in 0..2 {
        assert_eq!(first.databases[database].steps_run + second.databases[database].steps_run, 2);
    }
    assert_eq!(version_rows(&databases.path("tool_registry")).await, strings(&["t2"]));
    assert_eq!(version_rows(&databases.path("app")).await, strings(&["a2"]));
}

#[test]
fn the_run_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let databases = TestDatabases::new();
    let run_request = request(upgrade_heads(), vec![databases.target("app", &app_files(), &[])], Vec::new());
    let mut on_event = |_: &Event| {};
    let future = retort_orchestrator::run(run_request, &mut on_event);
    assert_send(&future);
}
