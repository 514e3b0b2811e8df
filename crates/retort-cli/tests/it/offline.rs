//! `--sql`: scripts on stdout, Alembic's `start:end` ranges and errors, one script per
//! database, and no connection at all.

use crate::common::{Migration, TestProject, example_project};

/// `app` with `a1 -> b2`.
fn linear_project() -> TestProject {
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
            upgrade: "ALTER TABLE t ADD COLUMN x TEXT;",
            downgrade: Some("ALTER TABLE t DROP COLUMN x;"),
            ..Migration::default()
        },
    );
    project
}

#[test]
fn upgrade_sql_from_base_creates_the_version_table_and_connects_to_nothing() {
    let project = linear_project();
    project.retort(&["upgrade", "--sql"]).check(
        0,
        "\
BEGIN;

CREATE TABLE retort_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1

CREATE TABLE t (id INTEGER);

INSERT INTO retort_version (version_num) VALUES ('a1');

COMMIT;

BEGIN;

-- Running upgrade a1 -> b2

ALTER TABLE t ADD COLUMN x TEXT;

UPDATE retort_version SET version_num='b2' WHERE retort_version.version_num = 'a1';

COMMIT;

",
        "",
    );
    assert!(
        !project.path("data").exists(),
        "--sql must not create the database"
    );
}

#[test]
fn upgrade_sql_range_starts_from_the_range_start() {
    let project = linear_project();
    let run = project.retort(&["upgrade", "a1:b2", "--sql"]);
    let stdout = run.success();
    assert!(!stdout.contains("CREATE TABLE retort_version"), "{stdout}");
    assert!(stdout.contains("-- Running upgrade a1 -> b2\n"), "{stdout}");
    assert!(!stdout.contains("-> a1"), "{stdout}");
}

#[test]
fn downgrade_sql_needs_a_range_and_deletes_at_base() {
    let project = linear_project();
    project.retort(&["downgrade", "-1", "--sql"]).check(
        2,
        "",
        "error: downgrade with --sql requires <fromrev>:<torev>\n",
    );
    let run = project.retort(&["downgrade", "b2:base", "--sql"]);
    let stdout = run.success();
    assert!(
        stdout.contains("-- Running downgrade b2 -> a1\n\nALTER TABLE t DROP COLUMN x;\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "DELETE FROM retort_version WHERE retort_version.version_num = 'a1';\n\nCOMMIT;\n\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("DROP TABLE retort_version"), "{stdout}");
}

#[test]
fn stamp_sql_updates_rows_and_refuses_purge() {
    let project = linear_project();
    let run = project.retort(&["stamp", "a1:head", "--sql"]);
    assert!(
        run.success().contains(
            "UPDATE retort_version SET version_num='b2' WHERE retort_version.version_num = 'a1';\n"
        ),
        "{}",
        run.stdout
    );
    project.retort(&["stamp", "--purge", "--sql", "b2"]).check(
        2,
        "",
        "error: can't use --purge with --sql mode\n",
    );
    project.retort(&["stamp", "--sql", "a1:b2", "b2:a1"]).check(
        2,
        "",
        "error: stamp operation with --sql only supports a single starting revision at a time\n",
    );
}

#[test]
fn ranges_without_sql_are_refused() {
    let project = linear_project();
    for args in [
        &["upgrade", "a1:b2"][..],
        &["downgrade", "b2:a1"][..],
        &["stamp", "a1:b2"][..],
    ] {
        project
            .retort(args)
            .fails_with(2, "error: range revision not allowed here:");
    }
    assert!(!project.path("data").exists());
}

#[test]
fn irreversible_migrations_cannot_be_rendered_down() {
    let project = linear_project();
    project.migration(
        "app",
        "3_c3.sql",
        &Migration {
            revision: "c3",
            down_revision: "b2",
            message: "three",
            upgrade: "SELECT 1;",
            ..Migration::default()
        },
    );
    project.retort(&["downgrade", "c3:a1", "--sql"]).check(
        2,
        "",
        "error: database 'app': revision c3 (databases/app/versions/3_c3.sql) has no downgrade section, so it is irreversible and the downgrade cannot pass it\n",
    );
}

#[test]
fn several_databases_print_one_script_each() {
    let project = example_project();
    let run = project.retort(&["upgrade", "--sql"]);
    let stdout = run.success();
    let app = stdout.find("-- database: app\n\n").expect("app script");
    let registry = stdout
        .find("-- database: registry\n\n")
        .expect("registry script");
    assert!(app < registry);
    assert!(
        stdout[app..registry].contains("-- Running upgrade invoices3, tools4 -> merge5\n"),
        "{stdout}"
    );
    assert!(
        stdout[registry..].contains("CREATE TABLE tools"),
        "{stdout}"
    );
}

#[test]
fn a_bad_target_names_the_database() {
    let project = linear_project();
    project.retort(&["upgrade", "zzzz", "--sql"]).check(
        2,
        "",
        "error: database 'app': no such revision or branch 'zzzz'\n",
    );
}

/// `upgrade --sql` on a PostgreSQL database with a `schema` option creates the schema, sets the
/// search path and names the version table with the schema, as a run with a connection would;
/// on other engines the option is refused, as connecting refuses it.
#[test]
fn upgrade_sql_honours_the_schema_option() {
    let project = linear_project();
    project.write(
        "config/retort.toml",
        "[databases.app]\nurl = \"postgres://app:Secret1@db.invalid/app\"\nschema = \"app_schema\"\n",
    );
    let run = project.retort(&["upgrade", "--sql"]);
    let stdout = run.success();
    assert!(
        stdout.starts_with(
            "CREATE SCHEMA IF NOT EXISTS app_schema;\n\nSET search_path TO app_schema, public;\n\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("CREATE TABLE app_schema.retort_version ("),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "UPDATE app_schema.retort_version SET version_num='b2' WHERE app_schema.retort_version.version_num = 'a1';\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("Secret1"), "{stdout}");

    project.write(
        "config/retort.toml",
        "[databases.app]\nurl = \"sqlite:data/app.db\"\nschema = \"app_schema\"\n",
    );
    project.retort(&["upgrade", "--sql"]).fails_with(
        2,
        "error: database 'app': the schema option is not supported for sqlite databases",
    );
    assert!(!project.path("data").exists());
}
