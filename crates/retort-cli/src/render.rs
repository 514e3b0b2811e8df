//! Text for people, built without printing: Alembic's revision lines and verbose blocks
//! (`Script.cmd_format`, `Script.log_entry`), the plain line per run event, and the summary
//! table a run ends with. The printer writes what these return.

use std::collections::HashMap;
use std::time::Duration;

use retort_core::MigrationSet;
use retort_orchestrator::{DatabaseOutcome, Event, RunReport};

/// Which parts of a one-line revision entry to show (Alembic's `_head_only` flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct LineParts {
    /// `(label, …)` after the id.
    pub branch_labels: bool,
    /// `, message` at the end.
    pub message: bool,
    /// `parents [(depends_on)] -> ` before the id.
    pub parents: bool,
    /// `(branchpoint)`, `(mergepoint)`.
    pub tree_indicators: bool,
    /// `(head)`, `(effective head)`, `(current)`.
    pub head_indicators: bool,
}

impl LineParts {
    /// `current`: heads and tree indicators, no labels.
    pub const CURRENT: LineParts = LineParts {
        branch_labels: false,
        message: false,
        parents: false,
        tree_indicators: true,
        head_indicators: true,
    };
    /// `heads`: labels and head indicators.
    pub const HEADS: LineParts = LineParts {
        branch_labels: true,
        message: false,
        parents: false,
        tree_indicators: false,
        head_indicators: true,
    };
    /// `history`: everything.
    pub const HISTORY: LineParts = LineParts {
        branch_labels: true,
        message: true,
        parents: true,
        tree_indicators: true,
        head_indicators: true,
    };
    /// `branches`, the branch point's own line.
    pub const BRANCH_POINT: LineParts = LineParts {
        branch_labels: true,
        message: false,
        parents: false,
        tree_indicators: true,
        head_indicators: true,
    };
}

/// Marks that come from the database rather than the graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    /// The revision is a row of the version table (`history -i`).
    pub current: bool,
    /// The file changed after it was applied.
    pub edited: bool,
}

/// One line for a revision, as Alembic's `Script.cmd_format(verbose=False, …)` prints it:
/// `[parents [(deps)] -> ]id[ (labels)][ (head)][ (effective head)][ (current)][ (branchpoint)][ (mergepoint)][, message]`,
/// plus retort's ` (edited)`.
pub fn revision_line(set: &MigrationSet, id: &str, parts: LineParts, marks: Marks) -> String {
    let Some(info) = set.map().info(id) else {
        return id.to_owned();
    };
    let mut text = String::new();
    if parts.parents {
        text.push_str(&format_parents(&info.revision.down_revisions));
        let dependencies = declared_dependencies(set, id);
        if !dependencies.is_empty() {
            text.push_str(&format!(" ({})", dependencies.join(", ")));
        }
        text.push_str(" -> ");
    }
    text.push_str(id);
    if parts.branch_labels && !info.labels.is_empty() {
        text.push_str(&format!(" ({})", info.labels.join(", ")));
    }
    if parts.head_indicators || parts.tree_indicators {
        if info.is_real_head {
            text.push_str(" (head)");
        }
        if info.is_head && !info.is_real_head {
            text.push_str(" (effective head)");
        }
        if marks.current {
            text.push_str(" (current)");
        }
    }
    if parts.tree_indicators {
        if info.is_branch_point {
            text.push_str(" (branchpoint)");
        }
        if info.is_merge_point {
            text.push_str(" (mergepoint)");
        }
    }
    if marks.edited {
        text.push_str(" (edited)");
    }
    if parts.message {
        text.push_str(&format!(", {}", message_of(set, id)));
    }
    text
}

