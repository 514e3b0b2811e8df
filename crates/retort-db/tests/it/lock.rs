//! The SQLite lease lock: taken, waited for with the holder named, released, and taken over
//! from a process of this host that no longer exists.

use std::time::Duration;

use retort_db::{BackendError, LockHolder};

use crate::common::{TestDatabase, insert, run, upgrade};

const SHORT_TIMEOUT: Duration = Duration::from_millis(250);

fn holder(run_id: &str) -> LockHolder {
    LockHolder::for_this_process(run_id)
}

#[tokio::test]
async fn second_backend_times_out_naming_the_holder_until_unlocked() {
    let database = TestDatabase::new();
    let mut first = database.backend().await;
    let mut second = database.backend().await;
    first
        .lock(&holder("run-first"), SHORT_TIMEOUT)
        .await
        .unwrap();
    // Taking a lock already held by the same backend is a no-op.
    first
        .lock(&holder("run-first"), SHORT_TIMEOUT)
        .await
        .unwrap();

    let error = second
        .lock(&holder("run-second"), SHORT_TIMEOUT)
        .await
        .unwrap_err();
    let BackendError::LockTimeout {
        holder: Some(current),
        held_since: Some(_),
        timeout,
        ..
    } = &error
    else {
        panic!("expected a lock timeout naming the holder, got {error:?}");
    };
    assert_eq!(current, &holder("run-first"));
    assert_eq!(*timeout, SHORT_TIMEOUT);
    let message = error.to_string();
    let this_host = gethostname::gethostname().to_string_lossy().into_owned();
    assert!(
        message.starts_with("timed out after 250ms waiting for the migration lock held by pid"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "pid {} on {this_host} (run run-first) since ",
            std::process::id()
        )),
        "{message}"
    );
    assert!(message.contains("DELETE FROM retort_lock"), "{message}");

    // The holder can still migrate while the other waits.
    let step = upgrade("a1", &[], vec![insert("a1")]);
    first
        .run_step(run(&step, Some("CREATE TABLE t (id INTEGER)"), &[]))
        .await
        .unwrap();

    first.unlock().await.unwrap();
    second
        .lock(&holder("run-second"), SHORT_TIMEOUT)
        .await
        .unwrap();
    let error = first
        .lock(&holder("run-first"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("(run run-second)"), "{error}");
    second.close().await.unwrap();
    first
        .lock(&holder("run-first"), SHORT_TIMEOUT)
        .await
        .unwrap();
}

#[tokio::test]
async fn same_run_on_two_backends_does_not_share_the_lock() {
    let database = TestDatabase::new();
    let mut first = database.backend().await;
    let mut second = database.backend().await;
    first.lock(&holder("run-1"), SHORT_TIMEOUT).await.unwrap();
    let error = second
        .lock(&holder("run-1"), Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(error, BackendError::LockTimeout { .. }),
        "{error:?}"
    );
    // Unlocking a lock this backend does not hold is a no-op and leaves the holder's lease.
    second.unlock().await.unwrap();
    assert!(second.lock(&holder("run-1"), Duration::ZERO).await.is_err());
}

#[tokio::test]
async fn holder_is_named_while_its_migration_keeps_the_database_busy() {
    let database = TestDatabase::new();
    let mut first = database.backend().await;
    first
        .lock(&holder("run-first"), SHORT_TIMEOUT)
        .await
        .unwrap();
    // A write transaction stands in for the holder's long migration.
    let mut writer = database.inspect().await;
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
async fn close_releases_the_lock() {
    let database = TestDatabase::new();
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
    let mut connection = database.inspect().await;
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
async fn lease_of_another_host_is_never_taken_over() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    backend.lock(&holder("setup"), SHORT_TIMEOUT).await.unwrap();
    backend.unlock().await.unwrap();
    let mut connection = database.inspect().await;
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
async fn stale_lease_of_a_dead_local_process_is_taken_over() {
    let database = TestDatabase::new();
    let mut backend = database.backend().await;
    backend.lock(&holder("setup"), SHORT_TIMEOUT).await.unwrap();
    backend.unlock().await.unwrap();
    let this_host = gethostname::gethostname().to_string_lossy().into_owned();
    let mut connection = database.inspect().await;
    sqlx::query("INSERT INTO retort_lock (id, host, pid, run_id, acquired_at) VALUES (1, ?1, 999999999, 'run-killed', '2026-01-01T00:00:00.000Z')")
        .bind(&this_host)
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
