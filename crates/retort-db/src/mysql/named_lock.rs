//! The migration lock: `GET_LOCK(name, 0)` polled on a connection of its own, with the holder
//! recorded in a `retort_lock` row that waiters check against `IS_USED_LOCK` (see the module doc
//! of `mysql` for why).

use std::time::{Duration, Instant};

use sqlx::mysql::MySqlConnection;
use sqlx::{AssertSqlSafe, Connection};

use super::connection::{MysqlBackend, TableNames, query_failed};
use crate::backend::LockHolder;
use crate::error::BackendError;
use crate::history::timestamp_now;
use crate::server::{connect_error, within_connect_timeout};

/// The table holding one row per held lock: who holds it.
pub(super) const LOCK_TABLE: &str = "retort_lock";

/// How often a waiting runner retries the lock.
const LOCK_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The longest lock name MySQL accepts.
const MAX_LOCK_NAME_CHARACTERS: usize = 64;

/// The lock connection's `wait_timeout`, the largest MySQL allows (a year, in seconds).
const LOCK_CONNECTION_WAIT_TIMEOUT_SECONDS: u32 = 31_536_000;

/// The lock this backend holds: who it was taken for and the connection that holds it.
pub(super) struct HeldLock {
    holder: LockHolder,
    connection: MySqlConnection,
}

/// The lock name of the version table `table` in `database`: readable when it fits in 64
/// characters, otherwise a stable hash of it. `GET_LOCK` names are server-wide, so the database
/// is part of the name.
pub(super) fn lock_name(database: &str, table: &str) -> String {
    let readable = format!("retort:{database}.{table}");
    if readable.chars().count() <= MAX_LOCK_NAME_CHARACTERS {
        return readable;
    }
    const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = readable.bytes().fold(FNV_OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    });
    format!("retort:{hash:016x}")
}

impl MysqlBackend {
    /// [`crate::Backend::lock`]: opens the lock connection, polls until `timeout`, and records
    /// the holder.
    pub(super) async fn take_named_lock(
        &mut self,
        holder: &LockHolder,
        timeout: Duration,
    ) -> Result<(), BackendError> {
        if self
            .held_lock
            .as_ref()
            .is_some_and(|held| &held.holder == holder)
        {
            return Ok(());
        }
        self.release_named_lock().await?;
        let deadline = Instant::now() + timeout;
        let mut connection = within_connect_timeout(
            &self.url,
            self.connect_timeout,
            MySqlConnection::connect_with(&self.connect_options),
        )
        .await?
        .map_err(|error| connect_error(&self.url, &self.tables.database, error))?;
        let taken = async {
            let statement =
                format!("SET SESSION wait_timeout = {LOCK_CONNECTION_WAIT_TIMEOUT_SECONDS}");
            sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&mut connection)
                .await
                .map_err(|source| {
                    query_failed("preparing the lock connection".to_owned(), source)
                })?;
            poll_for_lock(
                &mut connection,
                &self.lock_name,
                &self.tables,
                deadline,
                timeout,
            )
            .await?;
            record_holder(&mut connection, &self.lock_name, &self.tables, holder).await
        }
        .await;
        match taken {
            Ok(()) => {
                self.held_lock = Some(HeldLock {
                    holder: holder.clone(),
                    connection,
                });
                Ok(())
            }
            Err(error) => {
                // Best effort: closing the connection releases the lock if it was taken.
                let _closed = connection.close().await;
                Err(error)
            }
        }
    }

    /// [`crate::Backend::unlock`]: deletes the holder row, releases and closes (closing alone
    /// would release the lock too, so the lock is gone even when this fails).
    pub(super) async fn release_named_lock(&mut self) -> Result<(), BackendError> {
        let Some(HeldLock { mut connection, .. }) = self.held_lock.take() else {
            return Ok(());
        };
        let released = async {
            let statement = format!(
                "DELETE FROM {} WHERE lock_name = ? AND connection_id = CONNECTION_ID()",
                self.tables.qualified_lock
            );
            sqlx::query(AssertSqlSafe(statement))
                .bind(&self.lock_name)
                .execute(&mut connection)
                .await?;
            sqlx::query("SELECT RELEASE_LOCK(?)")
                .bind(&self.lock_name)
                .execute(&mut connection)
                .await
        }
        .await
        .map_err(|source| query_failed("releasing the migration lock".to_owned(), source));
        let closed = connection
            .close()
            .await
            .map_err(|source| query_failed("closing the lock connection".to_owned(), source));
        released?;
        closed
    }
}

/// Polls `GET_LOCK` until it is taken or `deadline` passes.
async fn poll_for_lock(
    connection: &mut MySqlConnection,
    name: &str,
    tables: &TableNames,
    deadline: Instant,
    timeout: Duration,
) -> Result<(), BackendError> {
    let mut last_seen_holder: Option<HolderDescription> = None;
    loop {
        let taken: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(name)
            .fetch_one(&mut *connection)
            .await
            .map_err(|source| query_failed("taking the migration lock".to_owned(), source))?;
        if taken == Some(1) {
            return Ok(());
        }
        // The holder may have just released it; keep the last holder seen.
        if let Ok(Some(description)) = describe_holder(connection, name, tables).await {
            last_seen_holder = Some(description);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(lock_timeout(last_seen_holder, timeout));
        }
        tokio::time::sleep(LOCK_POLL_INTERVAL.min(deadline - now)).await;
    }
}

