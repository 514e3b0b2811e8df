//! The SQLite backend: tables, steps, transactions, failures and history, checked by looking at
//! the database file itself and not only at what the backend returns.

use std::collections::BTreeMap;
use std::time::Duration;

use retort_core::Dialect;
use retort_db::{BackendError, BackendOptions, DatabaseUrl, StepRun};

use crate::common::{TestDatabase, delete, downgrade, ids, insert, run, stamp, update, upgrade};

const CREATE_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n\
                            CREATE INDEX users_email ON users (email);";

#[tokio::test]
async fn ensure_tables_creates_version_and_history_tables_in_alembic_shape() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    backend.ensure_tables().await.unwrap();
    backend.ensure_tables().await.unwrap();
    assert_eq!(
        database.table_names().await,
        ids(&["retort_history", "retort_version"])
    );
    let mut connection = database.inspect().await;
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
    assert_eq!(backend.dialect(), Dialect::Sqlite);
    assert!(backend.transactional_ddl());
}

#[tokio::test]
async fn reading_a_fresh_database_creates_no_table() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
    assert_eq!(backend.history().await.unwrap(), Vec::new());
    assert_eq!(backend.applied_checksums().await.unwrap(), BTreeMap::new());
    assert_eq!(database.table_names().await, Vec::<String>::new());
}

#[tokio::test]
async fn upgrade_runs_sql_inserts_version_and_records_history() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let step = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(StepRun {
            checksum: Some("sum-a1"),
            ..run(&step, Some(CREATE_USERS), &[])
        })
        .await
        .unwrap();

    assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
    assert!(database.table_names().await.contains(&"users".to_owned()));
    let history = backend.history().await.unwrap();
    assert_eq!(history.len(), 1);
    let row = &history[0];
    assert_eq!(row.run_id, "run-1");
    assert_eq!(row.revision, "a1");
    assert_eq!(row.direction, "upgrade");
    assert_eq!(row.checksum.as_deref(), Some("sum-a1"));
    assert_eq!(row.outcome, "applied");
    assert_eq!(row.statements_done, Some(2));
    assert_eq!(row.statements_total, None);
    assert_eq!(row.error, None);
    assert_eq!(row.retort_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(row.host, gethostname::gethostname().to_string_lossy());
    assert!(!row.user_name.is_empty());
    assert!(row.duration_ms >= 0);
    for timestamp in [&row.started_at, &row.finished_at] {
        assert!(
            chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
            "{timestamp}"
        );
        assert!(
            timestamp.ends_with('Z') && timestamp.len() == 24,
            "{timestamp}"
        );
    }
}

#[tokio::test]
async fn failing_sql_leaves_schema_and_rows_unchanged_and_records_failure() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(&first, Some(CREATE_USERS), &[]))
        .await
        .unwrap();

    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let broken =
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO missing_table VALUES (1);";
    let error = backend
        .run_step(StepRun {
            checksum: Some("sum-b2"),
            ..run(&second, Some(broken), &ids(&["a1"]))
        })
        .await
        .unwrap_err();

    assert!(error.is_migration_failure(), "{error:?}");
    assert!(matches!(
        error,
        BackendError::MigrationFailed {
            statement_number: Some(2),
            rolled_back: true,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "upgrade of b2 failed at statement 2; rolled back, the database is unchanged"
    );
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert!(source.contains("no such table: missing_table"), "{source}");

    assert!(!database.table_names().await.contains(&"posts".to_owned()));
    let mut connection = database.inspect().await;
    let rows: Vec<String> = sqlx::query_scalar("SELECT version_num FROM retort_version")
        .fetch_all(&mut connection)
        .await
        .unwrap();
    assert_eq!(rows, ids(&["a1"]));
    let outcomes: Vec<(String, String, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT revision, outcome, statements_done, error FROM retort_history ORDER BY id",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(
        (outcomes[0].0.as_str(), outcomes[0].1.as_str()),
        ("a1", "applied")
    );
    let (revision, outcome, statements_done, error_text) = &outcomes[1];
    assert_eq!(
        (revision.as_str(), outcome.as_str(), *statements_done),
        ("b2", "failed", Some(0))
    );
    let error_text = error_text.as_deref().unwrap();
    assert!(
        error_text.starts_with("upgrade of b2 failed at statement 2"),
        "{error_text}"
    );
    assert!(
        error_text.contains("no such table: missing_table"),
        "{error_text}"
    );

    // The failure does not count as applied.
    assert_eq!(backend.applied_checksums().await.unwrap(), BTreeMap::new());
}

#[tokio::test]
async fn unexpected_version_rows_are_refused_before_anything_runs() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let step = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let error = backend
        .run_step(run(&step, Some(CREATE_USERS), &ids(&["a1"])))
        .await
        .unwrap_err();
    assert!(!error.is_migration_failure());
    assert_eq!(
        error.to_string(),
        "version rows in retort_version changed concurrently: expected [a1], found []; \
         another run may have migrated this database, plan again from its current state"
    );
    assert!(!database.table_names().await.contains(&"users".to_owned()));
    assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn expected_rows_compare_as_sets() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let both = stamp(&["a1", "b1"], vec![insert("a1"), insert("b1")]);
    backend.run_step(run(&both, None, &[])).await.unwrap();
    let merge = upgrade("m2", &["a1", "b1"], vec![delete("b1"), update("a1", "m2")]);
    backend
        .run_step(run(&merge, Some("SELECT 1"), &ids(&["b1", "a1"])))
        .await
        .unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["m2"]));
}