/// The verbose block of Alembic's `Script.log_entry`, without the trailing blank line that
/// printing it adds:
///
/// ```text
/// Rev: <id>[ (head)][ (branchpoint)][ (mergepoint)][ (current)]
/// Merges: <parents> | Parent: <parents or <base>>
/// [Also depends on: <declared depends_on, db:rev included>]
/// [Branches into: <children>]
/// [Branch names: <labels>]
/// Path: <file>
///
///     <message>
/// ```
pub fn log_entry(set: &MigrationSet, id: &str, marks: Marks) -> String {
    let Some(info) = set.map().info(id) else {
        return format!("Rev: {id}\n");
    };
    let mut entry = format!("Rev: {id}");
    for (shown, mark) in [
        (info.is_head, " (head)"),
        (info.is_branch_point, " (branchpoint)"),
        (info.is_merge_point, " (mergepoint)"),
        (marks.current, " (current)"),
        (marks.edited, " (edited)"),
    ] {
        if shown {
            entry.push_str(mark);
        }
    }
    entry.push('\n');
    let parents = format_parents(&info.revision.down_revisions);
    if info.is_merge_point {
        entry.push_str(&format!("Merges: {parents}\n"));
    } else {
        entry.push_str(&format!("Parent: {parents}\n"));
    }
    let dependencies = declared_dependencies(set, id);
    if !dependencies.is_empty() {
        entry.push_str(&format!("Also depends on: {}\n", dependencies.join(", ")));
    }
    if info.is_branch_point {
        entry.push_str(&format!("Branches into: {}\n", info.children.join(", ")));
    }
    if !info.labels.is_empty() {
        entry.push_str(&format!("Branch names: {}\n", info.labels.join(", ")));
    }
    let path = set
        .migration(id)
        .map(|migration| migration.path.as_str())
        .unwrap_or_default();
    entry.push_str(&format!("Path: {path}\n"));
    let message: Vec<String> = message_of(set, id)
        .lines()
        .map(|line| format!("    {line}"))
        .collect();
    entry.push_str(&format!("\n{}\n", message.join("\n")));
    entry
}

/// `a, b` or `<base>`.
fn format_parents(down_revisions: &[String]) -> String {
    if down_revisions.is_empty() {
        "<base>".to_owned()
    } else {
        down_revisions.join(", ")
    }
}

/// The `depends_on` entries as the file declares them: same-database ones, then `db:rev`.
fn declared_dependencies(set: &MigrationSet, id: &str) -> Vec<String> {
    let Some(migration) = set.migration(id) else {
        return Vec::new();
    };
    let mut dependencies = migration.revision.depends_on.clone();
    dependencies.extend(
        migration
            .external_depends_on
            .iter()
            .map(|external| format!("{}:{}", external.database, external.revision)),
    );
    dependencies
}

fn message_of<'a>(set: &'a MigrationSet, id: &str) -> &'a str {
    set.migration(id)
        .map(|migration| migration.message.as_str())
        .unwrap_or_default()
}

/// Version rows as shown: `a, b`, or `base` for none.
pub fn format_rows(rows: &[String]) -> String {
    if rows.is_empty() {
        "base".to_owned()
    } else {
        rows.join(", ")
    }
}

/// How loud a rendered event line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventLine {
    /// Shown unless `--quiet`.
    Status(String),
    /// Shown only with `--verbose`.
    Detail(String),
}

/// Turns run events into one plain line each (the display used when there are no progress
/// bars). It remembers each database's step in progress, so the line written when a step ends
/// can say what it was.
#[derive(Debug, Default)]
pub struct PlainEvents {
    steps_in_progress: HashMap<String, StepDescription>,
}

/// What a started step is, for the line that reports its end.
#[derive(Debug, Clone)]
struct StepDescription {
    direction: String,
    revision: String,
    message: String,
}

impl StepDescription {
    fn describe(&self) -> String {
        if self.message.is_empty() {
            format!("{} {}", self.direction, self.revision)
        } else {
            format!("{} {} ({})", self.direction, self.revision, self.message)
        }
    }
}

impl PlainEvents {
    /// The line for `event`, if it gets one.
    pub fn update(&mut self, event: &Event) -> Option<EventLine> {
        match event {
            Event::RunStarted { run_id, databases } => Some(EventLine::Detail(format!(
                "run {run_id}: {}",
                databases.join(", ")
            ))),
            Event::DatabasePlanned {
                database,
                from,
                steps,
            } => Some(EventLine::Status(match steps {
                0 => format!("{database}: at {}, nothing to do", format_rows(from)),
                1 => format!("{database}: at {}, 1 step to run", format_rows(from)),
                _ => format!("{database}: at {}, {steps} steps to run", format_rows(from)),
            })),
            Event::WaitingForLock { database, holder } => Some(EventLine::Status(format!(
                "{database}: waiting for the migration lock held by {holder}"
            ))),
            Event::StepStarted {
                database,
                revision,
                message,
                direction,
                ..
            } => {
                let description = StepDescription {
                    direction: direction.clone(),
                    revision: revision.clone(),
                    message: message.clone(),
                };
                let line = format!("{database}: {} ...", description.describe());
                self.steps_in_progress.insert(database.clone(), description);
                Some(EventLine::Detail(line))
            }
            Event::StepFinished {
                database,
                revision,
                duration,
                ..
            } => {
                let description = self.finish_step(database, revision);
                Some(EventLine::Status(format!(
                    "{database}: {description} ... ok {}",
                    format_duration(*duration)
                )))
            }
            Event::StepFailed {
                database, revision, ..
            } => {
                let description = self.finish_step(database, revision);
                Some(EventLine::Status(format!(
                    "{database}: {description} ... failed"
                )))
            }
            Event::DatabaseFinished { database, now } => Some(EventLine::Detail(format!(
                "{database}: now at {}",
                format_rows(now)
            ))),
            Event::RunFinished { .. } => None,
        }
    }

