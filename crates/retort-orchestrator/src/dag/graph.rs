//! Building the DAG of a run's steps.
//!
//! Node `i` is step `i`; the steps of one database are contiguous and in plan order. An edge
//! `a -> b` means that `b` waits for `a`:
//!
//! - plan order: each step of a database waits for the one before it;
//! - `depends_on: db:rev` in an upgrade: the step applying the dependant revision waits for the
//!   step of `db` that applies `rev` (no edge when `rev` is applied already: the up-front checks
//!   make sure it is); in a downgrade the edge is reversed: the step of `db` removing `rev`
//!   waits for the step removing the dependant;
//! - config `after = ["b"]` of database `a`: `a`'s first step waits for `b`'s last step (in a
//!   downgrade, `b`'s first step waits for `a`'s last).

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;

use petgraph::Direction as EdgeDirection;
use petgraph::algo::toposort;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use retort_core::{Action, Direction, MigrationSet, Plan, Step};

use crate::error::{CycleLink, RunError, StepRef, WaitReason};

/// A step's index in the DAG.
pub(crate) type StepId = usize;

/// One database of the run as the DAG sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DatabaseInput<'a> {
    pub(crate) name: &'a str,
    /// Config `after`: databases whose steps all run before this one's.
    pub(crate) after: &'a [String],
    pub(crate) migrations: &'a MigrationSet,
    pub(crate) plan: &'a Plan,
}

/// The DAG of every step of a run.
#[derive(Debug)]
pub(crate) struct StepGraph {
    databases: Vec<String>,
    /// The steps of database `d` are `ranges[d]`.
    ranges: Vec<Range<StepId>>,
    /// For each step: its database and its label (the revision it runs, or what a stamp stamps).
    steps: Vec<(usize, String)>,
    graph: DiGraph<(), WaitReason>,
    /// For each step, the longest chain of steps from it to the end of the run, itself included:
    /// the scheduler starts the step with the longest chain first.
    remaining: Vec<usize>,
    /// For each step, the longest chain of steps up to it, itself included: with unlimited jobs
    /// and equal steps, the wave the step runs in (1-based).
    wave: Vec<usize>,
}

impl StepGraph {
    /// Builds the DAG for `databases` (each at most once) in `direction`; a cycle is an error
    /// that names the steps, files and config entries that make it.
    #[expect(clippy::result_large_err, reason = "built once or twice per run; boxing would only obscure the fields")]
    pub(crate) fn new(databases: &[DatabaseInput<'_>], direction: Direction) -> Result<StepGraph, RunError> {
        let mut graph = DiGraph::new();
        let mut ranges = Vec::with_capacity(databases.len());
        let mut steps = Vec::new();
        for (database_idx, database) in databases.iter().enumerate() {
            let start = steps.len();
            for step in &database.plan.steps {
                graph.add_node(());
                steps.push((database_idx, step_label(step)));
            }
            ranges.push(start..steps.len());
        }
        let mut step_graph = StepGraph {
            databases: databases.iter().map(|database| database.name.to_owned()).collect(),
            ranges,
            steps,
            graph,
            remaining: Vec::new(),
            wave: Vec::new(),
        };
        for database_idx in 0..databases.len() {
            step_graph.add_plan_order(database_idx);
            step_graph.add_dependencies(databases, database_idx, direction);
            step_graph.add_config_after(databases, database_idx, direction);
        }
        let order = match toposort(&step_graph.graph, None) {
            Ok(order) => order,
            Err(cycle) => return Err(RunError::StepCycle { links: step_graph.cycle_through(cycle.node_id()) }),
        };
        step_graph.measure_chains(&order);
        Ok(step_graph)
    }

    /// How many databases the run has.
    pub(crate) fn database_count(&self) -> usize {
        self.databases.len()
    }

    /// The name of database `database_idx`.
    pub(crate) fn database_name(&self, database_idx: usize) -> &str {
        &self.databases[database_idx]
    }

    /// The steps of database `database_idx`, in plan order.
    pub(crate) fn steps_of(&self, database_idx: usize) -> Range<StepId> {
        self.ranges[database_idx].clone()
    }

    /// How many steps the run has.
    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }

    /// The database of `step`.
    pub(crate) fn database_of(&self, step: StepId) -> usize {
        self.steps[step].0
    }

