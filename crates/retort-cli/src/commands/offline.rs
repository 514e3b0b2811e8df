//! `--sql` for `upgrade`, `downgrade` and `stamp`: the script a plan would run, version-table
//! changes included, printed to stdout without connecting to anything. The starting state
//! comes from a `START:END` range, as in Alembic; the dialect comes from each database's URL.

use anyhow::Context as _;
use retort_core::{
    Action, Dialect, Direction, Migration, MigrationSet, MissingSql, Plan, RevisionError,
};
use retort_db::{BackendError, OfflineStep, render_offline_in_schema};

use crate::commands::context::Context;
use crate::exit::Outcome;
use crate::settings::DatabaseSettings;

/// Why an offline script cannot be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineError {
    #[error("downgrade with --sql requires <fromrev>:<torev>")]
    DowngradeNeedsRange,
    #[error("downgrade needs a target (-1, base, a revision) or --run RUN_ID")]
    DowngradeNeedsTarget,
    #[error("can't use --purge with --sql mode")]
    PurgeWithSql,
    #[error("stamp operation with --sql only supports a single starting revision at a time")]
    SeveralStampStarts,
    #[error("invalid range '{range}'; expected START:END")]
    BadRange { range: String },
    #[error(
        "database '{database}': revision {revision} ({path}) has no downgrade section, so it is irreversible and the downgrade cannot pass it"
    )]
    Irreversible {
        database: String,
        revision: String,
        path: String,
    },
    #[error(
        "database '{database}': revision {revision} ({path}) has no {section} section for {dialect}; add '-- {section} {dialect}' or a plain '-- {section}' section"
    )]
    MissingSection {
        database: String,
        revision: String,
        path: String,
        section: &'static str,
        dialect: Dialect,
    },
    #[error(
        "database '{database}': the plan names revision {revision}, which has no migration file"
    )]
    UnknownRevision { database: String, revision: String },
}

/// `START:END` split at its `:`; `None` when `target` is not a range.
pub fn split_range(target: &str) -> Result<Option<(&str, &str)>, OfflineError> {
    let Some((start, end)) = target.split_once(':') else {
        return Ok(None);
    };
    if end.is_empty() || end.contains(':') {
        return Err(OfflineError::BadRange {
            range: target.to_owned(),
        });
    }
    Ok(Some((start, end)))
}

/// The version rows a script starts from: the revision `start` names (none for base or empty).
pub fn start_rows(set: &MigrationSet, start: Option<&str>) -> Result<Vec<String>, RevisionError> {
    match start {
        None | Some("") => Ok(Vec::new()),
        Some(start) => Ok(set.map().resolve_one(start)?.into_iter().collect()),
    }
}

/// An error when `target` is a range: ranges need `--sql`.
pub fn refuse_range(target: &str) -> Result<(), RevisionError> {
    if target.contains(':') {
        return Err(RevisionError::RangeNotAllowed {
            range: target.to_owned(),
        });
    }
    Ok(())
}

/// Plans every selected database with `plan_for`, renders each script, and prints them all
/// (each under `-- database: <name>` when there are several) once every one has succeeded.
pub fn print_scripts(
    context: &Context<'_>,
    plan_for: impl Fn(&MigrationSet) -> anyhow::Result<Plan>,
) -> anyhow::Result<Outcome> {
    let mut scripts = Vec::new();
    for (database, set) in context.load_selected()? {
        let url = context.backend_options(database)?.url;
        let dialect = url.dialect();
        if database.schema.is_some() && dialect != Dialect::Postgres {
            // As connecting would: refused, not ignored.
            return Err(anyhow::Error::new(BackendError::UnsupportedOption {
                url,
                option: "schema",
                dialect,
            })
            .context(format!("database '{}'", database.name)));
        }
        let plan = plan_for(&set).with_context(|| format!("database '{}'", database.name))?;
        let (script, rust_steps) = render_plan(database, &set, &plan, dialect)?;
        for (revision, name) in rust_steps {
            context.printer.warning(format!(
                "database '{}': revision {revision} is the Rust migration '{name}', which cannot be rendered as SQL; the script marks where it belongs, and 'retort upgrade' runs it",
                database.name
            ));
        }
        scripts.push((database.name.clone(), script));
    }
    let several = scripts.len() > 1;
    for (name, script) in scripts {
        if several {
            context.printer.data(format!("-- database: {name}\n"));
        }
        context.printer.data_raw(&script);
    }
    Ok(Outcome::Success)
}

