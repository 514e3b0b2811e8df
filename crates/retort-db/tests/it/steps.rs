//! Every backend through the same tests: tables, steps, failures and history, checked by looking
//! at the database itself and not only at what the backend returns.

use std::collections::BTreeMap;
use std::time::Duration;

use retort_db::{BackendError, BackendOptions, DatabaseUrl, FailureAftermath, LockHolder, StepRun};

use crate::common::{delete, downgrade, ids, insert, run, stamp, update, upgrade};
use crate::engines::{Engine, matrix_test};

const CREATE_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);\n\
                            CREATE INDEX users_email ON users (email);";

matrix_test!(
    async fn ensure_tables_creates_version_and_history_tables(database) {
        let mut backend = database.backend().await;
        backend.ensure_tables().await.unwrap();
        backend.ensure_tables().await.unwrap();
        assert_eq!(
            database.table_names().await,
            ids(&["retort_history", "retort_version"])
        );
        assert_eq!(backend.dialect().name(), match database.engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        });
        assert_eq!(backend.transactional_ddl(), database.engine.transactional_ddl());
        // Alembic's shape: one VARCHAR(32) primary key column.
        let mut connection = database.inspect().await;
        connection
            .execute("INSERT INTO retort_version (version_num) VALUES ('abcdefabcdefabcdefabcdefabcdefab')")
            .await;
        assert_eq!(database.version_rows().await, ids(&["abcdefabcdefabcdefabcdefabcdefab"]));
    }
);

matrix_test!(
    async fn reading_a_fresh_database_creates_no_table(database) {
        let mut backend = database.backend().await;
        assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
        assert_eq!(backend.history().await.unwrap(), Vec::new());
        assert_eq!(backend.applied_checksums().await.unwrap(), BTreeMap::new());
        assert_eq!(database.table_names().await, Vec::<String>::new());
    }
);

matrix_test!(
    async fn upgrade_runs_sql_inserts_version_and_records_history(database) {
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
        let expected_total = (database.engine == Engine::Mysql).then_some(2);
        assert_eq!(row.statements_total, expected_total);
        assert_eq!(row.error, None);
        assert_eq!(row.retort_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(row.host, gethostname::gethostname().to_string_lossy());
        assert!(!row.user_name.is_empty());
        assert!(row.duration_ms >= 0);
        for timestamp in [&row.started_at, &row.finished_at] {
            assert!(chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(), "{timestamp}");
            assert!(timestamp.ends_with('Z') && timestamp.len() == 24, "{timestamp}");
        }
    }
);

matrix_test!(
    async fn failing_sql_keeps_the_version_rows_and_records_the_failure(database) {
        let mut backend = database.backend().await;
        let first = upgrade("a1", &[], vec![insert("a1")]);
        backend.run_step(run(&first, Some(CREATE_USERS), &[])).await.unwrap();

        let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
        let broken = "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO missing_table VALUES (1);";
        let error = backend
            .run_step(StepRun {
                checksum: Some("sum-b2"),
                ..run(&second, Some(broken), &ids(&["a1"]))
            })
            .await
            .unwrap_err();

        assert!(error.is_migration_failure(), "{error:?}");
        let BackendError::MigrationFailed { statement_number, statement_text, statements_done, aftermath, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*statement_number, Some(2));
        let posts_exist = database.table_names().await.contains(&"posts".to_owned());
        if database.engine.transactional_ddl() {
            assert_eq!((*statements_done, *aftermath), (0, FailureAftermath::RolledBack));
            assert!(
                error.to_string().starts_with("upgrade of b2 failed at statement 2")
                    && error.to_string().ends_with("; rolled back, the database is unchanged"),
                "{error}"
            );
            assert!(!posts_exist);
        } else {
            assert_eq!((*statements_done, *aftermath), (1, FailureAftermath::Resumable));
            assert!(error.to_string().contains("statements 1-1 stay applied"), "{error}");
            assert!(posts_exist);
        }
        assert_eq!(statement_text.as_deref(), Some("INSERT INTO missing_table VALUES (1)"));
        assert!(error.to_string().contains("`INSERT INTO missing_table VALUES (1)`"), "{error}");
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("missing_table"), "{source}");

        assert_eq!(database.version_rows().await, ids(&["a1"]));
        let history = backend.history().await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!((history[0].revision.as_str(), history[0].outcome.as_str()), ("a1", "applied"));
        let failed = &history[1];
        assert_eq!((failed.revision.as_str(), failed.outcome.as_str()), ("b2", "failed"));
        let expected_done = if database.engine.transactional_ddl() { 0 } else { 1 };
        assert_eq!(failed.statements_done, Some(expected_done));
        let error_text = failed.error.as_deref().unwrap();
        assert!(error_text.starts_with("upgrade of b2 failed at statement 2"), "{error_text}");
        // Once in the statement, once in the server's message: never twice from the driver.
        assert_eq!(error_text.matches("missing_table").count(), 2, "{error_text}");
        // The failure does not count as applied.
        assert_eq!(backend.applied_checksums().await.unwrap(), BTreeMap::new());
    }
);