    /// The 0-based position of `step` in its database's plan.
    pub(crate) fn index_in_database(&self, step: StepId) -> usize {
        step - self.ranges[self.database_of(step)].start
    }

    /// `database:revision` of `step`.
    pub(crate) fn step_ref(&self, step: StepId) -> StepRef {
        let (database_idx, label) = &self.steps[step];
        StepRef { database: self.databases[*database_idx].clone(), revision: label.clone() }
    }

    /// The steps `step` waits for, each once, in step order.
    pub(crate) fn predecessors(&self, step: StepId) -> Vec<StepId> {
        let mut predecessors: Vec<StepId> =
            self.graph.neighbors_directed(NodeIndex::new(step), EdgeDirection::Incoming).map(NodeIndex::index).collect();
        predecessors.sort_unstable();
        predecessors.dedup();
        predecessors
    }

    /// The steps that wait for `step`, each once.
    pub(crate) fn successors(&self, step: StepId) -> Vec<StepId> {
        let mut successors: Vec<StepId> =
            self.graph.neighbors_directed(NodeIndex::new(step), EdgeDirection::Outgoing).map(NodeIndex::index).collect();
        successors.sort_unstable();
        successors.dedup();
        successors
    }

    /// The steps `step` waits for, each with why (a pair of steps may have several reasons), in
    /// step order.
    pub(crate) fn waits(&self, step: StepId) -> Vec<(StepId, WaitReason)> {
        let mut waits: Vec<(StepId, WaitReason)> = self
            .graph
            .edges_directed(NodeIndex::new(step), EdgeDirection::Incoming)
            .map(|edge| (edge.source().index(), edge.weight().clone()))
            .collect();
        waits.sort_by_key(|(waited, _)| *waited);
        waits
    }

    /// The steps of other databases that `step` waits for.
    pub(crate) fn cross_database_predecessors(&self, step: StepId) -> Vec<StepId> {
        let database_idx = self.database_of(step);
        self.predecessors(step).into_iter().filter(|predecessor| self.database_of(*predecessor) != database_idx).collect()
    }

    /// The longest chain of steps from `step` to the end of the run, `step` included.
    pub(crate) fn remaining_chain(&self, step: StepId) -> usize {
        self.remaining[step]
    }

    /// The wave `step` runs in with unlimited jobs and equal steps (1-based).
    pub(crate) fn wave(&self, step: StepId) -> usize {
        self.wave[step]
    }

    fn add_plan_order(&mut self, database_idx: usize) {
        for step in self.ranges[database_idx].clone().skip(1) {
            self.graph.add_edge(NodeIndex::new(step - 1), NodeIndex::new(step), WaitReason::PlanOrder);
        }
    }

