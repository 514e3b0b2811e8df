//! Scratch databases and live introspection: a scratch database is dropped when discarded and
//! also when simply dropped (an error or Ctrl-C on the way), a failing script says which
//! statement failed, PostgreSQL's configured schema is honoured, and retort's own tables are
//! never part of a live database's schema.

use retort_db::{BackendOptions, IntrospectError, IntrospectOptions, ScratchDatabase, introspect};
use retort_schema::ObjectName;

use crate::engines::{Engine, TestDatabase, matrix_test};
use crate::introspect::run_migration;

/// Whether the server of `database` has a database called `name`.
async fn server_has_database(database: &TestDatabase, name: &str) -> bool {
    let query = match database.engine {
        Engine::Postgres => format!("SELECT COUNT(*) FROM pg_database WHERE datname = '{name}'"),
        _ => {
            format!("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'")
        }
    };
    database.inspect().await.integer(&query).await > 0
}

matrix_test!(
    async fn scratch_databases_are_dropped_discarded_or_not(database) {
        let scratch = ScratchDatabase::create(&database.options()).await.unwrap();
        let Some(name) = scratch.database_name().map(str::to_owned) else {
            assert_eq!(database.engine, Engine::Sqlite);
            return;
        };
        assert!(name.starts_with("retort_scratch_"), "{name}");
        assert!(server_has_database(&database, &name).await);
        scratch.discard().await.unwrap();
        assert!(!server_has_database(&database, &name).await);

        // Dropped without a discard, as when a command stops on an error or on Ctrl-C.
        let mut abandoned = ScratchDatabase::create(&database.options()).await.unwrap();
        abandoned.run_script("a script", "CREATE TABLE t (id INT)").await.unwrap();
        let name = abandoned.database_name().map(str::to_owned).unwrap();
        drop(abandoned);
        assert!(!server_has_database(&database, &name).await);
    }
);

matrix_test!(
    async fn a_failing_script_names_its_statement(database) {
        let mut scratch = ScratchDatabase::create(&database.options()).await.unwrap();
        let error = scratch
            .run_script(
                "databases/app/schema.sql",
                "CREATE TABLE a (id INT);\n-- a comment\nCREATE TABLE a (id INT);",
            )
            .await
            .unwrap_err();
        scratch.discard().await.unwrap();
        assert!(matches!(error, IntrospectError::ScriptFailed { statement_number: 2, .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.starts_with("databases/app/schema.sql failed on a scratch")
                && message.ends_with("database at statement 2 `CREATE TABLE a (id INT)`"),
            "{message}"
        );
    }
);

matrix_test!(
    async fn live_schemas_leave_out_retorts_tables(database) {
        run_migration(&database, "r1", "CREATE TABLE things (id INT NOT NULL PRIMARY KEY)").await;
        assert!(database.table_names().await.contains(&"retort_version".to_owned()));
        let schema = introspect(&IntrospectOptions::for_backend(&database.options())).await.unwrap();
        let names: Vec<&ObjectName> = schema.tables.keys().collect();
        assert_eq!(names, [&ObjectName::new("things")]);
    }
);

matrix_test!(
    async fn postgres_scratch_databases_use_the_configured_schema(database) {
        if database.engine != Engine::Postgres {
            return;
        }
        let options = BackendOptions {
            schema: Some("app".to_owned()),
            ..database.options()
        };
        let mut scratch = ScratchDatabase::create(&options).await.unwrap();
        scratch
            .run_script("schema.sql", "CREATE TABLE things (id int PRIMARY KEY); CREATE TABLE public.elsewhere (id int);")
            .await
            .unwrap();
        let schema = scratch.schema().await.unwrap();
        scratch.discard().await.unwrap();
        let names: Vec<String> = schema.tables.keys().map(ToString::to_string).collect();
        assert_eq!(names, ["things", "public.elsewhere"]);
    }
);
