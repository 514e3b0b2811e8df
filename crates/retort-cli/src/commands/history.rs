//! `retort history [-r START:END] [--verbose] [-i]`: revisions newest first, as Alembic's
//! `history` prints them. The database is read only for `-i` or a `current` end of the range.

use anyhow::Context as _;
use retort_core::HistoryRange;

use crate::args::HistoryArgs;
use crate::commands::context::Context;
use crate::commands::database_state::read_state;
use crate::exit::Outcome;
use crate::printer::Verbosity;
use crate::render::{self, LineParts, Marks};

/// The symbol that names the database's current revisions in a range.
const CURRENT: &str = "current";

pub async fn history(context: &Context<'_>, args: &HistoryArgs) -> anyhow::Result<Outcome> {
    let range = match &args.rev_range {
        Some(range) => HistoryRange::parse(range)?,
        None => HistoryRange::default(),
    };
    let range_names_current = [&range.start, &range.end]
        .into_iter()
        .any(|end| end.as_deref() == Some(CURRENT));
    let needs_rows = args.indicate_current || range_names_current;
    let verbose = context.printer.verbosity() == Verbosity::Verbose;
    for (database, set) in context.load_selected()? {
        let in_database = || format!("database '{}'", database.name);
        let rows = if needs_rows {
            read_state(context, database).await?.rows
        } else {
            Vec::new()
        };
        set.map().check_rows(&rows).with_context(in_database)?;
        let walk = set.map().history(&range, &rows).with_context(in_database)?;
        context.heading(database);
        for id in walk {
            let marks = Marks {
                current: args.indicate_current && rows.iter().any(|row| row == id),
                edited: false,
            };
            if verbose {
                context.printer.data(render::log_entry(&set, id, marks));
            } else {
                context
                    .printer
                    .data(render::revision_line(&set, id, LineParts::HISTORY, marks));
            }
        }
    }
    Ok(Outcome::Success)
}
