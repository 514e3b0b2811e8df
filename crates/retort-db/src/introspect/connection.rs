//! One plain connection of any engine, for introspection and scratch databases: opening it
//! (read-only for a live SQLite file), running a script statement by statement, and reading
//! its schema with the engine's reader.

use std::str::FromStr;
use std::time::Duration;

use retort_core::Dialect;
use retort_schema::Schema;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection};

use super::ReadOptions;
use super::error::{IntrospectError, query_failed};
use crate::error::BackendError;
use crate::server::{connect_error, within_connect_timeout};
use crate::sql_text::quote_identifier;
use crate::statements::split_statements;
use crate::url::DatabaseUrl;

/// How much of a failing statement an error shows.
const STATEMENT_SHOWN_CHARS: usize = 200;

/// A connection to one database of any engine.
pub(super) enum EngineConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

impl EngineConnection {
    /// Connects to the database `url` names, changing nothing: a SQLite file is opened
    /// read-only and must exist.
    pub(super) async fn open_existing(
        url: &DatabaseUrl,
        timeout: Duration,
    ) -> Result<EngineConnection, IntrospectError> {
        match url.dialect() {
            Dialect::Sqlite => {
                let options = sqlite_options(url)?
                    .read_only(true)
                    .create_if_missing(false);
                Ok(EngineConnection::Sqlite(
                    connect_sqlite(url, &options, timeout).await?,
                ))
            }
            Dialect::Postgres => {
                let options = postgres_options(url)?;
                Ok(EngineConnection::Postgres(
                    connect_postgres(url, &options, timeout).await?,
                ))
            }
            Dialect::Mysql => {
                let options = mysql_options(url)?;
                Ok(EngineConnection::Mysql(
                    connect_mysql(url, &options, timeout).await?,
                ))
            }
        }
    }

    pub(super) fn dialect(&self) -> Dialect {
        match self {
            EngineConnection::Sqlite(_) => Dialect::Sqlite,
            EngineConnection::Postgres(_) => Dialect::Postgres,
            EngineConnection::Mysql(_) => Dialect::Mysql,
        }
    }

    /// Runs `sql` one statement at a time, outside any transaction; `script` names it in errors.
    pub(super) async fn run_script(
        &mut self,
        script: &str,
        sql: &str,
    ) -> Result<(), IntrospectError> {
        let dialect = self.dialect();
        for (position, statement) in split_statements(dialect, sql).iter().enumerate() {
            let text = AssertSqlSafe(statement.text.to_owned());
            let result = match self {
                EngineConnection::Sqlite(connection) => {
                    sqlx::raw_sql(text).execute(connection).await.map(drop)
                }
                EngineConnection::Postgres(connection) => {
                    sqlx::raw_sql(text).execute(connection).await.map(drop)
                }
                EngineConnection::Mysql(connection) => {
                    sqlx::raw_sql(text).execute(connection).await.map(drop)
                }
            };
            result.map_err(|source| IntrospectError::ScriptFailed {
                script: script.to_owned(),
                dialect,
                statement_number: position + 1,
                statement: shortened(statement.text),
                source,
            })?;
        }
        Ok(())
    }

    /// Runs one statement of retort's own.
    pub(super) async fn execute(
        &mut self,
        doing: &str,
        sql: String,
    ) -> Result<(), IntrospectError> {
        let text = AssertSqlSafe(sql);
        match self {
            EngineConnection::Sqlite(connection) => {
                sqlx::raw_sql(text).execute(connection).await.map(drop)
            }
            EngineConnection::Postgres(connection) => {
                sqlx::raw_sql(text).execute(connection).await.map(drop)
            }
            EngineConnection::Mysql(connection) => {
                sqlx::raw_sql(text).execute(connection).await.map(drop)
            }
        }
        .map_err(query_failed(doing))
    }

