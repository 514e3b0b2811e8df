//! retort-orchestrator runs migrations across databases: it checks every database's plan before
//! touching any, builds one DAG of every step of every database (each database's plan in
//! order, cross-database `depends_on` edges, config `after`), takes every database's lock in name
//! order, then runs the steps concurrently, one task per database, each step as soon as what it
//! waits for is committed, and reports what happens as [`Event`]s.
//!
//! It prints nothing and knows nothing about the terminal: the CLI renders the events. It never
//! imports sqlx (retort-db does) and holds no graph logic of a single database (retort-core
//! does); petgraph stays inside `dag/`.

mod checks;
mod dag;
mod error;
mod event;
mod locks;
mod plan;
mod read;
mod replan;
mod request;
mod rollback;
mod runner;
mod scheduler;
mod worker;

pub use error::{CycleLink, RunError, StepRef, WaitReason};
pub use event::{DatabaseOutcome, DatabaseReport, Event, RunReport};
pub use plan::{DatabasePlan, PlannedStep, RunPlan, Wait, plan};
pub use read::{DatabaseState, read_database};
pub use request::{Command, DatabaseTarget, RunRequest};
pub use runner::run;
