//! `retort plan [TARGET] [--downgrade | --run RUN_ID] [--format text|json|dot|mermaid]`: the
//! global plan of an upgrade (or downgrade, or a run's rollback) over the selected databases,
//! as the run would make it, without running it. It reads each database's rows, so it connects, but read-only: it creates no table
//! and no file, and refuses what the run would refuse.

use anyhow::bail;
use retort_orchestrator::Command;

use crate::args::{PlanArgs, PlanFormat};
use crate::commands::context::Context;
use crate::commands::online::run_request;
use crate::exit::Outcome;
use crate::render::{plan_dot, plan_mermaid, plan_text};

pub async fn plan(context: &Context<'_>, args: &PlanArgs) -> anyhow::Result<Outcome> {
    let command = match (&args.target, args.downgrade) {
        _ if let Some(run_id) = &args.run_id => Command::Rollback {
            run_id: run_id.clone(),
        },
        (Some(target), false) => Command::Upgrade {
            target: target.clone(),
        },
        (None, false) => Command::Upgrade {
            target: "heads".to_owned(),
        },
        (Some(target), true) => Command::Downgrade {
            target: target.clone(),
        },
        (None, true) => bail!("plan --downgrade needs a TARGET (-1, base, a revision)"),
    };
    let title = match &command {
        Command::Upgrade { target } | Command::Downgrade { target } => {
            format!("{} to {target}", command.name())
        }
        Command::Stamp { .. } => command.name().to_owned(),
        Command::Rollback { run_id } => format!("rollback of run {run_id}"),
    };
    let request = run_request(context, command, false, None)?;
    let plan = retort_orchestrator::plan(&request).await?;
    let text = match args.format {
        PlanFormat::Text => plan_text(&plan, &title),
        PlanFormat::Json => format!("{}\n", serde_json::to_string_pretty(&plan)?),
        PlanFormat::Dot => plan_dot(&plan),
        PlanFormat::Mermaid => plan_mermaid(&plan),
    };
    context.printer.data_raw(&text);
    Ok(Outcome::Success)
}
