//! A migration that fails part-way, on every engine: exit 1, the error names the file, and the
//! database is where the engine's transaction rules leave it (checked in the catalog). SQLite and
//! PostgreSQL roll the whole migration back; MySQL keeps the statements before the failure,
//! records them, says so, and resumes after them once the file is fixed.

use super::{Engine, EngineProject, Migration, matrix_test};

const FAILING_STATEMENT: &str = "INSERT INTO missing_table VALUES (1);";

fn write_migrations(project: &EngineProject, third_statement: &str) {
    project.migration(
        "1_ok1.sql",
        &Migration {
            revision: "ok1",
            message: "create a",
            body: "-- upgrade\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n\n\
                   -- downgrade\nDROP TABLE a;\n",
            ..Migration::default()
        },
    );
    project.migration(
        "2_bad2.sql",
        &Migration {
            revision: "bad2",
            down_revision: "ok1",
            message: "create b c d",
            body: &format!(
                "-- upgrade\n\
                 CREATE TABLE b (id INTEGER PRIMARY KEY);\n\
                 CREATE TABLE c (id INTEGER PRIMARY KEY);\n\
                 {third_statement}\n\
                 CREATE TABLE d (id INTEGER PRIMARY KEY);\n\n\
                 -- downgrade\nDROP TABLE d;\nDROP TABLE c;\nDROP TABLE b;\n"
            ),
            ..Migration::default()
        },
    );
}

matrix_test!(
    fn a_failing_migration_leaves_the_database_as_its_engine_promises(project) {
        write_migrations(&project, FAILING_STATEMENT);
        let database = &project.database;

        let run = project.retort(&["upgrade"]);
        run.fails_with(
            1,
            &[
                "databases/app/versions/2_bad2.sql: upgrade of bad2 failed at statement 3",
                "missing_table",
            ],
        );
        assert_eq!(database.version_rows(), ["ok1"]);
        assert_eq!(
            database.history(),
            ["ok1 upgrade applied", "bad2 upgrade failed"]
        );
        let statements_done = database.inspect().integer(
            "SELECT COALESCE(statements_done, -1) FROM retort_history WHERE revision = 'bad2'",
        );
        if project.engine.transactional_ddl() {
            run.fails_with(1, &["rolled back, the database is unchanged"]);
            assert_eq!(database.tables(), ["a"], "nothing of bad2 is left");
            assert_eq!(statements_done, 0);
        } else {
            run.fails_with(
                1,
                &[
                    "at statement 3 of 4 `INSERT INTO missing_table VALUES (1)`",
                    "statements 1-2 stay applied",
                    "the version table is unchanged",
                    "fix statement 3 and run again to resume after statement 2",
                ],
            );
            assert_eq!(database.tables(), ["a", "b", "c"], "ddl commits as it runs");
            assert_eq!(statements_done, 2);
        }
        assert_eq!(project.retort(&["current"]).success(), "ok1\n");

        // After the fix, a rerun completes; on MySQL it resumes after statement 2 (running
        // `CREATE TABLE b` again would fail).
        write_migrations(&project, "INSERT INTO b VALUES (1);");
        project.retort(&["upgrade"]).success();
        assert_eq!(database.version_rows(), ["bad2"]);
        assert_eq!(database.tables(), ["a", "b", "c", "d"]);
        assert_eq!(database.inspect().integer("SELECT COUNT(*) FROM b"), 1);
        assert_eq!(
            database.history(),
            ["ok1 upgrade applied", "bad2 upgrade failed", "bad2 upgrade applied"]
        );
        if project.engine == Engine::Mysql {
            assert_eq!(
                database.inspect().integer(
                    "SELECT statements_done FROM retort_history \
                     WHERE outcome = 'applied' AND revision = 'bad2'"
                ),
                4
            );
        }
    }
);
