//! What only the MySQL/MariaDB backend does: statement-by-statement steps whose failure says
//! what stays applied, resuming after the fix, refusing to resume over a changed statement,
//! routine bodies without `DELIMITER`, database creation, and the non-atomic warning.

use retort_core::Dialect;
use retort_db::{BackendError, BackendOptions, DatabaseUrl, FailureAftermath, StepRun};

use crate::common::{ids, insert, run, update, upgrade};
use crate::engines::{
    Engine, ServerDatabaseGuard, TestDatabase, fresh_database_name, with_database,
};

async fn database() -> Option<TestDatabase> {
    TestDatabase::create(Engine::Mysql).await
}

const BROKEN: &str = "CREATE TABLE posts (id INT PRIMARY KEY);\n\
                      CREATE TABLE tags (id INT PRIMARY KEY);\n\
                      INSERT INTO missing_table VALUES (1);\n\
                      INSERT INTO posts VALUES (1);";
const FIXED: &str = "CREATE TABLE posts (id INT PRIMARY KEY);\n\
                     CREATE TABLE tags (id INT PRIMARY KEY);\n\
                     INSERT INTO tags VALUES (1);\n\
                     INSERT INTO posts VALUES (1);";

/// A database at `a1` whose upgrade to `b2` failed at its third statement.
async fn failed_halfway(database: &TestDatabase) -> Box<dyn retort_db::Backend> {
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    backend.run_step(run(&first, None, &[])).await.unwrap();
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let expected_rows = ids(&["a1"]);
    let _failed = backend
        .run_step(run(&second, Some(BROKEN), &expected_rows))
        .await
        .unwrap_err();
    backend
}

#[tokio::test]
async fn failure_names_the_statement_what_stays_applied_and_what_to_do() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = database.backend().await;
    let first = upgrade("a1", &[], vec![insert("a1")]);
    backend.run_step(run(&first, None, &[])).await.unwrap();
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let error = backend
        .run_step(run(&second, Some(BROKEN), &ids(&["a1"])))
        .await
        .unwrap_err();
    let BackendError::MigrationFailed {
        statement_number: Some(3),
        statements_total: Some(4),
        statement_text: Some(text),
        statements_done: 2,
        aftermath: FailureAftermath::Resumable,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(text, "INSERT INTO missing_table VALUES (1)");
    assert_eq!(
        error.to_string(),
        "upgrade of b2 failed at statement 3 of 4 `INSERT INTO missing_table VALUES (1)`; \
         statements 1-2 stay applied (ddl commits as it runs) and the version table is \
         unchanged: fix statement 3 and run again to resume after statement 2, or undo \
         statements 1-2 by hand"
    );
    assert!(error.is_migration_failure());
    assert_eq!(
        database.table_names().await,
        ids(&["posts", "retort_history", "retort_version", "tags"])
    );
    assert_eq!(database.version_rows().await, ids(&["a1"]));
    let failed = backend.history().await.unwrap().pop().unwrap();
    assert_eq!(
        (
            failed.revision.as_str(),
            failed.outcome.as_str(),
            failed.statements_done,
            failed.statements_total
        ),
        ("b2", "failed", Some(2), Some(4))
    );
}

#[tokio::test]
async fn rerun_after_the_fix_resumes_after_the_applied_statements() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = failed_halfway(&database).await;
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    // Statements 1 and 2 would fail if repeated: their tables exist.
    backend
        .run_step(StepRun {
            run_id: "run-2",
            ..run(&second, Some(FIXED), &ids(&["a1"]))
        })
        .await
        .unwrap();
    assert_eq!(database.version_rows().await, ids(&["b2"]));
    let mut inspector = database.inspect().await;
    assert_eq!(inspector.integer("SELECT COUNT(*) FROM tags").await, 1);
    assert_eq!(inspector.integer("SELECT COUNT(*) FROM posts").await, 1);
    let last = backend.history().await.unwrap().pop().unwrap();
    assert_eq!(
        (
            last.run_id.as_str(),
            last.outcome.as_str(),
            last.statements_done,
            last.statements_total
        ),
        ("run-2", "applied", Some(4), Some(4))
    );
}

