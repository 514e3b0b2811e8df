//! Tests of the database order: ties by name, dependants first for a downgrade, cycles named.

use retort_core::Direction;

use super::{DatabaseGraph, DatabaseNode, FileDependency};
use crate::error::{CycleLink, OrderReason, RunError};

fn node(name: &str, after: &[&str], depends_on: &[(&str, &str)]) -> DatabaseNode {
    DatabaseNode {
        name: name.to_owned(),
        after: after.iter().map(|after| (*after).to_owned()).collect(),
        depends_on: depends_on
            .iter()
            .map(|(database, revision)| FileDependency {
                path: format!("databases/{name}/versions/r1.sql"),
                revision: "r1".to_owned(),
                database: (*database).to_owned(),
                dependency_revision: (*revision).to_owned(),
            })
            .collect(),
    }
}

fn check_order(nodes: &[DatabaseNode], direction: Direction, expect: &[&str]) {
    let graph = DatabaseGraph::new(nodes, direction);
    let order = match graph.order() {
        Ok(order) => order,
        Err(error) => panic!("unexpected error: {error}"),
    };
    let names: Vec<&str> = order.iter().map(|index| graph.name(*index)).collect();
    assert_eq!(names, expect);
}

#[test]
fn independent_databases_run_by_name() {
    let nodes = [node("zeta", &[], &[]), node("alpha", &[], &[]), node("mid", &[], &[])];
    check_order(&nodes, Direction::Up, &["alpha", "mid", "zeta"]);
    check_order(&nodes, Direction::Down, &["alpha", "mid", "zeta"]);
}

#[test]
fn depends_on_puts_the_dependency_first_and_downgrade_reverses_it() {
    let nodes = [node("app", &[], &[("tool_registry", "t1")]), node("tool_registry", &[], &[])];
    check_order(&nodes, Direction::Up, &["tool_registry", "app"]);
    check_order(&nodes, Direction::Down, &["app", "tool_registry"]);
}

#[test]
fn config_after_orders_and_ties_stay_by_name() {
    // a runs after z; b and c are free, so they come first by name once ready.
    let nodes = [node("a", &["z"], &[]), node("b", &[], &[]), node("z", &[], &[]), node("c", &[], &[])];
    check_order(&nodes, Direction::Up, &["b", "c", "z", "a"]);
    check_order(&nodes, Direction::Down, &["a", "b", "c", "z"]);
}

#[test]
fn names_outside_the_run_and_self_references_order_nothing() {
    let nodes = [node("app", &["billing"], &[("app", "a0"), ("tool_registry", "t1")])];
    check_order(&nodes, Direction::Up, &["app"]);
}

#[test]
fn a_cycle_is_named_with_its_files_and_config() {
    let nodes = [
        node("app", &[], &[("tool_registry", "t1")]),
        node("tool_registry", &["search"], &[]),
        node("search", &[], &[("app", "a2")]),
        node("other", &[], &[]),
    ];
    let graph = DatabaseGraph::new(&nodes, Direction::Up);
    let Err(RunError::DatabaseCycle { links }) = graph.order() else {
        panic!("expected a cycle");
    };
    let expected = vec![
        CycleLink {
            database: "search".to_owned(),
            runs_after: "app".to_owned(),
            because: vec![OrderReason::DependsOn {
                path: "databases/search/versions/r1.sql".to_owned(),
                revision: "r1".to_owned(),
                dependency_revision: "a2".to_owned(),
            }],
        },
        CycleLink {
            database: "tool_registry".to_owned(),
            runs_after: "search".to_owned(),
            because: vec![OrderReason::ConfigAfter],
        },
        CycleLink {
            database: "app".to_owned(),
            runs_after: "tool_registry".to_owned(),
            because: vec![OrderReason::DependsOn {
                path: "databases/app/versions/r1.sql".to_owned(),
                revision: "r1".to_owned(),
                dependency_revision: "t1".to_owned(),
            }],
        },
    ];
    assert_eq!(links, expected);
    let message = RunError::DatabaseCycle { links }.to_string();
    assert_eq!(
        message,
        "databases of the run depend on each other in a cycle: \
         'search' runs after 'app' (databases/search/versions/r1.sql (revision r1) depends on app:a2), \
         'tool_registry' runs after 'search' (config of 'tool_registry' lists it in 'after'), \
         'app' runs after 'tool_registry' (databases/app/versions/r1.sql (revision r1) depends on tool_registry:t1)"
    );
}

#[test]
fn a_downgrade_cycle_is_named_in_dependency_terms_too() {
    let nodes = [node("a", &["b"], &[]), node("b", &["a"], &[])];
    let graph = DatabaseGraph::new(&nodes, Direction::Down);
    let Err(RunError::DatabaseCycle { links }) = graph.order() else {
        panic!("expected a cycle");
    };
    let pairs: Vec<(&str, &str)> = links.iter().map(|link| (link.database.as_str(), link.runs_after.as_str())).collect();
    assert_eq!(pairs, [("b", "a"), ("a", "b")]);
}

#[test]
fn blocked_by_follows_the_run_direction_transitively() {
    let nodes = [node("a", &[], &[]), node("b", &["a"], &[]), node("c", &["b"], &[]), node("d", &[], &[])];
    let up = DatabaseGraph::new(&nodes, Direction::Up);
    assert_eq!(up.blocked_by(2, &[0]), Some(0));
    assert_eq!(up.blocked_by(3, &[0]), None);
    assert_eq!(up.blocked_by(0, &[2]), None);
    let down = DatabaseGraph::new(&nodes, Direction::Down);
    assert_eq!(down.blocked_by(0, &[2]), Some(2));
    assert_eq!(down.blocked_by(2, &[0]), None);
}