#[tokio::test]
async fn update_matching_no_row_is_refused_and_rolled_back() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    backend.run_step(run(&first, None, &[])).await.unwrap();

    let wrong = upgrade("b2", &["a1"], vec![update("zz", "b2")]);
    let error = backend
        .run_step(run(&wrong, Some(CREATE_USERS), &ids(&["a1"])))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "online migration expected to match one row when updating 'zz' to 'b2' in 'retort_version'; 0 found"
    );
    assert!(!error.is_migration_failure());
    assert!(!database.table_names().await.contains(&"users".to_owned()));
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
    let history = backend.history().await.unwrap();
    assert_eq!(history.last().unwrap().outcome, "failed");

    let wrong_delete = downgrade("a1", &[], vec![delete("zz")]);
    let error = backend
        .run_step(run(&wrong_delete, None, &ids(&["a1"])))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "online migration expected to match one row when deleting 'zz' in 'retort_version'; 0 found"
    );
}

#[tokio::test]
async fn non_transactional_step_runs_outside_a_transaction() {
    let database = TestDatabase::new();
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
async fn non_transactional_failure_keeps_earlier_statements_and_says_so() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let step = upgrade("a1", &[], vec![insert("a1")]);
    let sql = "CREATE TABLE kept_one (id INTEGER);\nCREATE TABLE kept_two (id INTEGER);\nINSERT INTO missing_table VALUES (1);";
    let error = backend
        .run_step(StepRun {
            transactional: false,
            ..run(&step, Some(sql), &[])
        })
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        BackendError::MigrationFailed {
            statement_number: Some(3),
            statements_done: 2,
            rolled_back: false,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "upgrade of a1 failed at statement 3; 2 statement(s) before it stay applied: repair by hand, then stamp"
    );
    let tables = database.table_names().await;
    assert!(tables.contains(&"kept_one".to_owned()) && tables.contains(&"kept_two".to_owned()));
    assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
    let last = backend.history().await.unwrap().pop().unwrap();
    assert_eq!(
        (last.outcome.as_str(), last.statements_done),
        ("failed", Some(2))
    );
}

#[tokio::test]
async fn stamp_changes_rows_and_history_only() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let step = stamp(&["a1", "b1"], vec![insert("a1"), insert("b1")]);
    backend.run_step(run(&step, None, &[])).await.unwrap();
    let mut rows = backend.read_rows().await.unwrap();
    rows.sort();
    assert_eq!(rows, ids(&["a1", "b1"]));
    let history = backend.history().await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].revision.as_str(),
            history[0].direction.as_str(),
            history[0].statements_done
        ),
        ("a1, b1", "stamp", None)
    );
    assert_eq!(
        database.table_names().await,
        ids(&["retort_history", "retort_version"])
    );
}

#[tokio::test]
async fn downgrade_to_base_deletes_the_row() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let up = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(&up, Some(CREATE_USERS), &[]))
        .await
        .unwrap();
    let down = downgrade("a1", &[], vec![delete("a1")]);
    backend
        .run_step(run(&down, Some("DROP TABLE users;"), &ids(&["a1"])))
        .await
        .unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
    assert_eq!(
        database.table_names().await,
        ids(&["retort_history", "retort_version"])
    );
    let directions: Vec<String> = backend
        .history()
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.direction)
        .collect();
    assert_eq!(directions, ids(&["upgrade", "downgrade"]));
}

