//! What `status` and `check` report for each database: where it is, its heads, what is
//! pending, and which applied files were edited; and the message that tells how to merge
//! several heads, which `upgrade` also shows.

use anyhow::Context as _;
use retort_core::MigrationSet;
use serde::Serialize;

use crate::commands::context::Context;
use crate::commands::database_state::{edited, read_state};
use crate::settings::DatabaseSettings;

/// One database's state, against its migration files.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseStatus {
    pub database: String,
    /// The current revisions (version rows plus the heads they imply), empty at base.
    pub current: Vec<String>,
    /// The heads of the revision graph.
    pub heads: Vec<String>,
    /// How many heads the config expects (`expected_heads`, default 1).
    pub expected_heads: usize,
    /// More heads than expected: two branches that need a merge.
    pub unexpected_heads: bool,
    /// The revisions `upgrade heads` would run, in order.
    pub pending: Vec<String>,
    /// Applied revisions whose file changed since.
    pub edited: Vec<EditedFile>,
}

/// An applied migration whose file changed since.
#[derive(Debug, Clone, Serialize)]
pub struct EditedFile {
    pub revision: String,
    pub path: String,
}

impl DatabaseStatus {
    /// Whether `check` passes for this database.
    pub fn is_clean(&self) -> bool {
        self.pending.is_empty() && !self.unexpected_heads && self.edited.is_empty()
    }
}

/// Reads `database` (creating nothing) and compares it with its files.
pub async fn database_status(
    context: &Context<'_>,
    database: &DatabaseSettings,
    set: &MigrationSet,
) -> anyhow::Result<DatabaseStatus> {
    let in_database = || format!("database '{}'", database.name);
    let state = read_state(context, database).await?;
    let map = set.map();
    let current = map.current(&state.rows).with_context(in_database)?;
    let heads: Vec<String> = map.heads().into_iter().map(str::to_owned).collect();
    let plan = map
        .upgrade(&state.rows, "heads")
        .with_context(in_database)?;
    let edited = edited(&state, set)
        .with_context(in_database)?
        .into_iter()
        .map(|revision| {
            let path = set
                .migration(&revision)
                .map(|migration| migration.path.clone())
                .unwrap_or_default();
            EditedFile { revision, path }
        })
        .collect();
    Ok(DatabaseStatus {
        database: database.name.clone(),
        current,
        unexpected_heads: heads.len() > database.expected_heads,
        heads,
        expected_heads: database.expected_heads,
        pending: plan.revisions().into_iter().map(str::to_owned).collect(),
        edited,
    })
}

/// How to merge the heads of a database that has more than its config expects, with the exact
/// command to run.
pub fn merge_hint(database: &str, heads: &[String], expected_heads: usize) -> String {
    format!(
        "database '{database}' has {} heads ({}), more than the {expected_heads} its config expects; merge them with: retort merge --db {database} heads -m \"merge heads\"",
        heads.len(),
        heads.join(", "),
    )
}

/// The warning for an applied file that was edited.
pub fn edited_warning(database: &str, file: &EditedFile) -> String {
    format!(
        "database '{database}': revision {} ({}) was edited after it was applied; restore it, or add a new migration",
        file.revision, file.path
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merge_hint_names_the_command() {
        let heads = vec!["a1".to_owned(), "b2".to_owned()];
        assert_eq!(
            merge_hint("app", &heads, 1),
            "database 'app' has 2 heads (a1, b2), more than the 1 its config expects; merge them with: retort merge --db app heads -m \"merge heads\""
        );
    }
}
