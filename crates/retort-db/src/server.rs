//! Connecting to a database server (PostgreSQL, MySQL): the connect timeout, and the driver's
//! errors sorted into the few a user can act on.
//!
//! An unreachable server, a refused login and a missing database are the three ways connecting
//! usually fails, and each calls for something different (start the server or fix the host; fix
//! the credentials; create the database or enable `create_database`), so each is its own
//! [`BackendError`] variant. Every one names the URL through [`DatabaseUrl`]'s redacting
//! `Display`; the driver's own message, kept as the source, never holds the password.

use std::future::Future;
use std::time::Duration;

use sqlx::mysql::MySqlDatabaseError;

use crate::error::BackendError;
use crate::url::DatabaseUrl;

/// What went wrong when connecting, as far as the user is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectProblem {
    /// Nothing answered: refused, unknown host, network down.
    Unreachable,
    /// The server refused the user or password.
    Authentication,
    /// The server has no database of that name.
    DatabaseMissing,
    /// Anything else (TLS, protocol).
    Other,
}

/// MySQL's "Access denied for user" error number.
const MYSQL_ACCESS_DENIED: u16 = 1045;

/// MySQL's "Unknown database" error number.
const MYSQL_UNKNOWN_DATABASE: u16 = 1049;

/// Sorts a connect error of either server engine.
pub(crate) fn connect_problem(error: &sqlx::Error) -> ConnectProblem {
    match error {
        sqlx::Error::Io(_) => ConnectProblem::Unreachable,
        sqlx::Error::Database(database_error) => {
            if let Some(mysql_error) = database_error.try_downcast_ref::<MySqlDatabaseError>() {
                return match mysql_error.number() {
                    MYSQL_ACCESS_DENIED => ConnectProblem::Authentication,
                    MYSQL_UNKNOWN_DATABASE => ConnectProblem::DatabaseMissing,
                    _ => ConnectProblem::Other,
                };
            }
            match database_error.code().as_deref() {
                // invalid_password, invalid_authorization_specification (no such role).
                Some("28P01" | "28000") => ConnectProblem::Authentication,
                // invalid_catalog_name.
                Some("3D000") => ConnectProblem::DatabaseMissing,
                _ => ConnectProblem::Other,
            }
        }
        _ => ConnectProblem::Other,
    }
}

/// The [`BackendError`] for a failed connection to `database` at `url`.
pub(crate) fn connect_error(url: &DatabaseUrl, database: &str, error: sqlx::Error) -> BackendError {
    let url = url.clone();
    match connect_problem(&error) {
        ConnectProblem::Unreachable => BackendError::ServerUnreachable { url, source: error },
        ConnectProblem::Authentication => BackendError::AuthenticationFailed { url, source: error },
        ConnectProblem::DatabaseMissing => BackendError::DatabaseMissing {
            url,
            database: database.to_owned(),
        },
        ConnectProblem::Other => BackendError::ConnectFailed { url, source: error },
    }
}

/// Runs `connecting` with the connect timeout; a timeout becomes
/// [`BackendError::ConnectTimeout`], a driver error stays raw for the caller to sort.
pub(crate) async fn within_connect_timeout<T>(
    url: &DatabaseUrl,
    timeout: Duration,
    connecting: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<Result<T, sqlx::Error>, BackendError> {
    tokio::time::timeout(timeout, connecting)
        .await
        .map_err(|_elapsed| BackendError::ConnectTimeout {
            url: url.clone(),
            timeout,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_mean_unreachable() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(connect_problem(&refused), ConnectProblem::Unreachable);
        assert_eq!(
            connect_problem(&sqlx::Error::Protocol("odd".to_owned())),
            ConnectProblem::Other
        );
    }
}
