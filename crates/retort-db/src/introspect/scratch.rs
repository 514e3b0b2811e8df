//! Scratch databases: somewhere to run `schema.sql` or the migrations and read back the schema
//! they make, without touching the real database.
//!
//! SQLite's is in memory and vanishes with its connection. On PostgreSQL and MySQL a database
//! named `retort_scratch_<random>` is created on the server of the configured URL (with its
//! credentials) and dropped by [`ScratchDatabase::discard`]. When the value is dropped without
//! that (an error on the way, a panic, a command abandoned on Ctrl-C), a guard drops the
//! database from a thread of its own, since `Drop` cannot await and the runtime may be the
//! one shutting down. The scratch connection goes first, and PostgreSQL's drop is `WITH
//! (FORCE)`, so a session still closing never keeps the database alive.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use retort_core::Dialect;
use retort_schema::Schema;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};

use super::ReadOptions;
use super::connection::{
    EngineConnection, connect_mysql, connect_postgres, connect_sqlite, mysql_options,
    postgres_options, sqlite_options,
};
use super::error::IntrospectError;
use crate::backend::BackendOptions;
use crate::sql_text::quote_identifier;
use crate::url::DatabaseUrl;

/// A database every PostgreSQL server has, to create and drop scratch databases from.
const POSTGRES_MAINTENANCE: &str = "postgres";
/// A database every MySQL server has and every user may connect to.
const MYSQL_MAINTENANCE: &str = "information_schema";
/// How long a guard's drop may take before it gives up (the database is then left behind).
const GUARD_DROP_TIMEOUT: Duration = Duration::from_secs(30);

/// An empty database of the configured engine, dropped when done with.
pub struct ScratchDatabase {
    /// Declared before the guard: fields drop in order, so the connection closes first.
    connection: Option<EngineConnection>,
    read_options: ReadOptions,
    guard: Option<DropGuard>,
}

impl ScratchDatabase {
    /// A fresh, empty database of the engine `options.url` names, on its server. On PostgreSQL
    /// the configured schema is created and put first in the search path, and the configured
    /// extensions are enabled, as on the real database.
    pub async fn create(options: &BackendOptions) -> Result<ScratchDatabase, IntrospectError> {
        let url = &options.url;
        let timeout = options.connect_timeout;
        let read_options = ReadOptions {
            default_schema: options.schema.clone(),
            excluded_tables: Vec::new(),
        };
        let (connection, guard) = match url.dialect() {
            Dialect::Sqlite => {
                let memory = DatabaseUrl::parse("sqlite::memory:")?;
                let connection =
                    connect_sqlite(&memory, &sqlite_options(&memory)?, timeout).await?;
                (EngineConnection::Sqlite(connection), None)
            }
            Dialect::Postgres => {
                let server = postgres_options(url)?;
                let guard =
                    DropGuard::create(Server::Postgres(server.clone()), url, timeout).await?;
                let connection =
                    connect_postgres(url, &server.database(&guard.name), timeout).await?;
                (EngineConnection::Postgres(connection), Some(guard))
            }
            Dialect::Mysql => {
                let server = mysql_options(url)?;
                let guard = DropGuard::create(Server::Mysql(server.clone()), url, timeout).await?;
                let connection = connect_mysql(url, &server.database(&guard.name), timeout).await?;
                (EngineConnection::Mysql(connection), Some(guard))
            }
        };
        let mut scratch = ScratchDatabase {
            connection: Some(connection),
            read_options,
            guard,
        };
        if let (Some(schema), Some(connection)) = (&options.schema, scratch.connection.as_mut())
            && connection.dialect() == Dialect::Postgres
        {
            let quoted = quote_identifier(Dialect::Postgres, schema);
            connection
                .execute(
                    &format!("creating schema {schema}"),
                    format!("CREATE SCHEMA IF NOT EXISTS {quoted}"),
                )
                .await?;
            connection.use_schema(schema).await?;
        }
        for extension in &options.extensions {
            if let Some(connection) = scratch.connection.as_mut() {
                let quoted = quote_identifier(Dialect::Postgres, extension);
                connection
                    .execute(
                        &format!("enabling extension {extension}"),
                        format!("CREATE EXTENSION IF NOT EXISTS {quoted}"),
                    )
                    .await?;
            }
        }
        Ok(scratch)
    }

    /// The server database's name (`retort_scratch_…`); `None` for SQLite's, in memory.
    pub fn database_name(&self) -> Option<&str> {
        self.guard.as_ref().map(|guard| guard.name.as_str())
    }

    /// The engine's dialect.
    pub fn dialect(&self) -> Dialect {
        self.connection
            .as_ref()
            .map_or(Dialect::Sqlite, EngineConnection::dialect)
    }

    /// Runs `sql` statement by statement; `script` names it in errors
    /// (`databases/app/schema.sql`).
    pub async fn run_script(&mut self, script: &str, sql: &str) -> Result<(), IntrospectError> {
        match self.connection.as_mut() {
            Some(connection) => connection.run_script(script, sql).await,
            None => Ok(()),
        }
    }