/// Writes this runner's row, stamped with the lock connection's id.
async fn record_holder(
    connection: &mut MySqlConnection,
    name: &str,
    tables: &TableNames,
    holder: &LockHolder,
) -> Result<(), BackendError> {
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {} (lock_name VARCHAR(64) NOT NULL PRIMARY KEY, \
         host VARCHAR(255) NOT NULL, pid BIGINT NOT NULL, run_id VARCHAR(255) NOT NULL, \
         acquired_at VARCHAR(32) NOT NULL, connection_id BIGINT NOT NULL) DEFAULT CHARSET = utf8mb4",
        tables.qualified_lock
    );
    let replace = format!(
        "REPLACE INTO {} (lock_name, host, pid, run_id, acquired_at, connection_id) \
         VALUES (?, ?, ?, ?, ?, CONNECTION_ID())",
        tables.qualified_lock
    );
    async {
        sqlx::raw_sql(AssertSqlSafe(create))
            .execute(&mut *connection)
            .await?;
        sqlx::query(AssertSqlSafe(replace))
            .bind(name)
            .bind(&holder.host)
            .bind(i64::from(holder.pid))
            .bind(&holder.run_id)
            .bind(timestamp_now())
            .execute(&mut *connection)
            .await
    }
    .await
    .map_err(|source| query_failed(format!("recording the lock holder in {LOCK_TABLE}"), source))?;
    Ok(())
}

/// Who holds the lock, as a waiter can tell.
struct HolderDescription {
    connection_id: i64,
    /// The `retort_lock` row of the holding connection, when it is a retort runner.
    recorded: Option<(LockHolder, String)>,
    /// `user@host:port` of the holding connection, from the process list.
    client: Option<String>,
}

/// The holder of lock `name`; `None` when it is free.
async fn describe_holder(
    connection: &mut MySqlConnection,
    name: &str,
    tables: &TableNames,
) -> Result<Option<HolderDescription>, sqlx::Error> {
    let used_by: Option<i64> = sqlx::query_scalar("SELECT IS_USED_LOCK(?)")
        .bind(name)
        .fetch_one(&mut *connection)
        .await?;
    let Some(connection_id) = used_by else {
        return Ok(None);
    };
    let statement = format!(
        "SELECT host, pid, run_id, acquired_at FROM {} WHERE lock_name = ? AND connection_id = ?",
        tables.qualified_lock
    );
    // The table is missing until a retort runner first takes a lock: no row then.
    let row: Option<(String, i64, String, String)> = sqlx::query_as(AssertSqlSafe(statement))
        .bind(name)
        .bind(connection_id)
        .fetch_optional(&mut *connection)
        .await
        .unwrap_or(None);
    let recorded = row.map(|(host, pid, run_id, since)| {
        let pid = u32::try_from(pid).unwrap_or(0);
        (LockHolder { host, pid, run_id }, since)
    });
    let client: Option<String> = sqlx::query_scalar(
        "SELECT CONCAT(USER, '@', HOST) FROM information_schema.PROCESSLIST WHERE ID = ?",
    )
    .bind(connection_id)
    .fetch_optional(&mut *connection)
    .await?;
    Ok(Some(HolderDescription {
        connection_id,
        recorded,
        client,
    }))
}

/// The timeout error, naming the holder and its connection.
fn lock_timeout(description: Option<HolderDescription>, timeout: Duration) -> BackendError {
    let Some(description) = description else {
        return BackendError::LockTimeout {
            holder: None,
            held_since: None,
            timeout,
            release_hint: String::new(),
        };
    };
    let mut release_hint = format!(
        "the lock is held by connection {}",
        description.connection_id
    );
    if let Some(client) = &description.client {
        release_hint.push_str(&format!(" ({client})"));
    }
    release_hint.push_str(&format!(
        "; it is released when that connection ends, which `KILL {}` forces",
        description.connection_id
    ));
    let (holder, held_since) = match description.recorded {
        Some((holder, since)) => (Some(holder), Some(since)),
        None => (None, None),
    };
    BackendError::LockTimeout {
        holder,
        held_since,
        timeout,
        release_hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_fit_mysql_and_stay_readable_when_they_can() {
        assert_eq!(
            lock_name("app", "retort_version"),
            "retort:app.retort_version"
        );
        let long = lock_name(&"d".repeat(40), &"t".repeat(40));
        assert_eq!(long.len(), "retort:".len() + 16, "{long}");
        assert_eq!(long, lock_name(&"d".repeat(40), &"t".repeat(40)));
    }
}
