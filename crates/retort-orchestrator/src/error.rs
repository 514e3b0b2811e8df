//! Errors that stop a run before it changes anything.
//!
//! The up-front checks look at every database before any is touched and collect every problem
//! they find: one problem is returned as itself, several as [`RunError::Several`], which lists
//! them all (never nested). [`RunError::problems`] iterates over them either way.

use std::error::Error;
use std::fmt;

use retort_core::{Dialect, Direction};

/// A reason not to start a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The version rows or the target do not fit the database's revision graph.
    #[error("database '{database}'")]
    Plan {
        database: String,
        #[source]
        source: retort_core::RevisionError,
    },
    /// Connecting to the database, or reading its tables, failed.
    #[error("database '{database}'")]
    Backend {
        database: String,
        #[source]
        source: retort_db::BackendError,
    },
    /// The run's steps wait for each other in a cycle (cross-database `depends_on`, config
    /// `after` and each database's plan order), so none of them could ever start.
    #[error("the run's steps wait for each other in a cycle: {}", describe_cycle(links))]
    StepCycle { links: Vec<CycleLink> },
    #[error(
        "database '{database}': revision {revision} ({path}) has no downgrade section, so it is irreversible and the downgrade cannot pass it; pick a target that keeps it applied"
    )]
    Irreversible { database: String, revision: String, path: String },
    #[error(
        "database '{database}': revision {revision} ({path}) has no {section} section for {dialect}; add '-- {section} {dialect}' or a plain '-- {section}' section",
        section = section_name(*direction)
    )]
    MissingSection { database: String, revision: String, path: String, direction: Direction, dialect: Dialect },
    #[error(
        "database '{database}': revision {revision} ({path}) is the Rust migration '{name}', which this retort does not carry; build retort with the database's crate, whose RUST_MIGRATIONS must list '{name}'"
    )]
    UnknownRustMigration { database: String, revision: String, path: String, name: String },
    #[error(
        "database '{database}': revision {revision} ({path}) was edited after it was applied; restore it, or add a new migration"
    )]
    EditedMigration { database: String, revision: String, path: String },
    #[error(
        "database '{database}': revision {revision} ({path}) depends on {dependency_database}:{dependency_revision}, which is not applied{}; run 'upgrade --db {dependency_database}' first",
        if *dependency_in_run { " and which this run does not reach" } else { "" }
    )]
    DependencyNotApplied {
        database: String,
        revision: String,
        path: String,
        dependency_database: String,
        dependency_revision: String,
        /// The dependency's database is part of this run, but its plan stops below the revision.
        dependency_in_run: bool,
    },
    #[error(
        "database '{database}': revision {revision} ({path}) depends on database '{dependency_database}', which is not configured"
    )]
    UnknownDependencyDatabase { database: String, revision: String, path: String, dependency_database: String },
    #[error("database '{database}': revision {revision} ({path}) depends on {dependency_database}:{dependency_revision}")]
    UnknownDependencyRevision {
        database: String,
        revision: String,
        path: String,
        dependency_database: String,
        dependency_revision: String,
        #[source]
        source: retort_core::RevisionError,
    },
    #[error(
        "database '{database}' must be read to check the cross-database dependencies of '{checking}', but the request has no connection for it; list it in the request's external databases"
    )]
    MissingConnection { database: String, checking: String },
    #[error(
        "database '{database}': the downgrade would remove revision {revision}, but revision {dependant_revision} of '{dependant_database}' ({dependant_path}) depends on it and stays applied; downgrade '{dependant_database}' below {dependant_revision} first"
    )]
    DependantStillApplied {
        database: String,
        revision: String,
        dependant_database: String,
        dependant_revision: String,
        dependant_path: String,
    },
    #[error(
        "database '{database}': run {run_id} ran '{direction} {revision}' there; only a run that upgraded can be rolled back"
    )]
    RollbackOfNonUpgrade { database: String, run_id: String, direction: String, revision: String },
    #[error(
        "database '{database}': run {run_id} left revision {revision} partly applied (its migration failed halfway); finish or repair it first (the history table's row of the step counts the statements done)"
    )]
    RollbackOfPartialStep { database: String, run_id: String, revision: String },
    #[error(
        "database '{database}' has moved on since run {run_id}: run {later_run} then ran '{direction} {revision}'; only a database's latest run can be rolled back"
    )]
    MovedOnSinceRun { database: String, run_id: String, later_run: String, direction: String, revision: String },
    #[error(
        "database '{database}' is not where run {run_id} left it: the run applied {}, but rolling it back now would remove {}; downgrade by hand",
        applied_by_run.join(", "),
        if would_remove.is_empty() { "nothing".to_owned() } else { would_remove.join(", ") }
    )]
    NotWhereRunLeftIt { database: String, run_id: String, applied_by_run: Vec<String>, would_remove: Vec<String> },
    #[error(
        "database '{database}' changed while the rollback of run {run_id} waited for its lock; run the rollback again to check it anew"
    )]
    MovedDuringRollback { database: String, run_id: String },
    #[error(
        "no database has history of run {run_id} (looked in: {}); a run's id is in the history tables (run_id) and in its events (--format json, or --verbose)",
        databases.join(", ")
    )]
    UnknownRun { run_id: String, databases: Vec<String> },
    /// More than one of the problems above; never nested.
    #[error("{} problems, nothing was run:{}", problems.len(), describe_problems(problems))]
    Several { problems: Vec<RunError> },
}

