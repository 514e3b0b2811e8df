//! Integration tests of retort-db: one binary, one module per area, each test on a fresh
//! temporary SQLite file.

mod common;
mod lock;
mod sqlite;
