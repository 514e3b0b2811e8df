//! Exit codes, decided in one place.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | a migration failed, or `check` found a database out of order; what failed has been printed |
//! | 2 | bad input: configuration, migration files, arguments, targets, connection, a lock not free in time, and any other error that stopped the command before it ran |
//!
//! clap exits with 2 on its own for malformed arguments, before any of this runs.

use std::process::ExitCode;

use retort_db::BackendError;
#[cfg(doc)]
use retort_orchestrator::RunError;

/// How a command that did not error ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A migration failed; what failed has been printed already.
    MigrationFailed,
    /// `check` found pending migrations, unexpected heads or edited files, and printed them.
    CheckFailed,
    /// A database of the run failed for a reason other than one of its steps (its lock was not
    /// free in time, its tables could not be read) and no step failed; the run's summary has
    /// been printed already.
    Stopped,
}

/// The documented exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Failure,
    BadInput,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::BadInput => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// The one mapping from a command's result to the exit status.
///
/// Errors are bad input (2): a `ConfigError`, `ProjectError`, `RevisionError`, `RunError` or
/// connection error all mean the command was refused before it changed anything. The exception
/// is a migration's own SQL failing ([`BackendError::is_migration_failure`]), which is 1
/// wherever in the chain it sits.
pub fn exit_status(result: &anyhow::Result<Outcome>) -> ExitStatus {
    match result {
        Ok(Outcome::Success) => ExitStatus::Success,
        Ok(Outcome::MigrationFailed | Outcome::CheckFailed) => ExitStatus::Failure,
        Ok(Outcome::Stopped) => ExitStatus::BadInput,
        Err(error) if is_migration_failure(error) => ExitStatus::Failure,
        Err(_) => ExitStatus::BadInput,
    }
}

/// Whether a migration's SQL failing is anywhere in the chain (a [`RunError`] carries it as a
/// source, so walking the chain finds it there too).
fn is_migration_failure(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<BackendError>()
            .is_some_and(BackendError::is_migration_failure)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(exit_status(&Ok(Outcome::Success)).code(), 0);
        assert_eq!(exit_status(&Ok(Outcome::MigrationFailed)).code(), 1);
        assert_eq!(exit_status(&Ok(Outcome::CheckFailed)).code(), 1);
        assert_eq!(exit_status(&Ok(Outcome::Stopped)).code(), 2);
        assert_eq!(exit_status(&Err(anyhow::anyhow!("bad target"))).code(), 2);
    }
}