/// One link of a cycle of steps: `step` waits for `waits_for`, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleLink {
    pub step: StepRef,
    pub waits_for: StepRef,
    pub because: WaitReason,
}

/// One step of a run: the database and the revision it runs (for a stamp, what it stamps).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct StepRef {
    pub database: String,
    pub revision: String,
}

impl fmt::Display for StepRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.database, self.revision)
    }
}

/// Why one step of a run waits for another.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WaitReason {
    /// The steps of one database run one at a time, in the order of its plan.
    PlanOrder,
    /// A migration file declares `depends_on: database:dependency_revision`. An upgrade step
    /// waits for the dependency to be applied; a downgrade of the dependency waits for the
    /// dependant's downgrade.
    DependsOn { path: String, revision: String, database: String, dependency_revision: String },
    /// The config of `database` lists `after` in its `after`: all of `database`'s steps run
    /// after all of `after`'s (before them, in a downgrade).
    ConfigAfter { database: String, after: String },
}

impl RunError {
    /// Turns collected problems into one error: `None` for none, the problem itself for one.
    pub(crate) fn from_problems(mut problems: Vec<RunError>) -> Option<RunError> {
        match problems.len() {
            0 => None,
            1 => problems.pop(),
            _ => Some(RunError::Several { problems }),
        }
    }

    /// Every problem this error holds: itself, or the list of [`RunError::Several`].
    pub fn problems(&self) -> &[RunError] {
        match self {
            RunError::Several { problems } => problems,
            single => std::slice::from_ref(single),
        }
    }
}

/// The error and its sources, joined with `: ` (what `{:#}` prints for an `anyhow` chain). A
/// source whose text already ends the message is left out: sqlx's database error prints its
/// cause and also returns it as its source, which would otherwise say everything twice.
pub(crate) fn error_chain_text(error: &dyn Error) -> String {
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

fn section_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

fn describe_cycle(links: &[CycleLink]) -> String {
    links
        .iter()
        .map(|link| {
            let because = match &link.because {
                WaitReason::PlanOrder => format!("'{}' runs its steps in plan order", link.step.database),
                WaitReason::DependsOn { path, revision, database, dependency_revision } => {
                    format!("{path} (revision {revision}) depends on {database}:{dependency_revision}")
                }
                WaitReason::ConfigAfter { database, after } => {
                    format!("config of '{database}' lists '{after}' in 'after'")
                }
            };
            format!("{} waits for {} ({because})", link.step, link.waits_for)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_problems(problems: &[RunError]) -> String {
    problems.iter().map(|problem| format!("\n  - {}", error_chain_text(problem))).collect()
}

#[cfg(test)]
mod tests {
    use std::{fmt, io};

    use super::*;

    /// Prints its cause and also returns it as its source, as sqlx's database error does.
    #[derive(Debug)]
    struct Repeating(io::Error);

    impl fmt::Display for Repeating {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "error returned from database: {}", self.0)
        }
    }

    impl Error for Repeating {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_written_once() {
        let error = Repeating(io::Error::other("no such table: nowhere"));
        assert_eq!(error_chain_text(&error), "error returned from database: no such table: nowhere");
    }
}
