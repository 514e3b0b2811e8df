//! The SQLite connection: opening the file, the tables, and the [`Backend`] methods that read;
//! locking lives in `lease.rs` and running steps in `step.rs`.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use retort_core::Dialect;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::backend::{Backend, BackendOptions, HistoryRow, LockHolder, StepRun};
use crate::error::BackendError;
use crate::history::{HISTORY_COLUMNS, RunEnvironment};
use crate::sql_text::{check_table_name, create_version_table, quote_identifier};

/// How long a statement waits for another connection's write lock.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// One SQLite database, on one connection.
pub(crate) struct SqliteBackend {
    pub(super) connection: SqliteConnection,
    pub(super) tables: TableNames,
    pub(super) environment: RunEnvironment,
    /// The lease this backend holds, if any.
    pub(super) held_lock: Option<LockHolder>,
    /// The version and history tables are known to exist on this connection (checked once,
    /// not before every step).
    pub(super) tables_ready: bool,
    /// A step's transaction is open: steps begin and end it with statements, which sqlx does
    /// not track, so a step whose future is dropped halfway leaves it to be rolled back here.
    pub(super) transaction_open: bool,
}

/// The configured table names, raw (for messages and `sqlite_master`) and quoted (for SQL).
pub(super) struct TableNames {
    pub(super) version: String,
    pub(super) history: String,
    pub(super) quoted_version: String,
    pub(super) quoted_history: String,
}

impl SqliteBackend {
    pub(crate) async fn connect(options: &BackendOptions) -> Result<Self, BackendError> {
        check_table_name(&options.version_table)?;
        check_table_name(&options.history_table)?;
        let url = &options.url;
        let (sqlx_url, synchronous) =
            take_synchronous(url.raw()).map_err(|source| BackendError::ConnectFailed {
                url: url.clone(),
                source,
            })?;
        let mut connect_options = SqliteConnectOptions::from_str(&sqlx_url)
            .map_err(|source| BackendError::ConnectFailed {
                url: url.clone(),
                source,
            })?
            .create_if_missing(true)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(false);
        if let Some(synchronous) = synchronous {
            connect_options = connect_options.synchronous(synchronous);
        }
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
            tables_ready: false,
            transaction_open: false,
        })
    }

    pub(super) async fn table_exists(&mut self, name: &str) -> Result<bool, BackendError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
        )
        .bind(name)
        .fetch_one(&mut self.connection)
        .await
        .map_err(|source| query_failed(format!("looking for table {name}"), source))?;
        Ok(count > 0)
    }

    pub(super) async fn set_busy_timeout(&mut self, timeout: Duration) -> Result<(), BackendError> {
        let statement = format!("PRAGMA busy_timeout = {}", timeout.as_millis());
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut self.connection)
            .await
            .map_err(|source| query_failed("setting the busy timeout".to_owned(), source))?;
        Ok(())
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
        self.end_abandoned_transaction().await;
        let table = self.tables.version.clone();
        if !self.table_exists(&table).await? {
            return Ok(Vec::new());
        }
        select_version_rows(&mut self.connection, &self.tables).await
    }

    async fn applied_checksums(&mut self) -> Result<BTreeMap<String, String>, BackendError> {
        self.end_abandoned_transaction().await;
        let table = self.tables.history.clone();
        if !self.table_exists(&table).await? {
            return Ok(BTreeMap::new());
        }
        let applied =
            "outcome = 'applied' AND direction IN ('upgrade', 'stamp') AND checksum IS NOT NULL";
        // One row: sqlx sends each row from its SQLite thread on its own, which for a history
        // of a thousand steps cost more than the query. Revision ids have no whitespace, unless
        // someone wrote such a row by hand: then the rows are read one by one.
        let statement = format!(
            "SELECT group_concat(revision || ' ' || checksum, char(10) ORDER BY id), \
             sum(instr(revision, ' ') > 0 OR instr(revision, char(10)) > 0) \
             FROM {} WHERE {applied}",
            self.tables.quoted_history
        );
        let (joined, with_whitespace): (Option<String>, Option<i64>) =
            sqlx::query_as(AssertSqlSafe(statement))
                .fetch_one(&mut self.connection)
                .await
                .map_err(|source| {
                    query_failed(format!("reading checksums from {table}"), source)
                })?;
        if with_whitespace.unwrap_or(0) == 0 {
            // Oldest first, so the latest row of each revision wins.
            return Ok(joined
                .unwrap_or_default()
                .split('\n')
                .filter_map(|line| line.rsplit_once(' '))
                .map(|(revision, checksum)| (revision.to_owned(), checksum.to_owned()))
                .collect());
        }
        let statement = format!(
            "SELECT revision, checksum FROM {} WHERE {applied} ORDER BY id",
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
        self.end_abandoned_transaction().await;
        self.take_lease(holder, timeout).await
    }

    async fn unlock(&mut self) -> Result<(), BackendError> {
        self.end_abandoned_transaction().await;
        self.release_lease().await
    }

    async fn run_step(&mut self, run: StepRun<'_>) -> Result<(), BackendError> {
        self.run_step_and_record(run).await
    }

    async fn history(&mut self) -> Result<Vec<HistoryRow>, BackendError> {
        self.end_abandoned_transaction().await;
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
        self.end_abandoned_transaction().await;
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

/// Takes the `synchronous` query parameter (`off`, `normal`, `full` or `extra`, SQLite's
/// `PRAGMA synchronous`) out of a SQLite URL, for the connection to set; sqlx refuses query
/// parameters it does not know. The rest of the URL is left as written.
fn take_synchronous(url: &str) -> Result<(String, Option<SqliteSynchronous>), sqlx::Error> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None));
    };
    let mut synchronous = None;
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("synchronous", value)) => {
                synchronous = Some(SqliteSynchronous::from_str(value).map_err(|_unknown| {
                    sqlx::Error::Configuration(
                        format!(
                            "unknown synchronous value `{value}`; expected off, normal, full or extra"
                        )
                        .into(),
                    )
                })?);
            }
            _ => kept.push(pair),
        }
    }
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Ok((url, synchronous))
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

pub(super) async fn select_version_rows(
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

pub(super) fn query_failed(doing: String, source: sqlx::Error) -> BackendError {
    BackendError::QueryFailed { doing, source }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a test fails loudly")]
mod tests {
    use super::*;

    #[test]
    fn synchronous_is_taken_out_of_the_url() {
        assert_eq!(
            take_synchronous("sqlite:data/app.db?mode=rwc&synchronous=off").unwrap(),
            (
                "sqlite:data/app.db?mode=rwc".to_owned(),
                Some(SqliteSynchronous::Off)
            )
        );
        assert_eq!(
            take_synchronous("sqlite:data/app.db?synchronous=NORMAL").unwrap(),
            (
                "sqlite:data/app.db".to_owned(),
                Some(SqliteSynchronous::Normal)
            )
        );
        assert_eq!(
            take_synchronous("sqlite::memory:").unwrap(),
            ("sqlite::memory:".to_owned(), None)
        );
        let error = take_synchronous("sqlite:app.db?synchronous=sometimes").unwrap_err();
        assert!(error.to_string().contains("`sometimes`"), "{error}");
    }
}
