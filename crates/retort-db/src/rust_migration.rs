//! Running a Rust migration (`retort-migration`'s [`RustMigration`]) on one database: a
//! connection of its own, opened like the backend's (PostgreSQL `schema` first in the
//! `search_path`, SQLite foreign keys off), in a transaction unless the migration says
//! `transaction: false`, with the engine's driver behind [`DataConnection`].
//!
//! The version-table change and the history row are the backend's, written by
//! [`crate::Backend::run_step`] once the migration has returned: the migration's own changes
//! commit first. A run that dies in between runs the migration again, which is why Rust
//! migrations must be safe to run twice (see [`RustMigration`]).

use std::str::FromStr;

use retort_core::{Dialect, Direction};
use retort_migration::{DataConnection, DataError, MigrationContext, Progress, RustMigration};
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::backend::BackendOptions;
use crate::error::BackendError;
use crate::server::{connect_error, within_connect_timeout};
use crate::sql_text::quote_identifier;

/// Which migration, and how to run it.
#[derive(Clone, Copy)]
pub struct RustStep<'a> {
    /// The revision, for messages.
    pub revision: &'a str,
    /// The name its marker gives.
    pub name: &'a str,
    pub migration: &'a dyn RustMigration,
    pub direction: Direction,
    /// One transaction for everything it runs (false: each statement commits on its own).
    pub transactional: bool,
}

