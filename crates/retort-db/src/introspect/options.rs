//! What to read and how: [`IntrospectOptions`] for a live database, and [`introspect`], which
//! connects, reads and disconnects.

use std::time::Duration;

use retort_schema::Schema;

use super::connection::EngineConnection;
use super::error::IntrospectError;
use crate::backend::BackendOptions;
use crate::url::DatabaseUrl;

/// The lock table's name on every engine (SQLite's lease, MySQL's holder row).
const LOCK_TABLE: &str = "retort_lock";

/// Which database to read, and what to leave out.
#[derive(Debug, Clone)]
pub struct IntrospectOptions {
    pub url: DatabaseUrl,
    /// PostgreSQL: the default schema (first in the search path); `None` is `public`. Tables
    /// there are read unqualified.
    pub schema: Option<String>,
    /// Tables of the default schema to leave out: retort's own.
    pub excluded_tables: Vec<String>,
    pub connect_timeout: Duration,
}

impl IntrospectOptions {
    /// The options for the database `options` configures, leaving out its version, history and
    /// lock tables.
    pub fn for_backend(options: &BackendOptions) -> IntrospectOptions {
        IntrospectOptions {
            url: options.url.clone(),
            schema: options.schema.clone(),
            excluded_tables: vec![
                options.version_table.clone(),
                options.history_table.clone(),
                LOCK_TABLE.to_owned(),
            ],
            connect_timeout: options.connect_timeout,
        }
    }
}

/// Reads the schema of the database `options.url` names, changing nothing.
pub async fn introspect(options: &IntrospectOptions) -> Result<Schema, IntrospectError> {
    let mut connection =
        EngineConnection::open_existing(&options.url, options.connect_timeout).await?;
    if let Some(schema) = &options.schema {
        connection.use_schema(schema).await?;
    }
    let read_options = ReadOptions {
        default_schema: options.schema.clone(),
        excluded_tables: options.excluded_tables.clone(),
    };
    let schema = connection.read_schema(&read_options).await;
    connection.close().await;
    schema
}

/// What the engine readers need to know.
#[derive(Debug, Clone)]
pub(crate) struct ReadOptions {
    pub(crate) default_schema: Option<String>,
    pub(crate) excluded_tables: Vec<String>,
}

impl ReadOptions {
    /// Whether `table` (in the default schema) is left out.
    pub(crate) fn is_excluded(&self, table: &str) -> bool {
        self.excluded_tables
            .iter()
            .any(|excluded| excluded.eq_ignore_ascii_case(table))
    }
}
