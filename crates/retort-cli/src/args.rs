//! The command line as typed: clap derive types, close to the flags, with no IO and no
//! validation beyond what clap does. `settings` and the commands give them meaning.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Alembic's migrations for every database of a repository
#[derive(Debug, Parser)]
#[command(name = "retort", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: CommandArgs,
}

/// The help heading of the options every command takes.
const GLOBAL: &str = "Global options";

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The config file [default: config/retort.toml, found from the current directory upwards]
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Also read config/retort.<NAME>.toml over the base config
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "NAME", env = "RETORT_ENV")]
    pub env: Option<String>,

    /// Act on this database only (repeatable, or comma-separated) [default: every configured one]
    #[arg(long = "db", global = true, help_heading = GLOBAL, value_name = "NAME", value_delimiter = ',')]
    pub databases: Vec<String>,

    /// Print only data and errors
    #[arg(short, long, global = true, help_heading = GLOBAL, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more: verbose revision blocks, every run event
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub verbose: bool,
}

/// The commands, named as Alembic names them.
#[derive(Debug, Subcommand)]
pub enum CommandArgs {
    /// Scaffold databases/NAME (a migration crate with versions/) and add it to the config
    Init(InitArgs),
    #[command(flatten)]
    InProject(ProjectCommandArgs),
}

/// The commands that act on a configured project.
#[derive(Debug, Subcommand)]
pub enum ProjectCommandArgs {
    /// Create a new revision file in one database
    Revision(RevisionArgs),
    /// Create a revision that merges several revisions (default: every head)
    Merge(MergeArgs),
    /// Upgrade to a later version (default: heads)
    Upgrade(UpgradeArgs),
    /// Revert to a previous version
    Downgrade(DowngradeArgs),
    /// Set the version table to the given revisions without running any migration
    Stamp(StampArgs),
    /// Show the current revisions of each database
    Current,
    /// Show the heads of each database's revision graph
    Heads(HeadsArgs),
    /// Show the branch points of each database's revision graph
    Branches,
    /// List revisions in chronological order, newest first
    History(HistoryArgs),
    /// Show the revisions a symbol names
    Show(ShowArgs),
    /// Print the DDL that 'revision --autogenerate' would write, without writing it
    Diff,
    /// Show the global plan of an upgrade (or downgrade) over every database, without running it
    Plan(PlanArgs),
    /// Show each database's current revisions, heads, pending migrations and edited files
    Status(StatusArgs),
    /// Exit 1 when a database has pending migrations, unexpected heads or edited files
    Check(CheckArgs),
    /// Write retort.lock: each database's heads and a checksum of its whole revision graph
    Lock,
    /// Linearise a database's unreleased heads: move each unreleased branch on top of the other
    Rebase,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new database's name: letters, digits and '_'
    pub name: String,
}

/// Options shared by `revision` and `merge`.
#[derive(Debug, Args)]
pub struct NewRevisionArgs {
    /// The message of the revision (also names its file)
    #[arg(short, long)]
    pub message: Option<String>,

    /// A branch label to give the new revision
    #[arg(long = "branch-label", value_name = "LABEL")]
    pub branch_label: Option<String>,

