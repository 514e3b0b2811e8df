//! `downgrade --run RUN_ID` and `plan --run RUN_ID` on SQLite (the three-engine test is in
//! `servers/rollback.rs`): the run's upgrades are taken back out of every database it touched.

use crate::common::example_project;

/// The `run_id` of the JSON events of a run.
fn run_id(stdout: &str) -> String {
    let first = stdout.lines().next().unwrap_or_default();
    let event: serde_json::Value = serde_json::from_str(first).expect("a JSON event");
    event["run_id"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_run_is_rolled_back_and_the_other_runs_stay() {
    let project = example_project();
    project
        .retort(&["upgrade", "invoices3", "--db", "app"])
        .success();
    let upgrade = project.retort(&["upgrade", "--format", "json"]);
    let release = run_id(upgrade.success());

    project.retort(&["plan", "--run", &release]).check(
        0,
        &format!(
            "rollback of run {release}: 4 steps in 2 databases, 4 waves

database  from    to         steps
app       login6  invoices3  3
registry  tools1  base       1

wave  database  step              message                  waits for
1     app       downgrade login6  add last login
2     app       downgrade merge5  merge billing and tools
3     app       downgrade tools4  link projects to tools
4     registry  downgrade tools1  create tools             app:tools4
"
        ),
        "",
    );
    project.retort(&["downgrade", "--run", &release]).success();
    assert_eq!(project.version_rows("app"), ["invoices3"]);
    assert_eq!(project.version_rows("registry"), Vec::<String>::new());
    assert_eq!(project.tables("app"), ["invoices", "projects", "users"]);
}

#[test]
fn downgrade_takes_a_target_or_a_run_not_both() {
    let project = example_project();
    project
        .retort(&["downgrade", "--run", "r1", "base"])
        .fails_with(
            2,
            "error: the argument '--run <RUN_ID>' cannot be used with '[TARGET]'",
        );
    project.retort(&["downgrade"]).fails_with(
        2,
        "error: the following required arguments were not provided:",
    );
}
