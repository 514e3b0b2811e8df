//! `retort show REV`: the verbose block of every revision `REV` names (`current` reads the
//! database's rows), as Alembic's `show` prints them.

use anyhow::Context as _;

use crate::args::ShowArgs;
use crate::commands::context::Context;
use crate::commands::database_state::read_state;
use crate::exit::Outcome;
use crate::render::{self, Marks};

pub async fn show(context: &Context<'_>, args: &ShowArgs) -> anyhow::Result<Outcome> {
    for (database, set) in context.load_selected()? {
        let in_database = || format!("database '{}'", database.name);
        let ids = if args.revision == "current" {
            let rows = read_state(context, database).await?.rows;
            set.map().check_rows(&rows).with_context(in_database)?;
            rows
        } else {
            set.map()
                .resolve(&args.revision)
                .with_context(in_database)?
        };
        context.heading(database);
        for id in ids {
            context
                .printer
                .data(render::log_entry(&set, &id, Marks::default()));
        }
    }
    Ok(Outcome::Success)
}
