//! The migration lock on every engine (taken, waited for with the holder named, released on
//! every path), and what is particular to each: SQLite's lease row taken over from a dead
//! process, the server locks that disappear with their connection.

use std::time::Duration;

use retort_db::{BackendError, LockHolder};

use crate::common::{ids, insert, run, update, upgrade};
use crate::engines::{Engine, TestDatabase, matrix_test};

const SHORT_TIMEOUT: Duration = Duration::from_millis(250);

fn holder(run_id: &str) -> LockHolder {
    LockHolder::for_this_process(run_id)
}

fn this_host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

matrix_test!(
    async fn second_backend_times_out_naming_the_holder_until_unlocked(database) {
        let mut first = database.backend().await;
        let mut second = database.backend().await;
        first.lock(&holder("run-first"), SHORT_TIMEOUT).await.unwrap();
        // Taking a lock already held by the same backend is a no-op.
        first.lock(&holder("run-first"), SHORT_TIMEOUT).await.unwrap();

        let error = second.lock(&holder("run-second"), SHORT_TIMEOUT).await.unwrap_err();
        let BackendError::LockTimeout { holder: Some(current), held_since: Some(since), timeout, .. } = &error else {
            panic!("expected a lock timeout naming the holder, got {error:?}");
        };
        // PostgreSQL may shorten a long host name to fit `application_name`.
        assert!(!current.host.is_empty() && this_host().starts_with(&current.host), "{current:?}");
        assert_eq!((current.pid, current.run_id.as_str()), (std::process::id(), "run-first"));
        assert!(chrono::DateTime::parse_from_rfc3339(since).is_ok(), "{since}");
        assert_eq!(*timeout, SHORT_TIMEOUT);
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "timed out after 250ms waiting for the migration lock held by pid {} on ",
                std::process::id()
            )),
            "{message}"
        );
        assert!(message.contains("(run run-first) since "), "{message}");
        let release_hint = match database.engine {
            Engine::Sqlite => "DELETE FROM retort_lock",
            Engine::Postgres => "SELECT pg_terminate_backend(",
            Engine::Mysql => "`KILL ",
        };
        assert!(message.contains(release_hint), "{message}");

        // The holder can still migrate while the other waits.
        let step = upgrade("a1", &[], vec![insert("a1")]);
        first.run_step(run(&step, Some("CREATE TABLE t (id INTEGER)"), &[])).await.unwrap();

        first.unlock().await.unwrap();
        second.lock(&holder("run-second"), SHORT_TIMEOUT).await.unwrap();
        let error = first.lock(&holder("run-first"), Duration::ZERO).await.unwrap_err();
        assert!(error.to_string().contains("(run run-second)"), "{error}");
        second.close().await.unwrap();
        first.lock(&holder("run-first"), SHORT_TIMEOUT).await.unwrap();
    }
);

matrix_test!(
    async fn same_run_on_two_backends_does_not_share_the_lock(database) {
        let mut first = database.backend().await;
        let mut second = database.backend().await;
        first.lock(&holder("run-1"), SHORT_TIMEOUT).await.unwrap();
        let error = second.lock(&holder("run-1"), Duration::ZERO).await.unwrap_err();
        assert!(matches!(error, BackendError::LockTimeout { .. }), "{error:?}");
        // Unlocking a lock this backend does not hold is a no-op and leaves the holder's lock.
        second.unlock().await.unwrap();
        assert!(second.lock(&holder("run-1"), Duration::ZERO).await.is_err());
    }
);

matrix_test!(
    async fn close_releases_the_lock(database) {
        let mut first = database.backend().await;
        first.lock(&holder("run-first"), SHORT_TIMEOUT).await.unwrap();
        first.close().await.unwrap();
        let mut second = database.backend().await;
        second.lock(&holder("run-second"), Duration::ZERO).await.unwrap();
        second.unlock().await.unwrap();
        let mut third = database.backend().await;
        third.lock(&holder("run-third"), Duration::ZERO).await.unwrap();
    }
);

matrix_test!(
    async fn lock_is_released_after_a_failed_step(database) {
        let mut first = database.backend().await;
        first.lock(&holder("run-first"), SHORT_TIMEOUT).await.unwrap();
        let step = upgrade("a1", &[], vec![insert("a1")]);
        first.run_step(run(&step, None, &[])).await.unwrap();
        let failing = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
        let error = first
            .run_step(run(&failing, Some("INSERT INTO missing_table VALUES (1)"), &ids(&["a1"])))
            .await
            .unwrap_err();
        assert!(error.is_migration_failure(), "{error:?}");
        first.unlock().await.unwrap();
        let mut second = database.backend().await;
        second.lock(&holder("run-second"), Duration::ZERO).await.unwrap();
    }
);

