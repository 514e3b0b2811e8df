//! What the binary carries, so that a release image needs no source tree: every database
//! crate's migrations (`databases/<db>`, each embedding its `versions/` at compile time, and
//! its Rust migrations), the
//! workspace's `config/retort.toml` with its overlays, and its `retort.lock`.
//!
//! `build.rs` generates the registry ([`BUNDLE`]) from this crate's dependencies: each one whose
//! directory holds `versions/` is a database crate. `retort init NAME` adds the new crate to
//! them, so the next build carries it.
//!
//! In development the CLI reads `versions/` from disk and checks it against what it carries
//! (`compare.rs`): a binary built from other files than those on disk would run migrations
//! nobody reviewed, or miss some.

mod compare;

use retort_core::SourceFile;
use retort_migration::RustMigrations;

pub use self::compare::{Difference, differences};
use crate::settings::BuiltInConfig;

/// The manifest of the crate that builds a workspace's own `retort`, from the workspace root.
/// `retort init` adds new database crates to its dependencies, and a project that has it is
/// checked against what the binary carries.
pub const CLI_MANIFEST: &str = "crates/retort-cli/Cargo.toml";

/// Everything the binary was built with.
#[derive(Debug)]
pub struct Bundle {
    /// `config/retort.toml` and its overlays; `None` when the workspace had none.
    pub config: Option<BuiltInConfig>,
    /// `retort.lock`; `None` when the workspace had none.
    pub lock: Option<&'static str>,
    /// Every database crate, in the order of this crate's dependencies.
    pub databases: &'static [EmbeddedDatabase],
}

/// One database crate's migrations.
#[derive(Debug)]
pub struct EmbeddedDatabase {
    /// The database's name in the configuration (the crate's `DATABASE`).
    pub name: &'static str,
    /// The crate's package name (`app-migrations`): a project on disk whose database crate has
    /// this name is the one the binary was built from.
    pub package: &'static str,
    /// Its `versions/` relative to the workspace root (`databases/app/versions`), for messages.
    pub versions_path: &'static str,
    /// Every file of `versions/`, in file-name order: (file name, bytes).
    pub versions: &'static [(&'static str, &'static [u8])],
    /// Its Rust migrations, by the name their marker gives.
    pub rust: RustMigrations,
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

impl Bundle {
    /// The database crate for the database `name`.
    pub fn database(&self, name: &str) -> Option<&'static EmbeddedDatabase> {
        self.databases.iter().find(|database| database.name == name)
    }
}

impl EmbeddedDatabase {
    /// The migration files, named as on disk in the workspace the binary was built from.
    pub fn source_files(&self) -> Vec<SourceFile> {
        self.versions
            .iter()
            .map(|(file_name, bytes)| SourceFile {
                path: format!("{}/{file_name}", self.versions_path),
                bytes: bytes.to_vec(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Every `databases/*` crate of this workspace is a dependency of this crate: a database
    /// the binary did not carry would be missing from release images.
    #[test]
    fn the_binary_carries_every_database_of_the_workspace() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let Ok(entries) = std::fs::read_dir(workspace.join("databases")) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if !path.join("versions").is_dir() {
                continue;
            }
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            assert!(
                BUNDLE.database(&name).is_some(),
                "databases/{name} is not a dependency of retort-cli: add it to crates/retort-cli/Cargo.toml"
            );
        }
    }

    #[test]
    fn the_shipped_config_is_built_in() {
        let config = BUNDLE.config.expect("config/retort.toml is built in");
        assert!(config.base.contains("[databases.app]"), "{}", config.base);
        let app = BUNDLE.database("app").expect("app is built in");
        assert_eq!(app.package, "app-migrations");
        assert_eq!(app.versions_path, "databases/app/versions");
        assert!(
            app.source_files()
                .iter()
                .any(|file| file.path == "databases/app/versions/1f4a8c2e9b30_create_users.sql")
        );
    }
}