#[tokio::test]
async fn a_killed_runner_is_resumed_from_its_recorded_progress() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = failed_halfway(&database).await;
    // A runner killed after two statements leaves its row `running`.
    database
        .inspect()
        .await
        .execute(
            "UPDATE retort_history SET outcome = 'running', error = NULL WHERE revision = 'b2'",
        )
        .await;
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    backend
        .run_step(run(&second, Some(FIXED), &ids(&["a1"])))
        .await
        .unwrap();
    assert_eq!(database.version_rows().await, ids(&["b2"]));
}

#[tokio::test]
async fn a_killed_runners_row_is_marked_resumed_when_a_rerun_completes_the_step() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = failed_halfway(&database).await;
    database
        .inspect()
        .await
        .execute(
            "UPDATE retort_history SET outcome = 'running', error = NULL WHERE revision = 'b2'",
        )
        .await;
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let expected_rows = ids(&["a1"]);
    let fixed = StepRun {
        run_id: "run-2",
        ..run(&second, Some(FIXED), &expected_rows)
    };
    backend.run_step(fixed).await.unwrap();
    let outcomes: Vec<(String, String, String)> = backend
        .history()
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.run_id, row.revision, row.outcome))
        .collect();
    let expected = [
        ("run-1", "a1", "applied"),
        ("run-1", "b2", "resumed"),
        ("run-2", "b2", "applied"),
    ];
    assert_eq!(
        outcomes,
        expected.map(|(run_id, revision, outcome)| (
            run_id.to_owned(),
            revision.to_owned(),
            outcome.to_owned()
        ))
    );
}

#[tokio::test]
async fn history_records_the_server_message_once() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = failed_halfway(&database).await;
    let failed = backend.history().await.unwrap().pop().unwrap();
    let error = failed.error.unwrap();
    let server_says = format!(
        "error returned from database: 1146 (42S02): Table '{}.missing_table' doesn't exist",
        database.name
    );
    assert!(
        error.ends_with(&format!("by hand: {server_says}")),
        "{error}"
    );
    assert_eq!(error.matches("doesn't exist").count(), 1, "{error}");
}

#[tokio::test]
async fn a_changed_applied_statement_refuses_to_resume_until_abandoned() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = failed_halfway(&database).await;
    let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
    let edited = FIXED.replace("tags (id INT PRIMARY KEY)", "tags (id BIGINT PRIMARY KEY)");
    let error = backend
        .run_step(run(&second, Some(&edited), &ids(&["a1"])))
        .await
        .unwrap_err();
    let BackendError::ResumeRefused {
        changed_statement: 2,
        statements_done: 2,
        history_id,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert!(!error.is_migration_failure());
    let message = error.to_string();
    assert!(
        message.starts_with("cannot resume the upgrade of b2: statement 2 already ran"),
        "{message}"
    );
    assert_eq!(database.version_rows().await, ids(&["a1"]));

    // Undo by hand, abandon the failed run as the message says, and start over.
    let mut inspector = database.inspect().await;
    inspector.execute("DROP TABLE posts; DROP TABLE tags").await;
    inspector
        .execute(&format!(
            "UPDATE retort_history SET outcome = 'abandoned' WHERE id = {history_id}"
        ))
        .await;
    backend
        .run_step(run(&second, Some(&edited), &ids(&["a1"])))
        .await
        .unwrap();
    assert_eq!(database.version_rows().await, ids(&["b2"]));
}

