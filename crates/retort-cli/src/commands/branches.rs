//! `retort branches [--verbose]`: each branch point and the revisions it branches into, in
//! history order, as Alembic's `branches` prints them.

use anyhow::Context as _;
use retort_core::HistoryRange;

use crate::commands::context::Context;
use crate::exit::Outcome;
use crate::printer::Verbosity;
use crate::render::{self, LineParts, Marks};

/// For each branch point, newest first: its line, then ` -> child` for each child, then a blank
/// line.
pub fn branches(context: &Context<'_>) -> anyhow::Result<Outcome> {
    let verbose = context.printer.verbosity() == Verbosity::Verbose;
    for (database, set) in context.load_selected()? {
        context.heading(database);
        let map = set.map();
        let walk = map
            .history(&HistoryRange::default(), &[])
            .with_context(|| format!("database '{}'", database.name))?;
        for id in walk {
            let Some(info) = map.info(id) else { continue };
            if !info.is_branch_point {
                continue;
            }
            let branch_point = if verbose {
                render::log_entry(&set, id, Marks::default())
            } else {
                render::revision_line(&set, id, LineParts::BRANCH_POINT, Marks::default())
            };
            let child_parts = LineParts {
                message: verbose,
                ..LineParts::BRANCH_POINT
            };
            let indent = " ".repeat(id.chars().count());
            let children: Vec<String> = info
                .children
                .iter()
                .map(|child| {
                    format!(
                        "{indent} -> {}",
                        render::revision_line(&set, child, child_parts, Marks::default())
                    )
                })
                .collect();
            context
                .printer
                .data(format!("{branch_point}\n{}\n", children.join("\n")));
        }
    }
    Ok(Outcome::Success)
}
