//! The SQLite backend: one `SqliteConnection`, the version, history and lock tables, one
//! `BEGIN IMMEDIATE` transaction per step.
//!
//! **Locking.** SQLite has a single writer per database file. A lock held as a long write
//! transaction on a second connection would therefore block the migration connection itself, so
//! the lock is a *lease row* instead: table `retort_lock` holds at most one row (`id = 1`) naming
//! the holder's host, pid and run id and when it took the lock. [`SqliteBackend::lock`] polls a
//! short `BEGIN IMMEDIATE` transaction that inserts the row when absent; `unlock` deletes it when
//! it is ours, and `close` unlocks. While it waits, the busy timeout is lowered to the poll
//! interval so that a long migration of another runner (which holds the write lock) cannot make
//! one attempt overshoot the lock timeout.
//!
//! **Stale leases.** A runner killed with SIGKILL cannot delete its row. On Linux, a row whose
//! host is this host and whose pid has no `/proc/<pid>` is taken over, so a dead runner never
//! blocks the next one. Elsewhere (and when `/proc` is not mounted) a row is never judged stale;
//! the lock-timeout error names the holder and says how to delete the row. Two containers that
//! share a host name but not a pid namespace would see each other's pids as dead: give them
//! different host names.
//!
//! **Transactions.** DDL is transactional in SQLite, so a step's SQL, its version-row changes and
//! its history row commit together; on failure everything is rolled back and a `failed` history
//! row is written in its own statement. `transaction: false` steps run their SQL in autocommit
//! mode, then the version changes and history in one transaction.
//!
//! **Connection settings.** The file and its directory are created when missing. The busy
//! timeout is 30 s, so a migration waits for the application's own short write transactions.
//! Foreign-key enforcement stays at SQLite's default (off), as under Alembic/SQLAlchemy: with it
//! on, the table rebuilds SQLite needs for most `ALTER`s would cascade deletes. The journal mode
//! is left as the database has it.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use retort_core::{Dialect, VersionChange};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::backend::{Backend, BackendOptions, HistoryRow, LockHolder, Outcome, StepRun};
use crate::error::{BackendError, error_chain_text};
use crate::history::{RunEnvironment, history_direction, history_revision, timestamp_now};
use crate::sql_text::{check_table_name, create_version_table, quote_identifier};

/// The lease table; one per database file.
const LOCK_TABLE: &str = "retort_lock";

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a waiting runner retries the lock.
const LOCK_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The columns of the history table, in insert order.
const HISTORY_COLUMNS: &str = "run_id, revision, direction, checksum, started_at, finished_at, duration_ms, \
     user_name, host, retort_version, outcome, statements_done, statements_total, error";

/// One SQLite database, on one connection.
pub(crate) struct SqliteBackend {
    connection: SqliteConnection,
    tables: TableNames,
    environment: RunEnvironment,
    /// The lease this backend holds, if any.
    held_lock: Option<LockHolder>,
}

/// The configured table names, raw (for messages and `sqlite_master`) and quoted (for SQL).
struct TableNames {
    version: String,
    history: String,
    quoted_version: String,
    quoted_history: String,
}

/// The history fields known when a step starts.
struct HistoryDraft {
    run_id: String,
    revision: String,
    direction: &'static str,
    checksum: Option<String>,
    started_at: String,
    started: Instant,
    environment: RunEnvironment,
}

/// A failed step: the error to return and what to record.
struct StepFailure {
    error: BackendError,
    /// Statements that took effect (0 after a rollback); `None` for a step without SQL.
    statements_done: Option<usize>,
}

enum LockAttempt {
    Taken,
    HeldBy { holder: LockHolder, since: String },
}

