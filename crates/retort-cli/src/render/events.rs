//! The plain line per run event (the display without progress bars) and the summary table a
//! run ends with.

use std::collections::HashMap;
use std::time::Duration;

use retort_orchestrator::{DatabaseOutcome, Event, RunReport};

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
            // The reporter prints warnings itself, in every display mode.
            Event::StepWarning { .. } => None,
            Event::RunStarted { run_id, databases } => Some(EventLine::Detail(format!(
                "run {run_id}: {}",
                databases.join(", ")
            ))),
            Event::DatabasePlanned {
                database,
                from,
                steps,
                ..
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
            Event::StepProgress {
                database,
                revision,
                done,
                total,
                ..
            } => Some(EventLine::Detail(match total {
                Some(total) => format!("{database}: {revision} {done}/{total}"),
                None => format!("{database}: {revision} {done}"),
            })),
            Event::StepWaiting {
                database,
                revision,
                waiting_for,
                ..
            } => Some(EventLine::Status(format!(
                "{database}: {revision} waits for {}",
                waiting_for.join(", ")
            ))),
            Event::DatabaseFinished { database, now, .. } => Some(EventLine::Detail(format!(
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

/// The table a run ends with: each database, where it started, where it is now, the revision
/// that failed and why.
pub fn summary_table(report: &RunReport) -> String {
    let mut rows = vec![vec![
        "database".to_owned(),
        "started at".to_owned(),
        "now at".to_owned(),
        "failed".to_owned(),
        "error".to_owned(),
    ]];
    for database in &report.databases {
        let stopped = if database.steps_run == 0 {
            "not started"
        } else {
            "stopped"
        };
        let error = match &database.outcome {
            DatabaseOutcome::Completed => String::new(),
            DatabaseOutcome::Failed => database
                .error
                .clone()
                .unwrap_or_else(|| "failed".to_owned()),
            DatabaseOutcome::BlockedBy { database: blocker } => {
                format!("{stopped}: waits for '{blocker}', which failed")
            }
            DatabaseOutcome::StoppedAfter { database: failed } => {
                format!("{stopped}: the run stopped when '{failed}' failed")
            }
        };
        rows.push(vec![
            database.database.clone(),
            format_rows(&database.started_at),
            format_rows(&database.now_at),
            database.failed_revision.clone().unwrap_or_default(),
            error,
        ]);
    }
    crate::render::aligned(&rows)
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
            duration: Duration::ZERO,
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
database       started at    now at        failed  error
app            base          3f1c2a9b7d10
tool_registry  77ab01c9e4d2  77ab01c9e4d2  9b1d    upgrade of 9b1d failed
"
        );
    }
}