/// A runner killed with SIGKILL closes no connection politely; its server lock goes with the
/// connection. Dropping the backend without `close` does the same to the socket.
async fn dropped_backend_releases_its_lock(engine: Engine) {
    let Some(database) = TestDatabase::create(engine).await else {
        return;
    };
    let mut first = database.backend().await;
    first
        .lock(&holder("run-killed"), SHORT_TIMEOUT)
        .await
        .unwrap();
    drop(first);
    let mut second = database.backend().await;
    // The server notices the closed socket almost at once; allow it a moment.
    second
        .lock(&holder("run-next"), Duration::from_secs(5))
        .await
        .unwrap();
}

#[tokio::test]
async fn dropped_postgres_backend_releases_its_lock() {
    dropped_backend_releases_its_lock(Engine::Postgres).await;
}

#[tokio::test]
async fn dropped_mysql_backend_releases_its_lock() {
    dropped_backend_releases_its_lock(Engine::Mysql).await;
}

#[tokio::test]
async fn sqlite_holder_is_named_while_its_migration_keeps_the_database_busy() {
    let database = TestDatabase::sqlite();
    let mut first = database.backend().await;
    first
        .lock(&holder("run-first"), SHORT_TIMEOUT)
        .await
        .unwrap();
    // A write transaction stands in for the holder's long migration.
    let mut writer = database.sqlite_connection().await;
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut writer)
        .await
        .unwrap();

    let mut second = database.backend().await;
    let error = second
        .lock(&holder("run-second"), SHORT_TIMEOUT)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("(run run-first)"), "{error}");
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut writer)
        .await
        .unwrap();
}

#[tokio::test]
async fn sqlite_close_deletes_the_lease_row() {
    let database = TestDatabase::sqlite();
    let mut first = database.backend().await;
    first
        .lock(&holder("run-first"), SHORT_TIMEOUT)
        .await
        .unwrap();
    first.close().await.unwrap();
    let mut second = database.backend().await;
    second
        .lock(&holder("run-second"), Duration::ZERO)
        .await
        .unwrap();
    let mut connection = database.sqlite_connection().await;
    let run_id: String = sqlx::query_scalar("SELECT run_id FROM retort_lock")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(run_id, "run-second");
    second.unlock().await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM retort_lock")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn sqlite_lease_of_another_host_is_never_taken_over() {
    let database = TestDatabase::sqlite();
    let mut backend = database.backend().await;
    backend.lock(&holder("setup"), SHORT_TIMEOUT).await.unwrap();
    backend.unlock().await.unwrap();
    let mut connection = database.sqlite_connection().await;
    sqlx::query("INSERT INTO retort_lock (id, host, pid, run_id, acquired_at) VALUES (1, 'elsewhere', 999999999, 'run-remote', '2026-01-01T00:00:00.000Z')")
        .execute(&mut connection)
        .await
        .unwrap();
    let error = backend
        .lock(&holder("run-local"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains(
            "held by pid 999999999 on elsewhere (run run-remote) since 2026-01-01T00:00:00.000Z"
        ),
        "{error}"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn sqlite_stale_lease_of_a_dead_local_process_is_taken_over() {
    let database = TestDatabase::sqlite();
    let mut backend = database.backend().await;
    backend.lock(&holder("setup"), SHORT_TIMEOUT).await.unwrap();
    backend.unlock().await.unwrap();
    let mut connection = database.sqlite_connection().await;
    sqlx::query("INSERT INTO retort_lock (id, host, pid, run_id, acquired_at) VALUES (1, ?1, 999999999, 'run-killed', '2026-01-01T00:00:00.000Z')")
        .bind(this_host())
        .execute(&mut connection)
        .await
        .unwrap();
    backend
        .lock(&holder("run-next"), Duration::ZERO)
        .await
        .unwrap();
    let (pid, run_id): (i64, String) = sqlx::query_as("SELECT pid, run_id FROM retort_lock")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(
        (pid, run_id.as_str()),
        (i64::from(std::process::id()), "run-next")
    );
}
