//! `retort upgrade [TARGET] [--sql] [--locked] [--jobs N] [--keep-going] [--format text|json]`:
//! every selected database to `TARGET` (default `heads`), concurrently, each step once what it
//! depends on is applied. `--locked` first refuses migrations that `retort.lock` does not pin.

use retort_orchestrator::Command;

use crate::args::UpgradeArgs;
use crate::commands::context::Context;
use crate::commands::{lock, offline, online};
use crate::exit::Outcome;

pub async fn upgrade(context: &Context<'_>, args: &UpgradeArgs) -> anyhow::Result<Outcome> {
    if args.locked {
        let sets = context.load_every_database()?;
        lock::require_locked(context, &sets)?;
    }
    if args.sql {
        let (start, target) = match offline::split_range(&args.target)? {
            Some((start, end)) => (Some(start), end),
            None => (None, args.target.as_str()),
        };
        return offline::print_scripts(context, |set| {
            let rows = offline::start_rows(set, start)?;
            Ok(set.map().upgrade(&rows, target)?)
        });
    }
    offline::refuse_range(&args.target)?;
    online::run(
        context,
        Command::Upgrade {
            target: args.target.clone(),
        },
        &args.run,
    )
    .await
}
