//! The [`RustMigration`] trait and its errors.

use std::fmt;

use crate::context::{DataError, MigrationContext};

/// A migration written in Rust. Its header (revision, down_revision, depends_on, labels,
/// message, transaction) is a `versions/*.sql` file like any other, whose sections hold only
/// the marker `-- rust: NAME`; the database crate registers the implementation under `NAME` in
/// its `RUST_MIGRATIONS`.
///
/// `upgrade` and `downgrade` run on a connection of their own. With `transaction: true` (the
/// default) everything they run is one transaction, committed when they return `Ok` and rolled
/// back when they fail; with `transaction: false` each statement commits on its own, so a long
/// backfill can commit batch by batch. Either way the version table is updated after they
/// return, so a run interrupted in between runs the migration again: write it so that running
/// it twice does no harm (update only the rows not done yet).
#[async_trait::async_trait]
pub trait RustMigration: Send + Sync {
    /// Applies the migration.
    async fn upgrade(&self, context: &mut MigrationContext<'_>) -> Result<(), MigrationError>;

    /// Reverts it. The default refuses, as a SQL migration without a downgrade section is
    /// irreversible; retort checks for the marker in the file's downgrade section before it
    /// runs anything.
    async fn downgrade(&self, context: &mut MigrationContext<'_>) -> Result<(), MigrationError> {
        let _unused = context;
        Err(MigrationError::Irreversible)
    }
}

impl fmt::Debug for dyn RustMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RustMigration")
    }
}

/// Every Rust migration of a database crate, by the name its marker gives.
pub type RustMigrations = &'static [(&'static str, &'static dyn RustMigration)];

/// Why a Rust migration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// A statement the migration ran failed.
    #[error("statement failed: {statement}")]
    Statement {
        statement: String,
        #[source]
        source: DataError,
    },
    /// The migration found the data in a state it cannot handle.
    #[error("{reason}")]
    Refused { reason: String },
    /// The migration has no downgrade.
    #[error("this migration cannot be reverted")]
    Irreversible,
}
