//! `retort merge [REVS...|heads] -m MSG [--branch-label L] [--rev-id ID]`: a new revision
//! whose parents are the given revisions (every head by default).

use crate::args::MergeArgs;
use crate::commands::context::Context;
use crate::commands::generate;
use crate::exit::Outcome;

pub fn merge(context: &Context<'_>, args: &MergeArgs) -> anyhow::Result<Outcome> {
    let database = generate::single_database(context, "merge")?;
    let set = context.project.load_source(database)?;
    let mut parents = Vec::new();
    for spec in &args.revisions {
        parents.extend(generate::resolve_parents(database, set.map(), spec)?);
    }
    generate::check_parents(database, set.map(), &parents, false)?;
    let new = generate::new_revision(database, &set, &args.new_revision, parents, Vec::new())?;
    generate::write_revision(context, database, &new)?;
    Ok(Outcome::Success)
}
