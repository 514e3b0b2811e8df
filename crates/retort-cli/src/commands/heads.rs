//! `retort heads [--verbose] [--resolve-dependencies]`: each database's heads, as Alembic's
//! `heads` prints them.

use crate::args::HeadsArgs;
use crate::commands::context::Context;
use crate::exit::Outcome;
use crate::printer::Verbosity;
use crate::render::{self, LineParts, Marks};

/// Versioned heads in map order (real heads with `--resolve-dependencies`), one line each,
/// or verbose blocks.
pub fn heads(context: &Context<'_>, args: &HeadsArgs) -> anyhow::Result<Outcome> {
    let verbose = context.printer.verbosity() == Verbosity::Verbose;
    for (database, set) in context.load_selected()? {
        context.heading(database);
        let map = set.map();
        let heads = if args.resolve_dependencies {
            map.real_heads()
        } else {
            map.heads()
        };
        for id in heads {
            if verbose {
                context
                    .printer
                    .data(render::log_entry(&set, id, Marks::default()));
            } else {
                context.printer.data(render::revision_line(
                    &set,
                    id,
                    LineParts::HEADS,
                    Marks::default(),
                ));
            }
        }
    }
    Ok(Outcome::Success)
}