/// The script of one plan: each step with its SQL for `dialect`, and on PostgreSQL the
/// database's `schema` created and set first, as connecting would. A Rust migration cannot be
/// rendered: its place in the script says so, and its revision and name are returned.
fn render_plan(
    database: &DatabaseSettings,
    set: &MigrationSet,
    plan: &Plan,
    dialect: Dialect,
) -> Result<(String, Vec<(String, String)>), OfflineError> {
    let mut texts: Vec<(Option<String>, bool)> = Vec::with_capacity(plan.steps.len());
    let mut rust_steps = Vec::new();
    for step in &plan.steps {
        let (revision, direction) = match &step.action {
            Action::Upgrade(revision) => (revision, Direction::Up),
            Action::Downgrade(revision) => (revision, Direction::Down),
            Action::Stamp(_) => {
                texts.push((None, true));
                continue;
            }
        };
        let migration = migration(database, set, revision)?;
        let sql = section_sql(database, migration, direction, dialect)?;
        let text = match retort_migration::marker(sql) {
            Some(name) => {
                rust_steps.push((revision.clone(), name.to_owned()));
                format!(
                    "-- Revision {revision} is the Rust migration '{name}': it cannot be rendered as SQL.\n\
                     -- Run it here with 'retort {} {revision}' (it must run after the statements above and before those below).",
                    match direction {
                        Direction::Up => "upgrade",
                        Direction::Down => "downgrade",
                    }
                )
            }
            None => sql.to_owned(),
        };
        texts.push((Some(text), migration.transaction));
    }
    let steps: Vec<OfflineStep<'_>> = plan
        .steps
        .iter()
        .zip(&texts)
        .map(|(step, (sql, transactional))| OfflineStep {
            step,
            sql: sql.as_deref(),
            transactional: *transactional,
        })
        .collect();
    let script = render_offline_in_schema(
        dialect,
        database.schema.as_deref(),
        &database.version_table,
        plan.start_rows.is_empty(),
        &steps,
    );
    Ok((script, rust_steps))
}

fn migration<'a>(
    database: &DatabaseSettings,
    set: &'a MigrationSet,
    revision: &str,
) -> Result<&'a Migration, OfflineError> {
    set.migration(revision)
        .ok_or_else(|| OfflineError::UnknownRevision {
            database: database.name.clone(),
            revision: revision.to_owned(),
        })
}

/// The SQL of one direction of a migration for `dialect`, or why there is none.
fn section_sql<'a>(
    database: &DatabaseSettings,
    migration: &'a Migration,
    direction: Direction,
    dialect: Dialect,
) -> Result<&'a str, OfflineError> {
    let section = match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    };
    migration
        .sql(direction, dialect)
        .map_err(|missing| match missing {
            MissingSql::Irreversible => OfflineError::Irreversible {
                database: database.name.clone(),
                revision: migration.revision.id.clone(),
                path: migration.path.clone(),
            },
            MissingSql::NoSectionForDialect => OfflineError::MissingSection {
                database: database.name.clone(),
                revision: migration.revision.id.clone(),
                path: migration.path.clone(),
                section,
                dialect,
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_split_once() {
        assert_eq!(split_range("a:b").ok().flatten(), Some(("a", "b")));
        assert_eq!(split_range(":b").ok().flatten(), Some(("", "b")));
        assert_eq!(split_range("heads").ok().flatten(), None);
        assert!(split_range("a:").is_err());
        assert!(split_range("a:b:c").is_err());
    }
}
