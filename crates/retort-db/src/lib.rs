//! retort-db is the one seam to the databases: a [`Backend`] trait implemented over sqlx, one
//! module per engine, plus the offline SQL renderer used by `--sql`.
//!
//! It owns the version table (`retort_version`, Alembic's `alembic_version` shape), the history
//! table, locking and transactions, and reads schemas back (`introspect`, on the live database
//! or on scratch databases) into retort-schema's model. It knows nothing about the command line
//! or the terminal and never prints; graph logic stays in retort-core. Nothing else in the
//! workspace imports sqlx.

mod backend;
mod error;
mod history;
mod introspect;
mod mysql;
mod non_atomic;
mod offline;
mod postgres;
mod rust_migration;
mod server;
mod sql_text;
mod sqlite;
mod statements;
mod url;

pub use backend::{
    Backend, BackendOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HISTORY_TABLE, DEFAULT_VERSION_TABLE,
    HistoryRow, LockHolder, Outcome, StepRun, connect,
};
pub use error::{BackendError, FailureAftermath, SqlError};
pub use introspect::{IntrospectError, IntrospectOptions, ScratchDatabase, introspect};
pub use non_atomic::{NonAtomicWarning, non_atomic_warning};
pub use offline::{OfflineStep, render_offline, render_offline_in_schema};
pub use rust_migration::{RustStep, run_rust_migration};
pub use url::DatabaseUrl;

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a test fails loudly on a bad fixture")]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every source file opens with a `//!` doc line (rust-analyzer's `TidyDocs`).
    #[test]
    fn every_file_has_a_module_doc() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pending: Vec<PathBuf> = vec![crate_dir.join("src"), crate_dir.join("tests")];
        let mut checked = 0;
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|extension| extension == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    assert!(
                        text.starts_with("//!"),
                        "{} does not start with a //! doc",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "only {checked} files found");
    }
}
