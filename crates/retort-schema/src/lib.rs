//! retort-schema owns the database schema as data: the model that introspection fills
//! ([`Schema`], [`Table`], [`Column`], …), the per-dialect normalisation of the text engines
//! hand back (types, defaults, expressions), the comparison of two schemas into
//! [`Difference`]s, and the DDL that turns one into the other ([`migration_script`]), SQLite
//! table rebuilds included.
//!
//! It is pure and synchronous: schemas in, differences and SQL text out. It knows nothing about
//! sqlx, tokio, the terminal or the file system; retort-db reads schemas from databases, and the
//! command line writes the migrations.

mod compare;
mod describe;
mod model;
mod normalize;
mod order;
mod plan;
mod quote;
mod render;
mod sqlite_ddl;
mod tokens;

pub use compare::{Difference, compare};
pub use model::{
    CheckConstraint, Column, ForeignKey, Generated, Identity, Index, IndexKey, IndexTarget,
    ObjectName, PrimaryKey, ReferentialAction, Schema, Table, UniqueConstraint,
};
pub use normalize::{
    mentions_word, normalize_default, normalize_expression, normalize_type, same_expression,
};
pub use plan::{MigrationScript, migration_script, plan};
pub use quote::{quote_identifier, quote_literal, quote_object};
pub use render::{Statement, render_script};
pub use sqlite_ddl::{
    SqliteIndexDetails, SqliteTableDetails, parse_sqlite_create_index, parse_sqlite_create_table,
};

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
