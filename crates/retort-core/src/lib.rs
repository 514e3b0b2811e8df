//! retort-core owns what can be reasoned about without a database: the migration file format,
//! one database's revision graph with Alembic's semantics, target resolution, and upgrade,
//! downgrade and stamp plans with the version-table row changes of every step.
//!
//! It is pure and synchronous: text and ids in, values out. It knows nothing about sqlx, tokio,
//! the terminal or the file system; callers hand it file contents and database rows.

mod error;
pub mod file;
mod graph;
mod history;
mod plan;
mod planner;
mod resolve;
mod revision;
mod rollback;
mod rows;
mod script;
mod stamp;
mod target;

pub use error::RevisionError;
pub use file::{Dialect, ExternalDependency, Migration, MissingSql, ParseError, ParseErrorKind, Sections};
pub use graph::{RevisionInfo, RevisionMap};
pub use history::HistoryRange;
pub use plan::{Action, Direction, Plan, Step, VersionChange};
pub use revision::{Revision, validate_revision_id};
pub use script::{LoadError, MigrationSet, SourceFile};
