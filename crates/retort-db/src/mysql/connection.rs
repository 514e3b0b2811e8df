//! The MySQL connection: connecting (creating the database when asked), the tables, and the
//! [`Backend`] methods that read; locking lives in `named_lock.rs`, steps in `step.rs`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use retort_core::Dialect;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::named_lock::{HeldLock, lock_name};
use crate::backend::{Backend, BackendOptions, HistoryRow, LockHolder, StepRun};
use crate::error::BackendError;
use crate::history::{HISTORY_COLUMNS, RunEnvironment};
use crate::server::{ConnectProblem, connect_error, connect_problem, within_connect_timeout};
use crate::sql_text::{
    check_table_name, create_version_table_in, qualified_name, quote_identifier,
};
use crate::url::DatabaseUrl;

/// A database every server has and every user may connect to, for creating the target.
const MAINTENANCE_DATABASE: &str = "information_schema";

/// One MySQL or MariaDB database: the migration connection, and the lock connection while locked.
pub(crate) struct MysqlBackend {
    pub(super) connection: MySqlConnection,
    /// How to open more connections (the lock's).
    pub(super) connect_options: MySqlConnectOptions,
    pub(super) url: DatabaseUrl,
    pub(super) connect_timeout: Duration,
    pub(super) tables: TableNames,
    /// The `GET_LOCK` name of this database's version table.
    pub(super) lock_name: String,
    pub(super) environment: RunEnvironment,
    pub(super) held_lock: Option<HeldLock>,
    /// The version and history tables are known to exist on this connection (checked once,
    /// not before every step).
    pub(super) tables_ready: bool,
    /// A step's closing transaction is open: it is begun and ended by statements, which sqlx
    /// does not track, so a step whose future is dropped halfway leaves it to be rolled back.
    pub(super) transaction_open: bool,
}

/// The configured names: raw for messages, qualified with the database and quoted for SQL.
pub(super) struct TableNames {
    pub(super) database: String,
    pub(super) version: String,
    pub(super) history: String,
    pub(super) qualified_version: String,
    pub(super) qualified_history: String,
    pub(super) qualified_lock: String,
}

impl MysqlBackend {
    pub(crate) async fn connect(options: &BackendOptions) -> Result<Self, BackendError> {
        check_table_name(&options.version_table)?;
        check_table_name(&options.history_table)?;
        let url = &options.url;
        let connect_options = MySqlConnectOptions::from_str(url.raw())
            .map_err(|source| BackendError::ConnectFailed {
                url: url.clone(),
                source,
            })?
            .pipes_as_concat(false)
            .no_engine_substitution(false)
            .timezone(None);
        let Some(database) = connect_options.get_database().map(str::to_owned) else {
            return Err(BackendError::InvalidUrl {
                url: url.to_string(),
                problem: "the url names no database (mysql://user@host/database)",
            });
        };
        let timeout = options.connect_timeout;
        let connecting = MySqlConnection::connect_with(&connect_options);
        let connection = match within_connect_timeout(url, timeout, connecting).await? {
            Ok(connection) => connection,
            Err(error)
                if options.create_database
                    && connect_problem(&error) == ConnectProblem::DatabaseMissing =>
            {
                create_database(&connect_options, url, &database, timeout).await?;
                within_connect_timeout(
                    url,
                    timeout,
                    MySqlConnection::connect_with(&connect_options),
                )
                .await?
                .map_err(|error| connect_error(url, &database, error))?
            }
            Err(error) => return Err(connect_error(url, &database, error)),
        };
        let qualify = |table: &str| qualified_name(Dialect::Mysql, Some(&database), table);
        Ok(MysqlBackend {
            connection,
            url: url.clone(),
            connect_timeout: timeout,
            tables: TableNames {
                version: options.version_table.clone(),
                history: options.history_table.clone(),
                qualified_version: qualify(&options.version_table),
                qualified_history: qualify(&options.history_table),
                qualified_lock: qualify(super::named_lock::LOCK_TABLE),
                database: database.clone(),
            },
            lock_name: lock_name(&database, &options.version_table),
            connect_options,
            environment: RunEnvironment::detect(),
            held_lock: None,
            tables_ready: false,
            transaction_open: false,
        })
    }

