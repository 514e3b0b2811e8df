//! The order databases run in: a small petgraph graph of database names, with an edge from a
//! database to each database that runs after it (config `after`, or a migration's
//! `depends_on: db:rev`). Pure and synchronous, and tested without a database.
//!
//! petgraph's `toposort` breaks ties by insertion order; ours must break them by name, so the
//! order is Kahn's algorithm over the petgraph graph with a name-ordered ready set. The later
//! concurrent scheduler uses the same ready set: a database is ready once every database it
//! runs after is done.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use petgraph::Direction as EdgeDirection;
use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;
use retort_core::Direction;

use crate::error::{CycleLink, OrderReason, RunError};

/// What orders one database after others: its name, its config `after`, and the
/// cross-database `depends_on` entries of its migrations.
#[derive(Debug, Clone)]
pub(crate) struct DatabaseNode {
    pub(crate) name: String,
    pub(crate) after: Vec<String>,
    pub(crate) depends_on: Vec<FileDependency>,
}

/// One `depends_on: database:revision` entry of a migration file.
#[derive(Debug, Clone)]
pub(crate) struct FileDependency {
    pub(crate) path: String,
    pub(crate) revision: String,
    pub(crate) database: String,
    pub(crate) dependency_revision: String,
}

/// The databases of a run and which runs after which, in the direction of the command.
#[derive(Debug)]
pub(crate) struct DatabaseGraph {
    names: Vec<String>,
    /// An edge `a -> b` means `a` runs before `b` (in the command's direction).
    graph: DiGraphMap<usize, ()>,
    /// Why a database runs after another: keyed by (prerequisite, dependant), dependency sense.
    reasons: BTreeMap<(usize, usize), Vec<OrderReason>>,
}

impl DatabaseGraph {
    /// Builds the graph; names outside `nodes` and self-references order nothing.
    pub(crate) fn new(nodes: &[DatabaseNode], direction: Direction) -> DatabaseGraph {
        let names: Vec<String> = nodes.iter().map(|node| node.name.clone()).collect();
        let index_of = |name: &str| names.iter().position(|candidate| candidate == name);
        let mut reasons: BTreeMap<(usize, usize), Vec<OrderReason>> = BTreeMap::new();
        for (dependant, node) in nodes.iter().enumerate() {
            for after in &node.after {
                if let Some(prerequisite) = index_of(after).filter(|index| *index != dependant) {
                    reasons.entry((prerequisite, dependant)).or_default().push(OrderReason::ConfigAfter);
                }
            }
            for dependency in &node.depends_on {
                if let Some(prerequisite) = index_of(&dependency.database).filter(|index| *index != dependant) {
                    reasons.entry((prerequisite, dependant)).or_default().push(OrderReason::DependsOn {
                        path: dependency.path.clone(),
                        revision: dependency.revision.clone(),
                        dependency_revision: dependency.dependency_revision.clone(),
                    });
                }
            }
        }
        let mut graph = DiGraphMap::new();
        for index in 0..names.len() {
            graph.add_node(index);
        }
        for &(prerequisite, dependant) in reasons.keys() {
            match direction {
                Direction::Up => graph.add_edge(prerequisite, dependant, ()),
                Direction::Down => graph.add_edge(dependant, prerequisite, ()),
            };
        }
        DatabaseGraph { names, graph, reasons }
    }

    /// The indices of the databases in the order they run, ties broken by name; a cycle is an
    /// error that names it and the files and config entries that make it.
#[expect(clippy::result_large_err, reason = "built a handful of times per run at most; boxing would only obscure the fields")]
    pub(crate) fn order(&self) -> Result<Vec<usize>, RunError> {
        let mut waiting_on: Vec<usize> = (0..self.names.len())
            .map(|index| self.graph.neighbors_directed(index, EdgeDirection::Incoming).count())
            .collect();
        let mut ready: BTreeSet<(&str, usize)> = BTreeSet::new();
        for (index, count) in waiting_on.iter().enumerate() {
            if *count == 0 {
                ready.insert((&self.names[index], index));
            }
        }
        let mut order = Vec::with_capacity(self.names.len());
        while let Some((_, index)) = ready.pop_first() {
            order.push(index);
            for next in self.graph.neighbors_directed(index, EdgeDirection::Outgoing) {
                waiting_on[next] -= 1;
                if waiting_on[next] == 0 {
                    ready.insert((&self.names[next], next));
                }
            }
        }
        if order.len() == self.names.len() {
            Ok(order)
        } else {
            Err(RunError::DatabaseCycle { links: self.cycle_links() })
        }
    }

    /// The first database of `failed` that `index` runs after, directly or through others.
    pub(crate) fn blocked_by(&self, index: usize, failed: &[usize]) -> Option<usize> {
        failed.iter().copied().find(|failed_index| {
            *failed_index != index && petgraph::algo::has_path_connecting(&self.graph, *failed_index, index, None)
        })
    }

    /// The name of the database at `index`.
    pub(crate) fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// One cycle, starting at the smallest name of the strongly connected component that holds
    /// the smallest name, in dependency sense ("x runs after y because ...").
    fn cycle_links(&self) -> Vec<CycleLink> {
        let mut components: Vec<Vec<usize>> =
            tarjan_scc(&self.graph).into_iter().filter(|component| component.len() > 1).collect();
        for component in &mut components {
            component.sort_by(|left, right| self.names[*left].cmp(&self.names[*right]));
        }
        components.sort_by(|left, right| self.names[left[0]].cmp(&self.names[right[0]]));
        let Some(component) = components.first() else {
            return Vec::new();
        };
        let path = self.shortest_cycle_through(component[0], component);
        path.windows(2)
            .map(|pair| {
                let (from, to) = (pair[0], pair[1]);
                // Graph edges point in the run direction; reasons are kept in dependency sense.
                let (prerequisite, dependant, because) = match self.reasons.get(&(from, to)) {
                    Some(because) => (from, to, because.clone()),
                    None => (to, from, self.reasons.get(&(to, from)).cloned().unwrap_or_default()),
                };
                CycleLink {
                    database: self.names[dependant].clone(),
                    runs_after: self.names[prerequisite].clone(),
                    because,
                }
            })
            .collect()
    }

    /// The shortest path `start -> ... -> start` inside `component` (breadth-first, neighbours
    /// by name), as node indices with `start` at both ends.
    fn shortest_cycle_through(&self, start: usize, component: &[usize]) -> Vec<usize> {
        let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(current) = queue.pop_front() {
            let mut neighbours: Vec<usize> = self
                .graph
                .neighbors_directed(current, EdgeDirection::Outgoing)
                .filter(|next| component.contains(next))
                .collect();
            neighbours.sort_by(|left, right| self.names[*left].cmp(&self.names[*right]));
            for next in neighbours {
                if next == start {
                    let mut path = vec![start, current];
                    let mut walk = current;
                    while let Some(previous) = came_from.get(&walk) {
                        path.push(*previous);
                        walk = *previous;
                    }
                    // `path` holds start (the end), current, ..., start (the beginning).
                    path.reverse();
                    return path;
                }
                if let Entry::Vacant(entry) = came_from.entry(next) {
                    entry.insert(current);
                    queue.push_back(next);
                }
            }
        }
        vec![start]
    }
}

#[cfg(test)]
mod tests;