impl SqliteBackend {
    pub(crate) async fn connect(options: &BackendOptions) -> Result<Self, BackendError> {
        check_table_name(&options.version_table)?;
        check_table_name(&options.history_table)?;
        let url = &options.url;
        let connect_options = SqliteConnectOptions::from_str(url.raw())
            .map_err(|source| BackendError::ConnectFailed {
                url: url.clone(),
                source,
            })?
            .create_if_missing(true)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(false);
        if !url.is_sqlite_memory() {
            create_parent_directory(connect_options.get_filename()).await?;
        }
        let connection = tokio::time::timeout(
            options.connect_timeout,
            SqliteConnection::connect_with(&connect_options),
        )
        .await
        .map_err(|_elapsed| BackendError::ConnectTimeout {
            url: url.clone(),
            timeout: options.connect_timeout,
        })?
        .map_err(|source| BackendError::ConnectFailed {
            url: url.clone(),
            source,
        })?;
        Ok(SqliteBackend {
            connection,
            tables: TableNames {
                version: options.version_table.clone(),
                history: options.history_table.clone(),
                quoted_version: quote_identifier(Dialect::Sqlite, &options.version_table),
                quoted_history: quote_identifier(Dialect::Sqlite, &options.history_table),
            },
            environment: RunEnvironment::detect(),
            held_lock: None,
        })
    }

    async fn table_exists(&mut self, name: &str) -> Result<bool, BackendError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
        )
        .bind(name)
        .fetch_one(&mut self.connection)
        .await
        .map_err(|source| query_failed(format!("looking for table {name}"), source))?;
        Ok(count > 0)
    }

    /// A step with its SQL, version changes and history in one `BEGIN IMMEDIATE` transaction.
    async fn run_in_one_transaction(
        &mut self,
        run: &StepRun<'_>,
        draft: &HistoryDraft,
    ) -> Result<(), StepFailure> {
        let statements_done_after_rollback = run.sql.map(|_| 0);
        let mut transaction = self
            .connection
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| StepFailure {
                error: query_failed("starting a write transaction".to_owned(), source),
                statements_done: statements_done_after_rollback,
            })?;
        let applied: Result<(), BackendError> = async {
            check_expected_rows(&mut transaction, &self.tables, run.expected_rows).await?;
            let statements_done = match run.sql {
                Some(sql) => Some(execute_migration_sql(&mut transaction, run, sql, true).await?),
                None => None,
            };
            apply_version_changes(&mut transaction, &self.tables, &run.step.version_changes)
                .await?;
            let row = draft.finish(Outcome::Applied, statements_done, None);
            insert_history(&mut transaction, &self.tables, &row).await
        }
        .await;
        match applied {
            Ok(()) => transaction.commit().await.map_err(|source| StepFailure {
                error: commit_failed(run, source),
                statements_done: statements_done_after_rollback,
            }),
            Err(error) => {
                // Best effort: if the rollback fails too, the connection is gone with the transaction.
                let _rollback = transaction.rollback().await;
                Err(StepFailure {
                    error,
                    statements_done: statements_done_after_rollback,
                })
            }
        }
    }

    /// A `transaction: false` step: its SQL in autocommit mode, then version changes and history
    /// in one transaction.
    async fn run_outside_transaction(
        &mut self,
        run: &StepRun<'_>,
        sql: &str,
        draft: &HistoryDraft,
    ) -> Result<(), StepFailure> {
        check_expected_rows(&mut self.connection, &self.tables, run.expected_rows)
            .await
            .map_err(|error| StepFailure {
                error,
                statements_done: Some(0),
            })?;
        let statements_done = execute_migration_sql(&mut self.connection, run, sql, false)
            .await
            .map_err(|error| {
                let statements_done = match &error {
                    BackendError::MigrationFailed {
                        statements_done, ..
                    } => *statements_done,
                    _ => 0,
                };
                StepFailure {
                    error,
                    statements_done: Some(statements_done),
                }
            })?;
        let failure = |error| StepFailure {
            error,
            statements_done: Some(statements_done),
        };
        let mut transaction = self
            .connection
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| {
                failure(query_failed(
                    "starting a write transaction".to_owned(),
                    source,
                ))
            })?;
        let recorded: Result<(), BackendError> = async {
            apply_version_changes(&mut transaction, &self.tables, &run.step.version_changes)
                .await?;
            let row = draft.finish(Outcome::Applied, Some(statements_done), None);
            insert_history(&mut transaction, &self.tables, &row).await
        }
        .await;
        match recorded {
            Ok(()) => transaction.commit().await.map_err(|source| {
                failure(query_failed(
                    format!("committing the version change of {}", draft.revision),
                    source,
                ))
            }),
            Err(error) => {
                let _rollback = transaction.rollback().await;
                Err(failure(error))
            }
        }
    }

    async fn set_busy_timeout(&mut self, timeout: Duration) -> Result<(), BackendError> {
        let statement = format!("PRAGMA busy_timeout = {}", timeout.as_millis());
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut self.connection)
            .await
            .map_err(|source| query_failed("setting the busy timeout".to_owned(), source))?;
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
                // Another connection is writing (a migration of the lock holder, say): retry.
                Err(source) if is_busy(&source) => {}
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

