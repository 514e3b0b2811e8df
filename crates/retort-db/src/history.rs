//! What every engine writes to the history table besides the step itself: who and where ran it,
//! which retort, when, and the words stored for direction and revision.

use std::time::Instant;

use retort_core::{Action, Step};

use crate::backend::{HistoryRow, Outcome, StepRun};

/// The columns every engine's history table shares, in insert order.
pub(crate) const HISTORY_COLUMNS: &str = "run_id, revision, direction, checksum, started_at, finished_at, duration_ms, \
     user_name, host, retort_version, outcome, statements_done, statements_total, error";

/// The history fields known when a step starts; [`HistoryDraft::finish`] completes the row.
#[derive(Debug, Clone)]
pub(crate) struct HistoryDraft {
    pub(crate) run_id: String,
    pub(crate) revision: String,
    pub(crate) direction: &'static str,
    pub(crate) checksum: Option<String>,
    pub(crate) started_at: String,
    pub(crate) started: Instant,
    pub(crate) environment: RunEnvironment,
    /// How many statements the migration has, for the backends that split it.
    pub(crate) statements_total: Option<usize>,
}

impl HistoryDraft {
    /// The draft for `run`, started now.
    pub(crate) fn start(run: &StepRun<'_>, environment: &RunEnvironment) -> HistoryDraft {
        HistoryDraft {
            run_id: run.run_id.to_owned(),
            revision: history_revision(run.step),
            direction: history_direction(run.step),
            checksum: run.checksum.map(str::to_owned),
            started_at: timestamp_now(),
            started: Instant::now(),
            environment: environment.clone(),
            statements_total: None,
        }
    }

    /// The finished row, timed now.
    pub(crate) fn finish(
        &self,
        outcome: Outcome,
        statements_done: Option<usize>,
        error: Option<String>,
    ) -> HistoryRow {
        HistoryRow {
            run_id: self.run_id.clone(),
            revision: self.revision.clone(),
            direction: self.direction.to_owned(),
            checksum: self.checksum.clone(),
            started_at: self.started_at.clone(),
            finished_at: timestamp_now(),
            duration_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
            user_name: self.environment.user_name.clone(),
            host: self.environment.host.clone(),
            retort_version: self.environment.retort_version.to_owned(),
            outcome: outcome.as_str().to_owned(),
            statements_done: statements_done.map(count_column),
            statements_total: self.statements_total.map(count_column),
            error,
        }
    }
}

/// A count as stored in a BIGINT column.
pub(crate) fn count_column(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// The revision column for `step`: the migration's id, or for a stamp the destination ids
/// joined with `, ` (`base` when a stamp empties the table).
pub(crate) fn history_revision(step: &Step) -> String {
    match &step.action {
        Action::Upgrade(revision) | Action::Downgrade(revision) => revision.clone(),
        Action::Stamp(_) if step.to.is_empty() => "base".to_owned(),
        Action::Stamp(_) => step.to.join(", "),
    }
}

/// The direction column for `step`: `upgrade`, `downgrade` or `stamp`.
pub(crate) fn history_direction(step: &Step) -> &'static str {
    match step.action {
        Action::Upgrade(_) => "upgrade",
        Action::Downgrade(_) => "downgrade",
        Action::Stamp(_) => "stamp",
    }
}

/// Now, as stored in `started_at` and `finished_at`: RFC 3339, UTC, milliseconds.
pub(crate) fn timestamp_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Who and where: the same for every row a backend writes.
#[derive(Debug, Clone)]
pub(crate) struct RunEnvironment {
    pub(crate) user_name: String,
    pub(crate) host: String,
    pub(crate) retort_version: &'static str,
}

impl RunEnvironment {
    /// Reads `USER` (or `USERNAME`), the host name, and this crate's version.
    pub(crate) fn detect() -> RunEnvironment {
        let user_name = ["USER", "USERNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
            .unwrap_or_else(|| "unknown".to_owned());
        RunEnvironment {
            user_name,
            host: this_host_name(),
            retort_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// This machine's host name, as stored in history and lock rows.
pub(crate) fn this_host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use retort_core::Direction;

    use super::*;

    fn stamp_to(to: &[&str]) -> Step {
        Step {
            action: Action::Stamp(Direction::Up),
            from: Vec::new(),
            to: to.iter().map(|id| (*id).to_owned()).collect(),
            version_changes: Vec::new(),
            rows_after: Vec::new(),
        }
    }

    #[test]
    fn stamp_revision_names_its_destinations() {
        assert_eq!(history_revision(&stamp_to(&["a", "b"])), "a, b");
        assert_eq!(history_revision(&stamp_to(&[])), "base");
        assert_eq!(history_direction(&stamp_to(&["a"])), "stamp");
    }

    #[test]
    fn timestamps_are_utc_with_millis() {
        let now = timestamp_now();
        assert_eq!(now.len(), "2026-01-02T03:04:05.678Z".len(), "{now}");
        assert!(now.ends_with('Z'), "{now}");
    }
}
