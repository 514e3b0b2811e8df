//! What only the SQLite backend does: files and directories created on connect, in-memory
//! databases, and statements (`VACUUM`) that refuse to run in a transaction.

use std::time::Duration;

use retort_db::{BackendOptions, DatabaseUrl, StepRun};

use crate::common::{ids, insert, run, update, upgrade};
use crate::engines::TestDatabase;

const CREATE_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n\
                            CREATE INDEX users_email ON users (email);";

#[tokio::test]
async fn version_table_ddl_has_alembic_shape() {
    let database = TestDatabase::sqlite();
    let mut backend = database.backend().await;
    backend.ensure_tables().await.unwrap();
    let mut connection = database.sqlite_connection().await;
    let version_ddl: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'retort_version'")
            .fetch_one(&mut connection)
            .await
            .unwrap();
    assert_eq!(
        version_ddl,
        "CREATE TABLE retort_version (version_num VARCHAR(32) NOT NULL, \
         CONSTRAINT retort_version_pkc PRIMARY KEY (version_num))"
    );
}

#[tokio::test]
async fn checksums_of_hand_written_history_rows_read_back_exactly() {
    let database = TestDatabase::sqlite();
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    let mut with_checksum = run(&first, None, &[]);
    with_checksum.checksum = Some("c1");
    backend.run_step(with_checksum).await.unwrap();
    let mut connection = database.sqlite_connection().await;
    sqlx::raw_sql(
        "INSERT INTO retort_history (run_id, revision, direction, checksum, started_at, \
         finished_at, duration_ms, user_name, host, retort_version, outcome) \
         VALUES ('by-hand', 'odd id', 'upgrade', 'c2', '', '', 0, '', '', '', 'applied')",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    let checksums = backend.applied_checksums().await.unwrap();
    assert_eq!(
        checksums.into_iter().collect::<Vec<_>>(),
        [
            ("a1".to_owned(), "c1".to_owned()),
            ("odd id".to_owned(), "c2".to_owned())
        ]
    );
}

#[tokio::test]
async fn vacuum_runs_only_outside_a_transaction() {
    let database = TestDatabase::sqlite();
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(&first, Some(CREATE_USERS), &[]))
        .await
        .unwrap();

    // VACUUM cannot run inside a transaction: it fails as a transactional step...
    let vacuum = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let error = backend
        .run_step(run(&vacuum, Some("VACUUM"), &ids(&["a1"])))
        .await
        .unwrap_err();
    assert!(error.is_migration_failure(), "{error:?}");
    // ...and succeeds outside one.
    let expected_rows = ids(&["a1"]);
    let outside = StepRun {
        transactional: false,
        ..run(&vacuum, Some("VACUUM"), &expected_rows)
    };
    backend.run_step(outside).await.unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["b2"]));
    let last = backend.history().await.unwrap().pop().unwrap();
    assert_eq!(
        (
            last.revision.as_str(),
            last.outcome.as_str(),
            last.statements_done
        ),
        ("b2", "applied", Some(1))
    );
}

#[tokio::test]
async fn missing_directories_are_created() {
    let database = TestDatabase::sqlite();
    let nested = database
        .directory
        .as_ref()
        .unwrap()
        .path()
        .join("data")
        .join("nested")
        .join("app.db");
    let url = DatabaseUrl::parse(&format!("sqlite:{}", nested.display())).unwrap();
    let mut backend = retort_db::connect(&BackendOptions::new(url)).await.unwrap();
    backend.ensure_tables().await.unwrap();
    backend.close().await.unwrap();
    assert!(nested.exists());
}

#[tokio::test]
async fn relative_url_resolves_against_a_base_directory() {
    let database = TestDatabase::sqlite();
    let directory = database.directory.as_ref().unwrap().path();
    let url = DatabaseUrl::parse("sqlite:data/app.db")
        .unwrap()
        .resolve_relative(directory);
    let mut backend = retort_db::connect(&BackendOptions::new(url)).await.unwrap();
    backend.ensure_tables().await.unwrap();
    backend.close().await.unwrap();
    assert!(directory.join("data/app.db").exists());
}

#[tokio::test]
async fn in_memory_database_works() {
    let url = DatabaseUrl::parse("sqlite::memory:").unwrap();
    let mut backend = retort_db::connect(&BackendOptions::new(url)).await.unwrap();
    let step = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(&step, Some(CREATE_USERS), &[]))
        .await
        .unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
    backend.close().await.unwrap();
}

#[tokio::test]
async fn connect_failure_names_the_url() {
    let database = TestDatabase::sqlite();
    // A directory cannot be opened as a database file.
    let directory = database.directory.as_ref().unwrap().path();
    let url = DatabaseUrl::parse(&format!("sqlite:{}", directory.display())).unwrap();
    let options = BackendOptions {
        connect_timeout: Duration::from_secs(5),
        ..BackendOptions::new(url)
    };
    let Err(error) = retort_db::connect(&options).await else {
        panic!("opened a directory as a database");
    };
    assert!(
        error
            .to_string()
            .starts_with("could not connect to sqlite:"),
        "{error}"
    );
}

#[tokio::test]
async fn server_only_options_are_refused() {
    let database = TestDatabase::sqlite();
    let options = BackendOptions {
        schema: Some("app".to_owned()),
        ..database.options()
    };
    let Err(error) = retort_db::connect(&options).await else {
        panic!("accepted a schema for sqlite");
    };
    assert!(
        error
            .to_string()
            .starts_with("the schema option is not supported for sqlite databases (sqlite://"),
        "{error}"
    );
    let options = BackendOptions {
        extensions: vec!["citext".to_owned()],
        ..database.options()
    };
    let Err(error) = retort_db::connect(&options).await else {
        panic!("accepted extensions for sqlite");
    };
    assert!(
        error
            .to_string()
            .starts_with("the extensions option is not supported"),
        "{error}"
    );
}
