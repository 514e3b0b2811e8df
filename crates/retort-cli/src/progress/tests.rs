//! Tests of the progress bars: events in, the lines an in-memory terminal shows out.

use std::time::Duration;

use indicatif::{InMemoryTerm, ProgressDrawTarget};
use retort_orchestrator::{DatabaseOutcome, Event};

use super::{DatabaseProgress, ProgressBars, Status};

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// Bars on an in-memory terminal of 4 rows of 110 columns.
fn bars() -> (ProgressBars, InMemoryTerm) {
    let terminal = InMemoryTerm::new(4, 110);
    (
        ProgressBars::new(
            ProgressDrawTarget::term_like(Box::new(terminal.clone())),
            None,
        ),
        terminal,
    )
}

fn planned(database: &str, steps: usize) -> Event {
    Event::DatabasePlanned {
        database: database.to_owned(),
        from: Vec::new(),
        to: Vec::new(),
        steps,
    }
}

fn started(database: &str, index: usize, steps: usize, revision: &str, message: &str) -> Event {
    Event::StepStarted {
        database: database.to_owned(),
        index,
        steps,
        revision: revision.to_owned(),
        message: message.to_owned(),
        direction: "upgrade".to_owned(),
    }
}

fn finished(database: &str, index: usize, steps: usize, revision: &str) -> Event {
    Event::StepFinished {
        database: database.to_owned(),
        index,
        steps,
        revision: revision.to_owned(),
        duration: Duration::from_millis(3),
    }
}

fn run_started() -> Event {
    Event::RunStarted {
        run_id: "run".to_owned(),
        databases: strings(&["app", "tool_registry"]),
    }
}

#[test]
fn a_bar_per_database_shows_counts_and_what_it_does() {
    let (mut bars, terminal) = bars();
    for event in [
        run_started(),
        planned("app", 6),
        planned("tool_registry", 3),
        started("app", 1, 6, "1f4a8c2e9b30", "create users"),
        started("tool_registry", 1, 3, "5b1e0c7a9d21", "create tools"),
        finished("app", 1, 6, "1f4a8c2e9b30"),
        Event::StepWaiting {
            database: "app".to_owned(),
            index: 2,
            steps: 6,
            revision: "4d1f5a2b3e6c".to_owned(),
            waiting_for: strings(&["tool_registry:8c3f2d4e6a10"]),
        },
    ] {
        bars.update(&event);
    }
    assert_eq!(
        terminal.contents(),
        "\
app           [====>                   ]   1/6     0s waiting for tool_registry:8c3f2d4e6a10
tool_registry [                        ]   0/3     0s upgrade 5b1e0c7a9d21 create tools"
    );
}

#[test]
fn finished_bars_say_where_each_database_ended() {
    let (mut bars, terminal) = bars();
    for event in [
        run_started(),
        planned("app", 2),
        planned("tool_registry", 1),
        started("tool_registry", 1, 1, "5b1e0c7a9d21", "create tools"),
        Event::StepFailed {
            database: "tool_registry".to_owned(),
            index: 1,
            steps: 1,
            revision: "5b1e0c7a9d21".to_owned(),
            error: "syntax error".to_owned(),
            duration: Duration::from_millis(2),
        },
        Event::DatabaseFinished {
            database: "tool_registry".to_owned(),
            now: Vec::new(),
            steps_run: 0,
            outcome: DatabaseOutcome::Failed,
        },
        Event::DatabaseFinished {
            database: "app".to_owned(),
            now: Vec::new(),
            steps_run: 0,
            outcome: DatabaseOutcome::BlockedBy {
                database: "tool_registry".to_owned(),
            },
        },
        Event::RunFinished {
            run_id: "run".to_owned(),
            ok: false,
            duration: Duration::from_millis(5),
        },
    ] {
        bars.update(&event);
    }
    assert_eq!(
        terminal.contents(),
        "\
app           [                        ]   0/2     0s stopped, waits for 'tool_registry', which failed
tool_registry [                        ]   0/1     0s failed, at base"
    );
}

#[test]
fn a_completed_database_and_one_with_nothing_to_do() {
    let (mut bars, terminal) = bars();
    for event in [
        run_started(),
        planned("app", 1),
        Event::DatabasePlanned {
            database: "tool_registry".to_owned(),
            from: strings(&["a7d9"]),
            to: strings(&["a7d9"]),
            steps: 0,
        },
        Event::WaitingForLock {
            database: "app".to_owned(),
            holder: "pid 7 on host (run r)".to_owned(),
        },
    ] {
        bars.update(&event);
    }
    assert_eq!(
        terminal.contents(),
        "\
app           [                        ]   0/1     0s waiting for the lock held by pid 7 on host (run r)
tool_registry [========================]   0/0     0s nothing to do, at a7d9"
    );
    for event in [
        started("app", 1, 1, "1f4a", ""),
        finished("app", 1, 1, "1f4a"),
        Event::DatabaseFinished {
            database: "app".to_owned(),
            now: strings(&["1f4a"]),
            steps_run: 1,
            outcome: DatabaseOutcome::Completed,
        },
    ] {
        bars.update(&event);
    }
    assert_eq!(
        bars.progress("app"),
        Some(&DatabaseProgress {
            done: 1,
            total: 1,
            status: Status::Finished {
                now: strings(&["1f4a"]),
                outcome: DatabaseOutcome::Completed
            },
        })
    );
    assert!(
        terminal
            .contents()
            .starts_with("app           [========================]   1/1     0s done, at 1f4a\n"),
        "{}",
        terminal.contents()
    );
}

#[test]
fn a_rust_migration_shows_how_far_it_has_got() {
    let (mut bars, terminal) = bars();
    let progress = |done: u64, total: Option<u64>| Event::StepProgress {
        database: "app".to_owned(),
        index: 1,
        steps: 1,
        revision: "9b3d5f7a2c48".to_owned(),
        done,
        total,
    };
    for event in [
        run_started(),
        planned("app", 1),
        planned("tool_registry", 0),
        started("app", 1, 1, "9b3d5f7a2c48", "backfill"),
        progress(500, Some(1600)),
    ] {
        bars.update(&event);
    }
    assert_eq!(
        terminal.contents(),
        "\
app           [                        ]   0/1     0s upgrade 9b3d5f7a2c48 backfill (500/1600)
tool_registry [========================]   0/0     0s nothing to do, at base"
    );
    bars.update(&progress(7, None));
    assert!(
        terminal.contents().starts_with(
            "app           [                        ]   0/1     0s upgrade 9b3d5f7a2c48 backfill (7)\n"
        ),
        "{}",
        terminal.contents()
    );
}
