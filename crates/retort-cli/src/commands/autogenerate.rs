//! `retort revision --autogenerate --db D -m MSG`: a revision whose upgrade turns the schema the
//! migrations build (at the new revision's parent, `head` by default) into the one
//! `databases/<db>/schema.sql` declares, and whose downgrade turns it back, as Alembic's
//! autogenerate writes one from the models.
//!
//! Both schemas are built on scratch databases of the database's engine (SQLite in memory; a
//! temporary PostgreSQL or MySQL database on the configured server, dropped afterwards, on
//! Ctrl-C too) and read back with retort-db's introspection; retort-schema compares them and
//! writes the DDL. The live database is never touched. The pieces here are shared with `diff`
//! and with the drift part of `check` (`diff.rs`).

use std::future::Future;
use std::path::PathBuf;

use anyhow::Context as _;
use retort_core::{Dialect, Direction, MigrationSet};
use retort_db::{BackendOptions, ScratchDatabase};
use retort_schema::{MigrationScript, Schema, migration_script, render_script};

use crate::args::RevisionArgs;
use crate::commands::context::Context;
use crate::commands::generate;
use crate::commands::revision::resolve_dependency;
use crate::exit::Outcome;
use crate::settings::DatabaseSettings;

/// The desired schema's file name, beside the database's `versions/`.
pub const SCHEMA_FILE_NAME: &str = "schema.sql";

/// Why a schema could not be built or compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AutogenerateError {
    #[error(
        "database '{database}' declares no desired schema: write its tables, in {dialect} DDL, to {path}"
    )]
    NoSchemaFile {
        database: String,
        dialect: Dialect,
        path: String,
    },
    #[error("cannot read {path}")]
    ReadSchemaFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not UTF-8")]
    SchemaFileNotUtf8 { path: String },
    #[error(
        "database '{database}': revision {revision} ({path}) has no upgrade section for {dialect}, so its schema cannot be built"
    )]
    NoUpgradeSql {
        database: String,
        revision: String,
        path: String,
        dialect: Dialect,
    },
    #[error("interrupted; the scratch databases were dropped")]
    Interrupted,
}

pub async fn autogenerate(context: &Context<'_>, args: &RevisionArgs) -> anyhow::Result<Outcome> {
    let database = generate::single_database(context, "revision")?;
    let set = context.project.load_source(database)?;
    let parents = generate::resolve_parents(database, set.map(), &args.head)?;
    generate::check_parents(database, set.map(), &parents, args.splice)?;
    let depends_on = args
        .depends_on
        .iter()
        .map(|entry| resolve_dependency(context, database, &set, entry))
        .collect::<anyhow::Result<Vec<String>>>()?;
    let options = context.backend_options(database)?;
    let desired_sql = read_schema_file(context, database, &options)?;
    let (current, desired) = until_interrupted(async {
        tokio::try_join!(
            schema_of_migrations(database, &options, &set, &parents),
            schema_of_file(context, database, &options, &desired_sql),
        )
    })
    .await?;
    let script = migration_script(&current, &desired);
    if script.is_empty() {
        context.printer.status(format!(
            "No changes detected in database '{}': the migrations already build {}; no revision written",
            database.name,
            context.project.display(&schema_path(database))
        ));
        return Ok(Outcome::Success);
    }
    for difference in &script.differences {
        context.printer.status(format!("Detected {difference}"));
    }
    let new = generate::new_revision(database, &set, &args.new_revision, parents, depends_on)?;
    let content = new.render_with(&sections(options.url.dialect(), &script));
    generate::write_revision_text(context, database, &new, content)?;
    Ok(Outcome::Success)
}

/// `databases/<db>/schema.sql`: beside the database's `versions/`.
pub fn schema_path(database: &DatabaseSettings) -> PathBuf {
    match database.versions.parent() {
        Some(parent) => parent.join(SCHEMA_FILE_NAME),
        None => PathBuf::from(SCHEMA_FILE_NAME),
    }
}

