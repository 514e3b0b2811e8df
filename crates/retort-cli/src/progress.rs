//! Progress bars: one indicatif bar per database under a `MultiProgress`, showing steps done out
//! of planned, elapsed time, and what the database is doing (its current step and message,
//! what it waits for, how it ended).
//!
//! The state of each database changes only in [`ProgressBars::update`], from the run's events;
//! the bar is then redrawn from that state by [`DatabaseProgress::message`] and friends, so a
//! test can feed events and read the rendered lines back from an in-memory terminal.

use std::collections::BTreeMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use retort_orchestrator::{DatabaseOutcome, Event};

use crate::render::format_rows;

/// The bars of a run.
#[derive(Debug)]
pub struct ProgressBars {
    multi: MultiProgress,
    /// Keeps the elapsed time moving while a long step runs (off in tests).
    steady_tick: Option<Duration>,
    /// The width names are padded to, so the bars line up.
    name_width: usize,
    databases: BTreeMap<String, (ProgressBar, DatabaseProgress)>,
}

/// What one database is doing, as its bar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseProgress {
    pub done: usize,
    pub total: usize,
    pub status: Status,
}

/// The part of a bar's line after the counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Before its lock is taken.
    Locking,
    WaitingForLock {
        holder: String,
    },
    /// Locked and planned, no step started yet.
    Planned {
        from: Vec<String>,
    },
    /// Its next step waits for steps of other databases.
    Waiting {
        for_steps: Vec<String>,
    },
    Running {
        direction: String,
        revision: String,
        message: String,
        /// What a Rust migration last reported: done, and the total when it knows it.
        progress: Option<(u64, Option<u64>)>,
    },
    Failed {
        revision: String,
    },
    Finished {
        now: Vec<String>,
        outcome: DatabaseOutcome,
    },
}

impl DatabaseProgress {
    /// The text after the counts and the elapsed time.
    pub fn message(&self) -> String {
        match &self.status {
            Status::Locking => "taking the lock".to_owned(),
            Status::WaitingForLock { holder } => format!("waiting for the lock held by {holder}"),
            Status::Planned { from } if self.total == 0 => {
                format!("nothing to do, at {}", format_rows(from))
            }
            Status::Planned { from } => format!("at {}", format_rows(from)),
            Status::Waiting { for_steps } => format!("waiting for {}", for_steps.join(", ")),
            Status::Running {
                direction,
                revision,
                message,
                progress,
            } => {
                let mut text = format!("{direction} {revision}");
                if !message.is_empty() {
                    text.push(' ');
                    text.push_str(message);
                }
                match progress {
                    Some((done, Some(total))) => text.push_str(&format!(" ({done}/{total})")),
                    Some((done, None)) => text.push_str(&format!(" ({done})")),
                    None => {}
                }
                text
            }
            Status::Failed { revision } => format!("failed at {revision}"),
            Status::Finished { now, outcome } => match outcome {
                DatabaseOutcome::Completed if self.total == 0 => {
                    format!("nothing to do, at {}", format_rows(now))
                }
                DatabaseOutcome::Completed => format!("done, at {}", format_rows(now)),
                DatabaseOutcome::Failed => format!("failed, at {}", format_rows(now)),
                DatabaseOutcome::BlockedBy { database } => {
                    format!("stopped, waits for '{database}', which failed")
                }
                DatabaseOutcome::StoppedAfter { database } => {
                    format!("stopped when '{database}' failed")
                }
            },
        }
    }

    fn is_finished(&self) -> bool {
        matches!(self.status, Status::Finished { .. })
    }

    fn is_failure(&self) -> bool {
        match &self.status {
            Status::Failed { .. } => true,
            Status::Finished { outcome, .. } => *outcome != DatabaseOutcome::Completed,
            _ => false,
        }
    }
}

impl ProgressBars {
    /// Bars drawn to `target`; `steady_tick` redraws them that often while nothing happens.
    pub fn new(target: ProgressDrawTarget, steady_tick: Option<Duration>) -> ProgressBars {
        ProgressBars {
            multi: MultiProgress::with_draw_target(target),
            steady_tick,
            name_width: 0,
            databases: BTreeMap::new(),
        }
    }

    /// Changes the state of the database `event` is about, and redraws its bar.
    /// Runs `print` with the bars cleared, so a line can go above them.
    pub fn suspend(&self, print: impl FnOnce()) {
        self.multi.suspend(print);
    }

