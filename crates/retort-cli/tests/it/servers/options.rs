//! The server options through the binary: `transaction: false` (with `CREATE INDEX
//! CONCURRENTLY`), `schema`, `extensions` and `create_database`, and the options refused where an
//! engine has no such thing.

use std::time::Duration;

use super::{Engine, EngineProject, Migration, TestDatabase, finish_all, matrix_test, redacted};

fn create_items(project: &EngineProject) {
    project.migration(
        "1_items1.sql",
        &Migration {
            revision: "items1",
            message: "create items",
            body: "-- upgrade\nCREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n\n\
                   -- downgrade\nDROP TABLE items;\n",
            ..Migration::default()
        },
    );
}

fn index_items(project: &EngineProject, non_transactional: bool) {
    project.migration(
        "2_index2.sql",
        &Migration {
            revision: "index2",
            down_revision: "items1",
            message: "index item names",
            non_transactional,
            // A pause first, so that a second runner waits for the lock while the index builds.
            body: "-- upgrade\nSELECT pg_sleep(0.3);\n\
                   CREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n\n\
                   -- downgrade\nDROP INDEX CONCURRENTLY items_name_idx;\n",
        },
    );
}

/// Whether `items_name_idx` exists and is valid (a failed concurrent build leaves it invalid).
const VALID_INDEX: &str = "SELECT COUNT(*) FROM pg_index \
     JOIN pg_class ON pg_class.oid = pg_index.indexrelid \
     WHERE pg_class.relname = 'items_name_idx' AND pg_index.indisvalid";

matrix_test!(
    [postgres]
    fn create_index_concurrently_runs_with_transaction_false(project) {
        project.configure("lock_timeout_secs = 20");
        create_items(&project);
        let database = &project.database;

        // Inside the migration's transaction, PostgreSQL refuses it.
        index_items(&project, false);
        project.retort(&["upgrade"]).fails_with(
            1,
            &["upgrade of index2 failed", "cannot run inside a transaction block"],
        );
        assert_eq!(database.version_rows(), ["items1"]);
        assert_eq!(database.inspect().integer(VALID_INDEX), 0);

        // With `transaction: false` it runs, while a second runner polls for the lock (a
        // runner blocked in a transaction would make the index build wait for it forever).
        index_items(&project, true);
        let children = vec![project.spawn(&["upgrade"]), project.spawn(&["upgrade"])];
        for run in finish_all(&project, &["upgrade"], children) {
            run.success();
            assert!(run.elapsed < Duration::from_secs(15), "{run}");
        }
        assert_eq!(database.version_rows(), ["index2"]);
        assert_eq!(database.inspect().integer(VALID_INDEX), 1);
        assert_eq!(
            database.history(),
            [
                "items1 upgrade applied",
                "index2 upgrade failed",
                "index2 upgrade applied"
            ]
        );

        project.retort(&["downgrade", "-1"]).success();
        assert_eq!(database.version_rows(), ["items1"]);
        assert_eq!(
            database
                .inspect()
                .integer("SELECT COUNT(*) FROM pg_class WHERE relname = 'items_name_idx'"),
            0
        );
    }
);

matrix_test!(
    [postgres]
    fn the_schema_option_holds_the_version_tables_and_the_migrations(project) {
        project.configure("schema = \"app_schema\"");
        create_items(&project);
        let database = &project.database;

        project.retort(&["upgrade"]).success();
        assert_eq!(
            database.tables_in(Some("app_schema")),
            ["items", "retort_history", "retort_version"]
        );
        assert_eq!(database.tables_in(Some("public")), Vec::<String>::new());
        assert_eq!(
            database
                .inspect()
                .strings("SELECT version_num FROM app_schema.retort_version"),
            ["items1"]
        );
        assert_eq!(project.retort(&["current"]).success(), "items1 (head)\n");

        project.retort(&["downgrade", "base"]).success();
        assert_eq!(
            database.tables_in(Some("app_schema")),
            ["retort_history", "retort_version"]
        );
    }
);

