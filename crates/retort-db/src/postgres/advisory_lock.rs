//! The migration lock: a session advisory lock on a connection of its own, taken by polling
//! `pg_try_advisory_lock`, with the holder found through `pg_locks` and `pg_stat_activity`
//! (see the module doc of `postgres` for why each of these).

use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::connection::{PostgresBackend, query_failed};
use crate::backend::LockHolder;
use crate::error::BackendError;
use crate::server::{connect_error, within_connect_timeout};

/// How often a waiting runner retries the lock.
const LOCK_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The key of the transaction-scoped lock that serialises setup (`ensure_tables`), the same for
/// every schema of a database: setup is short and rare.
pub(super) const SETUP_LOCK_KEY: i64 = 0x7265_746f_7274_0001;

/// PostgreSQL truncates `application_name` to this many bytes.
const MAX_APPLICATION_NAME_BYTES: usize = 63;

/// The lock this backend holds: who it was taken for and the connection that holds it.
pub(super) struct HeldLock {
    holder: LockHolder,
    connection: PgConnection,
}

/// The advisory lock key for the version table `table` in `schema`: FNV-1a over both, so that
/// every retort version derives the same key.
pub(super) fn lock_key(schema: &str, table: &str) -> i64 {
    const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let text = format!("retort:{schema}.{table}");
    let hash = text.bytes().fold(FNV_OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// [`HolderSession`] as a row: application name, client address, backend pid, since.
type HolderSessionRow = (Option<String>, Option<String>, i32, Option<String>);

/// The session that holds the lock, as a waiter sees it.
#[derive(Debug)]
struct HolderSession {
    application_name: Option<String>,
    client_address: Option<String>,
    backend_pid: i32,
    since: Option<String>,
}

impl PostgresBackend {
    /// [`crate::Backend::lock`]: opens the lock connection and polls until `timeout`.
    pub(super) async fn take_advisory_lock(
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
        self.release_advisory_lock().await?;
        let deadline = Instant::now() + timeout;
        let options = self
            .connect_options
            .clone()
            .application_name(&application_name(holder));
        let mut connection = within_connect_timeout(
            &self.url,
            self.connect_timeout,
            PgConnection::connect_with(&options),
        )
        .await?
        .map_err(|error| connect_error(&self.url, &self.database, error))?;
        match poll_for_lock(&mut connection, self.lock_key, deadline, timeout).await {
            Ok(()) => {
                self.held_lock = Some(HeldLock {
                    holder: holder.clone(),
                    connection,
                });
                Ok(())
            }
            Err(error) => {
                // Best effort: the lock was not taken, so closing cannot lose it.
                let _closed = connection.close().await;
                Err(error)
            }
        }
    }

    /// [`crate::Backend::unlock`]: unlocks and closes the lock connection (closing alone would
    /// release the lock too, so the lock is gone even when this fails).
    pub(super) async fn release_advisory_lock(&mut self) -> Result<(), BackendError> {
        let Some(HeldLock { mut connection, .. }) = self.held_lock.take() else {
            return Ok(());
        };
        let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
            .bind(self.lock_key)
            .fetch_one(&mut connection)
            .await
            .map_err(|source| query_failed("releasing the migration lock".to_owned(), source));
        let closed = connection
            .close()
            .await
            .map_err(|source| query_failed("closing the lock connection".to_owned(), source));
        unlocked?;
        closed
    }
}

/// Polls the try-lock until it is taken or `deadline` passes.
async fn poll_for_lock(
    connection: &mut PgConnection,
    key: i64,
    deadline: Instant,
    timeout: Duration,
) -> Result<(), BackendError> {
    let mut last_seen_holder: Option<HolderSession> = None;
    loop {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *connection)
            .await
            .map_err(|source| query_failed("taking the migration lock".to_owned(), source))?;
        if taken {
            return Ok(());
        }
        // The holder may have just released it; keep the last holder seen.
        if let Ok(Some(session)) = find_holder(connection, key).await {
            last_seen_holder = Some(session);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(lock_timeout(last_seen_holder, timeout));
        }
        tokio::time::sleep(LOCK_POLL_INTERVAL.min(deadline - now)).await;
    }
}

/// The session holding the advisory lock `key` in this database, if any.
async fn find_holder(
    connection: &mut PgConnection,
    key: i64,
) -> Result<Option<HolderSession>, sqlx::Error> {
    let key_bits = u64::from_ne_bytes(key.to_ne_bytes());
    let high = i64::from((key_bits >> 32) as u32);
    let low = i64::from(key_bits as u32);
    let row: Option<HolderSessionRow> = sqlx::query_as(
        "SELECT activity.application_name, host(activity.client_addr) AS client_address, \
                activity.pid AS backend_pid, \
                to_char(activity.state_change AT TIME ZONE 'UTC', \
                        'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS since \
         FROM pg_locks AS locks JOIN pg_stat_activity AS activity ON activity.pid = locks.pid \
         WHERE locks.locktype = 'advisory' AND locks.granted \
           AND locks.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND locks.classid::int8 = $1 AND locks.objid::int8 = $2 AND locks.objsubid = 1 \
         LIMIT 1",
    )
    .bind(high)
    .bind(low)
    .fetch_optional(connection)
    .await?;
    Ok(row.map(
        |(application_name, client_address, backend_pid, since)| HolderSession {
            application_name,
            client_address,
            backend_pid,
            since,
        },
    ))
}

/// The timeout error, naming the holder from its `application_name` when it is a retort runner
/// and its server session in any case.
fn lock_timeout(session: Option<HolderSession>, timeout: Duration) -> BackendError {
    let Some(session) = session else {
        return BackendError::LockTimeout {
            holder: None,
            held_since: None,
            timeout,
            release_hint: String::new(),
        };
    };
    let holder = session
        .application_name
        .as_deref()
        .and_then(parse_application_name);
    let mut release_hint = format!("the lock is held by server session {}", session.backend_pid);
    if holder.is_none()
        && let Some(name) = session
            .application_name
            .as_deref()
            .filter(|name| !name.is_empty())
    {
        release_hint.push_str(&format!(" (application `{name}`)"));
    }
    if let Some(address) = &session.client_address {
        release_hint.push_str(&format!(" from {address}"));
    }
    release_hint.push_str(&format!(
        "; it is released when that session ends, which `SELECT pg_terminate_backend({})` forces",
        session.backend_pid
    ));
    BackendError::LockTimeout {
        holder,
        held_since: session.since,
        timeout,
        release_hint,
    }
}

/// `retort <run id> <host> <pid>`, printable ASCII, the host shortened to fit in 63 bytes.
fn application_name(holder: &LockHolder) -> String {
    let printable = |text: &str| -> String {
        text.chars()
            .map(|character| {
                if character.is_ascii_graphic() {
                    character
                } else {
                    '_'
                }
            })
            .collect()
    };
    let run_id = printable(&holder.run_id);
    let mut host = printable(&holder.host);
    let fixed_length = format!("retort {run_id}  {}", holder.pid).len();
    host.truncate(
        MAX_APPLICATION_NAME_BYTES
            .saturating_sub(fixed_length)
            .max(1),
    );
    format!("retort {run_id} {host} {}", holder.pid)
}

/// The holder an [`application_name`] describes; `None` for any other application.
fn parse_application_name(name: &str) -> Option<LockHolder> {
    let mut words = name.split(' ');
    let (Some("retort"), Some(run_id), Some(host), Some(pid), None) = (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    ) else {
        return None;
    };
    Some(LockHolder {
        host: host.to_owned(),
        pid: pid.parse().ok()?,
        run_id: run_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_name_round_trips_and_fits() {
        let holder = LockHolder {
            host: "build-7".to_owned(),
            pid: 4242,
            run_id: "0f8e2c1a-5b7d-4c3e-9a10-2b3c4d5e6f70".to_owned(),
        };
        let name = application_name(&holder);
        assert_eq!(
            name,
            "retort 0f8e2c1a-5b7d-4c3e-9a10-2b3c4d5e6f70 build-7 4242"
        );
        assert_eq!(parse_application_name(&name), Some(holder.clone()));

        let long_host = LockHolder {
            host: "a-very-long-host-name.example.internal".to_owned(),
            ..holder
        };
        let name = application_name(&long_host);
        assert!(name.len() <= MAX_APPLICATION_NAME_BYTES, "{name}");
        let parsed = parse_application_name(&name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(parsed.pid, 4242);
        assert!(long_host.host.starts_with(&parsed.host));
        assert_eq!(parse_application_name("psql"), None);
        assert_eq!(parse_application_name("retort a b notapid"), None);
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(
            lock_key("public", "retort_version"),
            lock_key("public", "retort_version")
        );
        assert_ne!(
            lock_key("public", "retort_version"),
            lock_key("app", "retort_version")
        );
        assert_ne!(lock_key("public", "retort_version"), SETUP_LOCK_KEY);
        // Pinned: a change would let two retort versions migrate one database at once.
        assert_eq!(
            lock_key("public", "retort_version"),
            2_330_506_738_813_777_489_i64
        );
    }
}
