//! The `app` database's migrations: the files of `versions/`, embedded at compile time.
//!
//! This crate holds data only; retort-core parses it and knows nothing about where it came from.

include!(concat!(env!("OUT_DIR"), "/versions.rs"));

/// The name this database has in `config/retort.toml`.
pub const DATABASE: &str = "app";