    pub fn update(&mut self, event: &Event) {
        match event {
            // Warnings are printed above the bars by the reporter; they change no bar.
            Event::StepWarning { .. } => {}
            Event::RunStarted { databases, .. } => {
                self.name_width = databases
                    .iter()
                    .map(|name| name.chars().count())
                    .max()
                    .unwrap_or(0);
                for name in databases {
                    let progress = DatabaseProgress {
                        done: 0,
                        total: 0,
                        status: Status::Locking,
                    };
                    let bar = ProgressBar::hidden()
                        .with_style(style(false))
                        .with_prefix(format!("{name:<width$}", width = self.name_width))
                        .with_message(progress.message());
                    let bar = self.multi.add(bar);
                    if let Some(interval) = self.steady_tick {
                        bar.enable_steady_tick(interval);
                    }
                    self.databases.insert(name.clone(), (bar, progress));
                }
            }
            Event::WaitingForLock { database, holder } => {
                self.change(database, |progress| {
                    progress.status = Status::WaitingForLock {
                        holder: holder.clone(),
                    }
                });
            }
            Event::DatabasePlanned {
                database,
                from,
                steps,
                ..
            } => self.change(database, |progress| {
                progress.total = *steps;
                progress.status = Status::Planned { from: from.clone() };
            }),
            Event::StepWaiting {
                database,
                waiting_for,
                ..
            } => {
                self.change(database, |progress| {
                    progress.status = Status::Waiting {
                        for_steps: waiting_for.clone(),
                    }
                });
            }
            Event::StepStarted {
                database,
                revision,
                message,
                direction,
                ..
            } => self.change(database, |progress| {
                progress.status = Status::Running {
                    direction: direction.clone(),
                    revision: revision.clone(),
                    message: message.clone(),
                    progress: None,
                };
            }),
            Event::StepProgress {
                database,
                done,
                total,
                ..
            } => self.change(database, |progress| {
                if let Status::Running {
                    progress: reported, ..
                } = &mut progress.status
                {
                    *reported = Some((*done, *total));
                }
            }),
            Event::StepFinished {
                database, index, ..
            } => self.change(database, |progress| progress.done = *index),
            Event::StepFailed {
                database, revision, ..
            } => {
                self.change(database, |progress| {
                    progress.status = Status::Failed {
                        revision: revision.clone(),
                    }
                });
            }
            Event::DatabaseFinished {
                database,
                now,
                outcome,
                ..
            } => self.change(database, |progress| {
                progress.status = Status::Finished {
                    now: now.clone(),
                    outcome: outcome.clone(),
                };
            }),
            Event::RunFinished { .. } => {
                // Databases that never got their lock (a fail-fast stop) end as they are.
                for (bar, progress) in self.databases.values() {
                    if !progress.is_finished() {
                        bar.set_style(style(true));
                        bar.abandon_with_message(format!("{} (not run)", progress.message()));
                    }
                }
            }
        }
    }

    /// The state of `database`, for tests.
    #[cfg(test)]
    pub fn progress(&self, database: &str) -> Option<&DatabaseProgress> {
        self.databases.get(database).map(|(_, progress)| progress)
    }

    fn change(&mut self, database: &str, change: impl FnOnce(&mut DatabaseProgress)) {
        let name_width = self.name_width;
        let Some((bar, progress)) = self.databases.get_mut(database) else {
            return;
        };
        change(progress);
        bar.set_prefix(format!("{database:<name_width$}"));
        bar.set_style(style(progress.is_failure()));
        bar.set_length(u64::try_from(progress.total).unwrap_or(u64::MAX));
        bar.set_position(u64::try_from(progress.done).unwrap_or(u64::MAX));
        let message = progress.message();
        if !progress.is_finished() {
            bar.set_message(message);
        } else if progress.is_failure() {
            bar.abandon_with_message(message);
        } else {
            bar.finish_with_message(message);
        }
    }
}

/// `app  [=====>    ] 3/6  2s upgrade 4d1f5a2b3e6c link projects to tools`, red when it failed.
fn style(failed: bool) -> ProgressStyle {
    let template = if failed {
        "{prefix:.red.bold} [{bar:24.red}] {pos:>3}/{len:<3} {elapsed:>4} {wide_msg:.red}"
    } else {
        "{prefix:.bold} [{bar:24.cyan/blue}] {pos:>3}/{len:<3} {elapsed:>4} {wide_msg}"
    };
    // The templates are constants that parse; the default style is a fallback that never shows.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

#[cfg(test)]
mod tests;
