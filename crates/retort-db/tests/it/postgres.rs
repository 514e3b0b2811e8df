//! What only the PostgreSQL backend does: a failed step leaves the catalog untouched,
//! `CREATE INDEX CONCURRENTLY` outside a transaction (while another runner waits for the lock),
//! the schema option, database creation and extensions, server errors as the server words them,
//! and a vanished runner's transaction ending promptly.

use std::time::{Duration, Instant};

use retort_db::{BackendError, BackendOptions, DatabaseUrl, FailureAftermath, LockHolder, StepRun};

use crate::common::{ids, insert, run, update, upgrade};
use crate::engines::{
    Engine, Inspector, ServerDatabaseGuard, TestDatabase, fresh_database_name, with_database,
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
async fn a_constraint_checked_at_commit_fails_the_step_and_rolls_it_back() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    let deferred = "CREATE TABLE parents (id INT PRIMARY KEY);\n\
                    CREATE TABLE children (parent_id INT REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);\n\
                    INSERT INTO children VALUES (1);";
    let error = backend
        .run_step(run(&first, Some(deferred), &[]))
        .await
        .unwrap_err();
    // The step's statements all ran; the version change and history row were in the same
    // transaction, whose COMMIT the deferred foreign key refused.
    assert!(
        matches!(
            error,
            BackendError::MigrationFailed {
                statement_number: None,
                aftermath: FailureAftermath::RolledBack,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
    let history = backend.history().await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, "failed");
    let mut catalog = database.inspect().await;
    assert_eq!(
        catalog
            .integer("SELECT count(*) FROM information_schema.tables WHERE table_name = 'parents'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_step_abandoned_halfway_is_rolled_back_before_the_connection_is_used_again() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    let slow = "CREATE TABLE users (id INT PRIMARY KEY);\nSELECT pg_sleep(1);";
    // The step's future is dropped while its transaction is open (a Ctrl-C, say).
    let abandoned = tokio::time::timeout(
        Duration::from_millis(200),
        backend.run_step(run(&first, Some(slow), &[])),
    )
    .await;
    assert!(abandoned.is_err(), "the step should still be running");
    assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
    let mut catalog = database.inspect().await;
    assert_eq!(
        catalog
            .integer("SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'")
            .await,
        0
    );
    backend
        .run_step(run(
            &first,
            Some("CREATE TABLE users (id INT PRIMARY KEY);"),
            &[],
        ))
        .await
        .unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
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

/// The error and its sources joined with `: `, leaving out a source whose text already ends the
/// message, as the command line prints a chain.
fn chain_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn server_errors_show_the_message_detail_and_hint_not_a_source_line() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(
            &first,
            Some("CREATE TABLE users (id INT PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a');"),
            &[],
        ))
        .await
        .unwrap();
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let expected_rows = ids(&["a1"]);
    let cases = [
        (
            "INSERT INTO users (id) VALUES (1);",
            "error returned from database: duplicate key value violates unique constraint \
             \"users_pkey\"; detail: Key (id)=(1) already exists.",
        ),
        (
            "SELECT emial FROM users;",
            "error returned from database: column \"emial\" does not exist; hint: Perhaps you \
             meant to reference the column \"users.email\".",
        ),
    ];
    for (sql, server_says) in cases {
        let error = backend
            .run_step(run(&second, Some(sql), &expected_rows))
            .await
            .unwrap_err();
        let text = chain_text(&error);
        assert!(
            text.ends_with(&format!(
                "; rolled back, the database is unchanged: {server_says}"
            )),
            "{text}"
        );
        // sqlx's `Display` ends with the server's C source line, which reads like a line of
        // the migration file.
        assert!(!text.contains(" at line "), "{text}");
        let recorded = backend.history().await.unwrap().pop().unwrap();
        assert_eq!(recorded.error.as_deref(), Some(text.as_str()));
    }
}

#[tokio::test]
async fn the_server_watches_the_migration_connection_for_a_vanished_runner() {
    let Some(database) = database().await else {
        return;
    };
    let probe =
        "CREATE TABLE probe AS SELECT current_setting('client_connection_check_interval') AS value";
    let step = upgrade("a1", &[], vec![insert("a1")]);
    let mut backend = database.backend().await;
    backend
        .run_step(run(&step, Some(probe), &[]))
        .await
        .unwrap();
    let mut inspector = database.inspect().await;
    assert_eq!(
        inspector.strings("SELECT value FROM probe").await,
        ids(&["1s"])
    );

    // A value the URL sets is kept.
    let Some(other) = TestDatabase::create(Engine::Postgres).await else {
        return;
    };
    let url = format!(
        "{}?options=-c%20client_connection_check_interval%3D200",
        other.raw_url()
    );
    let options = BackendOptions {
        url: DatabaseUrl::parse(&url).unwrap(),
        ..other.options()
    };
    let mut backend = retort_db::connect(&options).await.unwrap();
    backend
        .run_step(run(&step, Some(probe), &[]))
        .await
        .unwrap();
    assert_eq!(
        other
            .inspect()
            .await
            .strings("SELECT value FROM probe")
            .await,
        ids(&["200ms"])
    );
}

/// A runner that vanishes mid-statement, as one killed with SIGKILL does, has its transaction
/// rolled back (and its catalog locks freed) within seconds, not when the statement would end.
#[tokio::test]
async fn a_vanished_runners_transaction_ends_within_seconds() {
    let Some(database) = database().await else {
        return;
    };
    let mut inspector = database.inspect().await;
    let step = upgrade("a1", &[], vec![insert("a1")]);
    let sleepy = "CREATE TABLE half (id INT);\nSELECT pg_sleep(30);";
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                    AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(30)%'";
    let mut backend = database.backend().await;
    {
        let migrate = backend.run_step(run(&step, Some(sleepy), &[]));
        tokio::pin!(migrate);
        let seen_sleeping = wait_for(&mut inspector, sleeping, 1, Duration::from_secs(20));
        tokio::select! {
            ended = &mut migrate => panic!("the step ended: {ended:?}"),
            () = seen_sleeping => {}
        }
    }
    // Dropping the connection closes its socket without a word, as a killed process does.
    drop(backend);
    let vanished = Instant::now();
    wait_for(&mut inspector, sleeping, 0, Duration::from_secs(10)).await;
    let took = vanished.elapsed();
    assert!(took < Duration::from_secs(10), "the server took {took:?}");
    assert_eq!(
        database.table_names().await,
        ids(&["retort_history", "retort_version"]),
        "nothing of the vanished step"
    );
}

/// Polls `count_query` until it answers `expected`, failing after `timeout`.
async fn wait_for(inspector: &mut Inspector, count_query: &str, expected: i64, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let count = inspector.integer(count_query).await;
        if count == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{count_query} still answers {count} after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runners that create a missing database at the same moment all connect: the ones that lose
/// the race get `duplicate_database`, or a unique violation when they passed the server's
/// existence check together.
#[tokio::test]
async fn runners_creating_one_database_together_all_connect() {
    let Some(server_url) = Engine::Postgres.reachable_server_url() else {
        return;
    };
    let name = fresh_database_name();
    let _guard = ServerDatabaseGuard::adopt(Engine::Postgres, &server_url, &name);
    let options = BackendOptions {
        create_database: true,
        ..BackendOptions::new(DatabaseUrl::parse(&with_database(&server_url, &name)).unwrap())
    };
    let runners: Vec<_> = (0..8)
        .map(|_| {
            let options = options.clone();
            tokio::spawn(async move { retort_db::connect(&options).await.map(|_backend| ()) })
        })
        .collect();
    for runner in runners {
        let connected = runner.await.unwrap();
        assert!(connected.is_ok(), "{:#?}", connected.err());
    }
}
