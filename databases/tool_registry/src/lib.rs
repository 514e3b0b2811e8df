//! The `tool_registry` database's migrations: the files of `versions/`, embedded at compile time, and
//! its Rust migrations (data migrations), which a `versions/` file names with `-- rust: NAME`.
//!
//! retort-core parses the files and knows nothing about where they came from; the Rust
//! migrations only know retort-migration's interface.

include!(concat!(env!("OUT_DIR"), "/versions.rs"));

/// The name this database has in `config/retort.toml`.
pub const DATABASE: &str = "tool_registry";

/// The Rust migrations, by the name their marker gives: `("backfill_x", &BackfillX)`.
pub static RUST_MIGRATIONS: retort_migration::RustMigrations = &[];
