//! `retort current [--verbose]`: each database's current revisions, the rows of its version
//! table plus the heads they imply through depends_on, as Alembic's `current` prints them.
//! Applied files edited since they ran are marked ` (edited)` and warned about. Reads only:
//! no table or file is created.

use anyhow::Context as _;

use crate::commands::context::Context;
use crate::commands::database_state::{edited, read_state};
use crate::exit::Outcome;
use crate::printer::Verbosity;
use crate::render::{self, LineParts, Marks};

pub async fn current(context: &Context<'_>) -> anyhow::Result<Outcome> {
    let verbose = context.printer.verbosity() == Verbosity::Verbose;
    for (database, set) in context.load_selected()? {
        let in_database = || format!("database '{}'", database.name);
        let state = read_state(context, database).await?;
        let map = set.map();
        map.check_rows(&state.rows).with_context(in_database)?;
        let current = map.current(&state.rows).with_context(in_database)?;
        let edited = edited(&state, &set).with_context(in_database)?;
        context.heading(database);
        if verbose {
            let url = context.backend_options(database)?.url;
            context
                .printer
                .data(format!("Current revision(s) for {url}:"));
        }
        for id in &current {
            let marks = Marks {
                current: false,
                edited: edited.contains(id),
            };
            if verbose {
                context.printer.data(render::log_entry(&set, id, marks));
            } else {
                context
                    .printer
                    .data(render::revision_line(&set, id, LineParts::CURRENT, marks));
            }
        }
        for id in &edited {
            let path = set
                .migration(id)
                .map(|migration| migration.path.as_str())
                .unwrap_or_default();
            context.printer.warning(format!(
                "database '{}': revision {id} ({path}) was edited after it was applied; restore it, or add a new migration",
                database.name
            ));
        }
    }
    Ok(Outcome::Success)
}