    pub(super) async fn table_exists(&mut self, name: &str) -> Result<bool, BackendError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        )
        .bind(&self.tables.database)
        .bind(name)
        .fetch_one(&mut self.connection)
        .await
        .map_err(|source| query_failed(format!("looking for table {name}"), source))?;
        Ok(count > 0)
    }
}

#[async_trait::async_trait]
impl Backend for MysqlBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn transactional_ddl(&self) -> bool {
        false
    }

    async fn ensure_tables(&mut self) -> Result<(), BackendError> {
        // Each DDL statement commits implicitly: skip them when there is nothing to create.
        let (version, history) = (self.tables.version.clone(), self.tables.history.clone());
        if self.table_exists(&version).await? && self.table_exists(&history).await? {
            return Ok(());
        }
        let index_name = quote_identifier(
            Dialect::Mysql,
            &format!("{}_run_id_idx", self.tables.history),
        );
        let create_version = create_version_table_in(
            Dialect::Mysql,
            Some(&self.tables.database),
            &self.tables.version,
            true,
            false,
        );
        let create_history = format!(
            "CREATE TABLE IF NOT EXISTS {} (\n\
                 id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n\
                 run_id VARCHAR(255) NOT NULL,\n\
                 revision TEXT NOT NULL,\n\
                 direction VARCHAR(16) NOT NULL,\n\
                 checksum TEXT NULL,\n\
                 started_at VARCHAR(32) NOT NULL,\n\
                 finished_at VARCHAR(32) NOT NULL,\n\
                 duration_ms BIGINT NOT NULL,\n\
                 user_name TEXT NOT NULL,\n\
                 host TEXT NOT NULL,\n\
                 retort_version VARCHAR(64) NOT NULL,\n\
                 outcome VARCHAR(16) NOT NULL,\n\
                 statements_done BIGINT NULL,\n\
                 statements_total BIGINT NULL,\n\
                 statement_checksums TEXT NULL,\n\
                 error TEXT NULL,\n\
                 INDEX {index_name} (run_id)\n\
             ) DEFAULT CHARSET = utf8mb4",
            self.tables.qualified_history
        );
        // `IF NOT EXISTS` makes runners that start together safe.
        for statement in [create_version, create_history] {
            sqlx::raw_sql(AssertSqlSafe(statement))
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
        }
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
        let statement = format!(
            "SELECT revision, checksum FROM {} WHERE outcome = 'applied' \
             AND direction IN ('upgrade', 'stamp') AND checksum IS NOT NULL ORDER BY id",
            self.tables.qualified_history
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
        self.take_named_lock(holder, timeout).await
    }

    async fn unlock(&mut self) -> Result<(), BackendError> {
        self.end_abandoned_transaction().await;
        self.release_named_lock().await
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
            self.tables.qualified_history
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

/// `CREATE DATABASE IF NOT EXISTS`, through a connection to [`MAINTENANCE_DATABASE`].
async fn create_database(
    target_options: &MySqlConnectOptions,
    url: &DatabaseUrl,
    database: &str,
    timeout: Duration,
) -> Result<(), BackendError> {
    let maintenance_options = target_options.clone().database(MAINTENANCE_DATABASE);
    let mut connection = within_connect_timeout(
        url,
        timeout,
        MySqlConnection::connect_with(&maintenance_options),
    )
    .await?
    .map_err(|error| connect_error(url, MAINTENANCE_DATABASE, error))?;
    let statement = format!(
        "CREATE DATABASE IF NOT EXISTS {}",
        quote_identifier(Dialect::Mysql, database)
    );
    let created = sqlx::raw_sql(AssertSqlSafe(statement))
        .execute(&mut connection)
        .await;
    // Best effort: the database exists or the error below says why not.
    let _closed = connection.close().await;
    created
        .map(|_| ())
        .map_err(|source| BackendError::CreateDatabaseFailed {
            url: url.clone(),
            database: database.to_owned(),
            source,
        })
}

pub(super) async fn select_version_rows(
    connection: &mut MySqlConnection,
    tables: &TableNames,
) -> Result<Vec<String>, BackendError> {
    let statement = format!("SELECT version_num FROM {}", tables.qualified_version);
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

fn history_row_from(row: &MySqlRow) -> Result<HistoryRow, sqlx::Error> {
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
