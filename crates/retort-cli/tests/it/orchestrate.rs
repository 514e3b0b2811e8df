//! End to end on SQLite files, through the binary: a cross-database dependency waited for
//! (proved from the history tables' timestamps), a failure stopping what depends on it while
//! an independent database finishes, a downgrade refused and then allowed with its dependant.

use crate::common::{Migration, TestProject, example_project};

/// `started_at` and `finished_at` of `revision`'s applied `direction` row in `database`.
fn history_times(
    project: &TestProject,
    database: &str,
    revision: &str,
    direction: &str,
) -> (String, String) {
    let rows = project.query(
        database,
        "SELECT revision || ' ' || direction || ' ' || started_at || ' ' || finished_at FROM retort_history WHERE outcome = 'applied'",
    );
    let found: Vec<(String, String)> = rows
        .iter()
        .filter_map(|row| {
            let parts: Vec<&str> = row.split(' ').collect();
            (parts.len() == 4 && parts[0] == revision && parts[1] == direction)
                .then(|| (parts[2].to_owned(), parts[3].to_owned()))
        })
        .collect();
    assert_eq!(found.len(), 1, "history of {database}: {rows:?}");
    found[0].clone()
}

#[test]
fn a_dependant_step_starts_after_its_dependency_is_committed() {
    let project = example_project();
    project.retort(&["upgrade"]).success();

    let (_, tools1_finished) = history_times(&project, "registry", "tools1", "upgrade");
    let (tools4_started, _) = history_times(&project, "app", "tools4", "upgrade");
    assert!(
        tools1_finished <= tools4_started,
        "tools4 started at {tools4_started}, tools1 finished at {tools1_finished}"
    );
    // One run id in both databases' history.
    let app_runs = project.query("app", "SELECT DISTINCT run_id FROM retort_history");
    assert_eq!(app_runs.len(), 1);
    assert_eq!(
        project.query("registry", "SELECT DISTINCT run_id FROM retort_history"),
        app_runs
    );
}

/// `registry` fails at r2; `app`'s a2 depends on registry:r2; `other` is independent.
fn project_with_a_failing_dependency() -> TestProject {
    let project = TestProject::with_databases(&["app", "other", "registry"]);
    let create = |revision: &'static str,
                  down_revision: &'static str,
                  depends_on: &'static str,
                  upgrade: &'static str| Migration {
        revision,
        down_revision,
        depends_on,
        message: "step",
        upgrade,
        downgrade: Some("SELECT 1;"),
        ..Migration::default()
    };
    project.migration(
        "registry",
        "1_r1.sql",
        &create("r1", "", "", "CREATE TABLE r1 (id INTEGER);"),
    );
    project.migration(
        "registry",
        "2_r2.sql",
        &create("r2", "r1", "", "INSERT INTO missing VALUES (1);"),
    );
    project.migration(
        "app",
        "1_a1.sql",
        &create("a1", "", "", "CREATE TABLE a1 (id INTEGER);"),
    );
    project.migration(
        "app",
        "2_a2.sql",
        &create("a2", "a1", "registry:r2", "CREATE TABLE a2 (id INTEGER);"),
    );
    project.migration(
        "other",
        "1_o1.sql",
        &create("o1", "", "", "CREATE TABLE o1 (id INTEGER);"),
    );
    project.migration(
        "other",
        "2_o2.sql",
        &create("o2", "o1", "", "CREATE TABLE o2 (id INTEGER);"),
    );
    project
}

#[test]
fn a_failure_stops_its_dependants_while_an_independent_database_finishes() {
    let project = project_with_a_failing_dependency();
    let run = project.retort(&["upgrade", "--keep-going"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "\
database  started at  now at  failed  error
app       base        a1              stopped: waits for 'registry', which failed
other     base        o2
registry  base        r1      r2      databases/registry/versions/2_r2.sql: upgrade of r2 failed at statement 1"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.trim_end().ends_with("no such table: missing"), "{}", run.stderr);
    assert!(!run.stderr.contains("app: upgrade a2"), "{}", run.stderr);
    assert_eq!(project.version_rows("app"), ["a1"]);
    assert_eq!(project.version_rows("other"), ["o2"]);
    assert_eq!(project.version_rows("registry"), ["r1"]);
    assert_eq!(project.tables("app"), ["a1"]);

    // Fail-fast (the default) stops app before a2 too, whatever the timing of the others.
    let again = project.retort(&["upgrade"]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(project.version_rows("app"), ["a1"]);
}

#[test]
fn a_downgrade_is_refused_below_a_dependency_and_allowed_with_its_dependant() {
    let project = example_project();
    project.retort(&["upgrade"]).success();
    project.retort(&["downgrade", "base", "--db", "registry"]).refused_with(
        2,
        &["error: database 'registry': the downgrade would remove revision tools1, but revision tools4 of 'app' (databases/app/versions/4_tools4.sql) depends on it and stays applied; downgrade 'app' below tools4 first"],
    );
    assert_eq!(project.version_rows("registry"), ["tools1"]);

    project.retort(&["downgrade", "base"]).success();
    assert!(project.version_rows("app").is_empty());
    assert!(project.version_rows("registry").is_empty());
    let (_, tools4_removed) = history_times(&project, "app", "tools4", "downgrade");
    let (tools1_removal_started, _) = history_times(&project, "registry", "tools1", "downgrade");
    assert!(
        tools4_removed <= tools1_removal_started,
        "tools1 removed from {tools1_removal_started}, tools4 at {tools4_removed}"
    );
}

#[test]
fn several_heads_are_reported_with_the_merge_command_and_all_applied() {
    let project = TestProject::with_databases(&["app"]);
    let create = |revision: &'static str, down_revision: &'static str| Migration {
        revision,
        down_revision,
        message: revision,
        upgrade: "SELECT 1;",
        downgrade: Some("SELECT 1;"),
        ..Migration::default()
    };
    project.migration("app", "1_a1.sql", &create("a1", ""));
    project.migration("app", "2_b2.sql", &create("b2", "a1"));
    project.migration("app", "3_c2.sql", &create("c2", "a1"));
    let run = project.retort(&["upgrade"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.starts_with(
            "warning: database 'app' has 2 heads (b2, c2), more than the 1 its config expects; merge them with: retort merge --db app heads -m \"merge heads\"\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(project.version_rows("app"), ["b2", "c2"]);
}
