//! What a run is asked to do.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use retort_core::{Direction, MigrationSet};
use retort_db::BackendOptions;
use retort_migration::RustMigrations;

/// The operation applied to every database of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `retort upgrade TARGET` (default `heads`).
    Upgrade { target: String },
    /// `retort downgrade TARGET`.
    Downgrade { target: String },
    /// `retort stamp TARGET... [--purge]`.
    Stamp { targets: Vec<String>, purge: bool },
    /// `retort downgrade --run RUN_ID`: every database back to where it was before the run
    /// `run_id`, planned from its history (see `rollback.rs`); databases the run did not touch
    /// have nothing to do.
    Rollback { run_id: String },
}

impl Command {
    /// The direction steps are ordered in: dependencies first, except for a downgrade, which
    /// runs dependants first. A stamp runs nothing and uses the upgrade order.
    pub fn order_direction(&self) -> Direction {
        match self {
            Command::Upgrade { .. } | Command::Stamp { .. } => Direction::Up,
            Command::Downgrade { .. } | Command::Rollback { .. } => Direction::Down,
        }
    }

    /// `upgrade`, `downgrade`, `stamp` or `rollback`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Upgrade { .. } => "upgrade",
            Command::Downgrade { .. } => "downgrade",
            Command::Stamp { .. } => "stamp",
            Command::Rollback { .. } => "rollback",
        }
    }
}

/// One configured database.
#[derive(Debug, Clone)]
pub struct DatabaseTarget {
    /// The name from the configuration (`app`, `tool_registry`).
    pub name: String,
    pub backend: BackendOptions,
    pub migrations: Arc<MigrationSet>,
    /// Databases this one runs after (config `after`), besides those its revisions depend on.
    pub after: Vec<String>,
    pub lock_timeout: Duration,
    /// The Rust migrations of the database's crate, by the name their marker gives (`&[]` for
    /// a database with none, or none built in).
    pub rust_migrations: RustMigrations,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Written to every database's history.
    pub run_id: String,
    pub command: Command,
    /// The databases to act on.
    pub databases: Vec<DatabaseTarget>,
    /// Every other configured database (those not in `databases`). The run only reads their
    /// version rows, to check cross-database dependencies that point outside `databases`: an
    /// upgrade needs the revisions it depends on to be applied there, and a downgrade must not
    /// remove a revision that one of them still depends on.
    pub external: Vec<DatabaseTarget>,
    /// Every configured database's migrations, by name. Only the names are used: a dependency on
    /// a database named here but absent from `databases` and `external` cannot be checked and
    /// is reported as such, while a dependency on a name found nowhere is an unknown database.
    pub all_migrations: Vec<(String, Arc<MigrationSet>)>,
    /// When a database fails, carry on with the steps that do not wait for it (fail-fast, the
    /// default, stops the whole run: steps in progress finish, nothing new starts).
    pub keep_going: bool,
    /// At most this many databases run a step at the same time; `None`: all of them.
    pub jobs: Option<NonZeroUsize>,
}
