//! What only the PostgreSQL backend does: a failed step leaves the catalog untouched,
//! `CREATE INDEX CONCURRENTLY` outside a transaction (while another runner waits for the lock),
//! the schema option, database creation and extensions.

use std::time::Duration;

use retort_db::{BackendError, BackendOptions, DatabaseUrl, FailureAftermath, LockHolder, StepRun};

use crate::common::{ids, insert, run, update, upgrade};
use crate::engines::{
    Engine, ServerDatabaseGuard, TestDatabase, fresh_database_name, with_database,
};

async fn database() -> Option<TestDatabase> {
    TestDatabase::create(Engine::Postgres).await
}

#[tokio::test]
async fn failing_halfway_leaves_the_catalog_and_version_table_at_the_previous_revision() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(
            &first,
            Some("CREATE TABLE users (id INT PRIMARY KEY);"),
            &[],
        ))
        .await
        .unwrap();

    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let halfway = "CREATE TABLE posts (id INT PRIMARY KEY);\n\
                   ALTER TABLE users ADD COLUMN email TEXT;\n\
                   CREATE INDEX users_email ON users (email);\n\
                   INSERT INTO users (id) VALUES (1), (1);";
    let error = backend
        .run_step(run(&second, Some(halfway), &ids(&["a1"])))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            BackendError::MigrationFailed {
                statement_number: Some(4),
                aftermath: FailureAftermath::RolledBack,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("`INSERT INTO users (id) VALUES (1), (1)`"),
        "{error}"
    );

    let mut catalog = database.inspect().await;
    let tables = catalog
        .strings("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
        .await;
    assert_eq!(tables, ids(&["retort_history", "retort_version", "users"]));
    let user_columns = catalog
        .strings("SELECT column_name::text FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1")
        .await;
    assert_eq!(user_columns, ids(&["id"]));
    let indexes = catalog
        .strings("SELECT indexname::text FROM pg_indexes WHERE tablename = 'users' ORDER BY 1")
        .await;
    assert_eq!(indexes, ids(&["users_pkey"]));
    assert_eq!(
        catalog
            .strings("SELECT version_num FROM retort_version")
            .await,
        ids(&["a1"])
    );
    assert_eq!(catalog.integer("SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn create_index_concurrently_runs_outside_a_transaction_while_another_runner_waits() {
    let Some(database) = database().await else {
        return;
    };
    let mut holder_backend = database.backend().await;
    let mut waiter_backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    holder_backend
        .run_step(run(
            &first,
            Some("CREATE TABLE users (id INT, email TEXT)"),
            &[],
        ))
        .await
        .unwrap();
    let concurrently = "CREATE INDEX CONCURRENTLY users_email ON users (email);\n\
                        CREATE INDEX CONCURRENTLY users_id ON users (id);";
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let expected_rows = ids(&["a1"]);

    // In a transaction it is refused, and rolled back.
    let error = holder_backend
        .run_step(run(&second, Some(concurrently), &expected_rows))
        .await
        .unwrap_err();
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(
        source.contains("cannot run inside a transaction block"),
        "{source}"
    );

    // Outside one it runs, even while another runner polls for the lock (a waiter blocked in
    // `pg_advisory_lock` would make it wait forever).
    holder_backend
        .lock(
            &LockHolder::for_this_process("run-holder"),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    let migrate = async {
        holder_backend
            .run_step(StepRun {
                transactional: false,
                ..run(&second, Some(concurrently), &expected_rows)
            })
            .await
            .unwrap();
        holder_backend.unlock().await.unwrap();
    };
    let waiter = LockHolder::for_this_process("run-waiter");
    let wait = waiter_backend.lock(&waiter, Duration::from_secs(20));
    let ((), waited) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(migrate, wait)
    })
    .await
    .unwrap();
    waited.unwrap();

    let indexes = database
        .inspect()
        .await
        .strings("SELECT indexname::text FROM pg_indexes WHERE tablename = 'users' ORDER BY 1")
        .await;
    assert_eq!(indexes, ids(&["users_email", "users_id"]));
    let last = holder_backend.history().await.unwrap().pop().unwrap();
    assert_eq!(
        (
            last.outcome.as_str(),
            last.statements_done,
            last.statements_total
        ),
        ("applied", Some(2), Some(2))
    );
}

#[tokio::test]
async fn schema_option_holds_the_tables_and_leads_the_search_path() {
    let Some(database) = database().await else {
        return;
    };
    let options = BackendOptions {
        schema: Some("App Schema".to_owned()),
        ..database.options()
    };
    let mut backend = retort_db::connect(&options).await.unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
    let step = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(&step, Some("CREATE TABLE widgets (id INT)"), &[]))
        .await
        .unwrap();
    backend
        .lock(
            &LockHolder::for_this_process("run-1"),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    backend.close().await.unwrap();

    let mut catalog = database.inspect().await;
    let tables = catalog
        .strings(
            "SELECT table_schema::text || '.' || table_name::text FROM information_schema.tables \
                  WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        )
        .await;
    assert_eq!(
        tables,
        ids(&[
            "App Schema.retort_history",
            "App Schema.retort_version",
            "App Schema.widgets"
        ])
    );
    let mut backend = retort_db::connect(&options).await.unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
    // Without the option the default schema has no version table.
    assert_eq!(
        database.backend().await.read_rows().await.unwrap(),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn missing_database_is_created_only_when_asked() {
    let Some(server_url) = Engine::Postgres.reachable_server_url() else {
        return;
    };
    let name = fresh_database_name();
    let _guard = ServerDatabaseGuard::adopt(Engine::Postgres, &server_url, &name);
    let url = DatabaseUrl::parse(&with_database(&server_url, &name)).unwrap();
    let options = BackendOptions::new(url);
    let Err(error) = retort_db::connect(&options).await else {
        panic!("connected to a missing database");
    };
    assert!(
        error.to_string().starts_with(&format!(
            "database `{name}` does not exist on the server of postgres://"
        )),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .ends_with("create it, or enable create_database for it"),
        "{error}"
    );

    let creating = BackendOptions {
        create_database: true,
        ..options
    };
    let mut backend = retort_db::connect(&creating).await.unwrap();
    backend.ensure_tables().await.unwrap();
    backend.close().await.unwrap();
    // Connecting again finds it.
    retort_db::connect(&creating)
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
}

#[tokio::test]
async fn extensions_are_enabled_and_a_missing_one_is_named() {
    let Some(database) = database().await else {
        return;
    };
    let options = BackendOptions {
        extensions: vec![
            "citext".to_owned(),
            "pgcrypto".to_owned(),
            "citext".to_owned(),
        ],
        ..database.options()
    };
    let mut backend = retort_db::connect(&options).await.unwrap();
    backend.ensure_tables().await.unwrap();
    let step = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(
            &step,
            Some("CREATE TABLE people (email citext, secret bytea DEFAULT gen_random_bytes(4))"),
            &[],
        ))
        .await
        .unwrap();
    let extensions = database
        .inspect()
        .await
        .strings("SELECT extname::text FROM pg_extension WHERE extname IN ('citext', 'pgcrypto') ORDER BY 1")
        .await;
    assert_eq!(extensions, ids(&["citext", "pgcrypto"]));

    let missing = BackendOptions {
        extensions: vec!["citext".to_owned(), "not_an_extension".to_owned()],
        ..database.options()
    };
    let mut backend = retort_db::connect(&missing).await.unwrap();
    let error = backend.ensure_tables().await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(
            "extension `not_an_extension` is not installed on the server of postgres://"
        ),
        "{message}"
    );
    assert!(
        message.ends_with(
            "install its package on the database server, or remove it from the extensions option"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn runners_starting_together_set_up_the_tables_once() {
    let Some(database) = database().await else {
        return;
    };
    let options = BackendOptions {
        schema: Some("together".to_owned()),
        extensions: vec!["citext".to_owned()],
        ..database.options()
    };
    let runners: Vec<_> = (0..6)
        .map(|_| {
            let options = options.clone();
            tokio::spawn(async move {
                let mut backend = retort_db::connect(&options).await.unwrap();
                backend.ensure_tables().await.unwrap();
                backend.close().await.unwrap();
            })
        })
        .collect();
    for runner in runners {
        runner.await.unwrap();
    }
}
