//! Integration tests of retort-db: one binary, one module per area, each test on a fresh
//! temporary SQLite file.

#![expect(clippy::unwrap_used, reason = "a test fails loudly on a bad fixture")]

mod common;
mod lock;
mod sqlite;
