//! Errors of the database seam: one enum, [`BackendError`], whose variants carry what went
//! wrong and where. URLs appear only through [`DatabaseUrl`]'s redacting `Display`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use retort_core::{Dialect, Direction, VersionChange};
use sqlx::postgres::PgDatabaseError;

use crate::backend::LockHolder;
use crate::url::{DatabaseUrl, SUPPORTED_SCHEMES};

/// A problem reaching or changing a database.
///
/// Only [`BackendError::MigrationFailed`] is the migration's own fault (exit code 1 at the
/// command line, see [`BackendError::is_migration_failure`]); the others are about the
/// environment or the input (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The URL's scheme is none retort knows.
    #[error("{}", describe_unsupported_scheme(scheme))]
    UnsupportedUrlScheme { scheme: String },

    /// `mssql://` or `sqlserver://`.
    #[error(
        "sql server is not supported (`{scheme}://`): sqlx has no driver for it; supported: {SUPPORTED_SCHEMES}"
    )]
    SqlServerNotSupported { scheme: String },

    /// The URL has a known scheme but cannot be used; `url` is already redacted.
    #[error("invalid database url {url}: {problem}")]
    InvalidUrl { url: String, problem: &'static str },

    /// A configured table name cannot be used.
    #[error("invalid table name `{name}`: {problem}")]
    InvalidTableName { name: String, problem: &'static str },

    /// The directory that should hold a SQLite file could not be created.
    #[error("could not create directory {} for the sqlite database", path.display())]
    CreateDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The driver could not connect.
    #[error("could not connect to {url}")]
    ConnectFailed {
        url: DatabaseUrl,
        #[source]
        source: sqlx::Error,
    },

    /// The server did not answer at the URL's host and port (refused, unknown host).
    #[error("could not reach the database server of {url}")]
    ServerUnreachable {
        url: DatabaseUrl,
        #[source]
        source: sqlx::Error,
    },

    /// The server refused the URL's user name or password.
    #[error("the database server of {url} refused the login: check the user name and password")]
    AuthenticationFailed {
        url: DatabaseUrl,
        #[source]
        source: sqlx::Error,
    },

    /// The URL names a database the server does not have, and `create_database` is off.
    #[error(
        "database `{database}` does not exist on the server of {url}: create it, or enable \
         create_database for it"
    )]
    DatabaseMissing { url: DatabaseUrl, database: String },

    /// `create_database` is on, and creating the missing database failed.
    #[error("could not create database `{database}` on the server of {url}")]
    CreateDatabaseFailed {
        url: DatabaseUrl,
        database: String,
        #[source]
        source: sqlx::Error,
    },

    /// A configured PostgreSQL extension is not installed on the server.
    #[error(
        "extension `{extension}` is not installed on the server of {url}: install its package \
         on the database server, or remove it from the extensions option"
    )]
    ExtensionNotAvailable { url: DatabaseUrl, extension: String },

    /// `CREATE EXTENSION` failed for an installed extension (permissions, say).
    #[error("could not enable extension `{extension}`")]
    ExtensionFailed {
        extension: String,
        #[source]
        source: sqlx::Error,
    },

    /// An option was given for an engine that has no such thing.
    #[error("the {option} option is not supported for {dialect} databases ({url})")]
    UnsupportedOption {
        url: DatabaseUrl,
        option: &'static str,
        dialect: Dialect,
    },

    /// A configured schema or extension name cannot be used.
    #[error("invalid {what} name `{name}`: {problem}")]
    InvalidName {
        /// `schema` or `extension`.
        what: &'static str,
        name: String,
        problem: &'static str,
    },

    /// Connecting took longer than the connect timeout.
    #[error("could not connect to {url} within {}", describe_duration(*timeout))]
    ConnectTimeout { url: DatabaseUrl, timeout: Duration },

    /// A statement of retort's own (not of a migration) failed.
    #[error("database query failed while {doing}")]
    QueryFailed {
        /// What retort was doing, as a fragment: "reading the version table retort_version".
        doing: String,
        #[source]
        source: sqlx::Error,
    },

    /// A migration's SQL failed. Where the engine rolls back DDL, the database is left at the
    /// previous revision; otherwise `statements_done` says what had already been applied.
    #[error("{} of {revision} failed{}", describe_direction(*direction), describe_statement(*statement_number, *statements_total, statement_text.as_deref(), *statements_done, *aftermath))]
    MigrationFailed {
        revision: String,
        direction: Direction,
        /// 1-based number of the failing statement within the migration, when known.
        statement_number: Option<usize>,
        /// How many statements the migration has, when the backend split it.
        statements_total: Option<usize>,
        /// The failing statement's text, when the engine knows it.
        statement_text: Option<String>,
        /// Statements that took effect and stay applied (0 after a rollback).
        statements_done: usize,
        /// What the failure left behind, and so what the user should do.
        aftermath: FailureAftermath,
        /// Boxed: the driver's error is large, and every `Result` of the crate carries this.
        #[source]
        source: Box<SqlError>,
    },

    /// A Rust migration returned an error. `rolled_back`: it ran in a transaction, which was
    /// rolled back; otherwise (`transaction: false`) what it committed before failing stays.
    #[error(
        "{} of {revision} (Rust migration {name}) failed{}",
        describe_direction(*direction),
        if *rolled_back { "; its changes were rolled back" } else { "; what it committed before failing stays applied, so run it again once fixed" }
    )]
    RustMigrationFailed {
        revision: String,
        name: String,
        direction: Direction,
        rolled_back: bool,
        #[source]
        source: retort_migration::MigrationError,
    },

    /// A MySQL migration that failed part-way was changed in a statement that already ran, so
    /// rerunning it can neither skip that statement nor repeat it safely.
    #[error(
        "cannot resume the {} of {revision}: statement {changed_statement} already ran in a failed \
         run but has changed since (statements 1-{statements_done} stay applied); restore its \
         applied text, or undo statements 1-{statements_done} by hand and then run \
         `UPDATE {history_table} SET outcome = 'abandoned' WHERE id = {history_id}` to start over",
        describe_direction(*direction)
    )]
    ResumeRefused {
        revision: String,
        direction: Direction,
        /// How many statements the failed run applied.
        statements_done: usize,
        /// 1-based number of the first applied statement whose text differs now.
        changed_statement: usize,
        history_table: String,
        /// The id of the history row that recorded the failed run.
        history_id: i64,
    },

    /// The migration lock was not free before the timeout.
    #[error("{}", describe_lock_timeout(holder.as_ref(), held_since.as_deref(), *timeout, release_hint))]
    LockTimeout {
        /// Who holds the lock, when the engine can tell.
        holder: Option<LockHolder>,
        /// When the holder took it (RFC 3339), when known.
        held_since: Option<String>,
        timeout: Duration,
        /// How to break a lock left behind, engine-specific ("delete the row of retort_lock").
        release_hint: String,
    },

    /// The version rows are not those the plan was made from: another runner moved the database.
    #[error(
        "version rows in {table} changed concurrently: expected [{}], found [{}]; another run may have migrated this database, plan again from its current state",
        expected.join(", "),
        found.join(", ")
    )]
    VersionRowsChanged {
        table: String,
        expected: Vec<String>,
        found: Vec<String>,
    },

    /// An UPDATE or DELETE of a version row matched other than exactly one row (Alembic's check).
    #[error("{}", describe_version_row_mismatch(table, change, *matched))]
    VersionRowMismatch {
        table: String,
        change: VersionChange,
        matched: u64,
    },
}

