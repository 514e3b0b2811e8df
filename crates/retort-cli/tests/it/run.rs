//! `upgrade`, `downgrade` and `stamp` against SQLite databases: one plain line per step on
//! stderr, the summary table, the databases' tables and version rows afterwards.

use crate::common::{Migration, TestProject, example_project};

/// `app` with `a1 -> b2`, and `c3` on top whose second statement fails.
fn project_with_failing_migration() -> TestProject {
    let project = TestProject::with_databases(&["app"]);
    let migrations = [
        (
            "1_a1.sql",
            Migration {
                revision: "a1",
                message: "one",
                upgrade: "CREATE TABLE t (id INTEGER);",
                downgrade: Some("DROP TABLE t;"),
                ..Migration::default()
            },
        ),
        (
            "2_b2.sql",
            Migration {
                revision: "b2",
                down_revision: "a1",
                message: "two",
                upgrade: "CREATE TABLE u (id INTEGER);",
                downgrade: Some("DROP TABLE u;"),
                ..Migration::default()
            },
        ),
        (
            "3_c3.sql",
            Migration {
                revision: "c3",
                down_revision: "b2",
                message: "three",
                upgrade: "CREATE TABLE v (id INTEGER);\nINSERT INTO missing VALUES (1);",
                downgrade: Some("DROP TABLE v;"),
                ..Migration::default()
            },
        ),
    ];
    for (file_name, migration) in &migrations {
        project.migration("app", file_name, migration);
    }
    project
}

#[test]
fn upgrade_prints_a_line_per_step_and_applies_them() {
    let project = project_with_failing_migration();
    project.retort(&["upgrade", "b2"]).check(
        0,
        "",
        "\
app: at base, 2 steps to run
app: upgrade a1 (one) ... ok [TIME]
app: upgrade b2 (two) ... ok [TIME]
",
    );
    assert_eq!(project.version_rows("app"), ["b2"]);
    assert_eq!(project.tables("app"), ["t", "u"]);
    project
        .retort(&["upgrade", "b2"])
        .check(0, "", "app: at b2, nothing to do\n");
    project
        .retort(&["--quiet", "downgrade", "base"])
        .check(0, "", "");
    assert!(project.version_rows("app").is_empty());
    assert!(project.tables("app").is_empty());
}