matrix_test!(
    [postgres]
    fn extensions_are_enabled_and_a_missing_one_is_named(project) {
        project.configure("extensions = [\"citext\"]");
        project.migration(
            "1_emails1.sql",
            &Migration {
                revision: "emails1",
                message: "create emails",
                body: "-- upgrade\nCREATE TABLE emails (address citext PRIMARY KEY);\n\
                       INSERT INTO emails VALUES ('Ada@Example.com');\n",
                ..Migration::default()
            },
        );
        let database = &project.database;

        project.retort(&["upgrade"]).success();
        assert_eq!(
            database
                .inspect()
                .strings("SELECT extname::text FROM pg_extension WHERE extname = 'citext'"),
            ["citext"]
        );
        assert_eq!(
            database
                .inspect()
                .integer("SELECT COUNT(*) FROM emails WHERE address = 'ada@example.com'"),
            1,
            "the column compares case-insensitively"
        );

        project.configure("extensions = [\"citext\", \"not_an_extension\"]");
        let run = project.retort(&["upgrade"]);
        run.fails_with(
            2,
            &[&format!(
                "extension `not_an_extension` is not installed on the server of {}: install \
                 its package on the database server, or remove it from the extensions option",
                redacted(&database.url)
            )],
        );
        assert_eq!(
            database
                .inspect()
                .integer("SELECT COUNT(*) FROM pg_extension WHERE extname = 'not_an_extension'"),
            0
        );
    }
);

/// Without `create_database` a missing database is one clear error; with it, the database is
/// created and migrated.
fn create_database_creates_a_missing_database(engine: Engine) {
    let Some(database) = TestDatabase::missing(engine) else {
        return;
    };
    let name = database.name.clone();
    let project = EngineProject::on(database);
    create_items(&project);

    let run = project.retort(&["upgrade"]);
    run.fails_with(
        2,
        &[&format!(
            "database `{name}` does not exist on the server of {}: create it, or enable \
             create_database for it",
            redacted(&project.database.url)
        )],
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run}");

    project.configure("create_database = true");
    project.retort(&["upgrade"]).success();
    assert_eq!(project.database.version_rows(), ["items1"]);
    assert_eq!(project.database.tables(), ["items"]);
}

#[test]
fn create_database_creates_a_missing_postgres_database() {
    create_database_creates_a_missing_database(Engine::Postgres);
}

#[test]
fn create_database_creates_a_missing_mysql_database() {
    create_database_creates_a_missing_database(Engine::Mysql);
}

/// `schema` and `extensions` are PostgreSQL's; elsewhere they are refused before connecting.
#[test]
fn postgres_options_are_refused_for_other_engines() {
    let cases = [
        (
            "sqlite:data/app.db",
            "schema = \"s\"",
            "the schema option is not supported for sqlite databases",
        ),
        (
            "mysql://root@127.0.0.1:1/app",
            "schema = \"s\"",
            "the schema option is not supported for mysql databases (mysql://root@127.0.0.1:1/app)",
        ),
        (
            "mysql://root@127.0.0.1:1/app",
            "extensions = [\"citext\"]",
            "the extensions option is not supported for mysql databases",
        ),
    ];
    for (url, option, message) in cases {
        let project = EngineProject::unconnected(url);
        project.configure(option);
        create_items(&project);
        project
            .retort(&["upgrade"])
            .fails_with(2, &[&format!("error: database 'app': {message}")]);
    }
}

matrix_test!(
    [sqlite, postgres, mysql]
    fn upgrade_warns_before_a_migration_mysql_cannot_roll_back(project) {
        project.migration(
            "1_pair1.sql",
            &Migration {
                revision: "pair1",
                message: "two tables",
                body: "-- upgrade\nCREATE TABLE first_table (id INTEGER PRIMARY KEY);\n\
                       CREATE TABLE second_table (id INTEGER PRIMARY KEY);\n\n\
                       -- downgrade\nDROP TABLE second_table;\nDROP TABLE first_table;\n",
                ..Migration::default()
            },
        );
        let run = project.retort(&["upgrade"]);
        run.success();
        let output = &run.stderr;
        let warned = output.contains("warning: app: pair1: runs 2 ddl statement(s)") && output.contains("cannot be rolled back");
        // Only MySQL commits DDL statement by statement; the others roll the whole step back.
        assert_eq!(warned, project.database.engine == Engine::Mysql, "{output}");
        assert_eq!(project.database.version_rows(), ["pair1"]);
    }
);
