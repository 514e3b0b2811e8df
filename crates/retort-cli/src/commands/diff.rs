//! `retort diff [--db D]`: the DDL `revision --autogenerate` would write for each selected
//! database (migrations at heads → `schema.sql`), printed and not written. And
//! [`schema_drift`], the schema half of `check`: whether the migrations at heads build what
//! `schema.sql` declares, and whether a live database is what its revisions build, each as a
//! readable list of differences.

use std::path::Path;

use retort_core::MigrationSet;
use retort_db::{BackendError, BackendOptions, IntrospectError, IntrospectOptions, introspect};
use retort_schema::{Difference, Schema, compare, migration_script};

use crate::commands::autogenerate::{
    read_schema_file, schema_of_file, schema_of_migrations, schema_path, sections,
    until_interrupted,
};
use crate::commands::context::Context;
use crate::exit::Outcome;
use crate::settings::DatabaseSettings;

/// The target that builds every head.
const HEADS: &str = "heads";

pub async fn diff(context: &Context<'_>) -> anyhow::Result<Outcome> {
    for (database, set) in context.load_selected()? {
        let options = context.backend_options(database)?;
        let desired_sql = read_schema_file(context, database, &options)?;
        let heads = [HEADS.to_owned()];
        let (current, desired) = until_interrupted(async {
            tokio::try_join!(
                schema_of_migrations(database, &options, &set, &heads),
                schema_of_file(context, database, &options, &desired_sql),
            )
        })
        .await?;
        let script = migration_script(&current, &desired);
        context.heading(database);
        if script.is_empty() {
            context.printer.status(format!(
                "No changes detected in database '{}'",
                database.name
            ));
            continue;
        }
        context
            .printer
            .data_raw(&sections(options.url.dialect(), &script));
    }
    Ok(Outcome::Success)
}

/// One database's schema drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDrift {
    pub database: String,
    /// `schema.sql` as shown, and what it declares that the migrations at heads do not build,
    /// as the changes that would make them alike. `None` when the database has no `schema.sql`.
    pub declared: Option<(String, Vec<Difference>)>,
    /// The live database's revisions, and how it differs from what the migrations build at
    /// them, as the changes someone made outside the migrations. `None` when not checked.
    pub live: Option<(Vec<String>, Vec<Difference>)>,
    /// Why the live comparison could not be made, when it could not: the server refused to
    /// create a scratch database (a user without that right). A warning, not a failure.
    pub live_skipped: Option<String>,
}

impl SchemaDrift {
    /// Whether anything differs.
    pub fn has_drift(&self) -> bool {
        let declared = self
            .declared
            .as_ref()
            .is_some_and(|(_, differences)| !differences.is_empty());
        let live = self
            .live
            .as_ref()
            .is_some_and(|(_, differences)| !differences.is_empty());
        declared || live
    }

    /// The drift as lines: one saying what differs from what, then one indented line per
    /// difference; nothing when there is no drift.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let name = &self.database;
        if let Some((path, differences)) = &self.declared
            && !differences.is_empty()
        {
            lines.push(format!(
                "database '{name}': {path} declares changes no migration makes (write them with \
                 `retort revision --autogenerate --db {name} -m MESSAGE`):"
            ));
            lines.extend(
                differences
                    .iter()
                    .map(|difference| format!("  {difference}")),
            );
        }
        if let Some((revisions, differences)) = &self.live
            && !differences.is_empty()
        {
            let at = if revisions.is_empty() {
                "with no revision applied".to_owned()
            } else {
                format!("at {}", revisions.join(", "))
            };
            lines.push(format!(
                "database '{name}': the live database differs from what its migrations build {at}; \
                 changed outside the migrations:"
            ));
            lines.extend(
                differences
                    .iter()
                    .map(|difference| format!("  {difference}")),
            );
        }
        lines
    }
}