#[async_trait::async_trait]
impl Backend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn transactional_ddl(&self) -> bool {
        true
    }

    async fn ensure_tables(&mut self) -> Result<(), BackendError> {
        let quoted_index = quote_identifier(
            Dialect::Sqlite,
            &format!("{}_run_id_idx", self.tables.history),
        );
        let statements = format!(
            "{create_version};\n\
             CREATE TABLE IF NOT EXISTS {history} (\n\
                 id INTEGER PRIMARY KEY AUTOINCREMENT,\n\
                 run_id TEXT NOT NULL,\n\
                 revision TEXT NOT NULL,\n\
                 direction TEXT NOT NULL,\n\
                 checksum TEXT,\n\
                 started_at TEXT NOT NULL,\n\
                 finished_at TEXT NOT NULL,\n\
                 duration_ms INTEGER NOT NULL,\n\
                 user_name TEXT NOT NULL,\n\
                 host TEXT NOT NULL,\n\
                 retort_version TEXT NOT NULL,\n\
                 outcome TEXT NOT NULL,\n\
                 statements_done INTEGER,\n\
                 statements_total INTEGER,\n\
                 error TEXT\n\
             );\n\
             CREATE INDEX IF NOT EXISTS {quoted_index} ON {history} (run_id);",
            create_version =
                create_version_table(Dialect::Sqlite, &self.tables.version, true, false),
            history = self.tables.quoted_history,
        );
        sqlx::raw_sql(AssertSqlSafe(statements))
            .execute(&mut self.connection)
            .await
            .map_err(|source| {
                query_failed(
                    format!(
                        "creating the tables {} and {}",
                        self.tables.version, self.tables.history
                    ),
                    source,
                )
            })?;
        Ok(())
    }

    async fn read_rows(&mut self) -> Result<Vec<String>, BackendError> {
        let table = self.tables.version.clone();
        if !self.table_exists(&table).await? {
            return Ok(Vec::new());
        }
        select_version_rows(&mut self.connection, &self.tables).await
    }

    async fn applied_checksums(&mut self) -> Result<BTreeMap<String, String>, BackendError> {
        let table = self.tables.history.clone();
        if !self.table_exists(&table).await? {
            return Ok(BTreeMap::new());
        }
        let statement = format!(
            "SELECT revision, checksum FROM {} WHERE outcome = 'applied' \
             AND direction IN ('upgrade', 'stamp') AND checksum IS NOT NULL ORDER BY id",
            self.tables.quoted_history
        );
        let rows: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(statement))
            .fetch_all(&mut self.connection)
            .await
            .map_err(|source| query_failed(format!("reading checksums from {table}"), source))?;
        // Oldest first, so the latest row of each revision wins.
        Ok(rows.into_iter().collect())
    }

    async fn lock(&mut self, holder: &LockHolder, timeout: Duration) -> Result<(), BackendError> {
        if self.held_lock.as_ref() == Some(holder) {
            return Ok(());
        }
        self.unlock().await?;
        self.set_busy_timeout(LOCK_POLL_INTERVAL).await?;
        let polled = self.poll_for_lock(holder, timeout).await;
        if polled.is_ok() {
            self.held_lock = Some(holder.clone());
        }
        let restored = self.set_busy_timeout(BUSY_TIMEOUT).await;
        polled?;
        restored
    }

    async fn unlock(&mut self) -> Result<(), BackendError> {
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

    async fn run_step(&mut self, run: StepRun<'_>) -> Result<(), BackendError> {
        self.ensure_tables().await?;
        let draft = HistoryDraft {
            run_id: run.run_id.to_owned(),
            revision: history_revision(run.step),
            direction: history_direction(run.step),
            checksum: run.checksum.map(str::to_owned),
            started_at: timestamp_now(),
            started: Instant::now(),
            environment: self.environment.clone(),
        };
        let attempt = match run.sql {
            Some(sql) if !run.transactional => {
                self.run_outside_transaction(&run, sql, &draft).await
            }
            _ => self.run_in_one_transaction(&run, &draft).await,
        };
        let Err(failure) = attempt else {
            return Ok(());
        };
        let row = draft.finish(
            Outcome::Failed,
            failure.statements_done,
            Some(error_chain_text(&failure.error)),
        );
        // Best effort: the error to report is the step's, not a failure to record it.
        let _recorded = insert_history(&mut self.connection, &self.tables, &row).await;
        Err(failure.error)
    }

    async fn history(&mut self) -> Result<Vec<HistoryRow>, BackendError> {
        let table = self.tables.history.clone();
        if !self.table_exists(&table).await? {
            return Ok(Vec::new());
        }
        let statement = format!(
            "SELECT {HISTORY_COLUMNS} FROM {} ORDER BY id",
            self.tables.quoted_history
        );
        let rows = sqlx::query(AssertSqlSafe(statement))
            .fetch_all(&mut self.connection)
            .await
            .map_err(|source| query_failed(format!("reading {table}"), source))?;
        rows.iter()
            .map(history_row_from)
            .collect::<Result<_, _>>()
            .map_err(|source| query_failed(format!("reading {table}"), source))
    }

    async fn close(mut self: Box<Self>) -> Result<(), BackendError> {
        let unlocked = self.unlock().await;
        let closed = self
            .connection
            .close()
            .await
            .map_err(|source| query_failed("closing the connection".to_owned(), source));
        unlocked?;
        closed
    }
}

