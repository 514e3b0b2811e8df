//! `retort downgrade TARGET [--sql]`: every selected database down to `TARGET`, dependants
//! first.

use retort_orchestrator::Command;

use crate::args::DowngradeArgs;
use crate::commands::offline::{self, OfflineError};
use crate::commands::{context::Context, online};
use crate::exit::Outcome;

pub async fn downgrade(context: &Context<'_>, args: &DowngradeArgs) -> anyhow::Result<Outcome> {
    if args.sql {
        let Some((start, target)) = offline::split_range(&args.target)? else {
            return Err(OfflineError::DowngradeNeedsRange.into());
        };
        return offline::print_scripts(context, |set| {
            let rows = offline::start_rows(set, Some(start))?;
            Ok(set.map().downgrade(&rows, target)?)
        });
    }
    offline::refuse_range(&args.target)?;
    online::run(
        context,
        Command::Downgrade {
            target: args.target.clone(),
        },
        &args.run,
    )
    .await
}