/// The schema drift of `database`, whose migrations are `set`: the migrations at heads against
/// `schema.sql` (when there is one), and, given the database's current revisions
/// (`live_revisions`), the live database against what the migrations build at them. The
/// migrations and `schema.sql` are built on scratch databases; only the live check reads the
/// database itself, creating nothing (a database that does not exist yet reads as empty).
pub async fn schema_drift(
    context: &Context<'_>,
    database: &DatabaseSettings,
    set: &MigrationSet,
    live_revisions: Option<&[String]>,
) -> anyhow::Result<SchemaDrift> {
    let options = context.backend_options(database)?;
    let path = schema_path(database);
    let declared = if path.exists() {
        let desired_sql = read_schema_file(context, database, &options)?;
        let heads = [HEADS.to_owned()];
        let (current, desired) = until_interrupted(async {
            tokio::try_join!(
                schema_of_migrations(database, &options, set, &heads),
                schema_of_file(context, database, &options, &desired_sql),
            )
        })
        .await?;
        Some((context.project.display(&path), compare(&current, &desired)))
    } else {
        None
    };
    let mut live_skipped = None;
    let live = match live_revisions {
        Some(revisions) => {
            let compared = until_interrupted(async {
                tokio::try_join!(
                    schema_of_migrations(database, &options, set, revisions),
                    live_schema(&options),
                )
            })
            .await;
            match compared {
                Ok((expected, actual)) => Some((revisions.to_vec(), compare(&expected, &actual))),
                Err(error) => match scratch_refusal(&error) {
                    Some(refusal) => {
                        live_skipped = Some(format!(
                            "database '{}': the live schema was not compared with its migrations: {refusal}",
                            database.name
                        ));
                        None
                    }
                    None => return Err(error),
                },
            }
        }
        None => None,
    };
    Ok(SchemaDrift {
        database: database.name.clone(),
        declared,
        live,
        live_skipped,
    })
}

/// The server's refusal to create a scratch database, when that is what `error` is.
fn scratch_refusal(error: &anyhow::Error) -> Option<String> {
    error
        .chain()
        .find_map(|cause| match cause.downcast_ref::<IntrospectError>() {
            Some(refusal @ IntrospectError::CreateScratch { .. }) => Some(refusal.to_string()),
            _ => None,
        })
}

/// The live database's schema, retort's tables left out; empty when the database does not
/// exist yet (a SQLite file not created, a server database missing).
async fn live_schema(options: &BackendOptions) -> anyhow::Result<Schema> {
    let dialect = options.url.dialect();
    if let Some(path) = options.url.sqlite_path()
        && !Path::new(path).exists()
    {
        return Ok(Schema::empty(dialect));
    }
    match introspect(&IntrospectOptions::for_backend(options)).await {
        Ok(schema) => Ok(schema),
        Err(IntrospectError::Connect(BackendError::DatabaseMissing { .. })) => {
            Ok(Schema::empty(dialect))
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use retort_schema::{Column, ObjectName, Table};

    use super::*;

    #[test]
    fn drift_reads_as_a_list() {
        let table = ObjectName::new("users");
        let drift = SchemaDrift {
            database: "app".to_owned(),
            declared: Some((
                "databases/app/schema.sql".to_owned(),
                vec![Difference::TableAdded(Table::new(ObjectName::new(
                    "orders",
                )))],
            )),
            live_skipped: None,
            live: Some((
                vec!["3f1c2a9b7d10".to_owned()],
                vec![Difference::ColumnAdded {
                    table,
                    column: Column::new("nickname", "TEXT"),
                }],
            )),
        };
        assert!(drift.has_drift());
        assert_eq!(
            drift.describe(),
            [
                "database 'app': databases/app/schema.sql declares changes no migration makes \
                 (write them with `retort revision --autogenerate --db app -m MESSAGE`):",
                "  add table orders",
                "database 'app': the live database differs from what its migrations build at \
                 3f1c2a9b7d10; changed outside the migrations:",
                "  add column users.nickname TEXT",
            ]
        );
        let clean = SchemaDrift {
            database: "app".to_owned(),
            declared: None,
            live: Some((Vec::new(), Vec::new())),
            live_skipped: None,
        };
        assert!(!clean.has_drift());
        assert!(clean.describe().is_empty());
    }
}
