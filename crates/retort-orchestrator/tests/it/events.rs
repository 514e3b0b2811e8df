//! The events of a run arrive in order, and serialize as the CLI's JSON lines expect.

use std::time::Duration;

use retort_orchestrator::Event;

use crate::common::{TestDatabases, app_files, request, run_collecting, strings, tool_registry_files, upgrade_heads};

/// The events with durations set to zero, which is all that varies between runs.
fn without_durations(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .map(|event| match event {
            Event::StepFinished { database, index, steps, revision, .. } => {
                Event::StepFinished { database, index, steps, revision, duration: Duration::ZERO }
            }
            other => other,
        })
        .collect()
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
async fn events_arrive_in_order() {
    let databases = TestDatabases::new();
    let targets = vec![
        databases.target("app", &app_files(), &[]),
        databases.target("tool_registry", &tool_registry_files(), &[]),
    ];
    let (result, events) = run_collecting(request(upgrade_heads(), targets, Vec::new())).await;
    assert!(result.is_ok_and(|report| report.is_success()));

    let run_id = "run-1".to_owned();
    assert_eq!(
        without_durations(events),
        [
            Event::RunStarted { run_id: run_id.clone(), databases: strings(&["tool_registry", "app"]) },
            Event::DatabasePlanned { database: "tool_registry".to_owned(), from: Vec::new(), steps: 2 },
            started("tool_registry", 1, "t1"),
            finished("tool_registry", 1, "t1"),
            started("tool_registry", 2, "t2"),
            finished("tool_registry", 2, "t2"),
            Event::DatabaseFinished { database: "tool_registry".to_owned(), now: strings(&["t2"]) },
            Event::DatabasePlanned { database: "app".to_owned(), from: Vec::new(), steps: 2 },
            started("app", 1, "a1"),
            finished("app", 1, "a1"),
            started("app", 2, "a2"),
            finished("app", 2, "a2"),
            Event::DatabaseFinished { database: "app".to_owned(), now: strings(&["a2"]) },
            Event::RunFinished { run_id, ok: true },
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
    assert_eq!(json, r#"{"event":"step_finished","database":"app","index":1,"steps":2,"revision":"a1","duration":1500}"#);
}