/// Runs `step` on the database `options` names, reporting its progress to `on_progress`. The
/// database must exist (the backend has connected to it already).
pub async fn run_rust_migration(
    options: &BackendOptions,
    step: RustStep<'_>,
    on_progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(), BackendError> {
    let mut connection = EngineConnection::open(options).await?;
    let failed = |source| BackendError::RustMigrationFailed {
        revision: step.revision.to_owned(),
        name: step.name.to_owned(),
        direction: step.direction,
        rolled_back: step.transactional,
        source,
    };
    let query_failed = |doing: &str, source| BackendError::QueryFailed {
        doing: format!(
            "{doing} the Rust migration {} ({})",
            step.name, step.revision
        ),
        source,
    };
    if step.transactional {
        connection
            .raw("BEGIN")
            .await
            .map_err(|source| query_failed("starting the transaction of", source))?;
    }
    let result = {
        let mut context = MigrationContext::new(&mut connection, on_progress);
        match step.direction {
            Direction::Up => step.migration.upgrade(&mut context).await,
            Direction::Down => step.migration.downgrade(&mut context).await,
        }
    };
    match result {
        Ok(()) if step.transactional => {
            connection
                .raw("COMMIT")
                .await
                .map_err(|source| query_failed("committing", source))?;
        }
        Ok(()) => {}
        Err(source) => {
            if step.transactional {
                // The migration's error is the one to report; the connection is closed next,
                // which rolls back as well.
                let _rolled_back = connection.raw("ROLLBACK").await;
            }
            connection.close().await;
            return Err(failed(source));
        }
    }
    connection.close().await;
    Ok(())
}

/// A connection of one engine.
enum EngineConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

impl EngineConnection {
    async fn open(options: &BackendOptions) -> Result<EngineConnection, BackendError> {
        let url = &options.url;
        let timeout = options.connect_timeout;
        let invalid = |source| BackendError::ConnectFailed {
            url: url.clone(),
            source,
        };
        match url.dialect() {
            Dialect::Sqlite => {
                let connect_options = SqliteConnectOptions::from_str(url.raw())
                    .map_err(invalid)?
                    .foreign_keys(false)
                    .busy_timeout(timeout);
                let connection = within_connect_timeout(
                    url,
                    timeout,
                    SqliteConnection::connect_with(&connect_options),
                )
                .await?
                .map_err(|error| connect_error(url, "main", error))?;
                Ok(EngineConnection::Sqlite(connection))
            }
            Dialect::Postgres => {
                let connect_options = PgConnectOptions::from_str(url.raw()).map_err(invalid)?;
                let database = connect_options
                    .get_database()
                    .unwrap_or(connect_options.get_username())
                    .to_owned();
                let connection = within_connect_timeout(
                    url,
                    timeout,
                    PgConnection::connect_with(&connect_options),
                )
                .await?
                .map_err(|error| connect_error(url, &database, error))?;
                let mut connection = EngineConnection::Postgres(connection);
                if let Some(schema) = &options.schema {
                    let schema = quote_identifier(Dialect::Postgres, schema);
                    connection
                        .raw(&format!("SET search_path TO {schema}, public"))
                        .await
                        .map_err(|source| BackendError::QueryFailed {
                            doing: "setting the search_path of a Rust migration's connection"
                                .to_owned(),
                            source,
                        })?;
                }
                Ok(connection)
            }
            Dialect::Mysql => {
                let connect_options = MySqlConnectOptions::from_str(url.raw()).map_err(invalid)?;
                let database = connect_options
                    .get_database()
                    .unwrap_or_default()
                    .to_owned();
                let connection = within_connect_timeout(
                    url,
                    timeout,
                    MySqlConnection::connect_with(&connect_options),
                )
                .await?
                .map_err(|error| connect_error(url, &database, error))?;
                Ok(EngineConnection::Mysql(connection))
            }
        }
    }

    /// Runs a statement of retort's own (`BEGIN`, `COMMIT`).
    async fn raw(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(match self {
            EngineConnection::Sqlite(connection) => sqlx::raw_sql(sql)
                .execute(connection)
                .await?
                .rows_affected(),
            EngineConnection::Postgres(connection) => sqlx::raw_sql(sql)
                .execute(connection)
                .await?
                .rows_affected(),
            EngineConnection::Mysql(connection) => sqlx::raw_sql(sql)
                .execute(connection)
                .await?
                .rows_affected(),
        })
    }

    async fn close(self) {
        // The work is committed or rolled back already; a failure to say goodbye changes nothing.
        let _closed = match self {
            EngineConnection::Sqlite(connection) => connection.close().await,
            EngineConnection::Postgres(connection) => connection.close().await,
            EngineConnection::Mysql(connection) => connection.close().await,
        };
    }
}

#[async_trait::async_trait]
impl DataConnection for EngineConnection {
    fn dialect(&self) -> Dialect {
        match self {
            EngineConnection::Sqlite(_) => Dialect::Sqlite,
            EngineConnection::Postgres(_) => Dialect::Postgres,
            EngineConnection::Mysql(_) => Dialect::Mysql,
        }
    }

    async fn execute(&mut self, sql: &str) -> Result<u64, DataError> {
        Ok(self.raw(sql).await?)
    }

    async fn fetch_integers(&mut self, sql: &str) -> Result<Vec<Option<i64>>, DataError> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(match self {
            EngineConnection::Sqlite(connection) => {
                integer_column(sqlx::query(sql).fetch_all(connection).await?)?
            }
            EngineConnection::Postgres(connection) => {
                integer_column(sqlx::query(sql).fetch_all(connection).await?)?
            }
            EngineConnection::Mysql(connection) => {
                integer_column(sqlx::query(sql).fetch_all(connection).await?)?
            }
        })
    }

    async fn fetch_strings(&mut self, sql: &str) -> Result<Vec<Option<String>>, DataError> {
        let sql = AssertSqlSafe(sql.to_owned());
        Ok(match self {
            EngineConnection::Sqlite(connection) => {
                first_column(sqlx::query(sql).fetch_all(connection).await?)?
            }
            EngineConnection::Postgres(connection) => {
                first_column(sqlx::query(sql).fetch_all(connection).await?)?
            }
            EngineConnection::Mysql(connection) => {
                first_column(sqlx::query(sql).fetch_all(connection).await?)?
            }
        })
    }
}

/// The first column of every row, decoded as `T`.
fn first_column<R, T>(rows: Vec<R>) -> Result<Vec<Option<T>>, sqlx::Error>
where
    R: Row,
    for<'r> Option<T>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| row.try_get::<Option<T>, usize>(0))
        .collect()
}

/// The first column of every row as a 64-bit integer, whatever the width of the engine's
/// integer type (PostgreSQL's `MIN(id)` of an `INTEGER` column is 32 bits wide).
fn integer_column<R>(rows: Vec<R>) -> Result<Vec<Option<i64>>, sqlx::Error>
where
    R: Row,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i32>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i16>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| {
            row.try_get::<Option<i64>, usize>(0)
                .or_else(|_| {
                    row.try_get::<Option<i32>, usize>(0)
                        .map(|value| value.map(i64::from))
                })
                .or_else(|_| {
                    row.try_get::<Option<i16>, usize>(0)
                        .map(|value| value.map(i64::from))
                })
        })
        .collect()
}
