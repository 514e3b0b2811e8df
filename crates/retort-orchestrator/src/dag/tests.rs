//! Tests of the global DAG and its ready set, on tiny inline migration sets: which step waits
//! for which, cycles named with their files, waves, and the order ready steps are handed out.

use retort_core::{Direction, MigrationSet, Plan, SourceFile};

use super::graph::DatabaseInput;
use super::{Schedule, StepGraph};
use crate::error::RunError;

/// A database for the tests: its name, config `after`, migrations and plan.
struct TestDatabase {
    name: &'static str,
    after: Vec<String>,
    migrations: MigrationSet,
    plan: Plan,
}

/// A linear database from `(revision, depends_on)` pairs, planned from `rows` with `command`
/// (`upgrade heads` or `downgrade base`).
fn database(name: &'static str, revisions: &[(&str, &str)], rows: &[&str], direction: Direction) -> TestDatabase {
    let files: Vec<SourceFile> = revisions
        .iter()
        .enumerate()
        .map(|(position, (revision, depends_on))| {
            let down_revision = if position == 0 { "" } else { revisions[position - 1].0 };
            let depends_on = if depends_on.is_empty() { String::new() } else { format!("-- depends_on: {depends_on}\n") };
            let text = format!(
                "-- revision: {revision}\n-- down_revision: {down_revision}\n{depends_on}-- message: m\n\n-- upgrade\nSELECT 1;\n\n-- downgrade\nSELECT 2;\n"
            );
            SourceFile { path: format!("{name}/{revision}.sql"), bytes: text.into_bytes() }
        })
        .collect();
    let migrations = match MigrationSet::load(files) {
        Ok(migrations) => migrations,
        Err(errors) => panic!("{errors:?}"),
    };
    let rows: Vec<String> = rows.iter().map(|row| (*row).to_owned()).collect();
    let planned = match direction {
        Direction::Up => migrations.map().upgrade(&rows, "heads"),
        Direction::Down => migrations.map().downgrade(&rows, "base"),
    };
    let plan = match planned {
        Ok(plan) => plan,
        Err(error) => panic!("{error}"),
    };
    TestDatabase { name, after: Vec::new(), migrations, plan }
}

fn after(mut database: TestDatabase, after: &[&str]) -> TestDatabase {
    database.after = after.iter().map(|name| (*name).to_owned()).collect();
    database
}

#[expect(clippy::result_large_err, reason = "the error is what some tests look at")]
fn build(databases: &[TestDatabase], direction: Direction) -> Result<StepGraph, RunError> {
    let inputs: Vec<DatabaseInput<'_>> = databases
        .iter()
        .map(|database| DatabaseInput { name: database.name, after: &database.after, migrations: &database.migrations, plan: &database.plan })
        .collect();
    StepGraph::new(&inputs, direction)
}

fn graph(databases: &[TestDatabase], direction: Direction) -> StepGraph {
    match build(databases, direction) {
        Ok(graph) => graph,
        Err(error) => panic!("unexpected error: {error}"),
    }
}

/// One line per step, `wave database:revision <- what it waits for`.
fn describe(graph: &StepGraph) -> String {
    (0..graph.len())
        .map(|step| {
            let waits: Vec<String> = graph.predecessors(step).into_iter().map(|waited| graph.step_ref(waited).to_string()).collect();
            format!("{} {} <- {}\n", graph.wave(step), graph.step_ref(step), waits.join(", "))
        })
        .collect()
}

fn check(databases: &[TestDatabase], direction: Direction, expect: &str) {
    assert_eq!(describe(&graph(databases, direction)), expect);
}

#[test]
fn each_database_runs_its_plan_in_order() {
    check(
        &[database("a", &[("a1", ""), ("a2", "")], &[], Direction::Up), database("b", &[("b1", "")], &[], Direction::Up)],
        Direction::Up,
        "1 a:a1 <- \n2 a:a2 <- a:a1\n1 b:b1 <- \n",
    );
}

