//! Reading a database's version rows and recorded checksums, for the read-only commands.
//! Nothing is created: a database without retort's tables reads as empty.

use std::collections::BTreeMap;

use anyhow::Context as _;
use retort_core::MigrationSet;

use crate::commands::context::Context;
use crate::settings::DatabaseSettings;

/// What a database says about itself.
#[derive(Debug, Clone, Default)]
pub struct DatabaseState {
    /// The version rows, in the order the database returns them.
    pub rows: Vec<String>,
    /// The checksum recorded when each revision was applied.
    pub checksums: BTreeMap<String, String>,
}

impl DatabaseState {
    /// Applied revisions whose file no longer has the checksum recorded when it was applied,
    /// in map order.
    pub fn edited(&self, set: &MigrationSet) -> anyhow::Result<Vec<String>> {
        let applied = set.map().applied(&self.rows)?;
        Ok(applied
            .into_iter()
            .filter(|id| {
                let recorded = self.checksums.get(id);
                let current = set.migration(id).map(|migration| &migration.checksum);
                matches!((recorded, current), (Some(recorded), Some(current)) if recorded != current)
            })
            .collect())
    }
}

/// Connects to `database` and reads its rows and checksums.
pub async fn read_state(
    context: &Context<'_>,
    database: &DatabaseSettings,
) -> anyhow::Result<DatabaseState> {
    let in_database = || format!("database '{}'", database.name);
    let options = context.backend_options(database)?;
    let mut backend = retort_db::connect(&options)
        .await
        .with_context(in_database)?;
    let rows = backend.read_rows().await.with_context(in_database)?;
    let checksums = backend
        .applied_checksums()
        .await
        .with_context(in_database)?;
    backend.close().await.with_context(in_database)?;
    Ok(DatabaseState { rows, checksums })
}
