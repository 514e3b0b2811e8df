//! Integration tests of retort-orchestrator on real SQLite files, one module per area.

mod common;
mod concurrency;
mod events;
mod failure;
mod refusals;
mod tidy;
mod upgrade;
mod waits;
