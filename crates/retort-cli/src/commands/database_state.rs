//! Reading a database's version rows and recorded checksums, for the read-only commands.
//! Nothing is created: a database that does not exist, or has no retort tables, reads as empty.

use anyhow::Context as _;
use retort_core::MigrationSet;
pub use retort_orchestrator::DatabaseState;

use crate::commands::context::Context;
use crate::settings::DatabaseSettings;

/// Applied revisions whose file no longer has the checksum recorded when it was applied, in
/// map order.
pub fn edited(state: &DatabaseState, set: &MigrationSet) -> anyhow::Result<Vec<String>> {
    let applied = set.map().applied(&state.rows)?;
    Ok(applied
        .into_iter()
        .filter(|id| {
            let recorded = state.checksums.get(id);
            let current = set.migration(id).map(|migration| &migration.checksum);
            matches!((recorded, current), (Some(recorded), Some(current)) if recorded != current)
        })
        .collect())
}

/// Reads `database`'s rows and checksums without creating anything.
pub async fn read_state(context: &Context<'_>, database: &DatabaseSettings) -> anyhow::Result<DatabaseState> {
    let options = context.backend_options(database)?;
    retort_orchestrator::read_database(&options)
        .await
        .with_context(|| format!("database '{}'", database.name))
}
