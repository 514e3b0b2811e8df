//! The lease lock: one row in `retort_lock`, taken in a short `BEGIN IMMEDIATE` transaction,
//! taken over from a dead process of this host (see the module doc of `sqlite`).

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::{Connection, SqliteConnection};

use super::connection::{BUSY_TIMEOUT, SqliteBackend, query_failed};
use crate::backend::LockHolder;
use crate::error::BackendError;
use crate::history::timestamp_now;

/// The lease table; one per database file.
const LOCK_TABLE: &str = "retort_lock";

/// How often a waiting runner retries the lock.
const LOCK_POLL_INTERVAL: Duration = Duration::from_millis(100);

enum LockAttempt {
    Taken,
    HeldBy { holder: LockHolder, since: String },
}

impl SqliteBackend {
    /// [`crate::Backend::lock`]: polls for the lease with the busy timeout lowered, then restores it.
    pub(super) async fn take_lease(
        &mut self,
        holder: &LockHolder,
        timeout: Duration,
    ) -> Result<(), BackendError> {
        if self.held_lock.as_ref() == Some(holder) {
            return Ok(());
        }
        self.release_lease().await?;
        self.set_busy_timeout(LOCK_POLL_INTERVAL).await?;
        let polled = self.poll_for_lock(holder, timeout).await;
        if polled.is_ok() {
            self.held_lock = Some(holder.clone());
        }
        let restored = self.set_busy_timeout(BUSY_TIMEOUT).await;
        polled?;
        restored
    }

    /// [`crate::Backend::unlock`]: deletes the lease row when this backend holds it.
    pub(super) async fn release_lease(&mut self) -> Result<(), BackendError> {
        let Some(holder) = self.held_lock.take() else {
            return Ok(());
        };
        let deleted = sqlx::query(
            "DELETE FROM retort_lock WHERE id = 1 AND host = ?1 AND pid = ?2 AND run_id = ?3",
        )
        .bind(&holder.host)
        .bind(i64::from(holder.pid))
        .bind(&holder.run_id)
        .execute(&mut self.connection)
        .await;
        if let Err(source) = deleted {
            self.held_lock = Some(holder);
            return Err(query_failed(
                format!("releasing the migration lock in {LOCK_TABLE}"),
                source,
            ));
        }
        Ok(())
    }