    /// The schema the scripts have built so far.
    pub async fn schema(&mut self) -> Result<Schema, IntrospectError> {
        match self.connection.as_mut() {
            Some(connection) => connection.read_schema(&self.read_options).await,
            None => Ok(Schema::empty(Dialect::Sqlite)),
        }
    }

    /// Closes the connection and drops the database.
    pub async fn discard(mut self) -> Result<(), IntrospectError> {
        if let Some(connection) = self.connection.take() {
            connection.close().await;
        }
        match self.guard.take() {
            Some(guard) => guard.drop_now().await,
            None => Ok(()),
        }
    }
}

/// The server a scratch database lives on, as the driver connects to it.
#[derive(Clone)]
enum Server {
    Postgres(PgConnectOptions),
    Mysql(MySqlConnectOptions),
}

/// Drops the scratch database when dropped, unless [`DropGuard::drop_now`] did.
struct DropGuard {
    server: Server,
    url: DatabaseUrl,
    name: String,
    timeout: Duration,
    /// Cleared once the database is dropped (or the attempt failed and was reported).
    armed: bool,
}

impl DropGuard {
    /// Creates a database with a fresh name and guards it.
    async fn create(
        server: Server,
        url: &DatabaseUrl,
        timeout: Duration,
    ) -> Result<DropGuard, IntrospectError> {
        let name = fresh_name();
        let statement = format!("CREATE DATABASE {name}");
        execute_on_server(&server, url, timeout, statement)
            .await?
            .map_err(|source| IntrospectError::CreateScratch {
                url: url.clone(),
                database: name.clone(),
                source,
            })?;
        Ok(DropGuard {
            server,
            url: url.clone(),
            name,
            timeout,
            armed: true,
        })
    }

    async fn drop_now(mut self) -> Result<(), IntrospectError> {
        // Dropped or not, the guard has nothing more to do: a failure is reported instead.
        self.armed = false;
        drop_database(&self.server, &self.url, self.timeout, &self.name).await
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (server, url, name, timeout) = (
            self.server.clone(),
            self.url.clone(),
            self.name.clone(),
            self.timeout,
        );
        let dropping = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                // Best effort: nothing can report a failure from here.
                let _dropped = tokio::time::timeout(
                    GUARD_DROP_TIMEOUT,
                    drop_database(&server, &url, timeout, &name),
                )
                .await;
            });
        });
        let _joined = dropping.join();
    }
}

async fn drop_database(
    server: &Server,
    url: &DatabaseUrl,
    timeout: Duration,
    name: &str,
) -> Result<(), IntrospectError> {
    let drop_error = |source| IntrospectError::DropScratch {
        url: url.clone(),
        database: name.to_owned(),
        source,
    };
    let statement = match server {
        Server::Postgres(_) => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        Server::Mysql(_) => format!("DROP DATABASE IF EXISTS {name}"),
    };
    match execute_on_server(server, url, timeout, statement).await? {
        Ok(()) => Ok(()),
        // PostgreSQL before 13 has no FORCE; the scratch connection is closed by now.
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42601") => {
            execute_on_server(
                server,
                url,
                timeout,
                format!("DROP DATABASE IF EXISTS {name}"),
            )
            .await?
            .map_err(drop_error)
        }
        Err(source) => Err(drop_error(source)),
    }
}

/// Runs `statement` on a connection to the server's maintenance database (or, when that is
/// refused, the configured one); the outer error is about connecting.
async fn execute_on_server(
    server: &Server,
    url: &DatabaseUrl,
    timeout: Duration,
    statement: String,
) -> Result<Result<(), sqlx::Error>, IntrospectError> {
    match server {
        Server::Postgres(options) => {
            let maintenance = options.clone().database(POSTGRES_MAINTENANCE);
            let mut connection: PgConnection =
                match connect_postgres(url, &maintenance, timeout).await {
                    Ok(connection) => connection,
                    Err(_) => connect_postgres(url, options, timeout).await?,
                };
            let result = sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&mut connection)
                .await
                .map(drop);
            let _closed = connection.close().await;
            Ok(result)
        }
        Server::Mysql(options) => {
            let maintenance = options.clone().database(MYSQL_MAINTENANCE);
            let mut connection: MySqlConnection = connect_mysql(url, &maintenance, timeout).await?;
            let result = sqlx::raw_sql(AssertSqlSafe(statement))
                .execute(&mut connection)
                .await
                .map(drop);
            let _closed = connection.close().await;
            Ok(result)
        }
    }
}

/// `retort_scratch_` and 16 hex digits that differ between calls and processes.
fn fresh_name() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("retort_scratch_{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_names_are_plain_and_differ() {
        let first = fresh_name();
        assert!(
            first.starts_with("retort_scratch_") && first.len() == "retort_scratch_".len() + 16
        );
        assert_ne!(first, fresh_name());
    }
}