matrix_test!(
    async fn unexpected_version_rows_are_refused_before_anything_runs(database) {
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
);

matrix_test!(
    async fn expected_rows_compare_as_sets(database) {
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
);

matrix_test!(
    async fn update_matching_no_row_is_refused(database) {
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
        // Rolled back with the rest of the step where DDL is transactional.
        let users_exist = database.table_names().await.contains(&"users".to_owned());
        assert_eq!(users_exist, !database.engine.transactional_ddl());
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
);

matrix_test!(
    async fn non_transactional_step_runs_and_records_its_statements(database) {
        let mut backend = database.backend().await;
        let step = upgrade("a1", &[], vec![insert("a1")]);
        backend
            .run_step(StepRun { transactional: false, ..run(&step, Some(CREATE_USERS), &[]) })
            .await
            .unwrap();
        assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
        let last = backend.history().await.unwrap().pop().unwrap();
        assert_eq!((last.outcome.as_str(), last.statements_done), ("applied", Some(2)));
    }
);

matrix_test!(
    async fn non_transactional_failure_keeps_earlier_statements_and_says_so(database) {
        let mut backend = database.backend().await;
        let step = upgrade("a1", &[], vec![insert("a1")]);
        let sql = "CREATE TABLE kept_one (id INTEGER);\nCREATE TABLE kept_two (id INTEGER);\nINSERT INTO missing_table VALUES (1);";
        let error = backend
            .run_step(StepRun { transactional: false, ..run(&step, Some(sql), &[]) })
            .await
            .unwrap_err();
        let BackendError::MigrationFailed { statement_number: Some(3), statements_done: 2, aftermath, .. } = &error else {
            panic!("{error:?}");
        };
        let message = error.to_string();
        match database.engine {
            Engine::Mysql => {
                assert_eq!(*aftermath, FailureAftermath::Resumable);
                assert!(message.contains("fix statement 3 and run again to resume after statement 2"), "{message}");
            }
            _ => {
                assert_eq!(*aftermath, FailureAftermath::PartlyApplied);
                assert!(
                    message.ends_with("; 2 statement(s) before it stay applied: repair by hand, then stamp"),
                    "{message}"
                );
            }
        }
        let tables = database.table_names().await;
        assert!(tables.contains(&"kept_one".to_owned()) && tables.contains(&"kept_two".to_owned()));
        assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
        let last = backend.history().await.unwrap().pop().unwrap();
        assert_eq!((last.outcome.as_str(), last.statements_done), ("failed", Some(2)));
    }
);

matrix_test!(
    async fn stamp_changes_rows_and_history_only(database) {
        let mut backend = database.backend().await;
        let step = stamp(&["a1", "b1"], vec![insert("a1"), insert("b1")]);
        backend.run_step(run(&step, None, &[])).await.unwrap();
        assert_eq!(database.version_rows().await, ids(&["a1", "b1"]));
        let history = backend.history().await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].revision.as_str(), history[0].direction.as_str(), history[0].statements_done),
            ("a1, b1", "stamp", None)
        );
        assert_eq!(database.table_names().await, ids(&["retort_history", "retort_version"]));
    }
);

matrix_test!(
    async fn downgrade_to_base_deletes_the_row(database) {
        let mut backend = database.backend().await;
        let up = upgrade("a1", &[], vec![insert("a1")]);
        backend.run_step(run(&up, Some(CREATE_USERS), &[])).await.unwrap();
        let down = downgrade("a1", &[], vec![delete("a1")]);
        backend
            .run_step(run(&down, Some("DROP TABLE users;"), &ids(&["a1"])))
            .await
            .unwrap();
        assert_eq!(backend.read_rows().await.unwrap(), Vec::<String>::new());
        assert_eq!(database.table_names().await, ids(&["retort_history", "retort_version"]));
        let directions: Vec<String> = backend
            .history()
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.direction)
            .collect();
        assert_eq!(directions, ids(&["upgrade", "downgrade"]));
    }
);