    fn finish_step(&mut self, database: &str, revision: &str) -> String {
        match self.steps_in_progress.remove(database) {
            Some(description) => description.describe(),
            None => format!("step {revision}"),
        }
    }
}

/// `12ms` below a second, `1.5s` above.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

/// The table a run ends with: each database, where it started, where it is now, what failed.
pub fn summary_table(report: &RunReport) -> String {
    let mut rows = vec![[
        "database".to_owned(),
        "started at".to_owned(),
        "now at".to_owned(),
        "failure".to_owned(),
    ]];
    for database in &report.databases {
        let failure = match &database.outcome {
            DatabaseOutcome::Completed => String::new(),
            DatabaseOutcome::Failed => match (&database.error, &database.failed_revision) {
                (Some(error), _) => error.clone(),
                (None, Some(revision)) => format!("failed at {revision}"),
                (None, None) => "failed".to_owned(),
            },
            DatabaseOutcome::BlockedBy { database: blocker } => {
                format!("not started: runs after '{blocker}', which did not finish")
            }
            DatabaseOutcome::StoppedAfter { database: failed } => {
                format!("not started: stopped after '{failed}' failed")
            }
        };
        rows.push([
            database.database.clone(),
            format_rows(&database.started_at),
            format_rows(&database.now_at),
            failure,
        ]);
    }
    let mut widths = [0usize; 3];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    for [name, started, now, failure] in &rows {
        let line = format!(
            "{name:<name_width$}  {started:<started_width$}  {now:<now_width$}  {failure}",
            name_width = widths[0],
            started_width = widths[1],
            now_width = widths[2],
        );
        table.push_str(line.trim_end());
        table.push('\n');
    }
    table
}

#[cfg(test)]
mod tests {
    use retort_orchestrator::DatabaseReport;

    use super::*;

    #[test]
    fn a_step_is_one_line_when_it_ends() {
        let mut events = PlainEvents::default();
        let started = Event::StepStarted {
            database: "app".to_owned(),
            index: 1,
            steps: 1,
            revision: "3f1c2a9b7d10".to_owned(),
            message: "create users".to_owned(),
            direction: "upgrade".to_owned(),
        };
        assert_eq!(
            events.update(&started),
            Some(EventLine::Detail(
                "app: upgrade 3f1c2a9b7d10 (create users) ...".to_owned()
            ))
        );
        let finished = Event::StepFinished {
            database: "app".to_owned(),
            index: 1,
            steps: 1,
            revision: "3f1c2a9b7d10".to_owned(),
            duration: Duration::from_millis(12),
        };
        assert_eq!(
            events.update(&finished),
            Some(EventLine::Status(
                "app: upgrade 3f1c2a9b7d10 (create users) ... ok 12ms".to_owned()
            ))
        );
    }

    #[test]
    fn the_summary_lines_up_and_names_failures() {
        let report = RunReport {
            run_id: "run".to_owned(),
            databases: vec![
                DatabaseReport {
                    database: "app".to_owned(),
                    started_at: vec![],
                    now_at: vec!["3f1c2a9b7d10".to_owned()],
                    steps_run: 1,
                    failed_revision: None,
                    error: None,
                    outcome: DatabaseOutcome::Completed,
                },
                DatabaseReport {
                    database: "tool_registry".to_owned(),
                    started_at: vec!["77ab01c9e4d2".to_owned()],
                    now_at: vec!["77ab01c9e4d2".to_owned()],
                    steps_run: 0,
                    failed_revision: Some("9b1d".to_owned()),
                    error: Some("upgrade of 9b1d failed".to_owned()),
                    outcome: DatabaseOutcome::Failed,
                },
            ],
        };
        assert_eq!(
            summary_table(&report),
            "\
database       started at    now at        failure
app            base          3f1c2a9b7d10
tool_registry  77ab01c9e4d2  77ab01c9e4d2  upgrade of 9b1d failed
"
        );
    }
}