impl BackendError {
    /// Whether a migration's own SQL failed (exit code 1), as opposed to a problem reaching or
    /// preparing the database (exit code 2).
    pub fn is_migration_failure(&self) -> bool {
        matches!(
            self,
            BackendError::MigrationFailed { .. } | BackendError::RustMigrationFailed { .. }
        )
    }
}

/// What a failed migration left behind, which decides what the user is told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAftermath {
    /// Everything the step did was rolled back: the database is at the previous revision.
    RolledBack,
    /// Statements before the failing one took effect and nothing records them for a rerun
    /// (a `transaction: false` step): repair by hand, then stamp.
    PartlyApplied,
    /// Statements before the failing one took effect and history records them with their
    /// checksums (MySQL): a rerun with those statements unchanged resumes after them.
    Resumable,
}

/// What the database said about a migration's SQL: the driver's error, worded for a person.
///
/// sqlx's own `Display` of a PostgreSQL error ends with the line of the server's C source that
/// raised it (`relation "x" does not exist at line 1392`), which reads like a line of the
/// migration file, and leaves out the server's detail and hint. This shows the server's
/// message followed by its detail and hint instead, and has no further source. Errors of the
/// other engines, and errors that are not the database's, read as sqlx words them.
#[derive(Debug)]
pub struct SqlError(sqlx::Error);