matrix_test!(
    async fn checksums_come_from_the_latest_applied_upgrade_or_stamp(database) {
        let mut backend = database.backend().await;
        let up = upgrade("a1", &[], vec![insert("a1")]);
        backend
            .run_step(StepRun { checksum: Some("first"), ..run(&up, None, &[]) })
            .await
            .unwrap();
        let down = downgrade("a1", &[], vec![delete("a1")]);
        backend
            .run_step(StepRun { checksum: Some("down"), ..run(&down, None, &ids(&["a1"])) })
            .await
            .unwrap();
        backend
            .run_step(StepRun { checksum: Some("second"), ..run(&up, None, &[]) })
            .await
            .unwrap();
        let failing = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
        let _failed = backend
            .run_step(StepRun { checksum: Some("broken"), ..run(&failing, Some("NOT SQL"), &ids(&["a1"])) })
            .await
            .unwrap_err();
        let stamped = stamp(&["c3"], vec![insert("c3")]);
        backend
            .run_step(StepRun { checksum: Some("stamped"), ..run(&stamped, None, &ids(&["a1"])) })
            .await
            .unwrap();

        let expected = BTreeMap::from([
            ("a1".to_owned(), "second".to_owned()),
            ("c3".to_owned(), "stamped".to_owned()),
        ]);
        assert_eq!(backend.applied_checksums().await.unwrap(), expected);
    }
);

matrix_test!(
    async fn sql_with_comments_and_rows_counts_statements(database) {
        let mut backend = database.backend().await;
        let step = upgrade("a1", &[], vec![insert("a1")]);
        let sql = "-- leading comment\nCREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1), (2);\nSELECT * FROM t;\n-- trailing comment\n";
        backend.run_step(run(&step, Some(sql), &[])).await.unwrap();
        let history = backend.history().await.unwrap();
        assert_eq!(history[0].statements_done, Some(3));
    }
);

matrix_test!(
    async fn alembic_version_table_is_adopted(database) {
        database.backend().await.ensure_tables().await.unwrap();
        database
            .inspect()
            .await
            .execute(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
                 CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));\n\
                 INSERT INTO alembic_version (version_num) VALUES ('ae1027a6acf');",
            )
            .await;
        let options = BackendOptions {
            version_table: "alembic_version".to_owned(),
            ..database.options()
        };
        let mut backend = retort_db::connect(&options).await.unwrap();
        backend.ensure_tables().await.unwrap();
        assert_eq!(backend.read_rows().await.unwrap(), ids(&["ae1027a6acf"]));
    }
);

matrix_test!(
    async fn concurrent_runners_apply_each_migration_once(database) {
        let runners: Vec<_> = (0..4)
            .map(|runner_index| {
                let options = database.options();
                tokio::spawn(async move {
                    let mut backend = retort_db::connect(&options).await.unwrap();
                    backend.ensure_tables().await.unwrap();
                    let holder = LockHolder::for_this_process(format!("run-{runner_index}"));
                    backend.lock(&holder, Duration::from_secs(30)).await.unwrap();
                    let mut applied = 0;
                    if backend.read_rows().await.unwrap().is_empty() {
                        let step = upgrade("a1", &[], vec![insert("a1")]);
                        backend.run_step(run(&step, Some(CREATE_USERS), &[])).await.unwrap();
                        applied += 1;
                    }
                    backend.close().await.unwrap();
                    applied
                })
            })
            .collect();
        let mut applied = 0;
        for runner in runners {
            applied += runner.await.unwrap();
        }
        assert_eq!(applied, 1);
        let mut backend = database.backend().await;
        assert_eq!(backend.history().await.unwrap().len(), 1);
        assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
    }
);

#[tokio::test]
async fn unusable_table_names_are_refused_before_connecting() {
    // Nothing listens on these servers: the name is refused before any connection.
    for url in [
        "sqlite::memory:",
        "postgres://app:pw@127.0.0.1:1/app",
        "mysql://app:pw@127.0.0.1:1/app",
    ] {
        let options = BackendOptions {
            history_table: String::new(),
            ..BackendOptions::new(DatabaseUrl::parse(url).unwrap())
        };
        let Err(error) = retort_db::connect(&options).await else {
            panic!("connected with an empty table name");
        };
        assert_eq!(
            error.to_string(),
            "invalid table name ``: it is empty",
            "{url}"
        );
    }
}