    /// The `depends_on: db:rev` edges of the migrations `database_idx`'s steps run.
    fn add_dependencies(&mut self, databases: &[DatabaseInput<'_>], database_idx: usize, direction: Direction) {
        let database = databases[database_idx];
        for (position, step) in database.plan.steps.iter().enumerate() {
            let step_id = self.ranges[database_idx].start + position;
            let Some(revision) = step.revision() else { continue };
            let Some(migration) = database.migrations.migration(revision) else { continue };
            for dependency in &migration.external_depends_on {
                let Some(other_idx) = databases.iter().position(|other| other.name == dependency.database) else {
                    continue;
                };
                if other_idx == database_idx {
                    continue;
                }
                let other = databases[other_idx];
                // An unknown revision is reported by the up-front checks.
                let Ok(Some(dependency_revision)) = other.migrations.map().resolve_one(&dependency.revision) else {
                    continue;
                };
                let Some(other_position) =
                    other.plan.steps.iter().position(|other_step| other_step.revision() == Some(dependency_revision.as_str()))
                else {
                    continue;
                };
                let other_step = self.ranges[other_idx].start + other_position;
                let reason = WaitReason::DependsOn {
                    path: migration.path.clone(),
                    revision: revision.to_owned(),
                    database: dependency.database.clone(),
                    dependency_revision,
                };
                let (first, then) = match direction {
                    Direction::Up => (other_step, step_id),
                    Direction::Down => (step_id, other_step),
                };
                self.graph.add_edge(NodeIndex::new(first), NodeIndex::new(then), reason);
            }
        }
    }

    /// The edges of `database_idx`'s config `after`.
    fn add_config_after(&mut self, databases: &[DatabaseInput<'_>], database_idx: usize, direction: Direction) {
        for after in databases[database_idx].after {
            let Some(other_idx) = databases.iter().position(|other| other.name == after.as_str()) else { continue };
            if other_idx == database_idx {
                continue;
            }
            let (before, later) = match direction {
                Direction::Up => (other_idx, database_idx),
                Direction::Down => (database_idx, other_idx),
            };
            let (before_steps, later_steps) = (self.ranges[before].clone(), self.ranges[later].clone());
            if before_steps.is_empty() || later_steps.is_empty() {
                continue;
            }
            let reason = WaitReason::ConfigAfter {
                database: databases[database_idx].name.to_owned(),
                after: after.clone(),
            };
            self.graph.add_edge(NodeIndex::new(before_steps.end - 1), NodeIndex::new(later_steps.start), reason);
        }
    }

    /// Fills `remaining` and `wave` from a topological order.
    fn measure_chains(&mut self, order: &[NodeIndex]) {
        let mut wave = vec![1; self.steps.len()];
        for node in order {
            for predecessor in self.predecessors(node.index()) {
                wave[node.index()] = wave[node.index()].max(wave[predecessor] + 1);
            }
        }
        let mut remaining = vec![1; self.steps.len()];
        for node in order.iter().rev() {
            for successor in self.successors(node.index()) {
                remaining[node.index()] = remaining[node.index()].max(remaining[successor] + 1);
            }
        }
        self.wave = wave;
        self.remaining = remaining;
    }

    /// The shortest cycle through `start`, as links "step waits for step", starting at the
    /// smallest step id of the cycle; consecutive plan-order links of one database are merged.
    fn cycle_through(&self, start: NodeIndex) -> Vec<CycleLink> {
        // Walk "waits for" (incoming) edges breadth-first until `start` comes round again.
        let mut came_from: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        let mut path = vec![start];
        'search: while let Some(current) = queue.pop_front() {
            let mut predecessors: Vec<NodeIndex> = self.graph.neighbors_directed(current, EdgeDirection::Incoming).collect();
            predecessors.sort_unstable();
            for predecessor in predecessors {
                if predecessor == start {
                    let mut walk = current;
                    let mut reversed = vec![walk];
                    while let Some(previous) = came_from.get(&walk) {
                        reversed.push(*previous);
                        walk = *previous;
                    }
                    // `reversed` runs current, ..., start; the cycle is start, ..., current, start.
                    path = reversed.into_iter().rev().collect();
                    path.push(start);
                    break 'search;
                }
                if predecessor != start && !came_from.contains_key(&predecessor) {
                    came_from.insert(predecessor, current);
                    queue.push_back(predecessor);
                }
            }
        }
        // Rotate so the cycle starts at its smallest step.
        path.pop();
        if let Some(smallest) = path.iter().enumerate().min_by_key(|(_, node)| **node).map(|(position, _)| position) {
            path.rotate_left(smallest);
        }
        if let Some(first) = path.first().copied() {
            path.push(first);
        }
        let mut links: Vec<CycleLink> = Vec::new();
        for pair in path.windows(2) {
            let (waiting, waited_for) = (pair[0], pair[1]);
            let because = self
                .graph
                .edges_connecting(waited_for, waiting)
                .map(|edge| edge.weight().clone())
                .min_by_key(|reason| matches!(reason, WaitReason::PlanOrder))
                .unwrap_or(WaitReason::PlanOrder);
            let link = CycleLink { step: self.step_ref(waiting.index()), waits_for: self.step_ref(waited_for.index()), because };
            match links.last_mut() {
                Some(last)
                    if last.because == WaitReason::PlanOrder
                        && link.because == WaitReason::PlanOrder
                        && last.step.database == link.step.database =>
                {
                    last.waits_for = link.waits_for;
                }
                _ => links.push(link),
            }
        }
        links
    }
}

/// The revision a step's events name: its migration, or what a stamp stamps (`base` for none).
pub(crate) fn step_label(step: &Step) -> String {
    match (&step.action, step.to.as_slice()) {
        (Action::Upgrade(revision) | Action::Downgrade(revision), _) => revision.clone(),
        (Action::Stamp(_), []) => "base".to_owned(),
        (Action::Stamp(_), to) => to.join(","),
    }
}
