//! Bad input, one test per case of issue 2 (item 6): each is refused with one message that names
//! the file and line, or the database and revision, and says what to do; the exit code is 2 (1
//! when a migration's own SQL fails); nothing panics; and the database, migrated to `b2` first so
//! that "as it was" is not empty, is left exactly as it was.

use crate::common::{DatabaseState, Migration, TestProject};

/// `app` with `a1 -> b2` applied: tables `t` and `u`, version row `b2`.
fn applied_project() -> (TestProject, DatabaseState) {
    let project = TestProject::with_databases(&["app"]);
    project.migration(
        "app",
        "1_a1.sql",
        &Migration {
            revision: "a1",
            message: "one",
            upgrade: "CREATE TABLE t (id INTEGER);",
            downgrade: Some("DROP TABLE t;"),
            ..Migration::default()
        },
    );
    project.migration(
        "app",
        "2_b2.sql",
        &Migration {
            revision: "b2",
            down_revision: "a1",
            message: "two",
            upgrade: "CREATE TABLE u (id INTEGER);",
            downgrade: Some("DROP TABLE u;"),
            ..Migration::default()
        },
    );
    project.retort(&["upgrade"]).success();
    let before = project.state("app");
    assert_eq!(before.version_rows, ["b2"]);
    assert!(before.schema.contains(&"table u".to_owned()), "{before:?}");
    (project, before)
}

/// A pending migration `revision` on top of `down_revision` that creates table `table`.
fn pending(
    project: &TestProject,
    file_name: &str,
    revision: &str,
    down_revision: &str,
    table: &str,
) {
    project.write(
        &format!("databases/app/versions/{file_name}"),
        &format!(
            "-- revision: {revision}\n-- down_revision: {down_revision}\n-- message: add {table}\n\n-- upgrade\nCREATE TABLE {table} (id INTEGER);\n\n-- downgrade\nDROP TABLE {table};\n"
        ),
    );
}

/// Asserts that stderr is exactly one line, the `error:` message.
#[track_caller]
fn assert_one_error_line(stderr: &str) {
    assert!(
        stderr.starts_with("error: ") && stderr.lines().count() == 1,
        "expected one error line:\n{stderr}"
    );
}

#[test]
fn a_malformed_header_line_is_named_with_its_file_and_line() {
    let (project, before) = applied_project();
    project.write(
        "databases/app/versions/3_c3.sql",
        "-- revision: c3\n-- down_revision b2\n-- message: three\n\n-- upgrade\nCREATE TABLE v (id INTEGER);\n",
    );
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "error: databases/app/versions/3_c3.sql:2: ",
            "expected a header line '-- key: value'",
            "found '-- down_revision b2'",
        ],
    );
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn an_unknown_header_key_is_named_with_the_known_ones() {
    let (project, before) = applied_project();
    project.write(
        "databases/app/versions/3_c3.sql",
        "-- revision: c3\n-- down_revision: b2\n-- colour: blue\n-- message: three\n\n-- upgrade\nCREATE TABLE v (id INTEGER);\n",
    );
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "error: databases/app/versions/3_c3.sql:3: unknown header key 'colour'",
            "known keys: revision, down_revision,",
        ],
    );
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_duplicate_revision_id_names_both_files() {
    let (project, before) = applied_project();
    pending(&project, "3_copy_of_b2.sql", "b2", "a1", "v");
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "error: databases/app/versions/3_copy_of_b2.sql:1: revision b2 is present more than once (also in databases/app/versions/2_b2.sql)",
            "give one of them a new id",
        ],
    );
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_down_revision_that_no_file_has_is_named_with_its_line() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "zz99", "v");
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "error: databases/app/versions/3_c3.sql:2: ",
            "revision zz99 referenced from revision c3 as a down_revision is not present",
        ],
    );
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_cycle_is_named_with_its_revisions() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "d4", "v");
    pending(&project, "4_d4.sql", "d4", "c3", "w");
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "error: databases/app/versions/3_c3.sql:2: ",
            "cycle is detected in revisions (c3, d4)",
        ],
    );
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_file_that_is_not_utf8_is_named_with_its_line() {
    let (project, before) = applied_project();
    project.write_bytes(
        "databases/app/versions/3_c3.sql",
        b"-- revision: c3\n-- down_revision: b2\n-- message: caf\xe9\n\n-- upgrade\nCREATE TABLE v (id INTEGER);\n",
    );
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "error: databases/app/versions/3_c3.sql:3: file is not valid UTF-8",
            "save it as UTF-8",
        ],
    );
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn an_unknown_target_is_named_with_its_database() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "b2", "v");
    let run = project.retort(&["upgrade", "nothing"]);
    run.check(
        2,
        "",
        "error: database 'app': no such revision or branch 'nothing'\n",
    );
    run.refused_with(2, &[]);
    assert_eq!(project.state("app"), before);
}

