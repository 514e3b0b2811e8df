//! The PostgreSQL connection: connecting (creating the database when asked), the search path,
//! and the [`Backend`] methods that read; setup lives in `setup.rs`, locking in
//! `advisory_lock.rs` and running steps in `step.rs`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use retort_core::Dialect;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::advisory_lock::{HeldLock, lock_key};
use crate::backend::{Backend, BackendOptions, HistoryRow, LockHolder, StepRun};
use crate::error::BackendError;
use crate::history::{HISTORY_COLUMNS, RunEnvironment};
use crate::server::{ConnectProblem, connect_error, connect_problem, within_connect_timeout};
use crate::sql_text::{check_table_name, qualified_name, quote_identifier};
use crate::url::DatabaseUrl;

/// How often the server checks, while a migration statement runs, that retort is still there.
const CLIENT_CONNECTION_CHECK_INTERVAL: &str = "1s";

/// PostgreSQL's `undefined_object`: the server has no such setting (before 14).
const UNDEFINED_OBJECT: &str = "42704";

/// PostgreSQL's `undefined_function`: a look-alike server without `set_config`.
const UNDEFINED_FUNCTION: &str = "42883";

/// PostgreSQL's `invalid_parameter_value`: the server's platform cannot watch a socket (Windows),
/// so the setting must stay 0 there.
const INVALID_PARAMETER_VALUE: &str = "22023";

/// One PostgreSQL database: the migration connection, and the lock connection while locked.
pub(crate) struct PostgresBackend {
    pub(super) connection: PgConnection,
    /// How to open more connections (the lock's).
    pub(super) connect_options: PgConnectOptions,
    pub(super) url: DatabaseUrl,
    /// The database the URL names, for messages.
    pub(super) database: String,
    pub(super) connect_timeout: Duration,
    pub(super) tables: TableNames,
    /// Extensions to enable in `ensure_tables`, without duplicates.
    pub(super) extensions: Vec<String>,
    /// The advisory lock key of this schema's version table.
    pub(super) lock_key: i64,
    pub(super) environment: RunEnvironment,
    pub(super) held_lock: Option<HeldLock>,
    /// The version and history tables are known to exist on this connection (checked once,
    /// not before every step).
    pub(super) tables_ready: bool,
    /// A step's transaction is open: steps begin and end it with statements, which sqlx does
    /// not track, so a step whose future is dropped halfway leaves it to be rolled back here.
    pub(super) transaction_open: bool,
}

/// The configured names: raw for messages, qualified and quoted for SQL.
pub(super) struct TableNames {
    pub(super) schema: Option<String>,
    pub(super) version: String,
    pub(super) history: String,
    pub(super) qualified_version: String,
    pub(super) qualified_history: String,
}

impl PostgresBackend {
    pub(crate) async fn connect(options: &BackendOptions) -> Result<Self, BackendError> {
        check_table_name(&options.version_table)?;
        check_table_name(&options.history_table)?;
        let url = &options.url;
        let connect_options = PgConnectOptions::from_str(url.raw()).map_err(|source| {
            BackendError::ConnectFailed {
                url: url.clone(),
                source,
            }
        })?;
        // Without a database in the URL, PostgreSQL uses the one named like the user.
        let database = connect_options
            .get_database()
            .unwrap_or(connect_options.get_username())
            .to_owned();
        let timeout = options.connect_timeout;
        let mut connection = match within_connect_timeout(
            url,
            timeout,
            PgConnection::connect_with(&connect_options),
        )
        .await?
        {
            Ok(connection) => connection,
            Err(error)
                if options.create_database
                    && connect_problem(&error) == ConnectProblem::DatabaseMissing =>
            {
                super::setup::create_database(&connect_options, url, &database, timeout).await?;
                within_connect_timeout(url, timeout, PgConnection::connect_with(&connect_options))
                    .await?
                    .map_err(|error| connect_error(url, &database, error))?
            }
            Err(error) => return Err(connect_error(url, &database, error)),
        };
        check_for_vanished_client(&mut connection).await?;
        if let Some(schema) = &options.schema {
            set_search_path(&mut connection, schema).await?;
        }
        let key_schema = match &options.schema {
            Some(schema) => schema.clone(),
            None => current_schema(&mut connection).await?,
        };
        let mut extensions = options.extensions.clone();
        extensions.sort();
        extensions.dedup();
        let schema = options.schema.as_deref();
        Ok(PostgresBackend {
            connection,
            connect_options,
            url: url.clone(),
            database,
            connect_timeout: timeout,
            tables: TableNames {
                schema: options.schema.clone(),
                version: options.version_table.clone(),
                history: options.history_table.clone(),
                qualified_version: qualified_name(
                    Dialect::Postgres,
                    schema,
                    &options.version_table,
                ),
                qualified_history: qualified_name(
                    Dialect::Postgres,
                    schema,
                    &options.history_table,
                ),
            },
            extensions,
            lock_key: lock_key(&key_schema, &options.version_table),
            environment: RunEnvironment::detect(),
            held_lock: None,
            tables_ready: false,
            transaction_open: false,
        })
    }