    /// PostgreSQL: makes `schema` the first of the search path (`public` after it), as the
    /// migration connection does, so that names resolve alike.
    pub(super) async fn use_schema(&mut self, schema: &str) -> Result<(), IntrospectError> {
        if !matches!(self, EngineConnection::Postgres(_)) {
            return Ok(());
        }
        let quoted = quote_identifier(Dialect::Postgres, schema);
        let path = if schema == "public" {
            quoted
        } else {
            format!("{quoted}, public")
        };
        self.execute(
            &format!("setting the search path to {path}"),
            format!("SET search_path TO {path}"),
        )
        .await
    }

    pub(super) async fn read_schema(
        &mut self,
        options: &ReadOptions,
    ) -> Result<Schema, IntrospectError> {
        match self {
            EngineConnection::Sqlite(connection) => {
                super::sqlite::read_schema(connection, options).await
            }
            EngineConnection::Postgres(connection) => {
                super::postgres::read_schema(connection, options).await
            }
            EngineConnection::Mysql(connection) => {
                super::mysql::read_schema(connection, options).await
            }
        }
    }

    /// Closes the connection; a failure to close is of no consequence and is dropped.
    pub(super) async fn close(self) {
        let _closed = match self {
            EngineConnection::Sqlite(connection) => connection.close().await,
            EngineConnection::Postgres(connection) => connection.close().await,
            EngineConnection::Mysql(connection) => connection.close().await,
        };
    }
}

pub(super) fn sqlite_options(url: &DatabaseUrl) -> Result<SqliteConnectOptions, IntrospectError> {
    SqliteConnectOptions::from_str(url.raw())
        .map(|options| options.foreign_keys(false))
        .map_err(|source| connect_failed(url, source))
}

pub(super) fn postgres_options(url: &DatabaseUrl) -> Result<PgConnectOptions, IntrospectError> {
    PgConnectOptions::from_str(url.raw()).map_err(|source| connect_failed(url, source))
}

pub(super) fn mysql_options(url: &DatabaseUrl) -> Result<MySqlConnectOptions, IntrospectError> {
    MySqlConnectOptions::from_str(url.raw())
        .map(|options| {
            options
                .pipes_as_concat(false)
                .no_engine_substitution(false)
                .timezone(None)
        })
        .map_err(|source| connect_failed(url, source))
}

pub(super) async fn connect_sqlite(
    url: &DatabaseUrl,
    options: &SqliteConnectOptions,
    timeout: Duration,
) -> Result<SqliteConnection, IntrospectError> {
    within_connect_timeout(url, timeout, SqliteConnection::connect_with(options))
        .await?
        .map_err(|source| connect_failed(url, source))
}

pub(super) async fn connect_postgres(
    url: &DatabaseUrl,
    options: &PgConnectOptions,
    timeout: Duration,
) -> Result<PgConnection, IntrospectError> {
    let database = options
        .get_database()
        .unwrap_or(options.get_username())
        .to_owned();
    within_connect_timeout(url, timeout, PgConnection::connect_with(options))
        .await?
        .map_err(|error| IntrospectError::Connect(connect_error(url, &database, error)))
}

pub(super) async fn connect_mysql(
    url: &DatabaseUrl,
    options: &MySqlConnectOptions,
    timeout: Duration,
) -> Result<MySqlConnection, IntrospectError> {
    let database = options.get_database().unwrap_or_default().to_owned();
    within_connect_timeout(url, timeout, MySqlConnection::connect_with(options))
        .await?
        .map_err(|error| IntrospectError::Connect(connect_error(url, &database, error)))
}

fn connect_failed(url: &DatabaseUrl, source: sqlx::Error) -> IntrospectError {
    IntrospectError::Connect(BackendError::ConnectFailed {
        url: url.clone(),
        source,
    })
}

/// The statement's text, cut to [`STATEMENT_SHOWN_CHARS`] characters.
fn shortened(text: &str) -> String {
    let mut characters = text.chars();
    let mut shown: String = characters.by_ref().take(STATEMENT_SHOWN_CHARS).collect();
    if characters.next().is_some() {
        shown.push('…');
    }
    shown
}