impl SqlError {
    fn postgres_error(&self) -> Option<&PgDatabaseError> {
        self.0.as_database_error()?.try_downcast_ref()
    }
}

impl From<sqlx::Error> for SqlError {
    fn from(error: sqlx::Error) -> SqlError {
        SqlError(error)
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(postgres) = self.postgres_error() else {
            return fmt::Display::fmt(&self.0, f);
        };
        write!(f, "error returned from database: {}", postgres.message())?;
        if let Some(detail) = postgres.detail() {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = postgres.hint() {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SqlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.postgres_error() {
            // The text above already says all the server said.
            Some(_) => None,
            None => self.0.source(),
        }
    }
}

/// The error and its sources joined with `: `, as recorded in the history table. A source whose
/// text already ends the message is left out (the rule of the command line's printer): sqlx's
/// database error prints its cause and also returns it as its source, which would otherwise
/// say everything twice.
pub(crate) fn error_chain_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn describe_unsupported_scheme(scheme: &str) -> String {
    if scheme.is_empty() {
        format!("the database url has no scheme (supported: {SUPPORTED_SCHEMES})")
    } else {
        format!("unsupported database url scheme `{scheme}` (supported: {SUPPORTED_SCHEMES})")
    }
}

fn describe_direction(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

fn describe_statement(
    statement_number: Option<usize>,
    statements_total: Option<usize>,
    statement_text: Option<&str>,
    statements_done: usize,
    aftermath: FailureAftermath,
) -> String {
    let mut text = String::new();
    if let Some(number) = statement_number {
        text.push_str(&format!(" at statement {number}"));
        if let Some(total) = statements_total {
            text.push_str(&format!(" of {total}"));
        }
    }
    if let Some(statement) = statement_text {
        text.push_str(&format!(" `{}`", statement.trim()));
    }
    let failing =
        statement_number.map_or_else(|| "it".to_owned(), |number| format!("statement {number}"));
    match aftermath {
        FailureAftermath::RolledBack => {
            text.push_str("; rolled back, the database is unchanged");
        }
        FailureAftermath::PartlyApplied if statements_done > 0 => {
            text.push_str(&format!(
                "; {statements_done} statement(s) before it stay applied: repair by hand, then stamp"
            ));
        }
        FailureAftermath::PartlyApplied => {}
        FailureAftermath::Resumable if statements_done > 0 => {
            text.push_str(&format!(
                "; statements 1-{statements_done} stay applied (ddl commits as it runs) and the \
                 version table is unchanged: fix {failing} and run again to resume after \
                 statement {statements_done}, or undo statements 1-{statements_done} by hand"
            ));
        }
        FailureAftermath::Resumable => {
            text.push_str(&format!(
                "; nothing was applied and the version table is unchanged: fix {failing} and run again"
            ));
        }
    }
    text
}

fn describe_lock_timeout(
    holder: Option<&LockHolder>,
    held_since: Option<&str>,
    timeout: Duration,
    release_hint: &str,
) -> String {
    let mut text = format!(
        "timed out after {} waiting for the migration lock",
        describe_duration(timeout)
    );
    match holder {
        Some(holder) => {
            text.push_str(&format!(
                " held by pid {} on {} (run {})",
                holder.pid, holder.host, holder.run_id
            ));
            if let Some(since) = held_since {
                text.push_str(&format!(" since {since}"));
            }
            text.push_str("; wait for that run to finish or stop it");
        }
        None => text.push_str("; another process kept the database busy"),
    }
    if !release_hint.is_empty() {
        text.push_str(&format!("; {release_hint}"));
    }
    text
}

fn describe_version_row_mismatch(table: &str, change: &VersionChange, matched: u64) -> String {
    let what = match change {
        VersionChange::Update { from, to } => format!("updating '{from}' to '{to}'"),
        VersionChange::Delete(revision) => format!("deleting '{revision}'"),
        VersionChange::Insert(revision) => format!("inserting '{revision}'"),
    };
    format!("online migration expected to match one row when {what} in '{table}'; {matched} found")
}

/// `30s`, `1.5s`, `250ms`.
pub(crate) fn describe_duration(duration: Duration) -> String {
    DurationText(duration).to_string()
}

struct DurationText(Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis < 1000 {
            write!(f, "{millis}ms")
        } else if millis.is_multiple_of(1000) {
            write!(f, "{}s", millis / 1000)
        } else {
            write!(f, "{:.1}s", self.0.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_row_mismatch_reads_like_alembic() {
        let update = BackendError::VersionRowMismatch {
            table: "retort_version".to_owned(),
            change: VersionChange::Update {
                from: "a".to_owned(),
                to: "b".to_owned(),
            },
            matched: 0,
        };
        assert_eq!(
            update.to_string(),
            "online migration expected to match one row when updating 'a' to 'b' in 'retort_version'; 0 found"
        );
        let delete = BackendError::VersionRowMismatch {
            table: "retort_version".to_owned(),
            change: VersionChange::Delete("a".to_owned()),
            matched: 2,
        };
        assert_eq!(
            delete.to_string(),
            "online migration expected to match one row when deleting 'a' in 'retort_version'; 2 found"
        );
    }

    #[test]
    fn lock_timeout_names_the_holder_and_what_to_do() {
        let error = BackendError::LockTimeout {
            holder: Some(LockHolder {
                host: "build-7".to_owned(),
                pid: 4242,
                run_id: "run-1".to_owned(),
            }),
            held_since: Some("2026-01-02T03:04:05.000Z".to_owned()),
            timeout: Duration::from_millis(1500),
            release_hint: "if that process is gone, delete the row of retort_lock".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "timed out after 1.5s waiting for the migration lock held by pid 4242 on build-7 (run run-1) \
             since 2026-01-02T03:04:05.000Z; wait for that run to finish or stop it; \
             if that process is gone, delete the row of retort_lock"
        );
        assert!(!error.is_migration_failure());
    }

    #[test]
    fn only_migration_failures_are_migration_failures() {
        let failed = BackendError::MigrationFailed {
            revision: "ae1027a6acf".to_owned(),
            direction: Direction::Up,
            statement_number: Some(2),
            statements_total: None,
            statement_text: None,
            statements_done: 0,
            aftermath: FailureAftermath::RolledBack,
            source: Box::new(sqlx::Error::Protocol("boom".to_owned()).into()),
        };
        assert!(failed.is_migration_failure());
        assert_eq!(
            failed.to_string(),
            "upgrade of ae1027a6acf failed at statement 2; rolled back, the database is unchanged"
        );
        let query = BackendError::QueryFailed {
            doing: "reading the version table retort_version".to_owned(),
            source: sqlx::Error::Protocol("boom".to_owned()),
        };
        assert!(!query.is_migration_failure());
        assert_eq!(
            error_chain_text(&query),
            "database query failed while reading the version table retort_version: encountered unexpected or invalid data: boom"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(describe_duration(Duration::from_secs(30)), "30s");
        assert_eq!(describe_duration(Duration::from_millis(2500)), "2.5s");
    }
}
