//! Errors of introspection and scratch databases: one enum, [`IntrospectError`], naming the
//! database (through [`DatabaseUrl`]'s redacting `Display`), the script and the statement.

use retort_core::Dialect;

use crate::error::BackendError;
use crate::url::DatabaseUrl;

/// A problem reading a schema, or building one on a scratch database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntrospectError {
    /// Connecting failed (unreachable server, refused login, missing database, timeout).
    #[error(transparent)]
    Connect(#[from] BackendError),

    /// The scratch database could not be created on the server.
    #[error(
        "could not create the scratch database `{database}` on the server of {url}: autogenerate \
         and drift checks need a user that may create databases there"
    )]
    CreateScratch {
        url: DatabaseUrl,
        database: String,
        #[source]
        source: sqlx::Error,
    },

    /// The scratch database could not be dropped; it is left on the server.
    #[error(
        "could not drop the scratch database `{database}` on the server of {url}: drop it by hand"
    )]
    DropScratch {
        url: DatabaseUrl,
        database: String,
        #[source]
        source: sqlx::Error,
    },

    /// A statement of a script (`schema.sql`, a migration) failed on the scratch database.
    #[error(
        "{script} failed on a scratch {dialect} database at statement {statement_number} `{statement}`"
    )]
    ScriptFailed {
        /// What the script is, as a fragment: `databases/app/schema.sql`.
        script: String,
        dialect: Dialect,
        /// 1-based.
        statement_number: usize,
        statement: String,
        #[source]
        source: sqlx::Error,
    },

    /// A query of the catalog failed.
    #[error("database query failed while {doing}")]
    QueryFailed {
        /// What retort was reading, as a fragment: "reading the columns of the tables".
        doing: String,
        #[source]
        source: sqlx::Error,
    },
}

/// The [`IntrospectError::QueryFailed`] for a failed catalog query.
pub(crate) fn query_failed(
    doing: impl Into<String>,
) -> impl FnOnce(sqlx::Error) -> IntrospectError {
    let doing = doing.into();
    move |source| IntrospectError::QueryFailed { doing, source }
}
