//! The state of every step during a run, and the ready set: the steps that may start now.
//!
//! A step is ready when every step it waits for is done. Since each database's steps wait for
//! one another in plan order, a database has at most one step ready or running at a time, so the
//! ready set is also "which databases may run their next step". Ready steps are handed out
//! longest remaining chain first (then by database name), which with equal steps keeps the
//! critical path moving when `--jobs` leaves fewer slots than ready steps.

use std::collections::VecDeque;

use crate::dag::graph::{StepGraph, StepId};

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepState {
    Pending,
    Running,
    Done,
    /// It failed, or its database failed before it could run (its lock, say).
    Failed,
}

/// The progress of a run over its [`StepGraph`].
#[derive(Debug)]
pub(crate) struct Schedule<'graph> {
    graph: &'graph StepGraph,
    states: Vec<StepState>,
    /// For each step, how many of the steps it waits for are not done.
    unfinished_predecessors: Vec<usize>,
    /// Steps already reported as waiting for other databases.
    announced_waiting: Vec<bool>,
}

impl<'graph> Schedule<'graph> {
    pub(crate) fn new(graph: &'graph StepGraph) -> Schedule<'graph> {
        let unfinished_predecessors = (0..graph.len()).map(|step| graph.predecessors(step).len()).collect();
        Schedule {
            graph,
            states: vec![StepState::Pending; graph.len()],
            unfinished_predecessors,
            announced_waiting: vec![false; graph.len()],
        }
    }

    /// The steps that may start now, the one with the longest remaining chain first, then by
    /// database name.
    pub(crate) fn ready(&self) -> Vec<StepId> {
        let mut ready: Vec<StepId> = (0..self.graph.len())
            .filter(|step| self.states[*step] == StepState::Pending && self.unfinished_predecessors[*step] == 0)
            .collect();
        ready.sort_by(|left, right| {
            self.graph
                .remaining_chain(*right)
                .cmp(&self.graph.remaining_chain(*left))
                .then_with(|| self.database_name_of(*left).cmp(self.database_name_of(*right)))
                .then(left.cmp(right))
        });
        ready
    }

    /// Marks `step` as running.
    pub(crate) fn start(&mut self, step: StepId) {
        self.states[step] = StepState::Running;
    }

    /// Marks `step` as done (committed): the steps waiting for it are one step closer to ready.
    pub(crate) fn finish(&mut self, step: StepId) {
        self.states[step] = StepState::Done;
        for successor in self.graph.successors(step) {
            self.unfinished_predecessors[successor] = self.unfinished_predecessors[successor].saturating_sub(1);
        }
    }

    /// Marks `step` as failed: it and every step that waits for it, directly or not, never run.
    pub(crate) fn fail(&mut self, step: StepId) {
        self.states[step] = StepState::Failed;
    }

    /// Marks the next step of `database_idx` as failed (its database failed outside a step, for
    /// example when taking its lock), so that what waits for it never starts.
    pub(crate) fn fail_database(&mut self, database_idx: usize) {
        if let Some(step) = self.next_step(database_idx) {
            self.fail(step);
        }
    }

    /// The first step of `database_idx` that has not started.
    pub(crate) fn next_step(&self, database_idx: usize) -> Option<StepId> {
        self.graph.steps_of(database_idx).find(|step| self.states[*step] == StepState::Pending)
    }

    /// The step of `database_idx` that is running, if any.
    pub(crate) fn running_step(&self, database_idx: usize) -> Option<StepId> {
        self.graph.steps_of(database_idx).find(|step| self.states[*step] == StepState::Running)
    }

    /// Whether a step of `database_idx` is running.
    pub(crate) fn is_running(&self, database_idx: usize) -> bool {
        self.running_step(database_idx).is_some()
    }

    /// The failed step that `step` waits for, directly or through others, if any (the first
    /// found breadth-first, nearest first).
    pub(crate) fn failed_ancestor(&self, step: StepId) -> Option<StepId> {
        let mut seen = vec![false; self.graph.len()];
        let mut queue = VecDeque::from([step]);
        while let Some(current) = queue.pop_front() {
            for predecessor in self.graph.predecessors(current) {
                if seen[predecessor] {
                    continue;
                }
                seen[predecessor] = true;
                if self.states[predecessor] == StepState::Failed {
                    return Some(predecessor);
                }
                queue.push_back(predecessor);
            }
        }
        None
    }

    /// Steps that have just come to wait for other databases, each reported once with the steps
    /// of other databases it still waits for: its database has nothing running and nothing
    /// before it left to do, but a cross-database dependency is not applied yet.
    pub(crate) fn newly_waiting(&mut self) -> Vec<(StepId, Vec<StepId>)> {
        let mut waiting = Vec::new();
        for database_idx in 0..self.graph.database_count() {
            let Some(step) = self.next_step(database_idx) else { continue };
            if self.announced_waiting[step] || self.unfinished_predecessors[step] == 0 {
                continue;
            }
            let range = self.graph.steps_of(database_idx);
            if step > range.start && self.states[step - 1] != StepState::Done {
                continue;
            }
            if self.failed_ancestor(step).is_some() {
                continue;
            }
            let waiting_for: Vec<StepId> = self
                .graph
                .cross_database_predecessors(step)
                .into_iter()
                .filter(|predecessor| self.states[*predecessor] != StepState::Done)
                .collect();
            self.announced_waiting[step] = true;
            waiting.push((step, waiting_for));
        }
        waiting
    }

    fn database_name_of(&self, step: StepId) -> &str {
        self.graph.database_name(self.graph.database_of(step))
    }
}
