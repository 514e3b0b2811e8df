//! How a run shows itself: progress bars under a pseudo-terminal (`script` gives the binary
//! one), and `--format json`, whose every line parses and carries the fields its event needs.

use std::process::{Command, Stdio};

use indicatif::{InMemoryTerm, TermLike};
use serde_json::Value;

use crate::common::{Migration, TestProject, example_project};

/// Runs `retort args...` in `project` under a pseudo-terminal of 24 rows of 120 columns, as a
/// person at a terminal would (no `CI`, no `NO_COLOR`); returns the exit code and the screen.
fn retort_in_terminal(project: &TestProject, args: &str) -> (i32, String, String) {
    let binary = env!("CARGO_BIN_EXE_retort");
    let script = format!("stty cols 120 rows 24; exec '{binary}' {args}");
    let mut command = Command::new("script");
    command
        .args(["-qec", &script, "/dev/null"])
        .current_dir(project.root())
        .stdin(Stdio::null())
        .env("TERM", "xterm-256color");
    for (name, _) in std::env::vars() {
        if name == "CI" || name == "NO_COLOR" || name.starts_with("RETORT_") {
            command.env_remove(name);
        }
    }
    let output = command
        .output()
        .expect("`script` (util-linux) runs the binary in a pseudo-terminal");
    let raw = String::from_utf8_lossy(&output.stdout).into_owned();
    let screen = InMemoryTerm::new(24, 120);
    screen
        .write_str(&raw)
        .expect("the in-memory terminal takes the output");
    (output.status.code().unwrap_or(-1), raw, screen.contents())
}