    /// Whether the table `qualified` (as written in SQL) exists.
    pub(super) async fn table_exists(&mut self, qualified: &str) -> Result<bool, BackendError> {
        sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(qualified)
            .fetch_one(&mut self.connection)
            .await
            .map_err(|source| query_failed(format!("looking for table {qualified}"), source))
    }
}

#[async_trait::async_trait]
impl Backend for PostgresBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn transactional_ddl(&self) -> bool {
        true
    }

    async fn ensure_tables(&mut self) -> Result<(), BackendError> {
        self.ensure_schema_extensions_and_tables().await
    }

    async fn read_rows(&mut self) -> Result<Vec<String>, BackendError> {
        self.end_abandoned_transaction().await;
        let table = self.tables.qualified_version.clone();
        if !self.table_exists(&table).await? {
            return Ok(Vec::new());
        }
        select_version_rows(&mut self.connection, &self.tables).await
    }

    async fn applied_checksums(&mut self) -> Result<BTreeMap<String, String>, BackendError> {
        self.end_abandoned_transaction().await;
        let table = self.tables.qualified_history.clone();
        if !self.table_exists(&table).await? {
            return Ok(BTreeMap::new());
        }
        let statement = format!(
            "SELECT revision, checksum FROM {table} WHERE outcome = 'applied' \
             AND direction IN ('upgrade', 'stamp') AND checksum IS NOT NULL ORDER BY id"
        );
        let rows: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(statement))
            .fetch_all(&mut self.connection)
            .await
            .map_err(|source| {
                query_failed(
                    format!("reading checksums from {}", self.tables.history),
                    source,
                )
            })?;
        // Oldest first, so the latest row of each revision wins.
        Ok(rows.into_iter().collect())
    }

    async fn lock(&mut self, holder: &LockHolder, timeout: Duration) -> Result<(), BackendError> {
        self.end_abandoned_transaction().await;
        self.take_advisory_lock(holder, timeout).await
    }

    async fn unlock(&mut self) -> Result<(), BackendError> {
        self.end_abandoned_transaction().await;
        self.release_advisory_lock().await
    }

    async fn run_step(&mut self, run: StepRun<'_>) -> Result<(), BackendError> {
        self.run_step_and_record(run).await
    }

    async fn history(&mut self) -> Result<Vec<HistoryRow>, BackendError> {
        self.end_abandoned_transaction().await;
        let table = self.tables.qualified_history.clone();
        if !self.table_exists(&table).await? {
            return Ok(Vec::new());
        }
        let statement = format!("SELECT {HISTORY_COLUMNS} FROM {table} ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(statement))
            .fetch_all(&mut self.connection)
            .await
            .map_err(|source| query_failed(format!("reading {}", self.tables.history), source))?;
        rows.iter()
            .map(history_row_from)
            .collect::<Result<_, _>>()
            .map_err(|source| query_failed(format!("reading {}", self.tables.history), source))
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

/// Makes the server check every second, while a statement of the migration connection runs,
/// that retort is still connected (PostgreSQL 14 and later; see the module doc). A value the
/// URL's `options` set is kept; servers that have no such setting, or cannot honour it, are
/// left alone.
async fn check_for_vanished_client(connection: &mut PgConnection) -> Result<(), BackendError> {
    // `current_setting(…, true)` is NULL where the setting does not exist, so the SET only
    // runs where it can succeed, and only when nothing set it already ('0' is off).
    let checked = sqlx::query(
        "SELECT set_config('client_connection_check_interval', $1, false) \
         WHERE current_setting('client_connection_check_interval', true) = '0'",
    )
    .bind(CLIENT_CONNECTION_CHECK_INTERVAL)
    .execute(connection)
    .await;
    match checked {
        Ok(_) => Ok(()),
        // A server (or a look-alike) that cannot watch its clients: migrations run as before,
        // and a killed runner's statement is only noticed when it ends.
        Err(sqlx::Error::Database(error))
            if matches!(
                error.code().as_deref(),
                Some(UNDEFINED_OBJECT | UNDEFINED_FUNCTION | INVALID_PARAMETER_VALUE)
            ) =>
        {
            Ok(())
        }
        Err(source) => Err(query_failed(
            "setting client_connection_check_interval".to_owned(),
            source,
        )),
    }
}

/// Puts `schema` first in the search path, `public` after it (see the module doc).
async fn set_search_path(connection: &mut PgConnection, schema: &str) -> Result<(), BackendError> {
    let quoted_schema = quote_identifier(Dialect::Postgres, schema);
    let path = if schema == "public" {
        quoted_schema
    } else {
        format!("{quoted_schema}, public")
    };
    sqlx::raw_sql(AssertSqlSafe(format!("SET search_path TO {path}")))
        .execute(connection)
        .await
        .map_err(|source| query_failed(format!("setting the search path to {path}"), source))?;
    Ok(())
}

/// The schema unqualified tables are created in; `public` when the search path names none.
async fn current_schema(connection: &mut PgConnection) -> Result<String, BackendError> {
    let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(connection)
        .await
        .map_err(|source| query_failed("reading the current schema".to_owned(), source))?;
    Ok(schema.unwrap_or_else(|| "public".to_owned()))
}

pub(super) async fn select_version_rows(
    connection: &mut PgConnection,
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

fn history_row_from(row: &PgRow) -> Result<HistoryRow, sqlx::Error> {
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
