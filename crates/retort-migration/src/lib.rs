//! retort-migration is what a Rust migration (a data migration written in Rust, beside the SQL
//! ones of a database crate) implements and what it is given: the [`RustMigration`] trait,
//! the [`MigrationContext`] its `upgrade` and `downgrade` receive (a connection to run SQL on,
//! and a way to report progress), and the marker that stands for it in a `versions/` file.
//!
//! A database crate depends on this crate only: it knows nothing about sqlx (retort-db
//! implements [`DataConnection`] over it), tokio, the orchestrator or the terminal.

mod context;
mod marker;
mod migration;

pub use context::{DataConnection, DataError, MigrationContext, Progress};
pub use marker::{MARKER_PREFIX, marker};
pub use migration::{MigrationError, RustMigration, RustMigrations};
pub use retort_core::Dialect;