/// The text of the database's `schema.sql`; an error that says where to write it when missing.
pub fn read_schema_file(
    context: &Context<'_>,
    database: &DatabaseSettings,
    options: &BackendOptions,
) -> anyhow::Result<String> {
    let path = schema_path(database);
    let shown = context.project.display(&path);
    if !path.exists() {
        return Err(AutogenerateError::NoSchemaFile {
            database: database.name.clone(),
            dialect: options.url.dialect(),
            path: shown,
        }
        .into());
    }
    let bytes = std::fs::read(&path).map_err(|source| AutogenerateError::ReadSchemaFile {
        path: shown.clone(),
        source,
    })?;
    String::from_utf8(bytes)
        .map_err(|_| AutogenerateError::SchemaFileNotUtf8 { path: shown }.into())
}

/// The schema `sql` (the database's `schema.sql`) builds on a scratch database.
pub async fn schema_of_file(
    context: &Context<'_>,
    database: &DatabaseSettings,
    options: &BackendOptions,
    sql: &str,
) -> anyhow::Result<Schema> {
    let label = context.project.display(&schema_path(database));
    let mut scratch = ScratchDatabase::create(options)
        .await
        .with_context(|| format!("database '{}': building {label}", database.name))?;
    let built = async {
        scratch.run_script(&label, sql).await?;
        scratch.schema().await
    }
    .await;
    let discarded = scratch.discard().await;
    let schema = built.with_context(|| format!("database '{}'", database.name))?;
    discarded?;
    Ok(schema)
}

/// The schema the migrations build on a scratch database when upgraded from nothing to each of
/// `targets` in turn (revision ids, or `heads`); nothing is built for no target.
pub async fn schema_of_migrations(
    database: &DatabaseSettings,
    options: &BackendOptions,
    set: &MigrationSet,
    targets: &[String],
) -> anyhow::Result<Schema> {
    let dialect = options.url.dialect();
    let in_database = || format!("database '{}'", database.name);
    let mut scripts: Vec<(String, &str)> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for target in targets {
        let plan = set.map().upgrade(&rows, target).with_context(in_database)?;
        for revision in plan.revisions() {
            let Some(migration) = set.migration(revision) else {
                continue;
            };
            let sql = migration.sql(Direction::Up, dialect).map_err(|_| {
                AutogenerateError::NoUpgradeSql {
                    database: database.name.clone(),
                    revision: revision.to_owned(),
                    path: migration.path.clone(),
                    dialect,
                }
            })?;
            scripts.push((format!("{} (upgrade)", migration.path), sql));
        }
        rows = plan.end_rows().to_vec();
    }
    if scripts.is_empty() {
        return Ok(Schema::empty(dialect));
    }
    let mut scratch = ScratchDatabase::create(options).await.with_context(|| {
        format!(
            "{}: running the migrations on a scratch database",
            in_database()
        )
    })?;
    let built = async {
        for (label, sql) in &scripts {
            scratch.run_script(label, sql).await?;
        }
        scratch.schema().await
    }
    .await;
    let discarded = scratch.discard().await;
    let schema = built.with_context(in_database)?;
    discarded?;
    Ok(schema)
}

/// Runs `work` until it ends or Ctrl-C is pressed; on Ctrl-C `work` is dropped, and with it any
/// scratch database, whose guard drops it on the server.
pub async fn until_interrupted<T>(
    work: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => Err(AutogenerateError::Interrupted.into()),
    }
}

/// The revision file's sections, marked with the dialect the DDL is written in: run on another
/// engine, the migration fails with "no section for this dialect" instead of running DDL that
/// was never meant for it.
pub fn sections(dialect: Dialect, script: &MigrationScript) -> String {
    format!(
        "-- upgrade {dialect}\n{}\n-- downgrade {dialect}\n{}",
        render_script(&script.upgrade),
        render_script(&script.downgrade)
    )
}