    /// Use this revision id instead of a generated one
    #[arg(long = "rev-id", value_name = "ID")]
    pub rev_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct RevisionArgs {
    #[command(flatten)]
    pub new_revision: NewRevisionArgs,

    /// The revision the new one is based on ('base' for a new root)
    #[arg(long, value_name = "REV", default_value = "head")]
    pub head: String,

    /// Allow a --head that is not a head, starting a new branch from it
    #[arg(long)]
    pub splice: bool,

    /// A revision (or branch label) of this database, or DB:REV of another one, that the new
    /// revision depends on (repeatable)
    #[arg(long = "depends-on", value_name = "REV")]
    pub depends_on: Vec<String>,

    /// Write the upgrade and downgrade that turn the schema the migrations build into the one
    /// databases/<db>/schema.sql declares (both built on scratch databases)
    #[arg(long)]
    pub autogenerate: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub new_revision: NewRevisionArgs,

    /// The revisions to merge
    #[arg(value_name = "REVS", default_value = "heads")]
    pub revisions: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The target: heads, head, label@head, a revision, +N, REV+N; START:END with --sql
    #[arg(default_value = "heads", allow_negative_numbers = true)]
    pub target: String,

    /// Print the SQL instead of running it; connects to nothing
    #[arg(long)]
    pub sql: bool,

    /// Refuse to run unless the migrations are the ones retort.lock pins
    #[arg(long)]
    pub locked: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct DowngradeArgs {
    /// The target: -N, base, a revision, label@base; FROM:TO with --sql
    #[arg(allow_negative_numbers = true, required_unless_present = "run_id")]
    pub target: Option<String>,

    /// Undo the run RUN_ID: every database it upgraded goes back to where it was before it
    #[arg(long = "run", value_name = "RUN_ID", conflicts_with_all = ["target", "sql"])]
    pub run_id: Option<String>,

    /// Print the SQL instead of running it; connects to nothing
    #[arg(long)]
    pub sql: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

/// How a run runs and reports (upgrade, downgrade, stamp).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run steps of at most N databases at the same time [default: all]
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<NonZeroUsize>,

    /// When a database fails, carry on with the steps that do not wait for it
    #[arg(long = "keep-going")]
    pub keep_going: bool,

    /// text: progress bars on a terminal, a line per event otherwise (stderr); json: a JSON
    /// object per event and a final summary (stdout)
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

/// The output of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The target [default: heads; for --downgrade, required]
    #[arg(allow_negative_numbers = true)]
    pub target: Option<String>,

    /// Plan a downgrade to TARGET instead of an upgrade
    #[arg(long)]
    pub downgrade: bool,

    /// Plan the rollback of run RUN_ID ('downgrade --run RUN_ID') instead of an upgrade
    #[arg(long = "run", value_name = "RUN_ID", conflicts_with_all = ["target", "downgrade"])]
    pub run_id: Option<String>,

    /// text: the steps by wave; json; dot (Graphviz); mermaid
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
}

/// The output of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also fail when the migrations differ from what retort.lock pins
    #[arg(long)]
    pub locked: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// text: a table; json: one object with every database
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

#[derive(Debug, Args)]
pub struct StampArgs {
    /// The revisions to stamp; START:REV with --sql
    #[arg(required = true, allow_negative_numbers = true)]
    pub targets: Vec<String>,

    /// Delete every version row first
    #[arg(long)]
    pub purge: bool,

    /// Print the SQL instead of running it; connects to nothing
    #[arg(long)]
    pub sql: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct HeadsArgs {
    /// List real heads: those no revision depends on
    #[arg(long = "resolve-dependencies")]
    pub resolve_dependencies: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The range to list: [START]:[END]; 'current' names the database's revisions
    #[arg(
        short = 'r',
        long = "rev-range",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    pub rev_range: Option<String>,

    /// Mark the revisions the database is at with (current)
    #[arg(short = 'i', long = "indicate-current")]
    pub indicate_current: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A revision, a prefix, head, heads, label@head, current, -N
    #[arg(allow_negative_numbers = true)]
    pub revision: String,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn negative_targets_are_values_not_flags() {
        let cli =
            Cli::try_parse_from(["retort", "downgrade", "-1", "--db", "app"]).expect("parses");
        let CommandArgs::InProject(ProjectCommandArgs::Downgrade(downgrade)) = cli.command else {
            panic!("not a downgrade")
        };
        assert_eq!(downgrade.target.as_deref(), Some("-1"));
        assert_eq!(cli.global.databases, ["app"]);
    }

    #[test]
    fn databases_repeat_or_split_on_commas() {
        let cli = Cli::try_parse_from(["retort", "--db", "b,a", "heads"]).expect("parses");
        assert_eq!(cli.global.databases, ["b", "a"]);
        let cli =
            Cli::try_parse_from(["retort", "heads", "--db", "b", "--db", "a"]).expect("parses");
        assert_eq!(cli.global.databases, ["b", "a"]);
    }
}
