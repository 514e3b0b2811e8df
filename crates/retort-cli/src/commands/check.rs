//! `retort check [--locked]`: exit 1 when a selected database has pending migrations, more
//! heads than its config expects, or applied files that were edited, or (`--locked`) when the
//! migrations differ from what `retort.lock` pins; 0 when everything is in order. Reads only;
//! what is wrong is listed on stderr, even with `--quiet`.

use std::collections::BTreeMap;

use crate::args::CheckArgs;
use crate::commands::context::Context;
use crate::commands::diff::schema_drift;
use crate::commands::lock;
use crate::commands::overview::{database_status, edited_warning, merge_hint};
use crate::exit::Outcome;
use crate::lockfile::{LOCK_FILE_NAME, LockError};

pub async fn check(context: &Context<'_>, args: &CheckArgs) -> anyhow::Result<Outcome> {
    let mut clean = true;
    let mut n_databases = 0;
    let selected = context.load_selected()?;
    if args.locked {
        let sets: BTreeMap<_, _> = selected
            .iter()
            .map(|(database, set)| (database.name.clone(), set.clone()))
            .collect();
        match lock::differences(context, &sets) {
            Ok(differences) => {
                for difference in &differences {
                    context.printer.report(format!(
                        "{difference}; run 'retort lock' and commit {LOCK_FILE_NAME}"
                    ));
                }
                clean &= differences.is_empty();
            }
            Err(missing @ LockError::Missing { .. }) => {
                context.printer.report(missing);
                clean = false;
            }
            Err(other) => return Err(other.into()),
        }
    }
    for (database, set) in selected {
        n_databases += 1;
        let status = database_status(context, database, &set).await?;
        clean &= status.is_clean();
        let printer = context.printer;
        match status.pending.len() {
            0 => {}
            1 => printer.report(format!(
                "database '{}': 1 migration pending ({}); run 'retort upgrade'",
                status.database, status.pending[0]
            )),
            n => printer.report(format!(
                "database '{}': {n} migrations pending ({}); run 'retort upgrade'",
                status.database,
                status.pending.join(", ")
            )),
        }
        if status.unexpected_heads {
            printer.report(merge_hint(
                &status.database,
                &status.heads,
                status.expected_heads,
            ));
        }
        for file in &status.edited {
            printer.report(edited_warning(&status.database, file));
        }
        // An edited file explains its own drift: the live check waits until it is restored.
        let live_revisions = status
            .edited
            .is_empty()
            .then_some(status.current.as_slice());
        let drift = schema_drift(context, database, &set, live_revisions).await?;
        clean &= !drift.has_drift();
        for line in drift.describe() {
            printer.report(line);
        }
        if let Some(reason) = &drift.live_skipped {
            printer.warning(reason);
        }
    }
    if clean {
        let noun = if n_databases == 1 {
            "database is"
        } else {
            "databases are"
        };
        context
            .printer
            .status(format!("{n_databases} {noun} up to date"));
        Ok(Outcome::Success)
    } else {
        Ok(Outcome::CheckFailed)
    }
}