/// The screen with each bar's elapsed time (` 0s `, ` 12s `) as ` [T] ` and the spaces after
/// the bar squeezed.
fn without_elapsed(screen: &str) -> String {
    screen
        .lines()
        .map(|line| match line.split_once("] ") {
            Some((bar, rest)) if bar.contains('[') => {
                let words: Vec<&str> = rest.split_whitespace().collect();
                match words.as_slice() {
                    [counts, elapsed, message @ ..] if elapsed.ends_with('s') => {
                        format!("{bar}] {counts} [T] {}", message.join(" "))
                    }
                    _ => line.to_owned(),
                }
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_terminal_shows_a_bar_per_database() {
    let project = example_project();
    let (code, raw, screen) = retort_in_terminal(&project, "upgrade");
    assert_eq!(code, 0, "{screen}");
    // Bars are redrawn in place (cursor up), in colour.
    assert!(raw.contains("\x1b[1A"), "{raw:?}");
    assert!(raw.contains("\x1b[1m"), "{raw:?}");
    assert_eq!(
        without_elapsed(&screen),
        "\
app      [========================] 6/6 [T] done, at login6
registry [========================] 1/1 [T] done, at tools1
database  started at  now at  failed  error
app       base        login6
registry  base        tools1"
    );
    assert_eq!(project.version_rows("app"), ["login6"]);
}

#[test]
fn a_terminal_shows_where_a_failed_run_stopped() {
    let project = example_project();
    project.migration(
        "registry",
        "2_broken2.sql",
        &Migration {
            revision: "broken2",
            down_revision: "tools1",
            message: "broken",
            upgrade: "CREATE TABLE (;",
            ..Migration::default()
        },
    );
    let (code, _, screen) = retort_in_terminal(&project, "upgrade");
    assert_eq!(code, 1, "{screen}");
    let screen = without_elapsed(&screen);
    assert!(screen.starts_with("app      ["), "{screen}");
    assert!(
        screen.contains("\nregistry [============>           ] 1/2 [T] failed, at tools1\n"),
        "{screen}"
    );
    // Quiet and verbose runs print lines, not bars, even on a terminal.
    let (_, raw, _) = retort_in_terminal(&project, "--verbose upgrade --keep-going");
    assert!(!raw.contains("\x1b[1A"), "{raw:?}");
    assert!(
        raw.contains("registry: upgrade broken2 (broken) ..."),
        "{raw:?}"
    );
}

/// Every line of `stdout` as JSON, checking that each has the fields its event needs.
fn json_lines(stdout: &str) -> Vec<Value> {
    let required: &[(&str, &[&str])] = &[
        ("run_started", &["run_id", "databases"]),
        ("waiting_for_lock", &["database", "holder"]),
        ("database_planned", &["database", "from", "to", "steps"]),
        (
            "step_waiting",
            &["database", "index", "steps", "revision", "waiting_for"],
        ),
        (
            "step_started",
            &[
                "database",
                "index",
                "steps",
                "revision",
                "message",
                "direction",
            ],
        ),
        (
            "step_finished",
            &["database", "index", "steps", "revision", "duration_ms"],
        ),
        (
            "step_failed",
            &[
                "database",
                "index",
                "steps",
                "revision",
                "error",
                "duration_ms",
            ],
        ),
        (
            "database_finished",
            &["database", "now", "steps_run", "outcome"],
        ),
        ("run_finished", &["run_id", "ok", "duration_ms"]),
        ("summary", &["run_id", "ok", "databases"]),
    ];
    stdout
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
            let event = value["event"]
                .as_str()
                .unwrap_or_else(|| panic!("no event: {line}"));
            let (_, fields) = required
                .iter()
                .find(|(name, _)| *name == event)
                .unwrap_or_else(|| panic!("unknown event {event}"));
            for field in *fields {
                assert!(
                    value.get(field).is_some(),
                    "{event} without {field}: {line}"
                );
            }
            value
        })
        .collect()
}

#[test]
fn json_lines_describe_every_event_and_end_with_a_summary() {
    let project = example_project();
    let run = project.retort(&["upgrade", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "");
    let lines = json_lines(&run.stdout);
    assert_eq!(lines[0]["event"], "run_started");
    assert_eq!(
        lines[0]["databases"],
        serde_json::json!(["app", "registry"])
    );
    let summary = &lines[lines.len() - 1];
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["ok"], true);
    assert_eq!(summary["databases"][0]["database"], "app");
    assert_eq!(
        summary["databases"][0]["now_at"],
        serde_json::json!(["login6"])
    );
    assert_eq!(summary["databases"][0]["outcome"]["kind"], "completed");
    let started = lines
        .iter()
        .filter(|line| line["event"] == "step_started")
        .count();
    assert_eq!(started, 7);
    for line in lines
        .iter()
        .filter(|line| line["event"] == "database_finished")
    {
        assert_eq!(line["outcome"]["kind"], "completed");
    }
}

#[test]
fn json_reports_failures_and_refusals_too() {
    let project = example_project();
    project.migration(
        "registry",
        "2_broken2.sql",
        &Migration {
            revision: "broken2",
            down_revision: "tools1",
            message: "broken",
            upgrade: "CREATE TABLE (;",
            ..Migration::default()
        },
    );
    let run = project.retort(&["upgrade", "--format", "json", "--keep-going"]);
    assert_eq!(run.code, 1, "{run:?}");
    let lines = json_lines(&run.stdout);
    let failed: Vec<&Value> = lines
        .iter()
        .filter(|line| line["event"] == "step_failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["revision"], "broken2");
    let summary = &lines[lines.len() - 1];
    assert_eq!(summary["ok"], false);
    assert_eq!(summary["databases"][1]["failed_revision"], "broken2");

    let refused = project.retort(&["upgrade", "nowhere", "--format", "json"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    let lines = json_lines(&refused.stdout);
    let summary = &lines[lines.len() - 1];
    assert_eq!(summary["ok"], false);
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|error| error.contains("no such revision or branch 'nowhere'")),
        "{summary}"
    );
    assert!(refused.stderr.starts_with("error: "), "{}", refused.stderr);
}
