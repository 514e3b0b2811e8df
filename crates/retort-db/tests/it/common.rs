//! Helpers shared by the integration tests: hand-built steps and step runs.

use retort_core::{Action, Direction, Step, VersionChange};
use retort_db::StepRun;

pub fn ids(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

pub fn insert(revision: &str) -> VersionChange {
    VersionChange::Insert(revision.to_owned())
}

pub fn update(from: &str, to: &str) -> VersionChange {
    VersionChange::Update {
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

pub fn delete(revision: &str) -> VersionChange {
    VersionChange::Delete(revision.to_owned())
}

/// An upgrade of `revision` from `from`, with its version changes; `rows_after` is not used by
/// the backend and is set to `[revision]`.
pub fn upgrade(revision: &str, from: &[&str], version_changes: Vec<VersionChange>) -> Step {
    Step {
        action: Action::Upgrade(revision.to_owned()),
        from: ids(from),
        to: ids(&[revision]),
        version_changes,
        rows_after: ids(&[revision]),
    }
}

pub fn downgrade(revision: &str, to: &[&str], version_changes: Vec<VersionChange>) -> Step {
    Step {
        action: Action::Downgrade(revision.to_owned()),
        from: ids(&[revision]),
        to: ids(to),
        version_changes,
        rows_after: ids(to),
    }
}

pub fn stamp(to: &[&str], version_changes: Vec<VersionChange>) -> Step {
    Step {
        action: Action::Stamp(Direction::Up),
        from: Vec::new(),
        to: ids(to),
        version_changes,
        rows_after: ids(to),
    }
}

/// A transactional run of `step` with `sql`, expecting `expected_rows`.
pub fn run<'a>(step: &'a Step, sql: Option<&'a str>, expected_rows: &'a [String]) -> StepRun<'a> {
    StepRun {
        run_id: "run-1",
        step,
        sql,
        transactional: true,
        checksum: None,
        expected_rows,
    }
}
