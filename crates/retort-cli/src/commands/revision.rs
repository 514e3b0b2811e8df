//! `retort revision --db D -m MSG [--head REV] [--splice] [--branch-label L]
//! [--depends-on REV|db:REV]... [--rev-id ID]`: a new, empty revision file, with Alembic's
//! rules for its parents and dependencies.

use anyhow::Context as _;
use retort_core::MigrationSet;

use crate::args::RevisionArgs;
use crate::commands::context::Context;
use crate::commands::generate::{self, GenerateError};
use crate::exit::Outcome;
use crate::settings::DatabaseSettings;

pub fn revision(context: &Context<'_>, args: &RevisionArgs) -> anyhow::Result<Outcome> {
    let database = generate::single_database(context, "revision")?;
    let set = context.project.load_source(database)?;
    let parents = generate::resolve_parents(database, set.map(), &args.head)?;
    generate::check_parents(database, set.map(), &parents, args.splice)?;
    let depends_on = args
        .depends_on
        .iter()
        .map(|entry| resolve_dependency(context, database, &set, entry))
        .collect::<anyhow::Result<Vec<String>>>()?;
    let new = generate::new_revision(database, &set, &args.new_revision, parents, depends_on)?;
    generate::write_revision(context, database, &new)?;
    Ok(Outcome::Success)
}

/// A `--depends-on` entry as it goes into the header: a partial id becomes the full id, a
/// branch label stays a label (Alembic's rule), and `db:REV` is resolved in that database.
pub fn resolve_dependency(
    context: &Context<'_>,
    database: &DatabaseSettings,
    set: &MigrationSet,
    entry: &str,
) -> anyhow::Result<String> {
    let Some((other_name, revision)) = entry.split_once(':') else {
        return resolve_keeping_label(set, entry, entry)
            .with_context(|| format!("database '{}'", database.name));
    };
    if other_name == database.name {
        return Err(GenerateError::OwnDatabaseDependency {
            entry: entry.to_owned(),
            database: database.name.clone(),
        }
        .into());
    }
    let settings = &context.project.settings;
    let Some(other) = settings.databases.get(other_name) else {
        return Err(GenerateError::UnknownDependencyDatabase {
            entry: entry.to_owned(),
            other: other_name.to_owned(),
            configured: settings.databases.keys().cloned().collect(),
        }
        .into());
    };
    let other_set = context.project.load_source(other)?;
    let resolved = resolve_keeping_label(&other_set, revision, entry)
        .with_context(|| format!("database '{other_name}'"))?;
    Ok(format!("{other_name}:{resolved}"))
}

/// Resolves `spec` to one revision: its full id, or `spec` itself when it is a branch label
/// that revision carries.
fn resolve_keeping_label(set: &MigrationSet, spec: &str, entry: &str) -> anyhow::Result<String> {
    let Some(id) = set.map().resolve_one(spec)? else {
        return Err(GenerateError::DependsOnBase {
            entry: entry.to_owned(),
        }
        .into());
    };
    let is_label = set
        .map()
        .info(&id)
        .is_some_and(|info| info.labels.contains(&spec));
    Ok(if is_label { spec.to_owned() } else { id })
}
