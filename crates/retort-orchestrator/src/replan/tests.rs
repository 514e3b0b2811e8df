//! Tests of re-planning under the lock: a database another runner moved is planned towards
//! where the checked plan ended, and one already there has nothing to do.

use std::sync::Arc;
use std::time::Duration;

use retort_core::{Dialect, MigrationSet, SourceFile};
use retort_db::{BackendOptions, DatabaseUrl};

use super::replan_under_lock;
use crate::checks::plan_command;
use crate::request::{Command, DatabaseTarget};

/// A linear database r1 <- r2 <- r3.
fn linear_target() -> DatabaseTarget {
    let files: Vec<SourceFile> = ["r1", "r2", "r3"]
        .iter()
        .enumerate()
        .map(|(position, revision)| {
            let down_revision = if position == 0 { String::new() } else { format!("r{position}") };
            let text = format!(
                "-- revision: {revision}\n-- down_revision: {down_revision}\n-- message: m\n\n-- upgrade\nSELECT 1;\n\n-- downgrade\nSELECT 2;\n"
            );
            SourceFile { path: format!("{revision}.sql"), bytes: text.into_bytes() }
        })
        .collect();
    let migrations = match MigrationSet::load(files) {
        Ok(migrations) => migrations,
        Err(errors) => panic!("{errors:?}"),
    };
    let url = match DatabaseUrl::parse("sqlite::memory:") {
        Ok(url) => url,
        Err(error) => panic!("{error}"),
    };
    DatabaseTarget {
        name: "app".to_owned(),
        backend: BackendOptions {
            connect_timeout: Duration::from_secs(1),
            ..BackendOptions::new(url)
        },
        migrations: Arc::new(migrations),
        after: Vec::new(),
        lock_timeout: Duration::from_secs(1),
        rust_migrations: &[],
    }
}

fn rows(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

/// Plans `command` from `checked_rows`, then re-plans it under the lock from `rows_now`, and
/// returns the revisions the re-made plan runs.
fn check_replan(command: &Command, checked_rows: &[&str], rows_now: &[&str], expect: &[&str]) {
    let target = linear_target();
    let checked_plan = match plan_command(target.migrations.map(), command, &rows(checked_rows)) {
        Ok(plan) => plan,
        Err(error) => panic!("{error}"),
    };
    let plan = match replan_under_lock(&target, command, Dialect::Sqlite, checked_plan, &rows(rows_now)) {
        Ok(plan) => plan,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(plan.start_rows, rows(rows_now));
    assert_eq!(plan.revisions(), expect);
}

#[test]
fn unchanged_rows_keep_the_checked_plan() {
    check_replan(&Command::Upgrade { target: "heads".to_owned() }, &[], &[], &["r1", "r2", "r3"]);
}

#[test]
fn an_upgrade_another_runner_finished_has_nothing_to_do() {
    check_replan(&Command::Upgrade { target: "heads".to_owned() }, &[], &["r3"], &[]);
}

#[test]
fn an_upgrade_another_runner_started_runs_the_rest() {
    check_replan(&Command::Upgrade { target: "heads".to_owned() }, &[], &["r1"], &["r2", "r3"]);
}

#[test]
fn a_relative_upgrade_is_not_applied_twice() {
    // "+1" from r1 meant r2; another runner took it there: nothing more, not r3.
    check_replan(&Command::Upgrade { target: "+1".to_owned() }, &["r1"], &["r2"], &[]);
}

#[test]
fn a_relative_downgrade_is_not_applied_twice() {
    check_replan(&Command::Downgrade { target: "-1".to_owned() }, &["r3"], &["r2"], &[]);
    check_replan(&Command::Downgrade { target: "-1".to_owned() }, &["r3"], &["r1"], &[]);
}

#[test]
fn a_database_moved_part_of_the_way_runs_the_rest_of_the_checked_plan() {
    check_replan(&Command::Downgrade { target: "base".to_owned() }, &["r3"], &["r2"], &["r2", "r1"]);
    check_replan(&Command::Upgrade { target: "r3".to_owned() }, &["r1"], &["r2"], &["r3"]);
    check_replan(&Command::Upgrade { target: "+2".to_owned() }, &[], &["r1"], &["r2"]);
}
