//! `retort stamp TARGET... [--purge] [--sql]`: set the version table without running any
//! migration.

use retort_orchestrator::Command;

use crate::args::StampArgs;
use crate::commands::offline::{self, OfflineError};
use crate::commands::{context::Context, online};
use crate::exit::Outcome;

pub async fn stamp(context: &Context<'_>, args: &StampArgs) -> anyhow::Result<Outcome> {
    if args.sql {
        if args.purge {
            return Err(OfflineError::PurgeWithSql.into());
        }
        let (start, targets) = split_stamp_targets(&args.targets)?;
        return offline::print_scripts(context, |set| {
            let rows = offline::start_rows(set, start)?;
            Ok(set.map().stamp(&rows, &targets, false)?)
        });
    }
    for target in &args.targets {
        offline::refuse_range(target)?;
    }
    online::run(
        context,
        Command::Stamp {
            targets: args.targets.clone(),
            purge: args.purge,
        },
        &args.run,
    )
    .await
}

/// Alembic's `stamp --sql` targets: each may carry a `START:` prefix, and all prefixes given
/// must be the same.
fn split_stamp_targets(targets: &[String]) -> Result<(Option<&str>, Vec<&str>), OfflineError> {
    let mut start: Option<&str> = None;
    let mut destinations = Vec::with_capacity(targets.len());
    for target in targets {
        match offline::split_range(target)? {
            Some((this_start, destination)) => {
                if start.is_some_and(|start| start != this_start) {
                    return Err(OfflineError::SeveralStampStarts);
                }
                start = Some(this_start);
                destinations.push(destination);
            }
            None => destinations.push(target.as_str()),
        }
    }
    Ok((start, destinations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_starts_must_agree() {
        let targets = ["a:c".to_owned(), "d".to_owned(), "a:e".to_owned()];
        let (start, destinations) = split_stamp_targets(&targets).expect("one start");
        assert_eq!(start, Some("a"));
        assert_eq!(destinations, ["c", "d", "e"]);
        assert!(split_stamp_targets(&["a:c".to_owned(), "b:d".to_owned()]).is_err());
    }
}