#[test]
fn an_ambiguous_target_lists_the_candidates() {
    let (project, before) = applied_project();
    pending(&project, "3_abc1.sql", "abc1", "b2", "v");
    pending(&project, "4_abc2.sql", "abc2", "abc1", "w");
    let run = project.retort(&["upgrade", "abc"]);
    run.refused_with(
        2,
        &["error: database 'app': multiple revisions start with 'abc': 'abc1', 'abc2'"],
    );
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn head_with_two_heads_says_to_name_one_or_use_heads() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "b2", "v");
    pending(&project, "4_c4.sql", "c4", "b2", "w");
    let run = project.retort(&["upgrade", "head"]);
    run.refused_with(
        2,
        &[
            "error: database 'app': multiple head revisions are present for given argument 'head' (c3, c4)",
            "please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads",
        ],
    );
    // Before the error, the warning that says how to merge the two heads.
    let (warning, error) = run.stderr.split_once('\n').unwrap_or_default();
    assert_eq!(
        warning,
        "warning: database 'app' has 2 heads (c3, c4), more than the 1 its config expects; merge them with: retort merge --db app heads -m \"merge heads\""
    );
    assert_one_error_line(error);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_downgrade_through_an_irreversible_migration_names_it_before_anything_runs() {
    let (project, _) = applied_project();
    project.migration(
        "app",
        "3_c3.sql",
        &Migration {
            revision: "c3",
            down_revision: "b2",
            message: "three",
            upgrade: "CREATE TABLE v (id INTEGER);",
            downgrade: None,
            ..Migration::default()
        },
    );
    pending(&project, "4_d4.sql", "d4", "c3", "w");
    project.retort(&["upgrade"]).success();
    let before = project.state("app");
    assert_eq!(before.version_rows, ["d4"]);
    let run = project.retort(&["downgrade", "a1"]);
    run.check(
        2,
        "",
        "error: database 'app': revision c3 (databases/app/versions/3_c3.sql) has no downgrade section, so it is irreversible and the downgrade cannot pass it; pick a target that keeps it applied\n",
    );
    run.refused_with(2, &[]);
    // d4 comes first in the downgrade and is reversible; it was not run either.
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_revision_in_the_database_that_no_file_has_cannot_be_located() {
    let (project, before) = applied_project();
    std::fs::remove_file(project.path("databases/app/versions/2_b2.sql")).expect("remove b2");
    for args in [&["upgrade"][..], &["downgrade", "base"], &["current"]] {
        let run = project.retort(args);
        run.refused_with(
            2,
            &[
                "error: database 'app': can't locate revision identified by 'b2', recorded in the version table",
                "add the missing file, or use 'stamp --purge' to reset the table",
            ],
        );
        assert_one_error_line(&run.stderr);
    }
    assert_eq!(project.state("app"), before);
}

#[test]
fn an_applied_migration_whose_file_was_edited_stops_the_upgrade() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "b2", "v");
    let path = "databases/app/versions/1_a1.sql";
    project.write(
        path,
        &project
            .read(path)
            .replace("id INTEGER", "id INTEGER, name TEXT"),
    );
    let run = project.retort(&["upgrade"]);
    run.check(
        2,
        "",
        "error: database 'app': revision a1 (databases/app/versions/1_a1.sql) was edited after it was applied; restore it, or add a new migration\n",
    );
    run.refused_with(2, &[]);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_broken_config_is_named_with_its_file_and_line() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "b2", "v");
    project.write(
        "config/retort.toml",
        "[databases.app]\nurl = \"sqlite:data/app.db\"\nlock_timeout_secs = 5\n[databases.app.extra\n",
    );
    let run = project.retort(&["upgrade"]);
    run.refused_with(2, &["error: config/retort.toml:4:21: invalid TOML: "]);
    assert_one_error_line(&run.stderr);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_failing_statement_exits_1_names_the_file_and_rolls_back() {
    let (project, before) = applied_project();
    project.migration(
        "app",
        "3_c3.sql",
        &Migration {
            revision: "c3",
            down_revision: "b2",
            message: "three",
            upgrade: "CREATE TABLE v (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
            downgrade: Some("DROP TABLE v;"),
            ..Migration::default()
        },
    );
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        1,
        &[
            "app: upgrade c3 (three) ... failed\n",
            "\napp       b2          b2      c3      databases/app/versions/3_c3.sql: upgrade of c3 failed at statement 2 `INSERT INTO nowhere VALUES (1)`; rolled back, the database is unchanged",
        ],
    );
    assert_eq!(
        run.stderr.matches("no such table: nowhere").count(),
        1,
        "the cause is printed once:\n{}",
        run.stderr
    );
    // Only the history changed: one `failed` row for c3.
    let after = project.state("app");
    let mut expected = before.clone();
    expected.history.push("c3 upgrade failed".to_owned());
    assert_eq!(after, expected);
}