#[test]
fn a_failed_migration_exits_1_with_the_summary_and_rolls_back() {
    let project = project_with_failing_migration();
    let run = project.retort(&["upgrade"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.starts_with(
        "\
app: at base, 3 steps to run
app: upgrade a1 (one) ... ok [TIME]
app: upgrade b2 (two) ... ok [TIME]
app: upgrade c3 (three) ... failed
database  started at  now at  failed  error
app       base        b2      c3      databases/app/versions/3_c3.sql: upgrade of c3 failed at statement 2 `INSERT INTO missing VALUES (1)`; rolled back, the database is unchanged: "
    ), "{}", run.stderr);
    assert!(
        run.stderr.contains("no such table: missing"),
        "{}",
        run.stderr
    );
    assert_eq!(project.version_rows("app"), ["b2"]);
    assert_eq!(project.tables("app"), ["t", "u"]);
    let quiet = project.retort(&["--quiet", "upgrade"]);
    assert_eq!(quiet.code, 1);
    assert!(
        quiet
            .stderr
            .starts_with("database  started at  now at  failed  error\n"),
        "{}",
        quiet.stderr
    );
}

#[test]
fn bad_targets_exit_2_before_anything_runs() {
    let project = project_with_failing_migration();
    project.retort(&["upgrade", "nothing"]).check(
        2,
        "",
        "error: database 'app': no such revision or branch 'nothing'\n",
    );
    project.retort(&["downgrade", "-1"]).fails_with(
        2,
        "error: database 'app': relative revision -1 didn't produce 1 migrations",
    );
    assert!(project.tables("app").is_empty());
}

#[test]
fn irreversible_migrations_stop_a_downgrade_before_it_starts() {
    let project = TestProject::with_databases(&["app"]);
    project.migration(
        "app",
        "1_a1.sql",
        &Migration {
            revision: "a1",
            message: "one",
            upgrade: "CREATE TABLE t (id INTEGER);",
            ..Migration::default()
        },
    );
    project.retort(&["upgrade"]).success();
    project.retort(&["downgrade", "base"]).check(
        2,
        "",
        "error: database 'app': revision a1 (databases/app/versions/1_a1.sql) has no downgrade section, so it is irreversible and the downgrade cannot pass it; pick a target that keeps it applied\n",
    );
    assert_eq!(project.version_rows("app"), ["a1"]);
}

#[test]
fn an_edited_applied_file_stops_the_upgrade() {
    let project = project_with_failing_migration();
    project.retort(&["upgrade", "a1"]).success();
    let path = "databases/app/versions/1_a1.sql";
    project.write(
        path,
        &project
            .read(path)
            .replace("id INTEGER", "id INTEGER, name TEXT"),
    );
    project.retort(&["upgrade", "b2"]).fails_with(
        2,
        "error: database 'app': revision a1 (databases/app/versions/1_a1.sql) was edited after it was applied; restore it, or add a new migration",
    );
    assert_eq!(project.version_rows("app"), ["a1"]);
}

#[test]
fn several_databases_run_dependencies_first_and_end_with_a_summary() {
    let project = example_project();
    let run = project.retort(&["upgrade"]);
    assert_eq!(run.code, 0, "{run:?}");
    let registry_step = run
        .stderr
        .find("registry: upgrade tools1 (create tools) ... ok")
        .expect("registry step");
    let app_step = run
        .stderr
        .find("app: upgrade tools4 (link projects to tools) ... ok")
        .expect("app step");
    assert!(registry_step < app_step, "{}", run.stderr);
    assert!(
        run.stderr.ends_with(
            "\
database  started at  now at  failed  error
app       base        login6
registry  base        tools1
"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(project.version_rows("app"), ["login6"]);
    assert_eq!(project.version_rows("registry"), ["tools1"]);
}

#[test]
fn a_cross_database_dependency_must_be_applied_first() {
    let project = example_project();
    project.retort(&["upgrade", "--db", "app"]).fails_with(
        2,
        "error: database 'app': revision tools4 (databases/app/versions/4_tools4.sql) depends on registry:tools1, which is not applied; run 'upgrade --db registry' first",
    );
    project
        .retort(&["upgrade", "--db", "app", "invoices3"])
        .success();
    assert_eq!(project.version_rows("app"), ["invoices3"]);
}

#[test]
fn keep_going_lets_independent_databases_finish() {
    let project = TestProject::with_databases(&["good", "bad"]);
    project.migration(
        "good",
        "1_g1.sql",
        &Migration {
            revision: "g1",
            message: "fine",
            upgrade: "CREATE TABLE g (id INTEGER);",
            downgrade: Some("DROP TABLE g;"),
            ..Migration::default()
        },
    );
    project.migration(
        "bad",
        "1_b1.sql",
        &Migration {
            revision: "b1",
            message: "broken",
            upgrade: "INSERT INTO missing VALUES (1);",
            downgrade: Some(""),
            ..Migration::default()
        },
    );
    let run = project.retort(&["upgrade", "--keep-going"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "\nbad       base        base    b1      databases/bad/versions/1_b1.sql: upgrade of b1 failed"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("\ngood      base        g1\n"),
        "{}",
        run.stderr
    );
    assert_eq!(project.version_rows("good"), ["g1"]);
}

#[test]
fn stamp_rewrites_rows_without_running_anything() {
    let project = project_with_failing_migration();
    project.retort(&["stamp", "b2"]).check(
        0,
        "",
        "app: at base, 1 step to run\napp: stamp b2 (two) ... ok [TIME]\n",
    );
    assert_eq!(project.version_rows("app"), ["b2"]);
    assert!(project.tables("app").is_empty());
    project.retort(&["stamp", "--purge", "a1"]).success();
    assert_eq!(project.version_rows("app"), ["a1"]);
}
