//! From parsed arguments to a finished command: read the configuration once, select the
//! databases, and hand over to the command's function.

use std::path::Path;

use crate::args::{Cli, CommandArgs, ProjectCommandArgs};
use crate::commands::context::Context;
use crate::commands::init::{self, InitEnvironment};
use crate::commands::{
    autogenerate, branches, check, current, diff, downgrade, heads, history, lock, merge, plan,
    rebase, revision, show, stamp, status, upgrade,
};
use crate::exit::Outcome;
use crate::printer::Printer;
use crate::project::Project;

/// The environment a command runs in, passed in by `main`.
pub struct Environment<'a> {
    pub current_dir: &'a Path,
    /// Looks up an environment variable (`url_env`).
    pub variable: &'a dyn Fn(&str) -> Option<String>,
}

/// Runs the command `cli` names.
pub async fn run(
    cli: &Cli,
    environment: &Environment<'_>,
    printer: &Printer,
) -> anyhow::Result<Outcome> {
    let global = &cli.global;
    let command = match &cli.command {
        CommandArgs::Init(args) => {
            let init_environment = InitEnvironment {
                current_dir: environment.current_dir,
                explicit_config: global.config.as_deref(),
                env_name: global.env.as_deref(),
                variable: environment.variable,
            };
            return init::init(&init_environment, args, printer);
        }
        CommandArgs::InProject(command) => command,
    };
    let project = Project::open(
        environment.current_dir,
        global.config.as_deref(),
        global.env.as_deref(),
        environment.variable,
        &crate::embedded::BUNDLE,
    )?;
    let context = Context {
        project: &project,
        databases: project.select(&global.databases)?,
        printer,
    };
    match command {
        ProjectCommandArgs::Revision(args) if args.autogenerate => {
            autogenerate::autogenerate(&context, args).await
        }
        ProjectCommandArgs::Revision(args) => revision::revision(&context, args),
        ProjectCommandArgs::Merge(args) => merge::merge(&context, args),
        ProjectCommandArgs::Upgrade(args) => upgrade::upgrade(&context, args).await,
        ProjectCommandArgs::Downgrade(args) => downgrade::downgrade(&context, args).await,
        ProjectCommandArgs::Stamp(args) => stamp::stamp(&context, args).await,
        ProjectCommandArgs::Current => current::current(&context).await,
        ProjectCommandArgs::Heads(args) => heads::heads(&context, args),
        ProjectCommandArgs::Branches => branches::branches(&context),
        ProjectCommandArgs::History(args) => history::history(&context, args).await,
        ProjectCommandArgs::Show(args) => show::show(&context, args).await,
        ProjectCommandArgs::Plan(args) => plan::plan(&context, args).await,
        ProjectCommandArgs::Status(args) => status::status(&context, args).await,
        ProjectCommandArgs::Check(args) => check::check(&context, args).await,
        ProjectCommandArgs::Lock => lock::lock(&context),
        ProjectCommandArgs::Rebase => rebase::rebase(&context).await,
        ProjectCommandArgs::Diff => diff::diff(&context).await,
    }
}