#[test]
fn a_lock_held_by_another_runner_times_out_naming_the_holder() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "b2", "v");
    project.write(
        "config/retort.toml",
        "[databases.app]\nurl = \"sqlite:data/app.db\"\nlock_timeout_secs = 1\n",
    );
    // The lease row a runner on another host writes while it migrates this database.
    project.execute(
        "app",
        "INSERT INTO retort_lock (id, host, pid, run_id, acquired_at) \
         VALUES (1, 'deploy-7', 4242, 'run-of-the-other-runner', '2026-11-21T10:00:00.000Z')",
    );
    let before = DatabaseState {
        lock: vec!["deploy-7 4242 run-of-the-other-runner".to_owned()],
        ..before
    };
    assert_eq!(project.state("app"), before);
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "app: waiting for the migration lock held by pid 4242 on deploy-7 (run run-of-the-other-runner)\n",
            "\napp       b2          b2              timed out after 1s waiting for the migration lock held by pid 4242 on deploy-7 (run run-of-the-other-runner) since 2026-11-21T10:00:00.000Z",
            "wait for that run to finish or stop it",
        ],
    );
    assert!(
        !run.stderr.contains("app: upgrade c3"),
        "no step started:\n{}",
        run.stderr
    );
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_database_that_is_not_configured_lists_the_configured_ones() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "b2", "v");
    let run = project.retort(&["upgrade", "--db", "ap"]);
    run.check(
        2,
        "",
        "error: database 'ap' is not configured; configured in config/retort.toml: app\n",
    );
    run.refused_with(2, &[]);
    assert_eq!(project.state("app"), before);
}

#[test]
fn a_sql_server_url_is_refused_with_the_supported_schemes() {
    let (project, before) = applied_project();
    pending(&project, "3_c3.sql", "c3", "b2", "v");
    project.write(
        "config/retort.toml",
        "[databases.app]\nurl = \"sqlite:data/app.db\"\n\n[databases.reports]\nurl = \"mssql://sa:Secret1@db.internal/reports\"\n",
    );
    std::fs::create_dir_all(project.versions("reports")).expect("versions");
    let run = project.retort(&["upgrade"]);
    run.refused_with(
        2,
        &[
            "error: invalid url for database 'reports' (from config/retort.toml:5): ",
            "sql server is not supported (`mssql://`)",
            "supported: sqlite:, postgres://, postgresql://, mysql://, mariadb://",
        ],
    );
    assert_one_error_line(&run.stderr);
    assert!(
        !run.stderr.contains("Secret1"),
        "the password leaked: {}",
        run.stderr
    );
    assert_eq!(project.state("app"), before);
}