impl HistoryDraft {
    fn finish(
        &self,
        outcome: Outcome,
        statements_done: Option<usize>,
        error: Option<String>,
    ) -> HistoryRow {
        HistoryRow {
            run_id: self.run_id.clone(),
            revision: self.revision.clone(),
            direction: self.direction.to_owned(),
            checksum: self.checksum.clone(),
            started_at: self.started_at.clone(),
            finished_at: timestamp_now(),
            duration_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
            user_name: self.environment.user_name.clone(),
            host: self.environment.host.clone(),
            retort_version: self.environment.retort_version.to_owned(),
            outcome: outcome.as_str().to_owned(),
            statements_done: statements_done.map(|count| i64::try_from(count).unwrap_or(i64::MAX)),
            statements_total: None,
            error,
        }
    }
}

async fn create_parent_directory(file: &Path) -> Result<(), BackendError> {
    let Some(parent) = file.parent() else {
        return Ok(());
    };
    if parent.as_os_str().is_empty() {
        return Ok(());
    }
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|source| BackendError::CreateDirectory {
            path: parent.to_path_buf(),
            source,
        })
}

async fn select_version_rows(
    connection: &mut SqliteConnection,
    tables: &TableNames,
) -> Result<Vec<String>, BackendError> {
    let statement = format!("SELECT version_num FROM {}", tables.quoted_version);
    sqlx::query_scalar(AssertSqlSafe(statement))
        .fetch_all(connection)
        .await
        .map_err(|source| {
            query_failed(
                format!("reading the version table {}", tables.version),
                source,
            )
        })
}

/// Refuses the step unless the version rows are `expected` (as sets).
async fn check_expected_rows(
    connection: &mut SqliteConnection,
    tables: &TableNames,
    expected: &[String],
) -> Result<(), BackendError> {
    let found = select_version_rows(connection, tables).await?;
    let mut found_sorted = found.clone();
    found_sorted.sort();
    let mut expected_sorted = expected.to_vec();
    expected_sorted.sort();
    if found_sorted != expected_sorted {
        return Err(BackendError::VersionRowsChanged {
            table: tables.version.clone(),
            expected: expected.to_vec(),
            found,
        });
    }
    Ok(())
}

