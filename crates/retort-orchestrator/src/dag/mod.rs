//! The global plan of a run: one DAG of (database, step) over every database, and the ready-set
//! logic the scheduler drives it with. Pure and synchronous: plans and migration sets in,
//! step ids out; no tokio, no connections, and petgraph stays inside this module.
//!
//! - `graph.rs` builds the DAG: each database's plan in order, cross-database `depends_on`
//!   edges (reversed for a downgrade) and config `after`; a cycle is an error naming its files.
//! - `ready.rs` keeps the state of every step during a run and answers "what may start now".

mod graph;
mod ready;

pub(crate) use graph::{DatabaseInput, StepGraph, StepId};
pub(crate) use ready::Schedule;

#[cfg(test)]
mod tests;
