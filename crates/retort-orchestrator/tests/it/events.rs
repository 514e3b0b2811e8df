//! The events of a run: the run's frame, each database's events in order, and their JSON form.

use std::time::Duration;

use retort_orchestrator::{DatabaseOutcome, Event};

use crate::common::{TestDatabases, app_files, request, run_collecting, strings, tool_registry_files, upgrade_heads};

/// The events with durations set to zero, which is all that varies between runs.
fn without_durations(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .map(|event| match event {
            Event::StepFinished { database, index, steps, revision, .. } => {
                Event::StepFinished { database, index, steps, revision, duration: Duration::ZERO }
            }
            Event::RunFinished { run_id, ok, .. } => Event::RunFinished { run_id, ok, duration: Duration::ZERO },
            other => other,
        })
        .collect()
}

fn database_of(event: &Event) -> Option<&str> {
    match event {
        Event::WaitingForLock { database, .. }
        | Event::DatabasePlanned { database, .. }
        | Event::StepWaiting { database, .. }
        | Event::StepWarning { database, .. }
        | Event::StepStarted { database, .. }
        | Event::StepProgress { database, .. }
        | Event::StepFinished { database, .. }
        | Event::StepFailed { database, .. }
        | Event::DatabaseFinished { database, .. } => Some(database),
        Event::RunStarted { .. } | Event::RunFinished { .. } => None,
    }
}

fn started(database: &str, index: usize, revision: &str) -> Event {
    Event::StepStarted {
        database: database.to_owned(),
        index,
        steps: 2,
        revision: revision.to_owned(),
        message: format!("create {revision}"),
        direction: "upgrade".to_owned(),
    }
}

fn finished(database: &str, index: usize, revision: &str) -> Event {
    Event::StepFinished { database: database.to_owned(), index, steps: 2, revision: revision.to_owned(), duration: Duration::ZERO }
}

#[tokio::test]
async fn each_database_reports_its_events_in_order_inside_the_run() {
    let databases = TestDatabases::new();
    let targets = vec![
        databases.target("tool_registry", &tool_registry_files(), &[]),
        databases.target("app", &app_files(), &[]),
    ];
    let (result, events) = run_collecting(request(upgrade_heads(), targets, Vec::new())).await;
    assert!(result.is_ok_and(|report| report.is_success()));
    let events = without_durations(events);

    assert_eq!(events[0], Event::RunStarted { run_id: "run-1".to_owned(), databases: strings(&["app", "tool_registry"]) });
    assert_eq!(events.last(), Some(&Event::RunFinished { run_id: "run-1".to_owned(), ok: true, duration: Duration::ZERO }));
    // Both databases are locked and planned, in name order, before any step starts.
    assert_eq!(
        events[1..3],
        [
            Event::DatabasePlanned { database: "app".to_owned(), from: Vec::new(), to: strings(&["a2"]), steps: 2 },
            Event::DatabasePlanned { database: "tool_registry".to_owned(), from: Vec::new(), to: strings(&["t2"]), steps: 2 },
        ]
    );
    let of = |name: &str| -> Vec<Event> {
        events[3..]
            .iter()
            .filter(|event| database_of(event) == Some(name) && !matches!(event, Event::StepWaiting { .. }))
            .cloned()
            .collect()
    };
    assert_eq!(
        of("tool_registry"),
        [
            started("tool_registry", 1, "t1"),
            finished("tool_registry", 1, "t1"),
            started("tool_registry", 2, "t2"),
            finished("tool_registry", 2, "t2"),
            Event::DatabaseFinished {
                database: "tool_registry".to_owned(),
                now: strings(&["t2"]),
                steps_run: 2,
                outcome: DatabaseOutcome::Completed,
            },
        ]
    );
    assert_eq!(
        of("app"),
        [
            started("app", 1, "a1"),
            finished("app", 1, "a1"),
            started("app", 2, "a2"),
            finished("app", 2, "a2"),
            Event::DatabaseFinished { database: "app".to_owned(), now: strings(&["a2"]), steps_run: 2, outcome: DatabaseOutcome::Completed },
        ]
    );
}

#[test]
fn events_serialize_with_a_snake_case_tag_and_milliseconds() {
    let event = Event::StepFinished {
        database: "app".to_owned(),
        index: 1,
        steps: 2,
        revision: "a1".to_owned(),
        duration: Duration::from_millis(1500),
    };
    let json = serde_json::to_string(&event).unwrap_or_default();
    assert_eq!(json, r#"{"event":"step_finished","database":"app","index":1,"steps":2,"revision":"a1","duration_ms":1500}"#);
    let finished = Event::DatabaseFinished {
        database: "app".to_owned(),
        now: strings(&["a1"]),
        steps_run: 1,
        outcome: DatabaseOutcome::BlockedBy { database: "tool_registry".to_owned() },
    };
    assert_eq!(
        serde_json::to_string(&finished).unwrap_or_default(),
        r#"{"event":"database_finished","database":"app","now":["a1"],"steps_run":1,"outcome":{"kind":"blocked_by","database":"tool_registry"}}"#
    );
}