/// Runs a migration's statements in order and returns how many ran. On failure the error says
/// which statement failed; `rolled_back` says whether the caller is about to roll back.
async fn execute_migration_sql(
    connection: &mut SqliteConnection,
    run: &StepRun<'_>,
    sql: &str,
    rolled_back: bool,
) -> Result<usize, BackendError> {
    let mut results = sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute_many(&mut *connection);
    let mut statements_done = 0;
    while let Some(result) = results.next().await {
        if let Err(source) = result {
            return Err(BackendError::MigrationFailed {
                revision: history_revision(run.step),
                direction: run.step.direction(),
                statement_number: Some(statements_done + 1),
                statement_text: None,
                statements_done: if rolled_back { 0 } else { statements_done },
                rolled_back,
                source,
            });
        }
        statements_done += 1;
    }
    Ok(statements_done)
}

/// Applies version changes in order; an UPDATE or DELETE must match exactly one row.
async fn apply_version_changes(
    connection: &mut SqliteConnection,
    tables: &TableNames,
    changes: &[VersionChange],
) -> Result<(), BackendError> {
    let table = &tables.quoted_version;
    for change in changes {
        let (query, doing) = match change {
            VersionChange::Insert(revision) => (
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO {table} (version_num) VALUES (?1)"
                )))
                .bind(revision),
                format!("inserting '{revision}' into {}", tables.version),
            ),
            VersionChange::Update { from, to } => (
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET version_num = ?1 WHERE version_num = ?2"
                )))
                .bind(to)
                .bind(from),
                format!("updating '{from}' to '{to}' in {}", tables.version),
            ),
            VersionChange::Delete(revision) => (
                sqlx::query(AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE version_num = ?1"
                )))
                .bind(revision),
                format!("deleting '{revision}' from {}", tables.version),
            ),
        };
        let result = query
            .execute(&mut *connection)
            .await
            .map_err(|source| query_failed(doing, source))?;
        let must_match_one_row = !matches!(change, VersionChange::Insert(_));
        if must_match_one_row && result.rows_affected() != 1 {
            return Err(BackendError::VersionRowMismatch {
                table: tables.version.clone(),
                change: change.clone(),
                matched: result.rows_affected(),
            });
        }
    }
    Ok(())
}

async fn insert_history(
    connection: &mut SqliteConnection,
    tables: &TableNames,
    row: &HistoryRow,
) -> Result<(), BackendError> {
    let statement = format!(
        "INSERT INTO {} ({HISTORY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        tables.quoted_history
    );
    sqlx::query(AssertSqlSafe(statement))
        .bind(&row.run_id)
        .bind(&row.revision)
        .bind(&row.direction)
        .bind(&row.checksum)
        .bind(&row.started_at)
        .bind(&row.finished_at)
        .bind(row.duration_ms)
        .bind(&row.user_name)
        .bind(&row.host)
        .bind(&row.retort_version)
        .bind(&row.outcome)
        .bind(row.statements_done)
        .bind(row.statements_total)
        .bind(&row.error)
        .execute(connection)
        .await
        .map_err(|source| query_failed(format!("writing to {}", tables.history), source))?;
    Ok(())
}

fn history_row_from(row: &SqliteRow) -> Result<HistoryRow, sqlx::Error> {
    Ok(HistoryRow {
        run_id: row.try_get("run_id")?,
        revision: row.try_get("revision")?,
        direction: row.try_get("direction")?,
        checksum: row.try_get("checksum")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        duration_ms: row.try_get("duration_ms")?,
        user_name: row.try_get("user_name")?,
        host: row.try_get("host")?,
        retort_version: row.try_get("retort_version")?,
        outcome: row.try_get("outcome")?,
        statements_done: row.try_get("statements_done")?,
        statements_total: row.try_get("statements_total")?,
        error: row.try_get("error")?,
    })
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

fn query_failed(doing: String, source: sqlx::Error) -> BackendError {
    BackendError::QueryFailed { doing, source }
}

/// A failed COMMIT: the migration's fault when it had SQL (a deferred constraint, say).
fn commit_failed(run: &StepRun<'_>, source: sqlx::Error) -> BackendError {
    match run.sql {
        Some(_) => BackendError::MigrationFailed {
            revision: history_revision(run.step),
            direction: run.step.direction(),
            statement_number: None,
            statement_text: None,
            statements_done: 0,
            rolled_back: true,
            source,
        },
        None => query_failed(
            format!("committing the stamp to {}", history_revision(run.step)),
            source,
        ),
    }
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
