//! `retort lock`: write `retort.lock` at the project root, pinning each database's heads and a
//! checksum of its whole revision graph; and the comparison `check --locked` and
//! `upgrade --locked` make with it. `--db` narrows what is written: the other databases keep
//! their entries.

use std::collections::BTreeMap;
use std::fs;
use std::sync::Arc;

use anyhow::Context as _;
use retort_core::MigrationSet;

use crate::commands::context::Context;
use crate::exit::Outcome;
use crate::lockfile::{LOCK_FILE_NAME, LockDifference, LockError, Lockfile};

pub fn lock(context: &Context<'_>) -> anyhow::Result<Outcome> {
    let project = context.project;
    project.require_source_tree("lock")?;
    let mut sets = BTreeMap::new();
    for database in &context.databases {
        sets.insert(
            database.name.clone(),
            Arc::new(project.load_source(database)?),
        );
    }
    let mut lock = if every_database(context) {
        Lockfile::default()
    } else {
        read_lock(context)?.unwrap_or_default()
    };
    lock.databases.extend(Lockfile::of(&sets).databases);
    let path = project.root().join(LOCK_FILE_NAME);
    let text = lock.render();
    if fs::read_to_string(&path).is_ok_and(|existing| existing == text) {
        context
            .printer
            .status(format!("{LOCK_FILE_NAME} is up to date"));
        return Ok(Outcome::Success);
    }
    fs::write(&path, text).with_context(|| format!("cannot write {LOCK_FILE_NAME}"))?;
    context
        .printer
        .data(format!("Writing {LOCK_FILE_NAME} ... done"));
    Ok(Outcome::Success)
}

/// How `sets` (the selected databases' migrations) differ from the lock: the project's
/// `retort.lock`, or the one built in when the binary runs on its built-in migrations. A
/// missing lock is an error.
pub fn differences(
    context: &Context<'_>,
    sets: &BTreeMap<String, Arc<MigrationSet>>,
) -> Result<Vec<LockDifference>, LockError> {
    let lock = read_lock(context)?.ok_or_else(|| LockError::Missing {
        path: lock_shown(context),
    })?;
    let selected: BTreeMap<String, Arc<MigrationSet>> = sets
        .iter()
        .filter(|(name, _)| {
            context
                .databases
                .iter()
                .any(|database| database.name == **name)
        })
        .map(|(name, set)| (name.clone(), set.clone()))
        .collect();
    Ok(lock.differences(&Lockfile::of(&selected), every_database(context)))
}

/// `upgrade --locked`: an error unless `sets` are what the lock pins.
pub fn require_locked(
    context: &Context<'_>,
    sets: &BTreeMap<String, Arc<MigrationSet>>,
) -> Result<(), LockError> {
    let differences = differences(context, sets)?;
    if differences.is_empty() {
        return Ok(());
    }
    Err(LockError::Mismatch {
        path: lock_shown(context),
        differences,
    })
}

/// The lock, from disk in a project, built in otherwise; `None` when there is none.
pub fn read_lock(context: &Context<'_>) -> Result<Option<Lockfile>, LockError> {
    let project = context.project;
    let shown = lock_shown(context);
    if project.is_built_in() {
        return project
            .bundle
            .lock
            .map(|text| Lockfile::parse(&shown, text))
            .transpose();
    }
    match fs::read_to_string(project.root().join(LOCK_FILE_NAME)) {
        Ok(text) => Lockfile::parse(&shown, &text).map(Some),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(LockError::Invalid {
            path: shown,
            message: error.to_string(),
        }),
    }
}

/// `retort.lock`, or `retort.lock (built in)`.
fn lock_shown(context: &Context<'_>) -> String {
    if context.project.is_built_in() {
        format!("{LOCK_FILE_NAME} (built in)")
    } else {
        LOCK_FILE_NAME.to_owned()
    }
}

/// Whether the command acts on every configured database (no `--db` narrowed it).
fn every_database(context: &Context<'_>) -> bool {
    context.databases.len() == context.project.settings.databases.len()
}