    /// Polls for the lease until `timeout`, with the busy timeout already lowered.
    async fn poll_for_lock(
        &mut self,
        holder: &LockHolder,
        timeout: Duration,
    ) -> Result<(), BackendError> {
        let deadline = Instant::now() + timeout;
        let mut last_seen_holder: Option<(LockHolder, String)> = None;
        loop {
            match try_take_lock(&mut self.connection, holder).await {
                Ok(LockAttempt::Taken) => return Ok(()),
                Ok(LockAttempt::HeldBy {
                    holder: current,
                    since,
                }) => last_seen_holder = Some((current, since)),
                // Another connection is writing (a migration of the lock holder, say): learn who
                // holds the lease with a plain read, which a writer does not block, and retry.
                Err(source) if is_busy(&source) => {
                    if let Ok(Some(current)) = read_lock_holder(&mut self.connection).await {
                        last_seen_holder = Some(current);
                    }
                }
                Err(source) => {
                    return Err(query_failed(
                        format!("taking the migration lock in {LOCK_TABLE}"),
                        source,
                    ));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                let (holder, held_since) = match last_seen_holder {
                    Some((holder, since)) => (Some(holder), Some(since)),
                    None => (None, None),
                };
                let release_hint = if holder.is_some() {
                    format!(
                        "a lock left by a process that no longer runs on another host is cleared with `DELETE FROM {LOCK_TABLE}`"
                    )
                } else {
                    String::new()
                };
                return Err(BackendError::LockTimeout {
                    holder,
                    held_since,
                    timeout,
                    release_hint,
                });
            }
            tokio::time::sleep(LOCK_POLL_INTERVAL.min(deadline - now)).await;
        }
    }
}

/// One attempt at the lease, in a short `BEGIN IMMEDIATE` transaction.
async fn try_take_lock(
    connection: &mut SqliteConnection,
    holder: &LockHolder,
) -> Result<LockAttempt, sqlx::Error> {
    let mut transaction = connection.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS retort_lock (id INTEGER PRIMARY KEY CHECK (id = 1), \
         host TEXT NOT NULL, pid INTEGER NOT NULL, run_id TEXT NOT NULL, acquired_at TEXT NOT NULL)",
    )
    .execute(&mut *transaction)
    .await?;
    let current: Option<(String, i64, String, String)> =
        sqlx::query_as("SELECT host, pid, run_id, acquired_at FROM retort_lock WHERE id = 1")
            .fetch_optional(&mut *transaction)
            .await?;
    let statement = match current {
        None => {
            "INSERT INTO retort_lock (id, host, pid, run_id, acquired_at) VALUES (1, ?1, ?2, ?3, ?4)"
        }
        Some((host, pid, run_id, since)) if !lease_is_stale(&host, pid) => {
            transaction.rollback().await?;
            let pid = u32::try_from(pid).unwrap_or(0);
            return Ok(LockAttempt::HeldBy {
                holder: LockHolder { host, pid, run_id },
                since,
            });
        }
        Some(_stale) => {
            "UPDATE retort_lock SET host = ?1, pid = ?2, run_id = ?3, acquired_at = ?4 WHERE id = 1"
        }
    };
    sqlx::query(statement)
        .bind(&holder.host)
        .bind(i64::from(holder.pid))
        .bind(&holder.run_id)
        .bind(timestamp_now())
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(LockAttempt::Taken)
}

/// The current lease outside any transaction; `None` when there is none (or no lock table).
async fn read_lock_holder(
    connection: &mut SqliteConnection,
) -> Result<Option<(LockHolder, String)>, sqlx::Error> {
    let current: Option<(String, i64, String, String)> =
        sqlx::query_as("SELECT host, pid, run_id, acquired_at FROM retort_lock WHERE id = 1")
            .fetch_optional(connection)
            .await?;
    Ok(current.map(|(host, pid, run_id, since)| {
        let pid = u32::try_from(pid).unwrap_or(0);
        (LockHolder { host, pid, run_id }, since)
    }))
}

/// Whether a lease belongs to a process of this host that no longer exists.
fn lease_is_stale(host: &str, pid: i64) -> bool {
    let Ok(pid) = u32::try_from(pid) else {
        return false;
    };
    host == crate::history::this_host_name() && !process_is_alive(pid)
}

/// Whether process `pid` of this host exists; `true` whenever that cannot be known.
#[cfg(target_os = "linux")]
fn process_is_alive(pid: u32) -> bool {
    // procfs is virtual: these lookups never wait on a disk.
    let procfs_mounted = Path::new("/proc/self").exists();
    !procfs_mounted || Path::new("/proc").join(pid.to_string()).exists()
}

/// Whether process `pid` of this host exists; `true` whenever that cannot be known.
#[cfg(not(target_os = "linux"))]
fn process_is_alive(_pid: u32) -> bool {
    true
}

/// SQLITE_BUSY or SQLITE_LOCKED, extended codes included.
fn is_busy(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(database_error) = error else {
        return false;
    };
    database_error
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_process_of_this_host_is_not_stale() {
        let host = crate::history::this_host_name();
        assert!(!lease_is_stale(&host, i64::from(std::process::id())));
        assert!(!lease_is_stale("some-other-host", 999_999_999));
        assert!(!lease_is_stale(&host, -1));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dead_process_of_this_host_is_stale() {
        assert!(lease_is_stale(
            &crate::history::this_host_name(),
            999_999_999
        ));
    }
}
