//! Integration tests of retort-db: one binary, one module per area. Most tests run on SQLite,
//! PostgreSQL and MariaDB/MySQL through the `matrix_test!` macro of `engines`, each on a fresh
//! database.

#![expect(clippy::unwrap_used, reason = "a test fails loudly on a bad fixture")]

mod common;
mod connect;
mod engines;
mod introspect;
mod introspect_changes;
mod introspect_scratch;
mod lock;
mod mysql;
mod postgres;
mod sqlite;
mod steps;