#[tokio::test]
async fn checksums_come_from_the_latest_applied_upgrade_or_stamp() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let up = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(StepRun {
            checksum: Some("first"),
            ..run(&up, None, &[])
        })
        .await
        .unwrap();
    let down = downgrade("a1", &[], vec![delete("a1")]);
    backend
        .run_step(StepRun {
            checksum: Some("down"),
            ..run(&down, None, &ids(&["a1"]))
        })
        .await
        .unwrap();
    backend
        .run_step(StepRun {
            checksum: Some("second"),
            ..run(&up, None, &[])
        })
        .await
        .unwrap();
    let failing = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let _failed = backend
        .run_step(StepRun {
            checksum: Some("broken"),
            ..run(&failing, Some("NOT SQL"), &ids(&["a1"]))
        })
        .await
        .unwrap_err();
    let stamped = stamp(&["c3"], vec![insert("c3")]);
    backend
        .run_step(StepRun {
            checksum: Some("stamped"),
            ..run(&stamped, None, &ids(&["a1"]))
        })
        .await
        .unwrap();

    let expected = BTreeMap::from([
        ("a1".to_owned(), "second".to_owned()),
        ("c3".to_owned(), "stamped".to_owned()),
    ]);
    assert_eq!(backend.applied_checksums().await.unwrap(), expected);
}

#[tokio::test]
async fn sql_with_comments_and_rows_counts_statements() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    let step = upgrade("a1", &[], vec![insert("a1")]);
    let sql = "-- leading comment\nCREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1), (2);\nSELECT * FROM t;\n-- trailing comment\n";
    backend.run_step(run(&step, Some(sql), &[])).await.unwrap();
    let history = backend.history().await.unwrap();
    assert_eq!(history[0].statements_done, Some(3));
}

#[tokio::test]
async fn alembic_version_table_is_adopted() {
    let database = TestDatabase::new();
    {
        let mut backend = database.backend().await;
        backend.ensure_tables().await.unwrap();
    }
    let mut connection = database.inspect().await;
    sqlx::raw_sql(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n\
         INSERT INTO alembic_version (version_num) VALUES ('ae1027a6acf');",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    let options = BackendOptions {
        version_table: "alembic_version".to_owned(),
        ..database.options()
    };
    let mut backend = retort_db::connect(&options).await.unwrap();
    backend.ensure_tables().await.unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["ae1027a6acf"]));
}

#[tokio::test]
async fn missing_directories_are_created() {
    let database = TestDatabase::new();
    let nested = database
        .directory
        .path()
        .join("data")
        .join("nested")
        .join("app.db");
    let url = DatabaseUrl::parse(&format!("sqlite:{}", nested.display())).unwrap();
    let mut backend = retort_db::connect(&BackendOptions {
        url,
        ..database.options()
    })
    .await
    .unwrap();
    backend.ensure_tables().await.unwrap();
    backend.close().await.unwrap();
    assert!(nested.exists());
}

#[tokio::test]
async fn relative_url_resolves_against_a_base_directory() {
    let database = TestDatabase::new();
    let url = DatabaseUrl::parse("sqlite:data/app.db")
        .unwrap()
        .resolve_relative(database.directory.path());
    let mut backend = retort_db::connect(&BackendOptions {
        url,
        ..database.options()
    })
    .await
    .unwrap();
    backend.ensure_tables().await.unwrap();
    backend.close().await.unwrap();
    assert!(database.directory.path().join("data/app.db").exists());
}

#[tokio::test]
async fn in_memory_database_works() {
    let database = TestDatabase::new();
    let url = DatabaseUrl::parse("sqlite::memory:").unwrap();
    let mut backend = retort_db::connect(&BackendOptions {
        url,
        ..database.options()
    })
    .await
    .unwrap();
    let step = upgrade("a1", &[], vec![insert("a1")]);
    backend
        .run_step(run(&step, Some(CREATE_USERS), &[]))
        .await
        .unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
    backend.close().await.unwrap();
}

#[tokio::test]
async fn server_engines_are_not_supported_yet() {
    let database = TestDatabase::new();
    let url = DatabaseUrl::parse("postgres://app:Secret1@localhost/app").unwrap();
    let Err(error) = retort_db::connect(&BackendOptions {
        url,
        ..database.options()
    })
    .await
    else {
        panic!("postgres connected");
    };
    assert_eq!(
        error.to_string(),
        "postgres databases are not supported yet (postgres://app:****@localhost/app)"
    );
}

#[tokio::test]
async fn unusable_table_names_are_refused() {
    let database = TestDatabase::new();
    let options = BackendOptions {
        history_table: String::new(),
        ..database.options()
    };
    let Err(error) = retort_db::connect(&options).await else {
        panic!("connected with an empty table name");
    };
    assert_eq!(error.to_string(), "invalid table name ``: it is empty");
}

#[tokio::test]
async fn connect_failure_names_the_url() {
    let database = TestDatabase::new();
    // A directory cannot be opened as a database file.
    let url =
        DatabaseUrl::parse(&format!("sqlite:{}", database.directory.path().display())).unwrap();
    let options = BackendOptions {
        url,
        connect_timeout: Duration::from_secs(5),
        ..database.options()
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