#[tokio::test]
async fn routine_bodies_run_without_delimiter() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = database.backend().await;
    let sql = "CREATE TABLE counters (n INT NOT NULL);\n\
               CREATE PROCEDURE fill_counters(IN how_many INT)\n\
               BEGIN\n\
                 DECLARE i INT DEFAULT 0;\n\
                 WHILE i < how_many DO\n\
                   IF i % 2 = 0 THEN INSERT INTO counters VALUES (i); END IF;\n\
                   SET i = i + 1;\n\
                 END WHILE;\n\
               END;\n\
               CREATE TRIGGER counters_bi BEFORE INSERT ON counters FOR EACH ROW\n\
               BEGIN IF NEW.n < 0 THEN SET NEW.n = 0; END IF; END;\n\
               CALL fill_counters(5);\n\
               INSERT INTO counters VALUES (-3);";
    let step = upgrade("a1", &[], vec![insert("a1")]);
    backend.run_step(run(&step, Some(sql), &[])).await.unwrap();
    let values = database
        .inspect()
        .await
        .strings("SELECT CAST(n AS CHAR) FROM counters ORDER BY n")
        .await;
    assert_eq!(values, ids(&["0", "0", "2", "4"]));
    let last = backend.history().await.unwrap().pop().unwrap();
    assert_eq!(last.statements_done, Some(5));
}

#[tokio::test]
async fn a_last_statement_ending_in_an_unclosed_comment_still_records_its_progress() {
    let Some(database) = database().await else {
        return;
    };
    let mut backend = database.backend().await;
    // The server reads the comment to the end of the query, so whatever is sent after the
    // statement in the same query (the progress update, the closing transaction) never runs.
    let sql = "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT) /* no end";
    let step = upgrade("a1", &[], vec![insert("a1")]);
    backend.run_step(run(&step, Some(sql), &[])).await.unwrap();
    assert_eq!(backend.read_rows().await.unwrap(), ids(&["a1"]));
    let last = backend.history().await.unwrap().pop().unwrap();
    assert_eq!(
        (last.outcome.as_str(), last.statements_done),
        ("applied", Some(2))
    );
}

#[tokio::test]
async fn missing_database_is_created_only_when_asked() {
    let Some(server_url) = Engine::Mysql.reachable_server_url() else {
        return;
    };
    let name = fresh_database_name();
    let _guard = ServerDatabaseGuard::adopt(Engine::Mysql, &server_url, &name);
    let options =
        BackendOptions::new(DatabaseUrl::parse(&with_database(&server_url, &name)).unwrap());
    let Err(error) = retort_db::connect(&options).await else {
        panic!("connected to a missing database");
    };
    assert!(
        matches!(&error, BackendError::DatabaseMissing { database, .. } if *database == name),
        "{error:?}"
    );
    let creating = BackendOptions {
        create_database: true,
        ..options
    };
    let mut backend = retort_db::connect(&creating).await.unwrap();
    backend.ensure_tables().await.unwrap();
    backend.close().await.unwrap();
}

#[tokio::test]
async fn postgres_only_options_are_refused() {
    let Some(database) = database().await else {
        return;
    };
    let options = BackendOptions {
        schema: Some("app".to_owned()),
        ..database.options()
    };
    let Err(error) = retort_db::connect(&options).await else {
        panic!("accepted a schema for mysql");
    };
    assert!(
        error
            .to_string()
            .starts_with("the schema option is not supported for mysql databases"),
        "{error}"
    );
}

#[test]
fn non_atomic_migrations_are_warned_about_on_mysql_only() {
    let mixed = "CREATE TABLE t (id INT);\nINSERT INTO t VALUES (1);";
    let warning = retort_db::non_atomic_warning(Dialect::Mysql, mixed).unwrap();
    assert_eq!((warning.ddl_statements, warning.data_statements), (1, 1));
    assert!(
        warning.to_string().contains("cannot be rolled back"),
        "{warning}"
    );
    assert_eq!(
        retort_db::non_atomic_warning(Dialect::Postgres, mixed),
        None
    );
    assert_eq!(
        retort_db::non_atomic_warning(Dialect::Mysql, "ALTER TABLE t ADD COLUMN b INT"),
        None
    );
}