#[test]
fn an_upgrade_waits_for_the_step_applying_its_dependency() {
    check(
        &[
            database("app", &[("a1", ""), ("a2", "tool_registry:t2")], &[], Direction::Up),
            database("tool_registry", &[("t1", ""), ("t2", ""), ("t3", "")], &[], Direction::Up),
        ],
        Direction::Up,
        "1 app:a1 <- \n3 app:a2 <- app:a1, tool_registry:t2\n1 tool_registry:t1 <- \n2 tool_registry:t2 <- tool_registry:t1\n3 tool_registry:t3 <- tool_registry:t2\n",
    );
}

#[test]
fn a_dependency_applied_already_adds_no_wait() {
    check(
        &[
            database("app", &[("a1", "tool_registry:t1")], &[], Direction::Up),
            database("tool_registry", &[("t1", ""), ("t2", "")], &["t1"], Direction::Up),
        ],
        Direction::Up,
        "1 app:a1 <- \n1 tool_registry:t2 <- \n",
    );
}

#[test]
fn a_downgrade_removes_the_dependant_first() {
    check(
        &[
            database("app", &[("a1", ""), ("a2", "tool_registry:t2")], &["a2"], Direction::Down),
            database("tool_registry", &[("t1", ""), ("t2", "")], &["t2"], Direction::Down),
        ],
        Direction::Down,
        "1 app:a2 <- \n2 app:a1 <- app:a2\n2 tool_registry:t2 <- app:a2\n3 tool_registry:t1 <- tool_registry:t2\n",
    );
}

#[test]
fn config_after_orders_whole_databases_and_reverses_for_a_downgrade() {
    let up = [
        after(database("app", &[("a1", ""), ("a2", "")], &[], Direction::Up), &["search"]),
        database("search", &[("s1", ""), ("s2", "")], &[], Direction::Up),
    ];
    check(&up, Direction::Up, "3 app:a1 <- search:s2\n4 app:a2 <- app:a1\n1 search:s1 <- \n2 search:s2 <- search:s1\n");
    let down = [
        after(database("app", &[("a1", ""), ("a2", "")], &["a2"], Direction::Down), &["search"]),
        database("search", &[("s1", ""), ("s2", "")], &["s2"], Direction::Down),
    ];
    check(&down, Direction::Down, "1 app:a2 <- \n2 app:a1 <- app:a2\n3 search:s2 <- app:a1\n4 search:s1 <- search:s2\n");
}

#[test]
fn databases_that_depend_both_ways_are_fine_when_their_steps_do_not() {
    // tool_registry:t2 depends on app:a1, which depends on tool_registry:t1.
    check(
        &[
            database("app", &[("a1", "tool_registry:t1")], &[], Direction::Up),
            database("tool_registry", &[("t1", ""), ("t2", "app:a1")], &[], Direction::Up),
        ],
        Direction::Up,
        "2 app:a1 <- tool_registry:t1\n1 tool_registry:t1 <- \n3 tool_registry:t2 <- app:a1, tool_registry:t1\n",
    );
}

#[test]
fn a_cycle_is_named_with_its_files_and_config() {
    let databases = [
        database("app", &[("a1", ""), ("a2", ""), ("a3", "tool_registry:t1")], &[], Direction::Up),
        after(database("tool_registry", &[("t1", "")], &[], Direction::Up), &["app"]),
    ];
    let error = match build(&databases, Direction::Up) {
        Err(error) => error,
        Ok(graph) => panic!("no cycle found:\n{}", describe(&graph)),
    };
    assert_eq!(
        error.to_string(),
        "the run's steps wait for each other in a cycle: \
         app:a3 waits for tool_registry:t1 (app/a3.sql (revision a3) depends on tool_registry:t1), \
         tool_registry:t1 waits for app:a3 (config of 'tool_registry' lists 'app' in 'after')"
    );
}

