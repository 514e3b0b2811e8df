//! `retort downgrade TARGET [--sql]`: every selected database down to `TARGET`, dependants
//! first. `retort downgrade --run RUN_ID`: every selected database that run upgraded back to
//! where it was before it (a whole release rolled back), planned from the history tables.

use retort_orchestrator::Command;

use crate::args::DowngradeArgs;
use crate::commands::offline::{self, OfflineError};
use crate::commands::{context::Context, online};
use crate::exit::Outcome;

pub async fn downgrade(context: &Context<'_>, args: &DowngradeArgs) -> anyhow::Result<Outcome> {
    let target = match (&args.target, &args.run_id) {
        (_, Some(run_id)) => {
            let command = Command::Rollback {
                run_id: run_id.clone(),
            };
            return online::run(context, command, &args.run).await;
        }
        (Some(target), None) => target.as_str(),
        // clap requires one of them; said again rather than assumed.
        (None, None) => return Err(OfflineError::DowngradeNeedsTarget.into()),
    };
    if args.sql {
        let Some((start, target)) = offline::split_range(target)? else {
            return Err(OfflineError::DowngradeNeedsRange.into());
        };
        return offline::print_scripts(context, |set| {
            let rows = offline::start_rows(set, Some(start))?;
            Ok(set.map().downgrade(&rows, target)?)
        });
    }
    offline::refuse_range(target)?;
    online::run(
        context,
        Command::Downgrade {
            target: target.to_owned(),
        },
        &args.run,
    )
    .await
}
