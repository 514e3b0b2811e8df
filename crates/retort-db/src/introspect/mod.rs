//! Introspection: reading a database's schema into retort-schema's model, from the live
//! database ([`introspect`]) or from a [`ScratchDatabase`] on which `schema.sql` or the
//! migrations have been run. This is what `revision --autogenerate`, `diff` and the drift part
//! of `check` compare.
//!
//! One reader per engine (`sqlite.rs`, `postgres.rs`, `mysql.rs`) fills the same model; types,
//! defaults and expressions are normalised per dialect by retort-schema, so a schema read twice
//! compares equal. retort's own tables (version, history, lock) are left out of a live
//! database's schema.

mod connection;
mod error;
mod mysql;
mod options;
mod postgres;
mod scratch;
mod sqlite;

pub use error::IntrospectError;
pub(crate) use options::ReadOptions;
pub use options::{IntrospectOptions, introspect};
pub use scratch::ScratchDatabase;