#[test]
fn a_cycle_through_plan_order_is_shortened_to_one_link() {
    let databases = [
        database("app", &[("a1", "tool_registry:t3"), ("a2", ""), ("a3", "")], &[], Direction::Up),
        database("tool_registry", &[("t1", "app:a3"), ("t2", ""), ("t3", "")], &[], Direction::Up),
    ];
    let Err(RunError::StepCycle { links }) = build(&databases, Direction::Up) else {
        panic!("expected a cycle");
    };
    let text: Vec<String> = links.iter().map(|link| format!("{} -> {}", link.step, link.waits_for)).collect();
    assert_eq!(text, ["app:a1 -> tool_registry:t3", "tool_registry:t3 -> tool_registry:t1", "tool_registry:t1 -> app:a3", "app:a3 -> app:a1"]);
}

#[test]
fn ready_steps_go_longest_chain_first_then_by_name() {
    let databases = [
        database("a", &[("a1", "")], &[], Direction::Up),
        database("b", &[("b1", ""), ("b2", "")], &[], Direction::Up),
        database("c", &[("c1", "")], &[], Direction::Up),
    ];
    let graph = graph(&databases, Direction::Up);
    let mut schedule = Schedule::new(&graph);
    let names = |steps: Vec<usize>| steps.into_iter().map(|step| graph.step_ref(step).to_string()).collect::<Vec<_>>();
    assert_eq!(names(schedule.ready()), ["b:b1", "a:a1", "c:c1"]);
    schedule.start(1);
    assert_eq!(names(schedule.ready()), ["a:a1", "c:c1"]);
    schedule.finish(1);
    assert_eq!(names(schedule.ready()), ["a:a1", "b:b2", "c:c1"]);
}

#[test]
fn a_step_waits_for_its_dependency_to_be_committed_and_says_so_once() {
    let databases = [
        database("app", &[("a1", ""), ("a2", "tool_registry:t1")], &[], Direction::Up),
        database("tool_registry", &[("t1", "")], &[], Direction::Up),
    ];
    let graph = graph(&databases, Direction::Up);
    let mut schedule = Schedule::new(&graph);
    assert_eq!(schedule.newly_waiting(), []);
    let (a1, a2, t1) = (0, 1, 2);
    schedule.start(a1);
    schedule.start(t1);
    schedule.finish(a1);
    assert_eq!(schedule.ready(), Vec::<usize>::new());
    assert_eq!(schedule.newly_waiting(), [(a2, vec![t1])]);
    assert_eq!(schedule.newly_waiting(), []);
    schedule.finish(t1);
    assert_eq!(schedule.ready(), [a2]);
}

#[test]
fn a_failure_blocks_what_waits_for_it_and_nothing_else() {
    let databases = [
        database("app", &[("a1", ""), ("a2", "tool_registry:t1")], &[], Direction::Up),
        database("search", &[("s1", "")], &[], Direction::Up),
        database("tool_registry", &[("t1", "")], &[], Direction::Up),
    ];
    let graph = graph(&databases, Direction::Up);
    let mut schedule = Schedule::new(&graph);
    let (a1, a2, s1, t1) = (0, 1, 2, 3);
    schedule.start(t1);
    schedule.fail(t1);
    assert_eq!(schedule.failed_ancestor(a2), Some(t1));
    assert_eq!(schedule.failed_ancestor(a1), None);
    assert_eq!(schedule.failed_ancestor(s1), None);
    schedule.start(a1);
    schedule.finish(a1);
    // a2 is blocked, not waiting: it is never announced.
    assert_eq!(schedule.newly_waiting(), []);
    assert_eq!(schedule.ready(), [s1]);
    assert_eq!(schedule.next_step(2), None);
}

#[test]
fn a_database_that_fails_before_its_steps_blocks_its_dependants() {
    let databases = [
        after(database("app", &[("a1", "")], &[], Direction::Up), &["tool_registry"]),
        database("tool_registry", &[("t1", ""), ("t2", "")], &[], Direction::Up),
    ];
    let graph = graph(&databases, Direction::Up);
    let mut schedule = Schedule::new(&graph);
    schedule.fail_database(1);
    assert_eq!(schedule.ready(), Vec::<usize>::new());
    assert_eq!(schedule.failed_ancestor(0), Some(1));
}
