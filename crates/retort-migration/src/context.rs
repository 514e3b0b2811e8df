//! What a Rust migration is given: [`MigrationContext`], a connection to run SQL on (behind the
//! [`DataConnection`] trait, which retort-db implements for each engine) and a progress
//! callback, which the orchestrator turns into events (the progress bars show a long data
//! migration advancing).

use std::error::Error;

use retort_core::Dialect;

use crate::migration::MigrationError;

/// A failure of the database, as the engine's driver reports it.
pub type DataError = Box<dyn Error + Send + Sync>;

/// A connection a Rust migration runs SQL on: in a transaction, or in autocommit mode for a
/// `transaction: false` migration. Statements are plain text (retort's migrations are SQL
/// text too); values a migration computes are written into them as literals.
#[async_trait::async_trait]
pub trait DataConnection: Send {
    /// The engine, for SQL that differs between them.
    fn dialect(&self) -> Dialect;

    /// Runs `sql` (one statement) and returns how many rows it changed.
    async fn execute(&mut self, sql: &str) -> Result<u64, DataError>;

    /// Runs a query and returns its first column as integers, one per row (`None` for NULL).
    async fn fetch_integers(&mut self, sql: &str) -> Result<Vec<Option<i64>>, DataError>;

    /// Runs a query and returns its first column as text, one per row (`None` for NULL).
    async fn fetch_strings(&mut self, sql: &str) -> Result<Vec<Option<String>>, DataError>;
}

/// How far a migration has got: `done` out of `total` units of its choosing (rows, batches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    /// `None` while the total is unknown.
    pub total: Option<u64>,
}

/// What `upgrade` and `downgrade` receive.
pub struct MigrationContext<'a> {
    connection: &'a mut dyn DataConnection,
    on_progress: &'a (dyn Fn(Progress) + Send + Sync),
}

impl<'a> MigrationContext<'a> {
    /// A context over `connection` that reports progress to `on_progress`.
    pub fn new(
        connection: &'a mut dyn DataConnection,
        on_progress: &'a (dyn Fn(Progress) + Send + Sync),
    ) -> MigrationContext<'a> {
        MigrationContext {
            connection,
            on_progress,
        }
    }

    /// The engine of the database.
    pub fn dialect(&self) -> Dialect {
        self.connection.dialect()
    }

    /// Runs one statement; returns how many rows it changed.
    pub async fn execute(&mut self, sql: &str) -> Result<u64, MigrationError> {
        self.connection
            .execute(sql)
            .await
            .map_err(|source| statement_error(sql, source))
    }

    /// Runs a query; returns its first column as integers.
    pub async fn fetch_integers(&mut self, sql: &str) -> Result<Vec<Option<i64>>, MigrationError> {
        self.connection
            .fetch_integers(sql)
            .await
            .map_err(|source| statement_error(sql, source))
    }

    /// Runs a query; returns its first column as text.
    pub async fn fetch_strings(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Option<String>>, MigrationError> {
        self.connection
            .fetch_strings(sql)
            .await
            .map_err(|source| statement_error(sql, source))
    }

    /// Reports that `done` units out of `total` are done.
    pub fn progress(&self, done: u64, total: Option<u64>) {
        (self.on_progress)(Progress { done, total });
    }
}

fn statement_error(sql: &str, source: DataError) -> MigrationError {
    MigrationError::Statement {
        statement: sql.trim().to_owned(),
        source,
    }
}
