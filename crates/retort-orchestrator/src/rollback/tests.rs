//! Planning a run's rollback from a history table, on a small graph: what the run applied goes,
//! and every reason to refuse is found before anything runs.

use std::sync::Arc;
use std::time::Duration;

use retort_core::{Action, MigrationSet, SourceFile};
use retort_db::{BackendOptions, DatabaseUrl, HistoryRow};

use super::rollback_plan;
use crate::error::RunError;
use crate::request::DatabaseTarget;

/// `a <- b <- c <- d`.
fn target() -> DatabaseTarget {
    let files: Vec<SourceFile> = [("a", ""), ("b", "a"), ("c", "b"), ("d", "c")]
        .iter()
        .map(|(revision, down_revision)| SourceFile {
            path: format!("{revision}.sql"),
            bytes: format!(
                "-- revision: {revision}\n-- down_revision: {down_revision}\n-- message: m\n\n-- upgrade\nSELECT 1;\n\n-- downgrade\nSELECT 2;\n"
            )
            .into_bytes(),
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
        backend: BackendOptions::new(url),
        migrations: Arc::new(migrations),
        after: Vec::new(),
        lock_timeout: Duration::from_secs(1),
        rust_migrations: &[],
    }
}

/// A history row: `run revision direction outcome`, with `statements_done` for MySQL rows.
fn row(text: &str, statements_done: Option<i64>) -> HistoryRow {
    let words: Vec<&str> = text.split(' ').collect();
    HistoryRow {
        run_id: words[0].to_owned(),
        revision: words[1].to_owned(),
        direction: words[2].to_owned(),
        checksum: None,
        started_at: String::new(),
        finished_at: String::new(),
        duration_ms: 0,
        user_name: String::new(),
        host: String::new(),
        retort_version: String::new(),
        outcome: words[3].to_owned(),
        statements_done,
        statements_total: None,
        error: None,
    }
}

fn history(lines: &[&str]) -> Vec<HistoryRow> {
    lines.iter().map(|line| row(line, None)).collect()
}

fn rows(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

/// The downgraded revisions of the rollback of `run`, in order.
fn check(run: &str, now: &[&str], history: &[HistoryRow]) -> Result<Vec<String>, String> {
    let plan = rollback_plan(&target(), run, &rows(now), history).map_err(|error| error.to_string())?;
    Ok(plan
        .steps
        .iter()
        .map(|step| match &step.action {
            Action::Downgrade(revision) => revision.clone(),
            other => panic!("not a downgrade: {other:?}"),
        })
        .collect())
}

const TWO_RUNS: [&str; 4] = ["r1 a upgrade applied", "r2 b upgrade applied", "r2 c upgrade failed", "r2 c upgrade applied"];

#[test]
fn the_run_s_upgrades_are_taken_back_newest_first() {
    assert_eq!(check("r2", &["c"], &history(&TWO_RUNS)), Ok(vec!["c".to_owned(), "b".to_owned()]));
    assert_eq!(check("r9", &["c"], &history(&TWO_RUNS)), Ok(vec![]), "a run that did not touch it");
}

#[test]
fn a_database_that_moved_on_is_refused() {
    let mut moved = history(&TWO_RUNS);
    moved.push(row("r3 d upgrade applied", None));
    assert_eq!(
        check("r2", &["d"], &moved),
        Err("database 'app' has moved on since run r2: run r3 then ran 'upgrade d'; only a database's latest run can be rolled back".to_owned())
    );
    // A later attempt that failed changed nothing.
    let mut failed_later = history(&TWO_RUNS);
    failed_later.push(row("r3 d upgrade failed", None));
    assert_eq!(check("r2", &["c"], &failed_later), Ok(vec!["c".to_owned(), "b".to_owned()]));
    // Rows changed behind retort's back (a stamp without history, say).
    assert_eq!(
        check("r2", &["d"], &history(&TWO_RUNS)),
        Err("database 'app' is not where run r2 left it: the run applied b, c, but rolling it back now would remove b, c, d; downgrade by hand".to_owned())
    );
}

#[test]
fn only_upgrade_runs_without_half_applied_steps_roll_back() {
    let downgraded = history(&["r1 a upgrade applied", "r1 b upgrade applied", "r2 b downgrade applied"]);
    assert!(
        matches!(
            rollback_plan(&target(), "r2", &rows(&["a"]), &downgraded),
            Err(RunError::RollbackOfNonUpgrade { .. })
        )
    );
    let half_applied = vec![row("r1 a upgrade applied", None), row("r1 b upgrade failed", Some(2))];
    assert_eq!(
        check("r1", &["a"], &half_applied),
        Err("database 'app': run r1 left revision b partly applied (its migration failed halfway); finish or repair it first (the history table's row of the step counts the statements done)".to_owned())
    );
}
