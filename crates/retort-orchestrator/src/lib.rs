//! retort-orchestrator runs migrations across databases: it orders the databases by their
//! cross-database dependencies, checks every database's plan before touching any, takes each
//! database's lock, runs each step through the [`retort_db::Backend`] seam, and reports what
//! happens as [`Event`]s.
//!
//! It prints nothing and knows nothing about the terminal: the CLI renders the events. It never
//! imports sqlx (retort-db does) and holds no graph logic of a single database (retort-core does).

mod checks;
mod error;
mod event;
mod execute;
mod order;
mod request;
mod runner;

pub use error::{CycleLink, OrderReason, RunError};
pub use event::{DatabaseOutcome, DatabaseReport, Event, RunReport};
pub use request::{Command, DatabaseTarget, RunRequest};
pub use runner::run;
