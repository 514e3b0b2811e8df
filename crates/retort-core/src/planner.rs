//! Upgrade and downgrade plans: Alembic's `_collect_upgrade_revisions`,
//! `_collect_downgrade_revisions` and `_topological_sort`, then the version-table changes of
//! every step.
//!
//! An upgrade runs the revisions the targets need (with their dependencies, across bases) that
//! the current rows do not already imply, in the reverse of a head-first depth-first order: the
//! head that comes last in map order is upgraded first. A downgrade removes everything above the
//! target that is applied, including revisions on other lines that depend on it.

use crate::error::RevisionError;
use crate::graph::{RevSet, RevisionMap, Walk};
use crate::plan::{Direction, Plan};
use crate::rows::{Rows, Scope};

/// The upgrade plan from `rows` to `target`.
pub(crate) fn upgrade(map: &RevisionMap, rows: &[String], target: &str) -> Result<Plan, RevisionError> {
    reject_range(target)?;
    let row_indices = map.row_indices(rows)?;
    let targets = map.parse_upgrade_target(&row_indices, target, true)?;
    let mut needs = map.ancestors_checked(&targets)?;
    for &target in &targets {
        needs.insert(target);
    }
    let mut applied = map.ancestors_checked(&row_indices)?;
    for &row in &row_indices {
        applied.insert(row);
    }
    needs.difference_with(&applied);
    let mut order = map.topological_sort(&needs, &targets).map_err(|left| map.unreachable(&left))?;
    order.reverse();
    map.plan(rows, &row_indices, &order, Direction::Up)
}

/// The downgrade plan from `rows` to `target`.
pub(crate) fn downgrade(map: &RevisionMap, rows: &[String], target: &str) -> Result<Plan, RevisionError> {
    reject_range(target)?;
    let row_indices = map.row_indices(rows)?;
    let (label, target_revision) = map.parse_downgrade_target(&row_indices, target, true)?;
    let mut roots: Vec<usize> = match target_revision {
        None => map.bases.clone(),
        Some(index) => map.nextrev(index).to_vec(),
    };
    if let Some(label) = label.as_deref().filter(|_| roots.len() > 1) {
        let branch = map.resolve_branch(label)?;
        let ancestors = map.related([branch], Walk::Ancestors);
        roots.retain(|&root| ancestors.contains(root));
        if roots.is_empty() {
            return Err(not_valid(map, target, "downgrade", &row_indices));
        }
    }
    let mut drops = map.related(roots.iter().copied(), Walk::DescendantsWithDeps);
    drops.intersect_with(&map.related(row_indices.iter().copied(), Walk::AncestorsWithDeps));
    if let Some(index) = target_revision
        && drops.is_clear() && !row_indices.contains(&index) {
            return Err(not_valid(map, target, "downgrade", &row_indices));
        }
    let order = map.topological_sort(&drops, &row_indices).map_err(|left| map.unreachable(&left))?;
    map.plan(rows, &row_indices, &order, Direction::Down)
}

fn not_valid(map: &RevisionMap, destination: &str, direction: &'static str, rows: &[usize]) -> RevisionError {
    RevisionError::NotValidTarget { destination: destination.to_owned(), direction, current: map.names(rows) }
}

/// An empty target is a mistake, and a `start:end` range only makes sense for `--sql` and `history -r`, which split it first.
fn reject_range(target: &str) -> Result<(), RevisionError> {
    if target.trim().is_empty() || target.trim() == "@" {
        return Err(RevisionError::EmptyTarget);
    }
    if target.contains(':') {
        return Err(RevisionError::RangeNotAllowed { range: target.to_owned() });
    }
    Ok(())
}

impl RevisionMap {
    /// Turns an ordered list of revisions into steps with their version-table changes.
    pub(crate) fn plan(&self, rows: &[String], row_indices: &[usize], order: &[usize], direction: Direction) -> Result<Plan, RevisionError> {
        self.plan_in_scope(rows, row_indices, order, direction, Scope::new(self, row_indices))
    }

    /// `plan` with the given scope (the tests pass one that always walks every ancestor).
    pub(crate) fn plan_in_scope(&self, rows: &[String], row_indices: &[usize], order: &[usize], direction: Direction, mut scope: Scope) -> Result<Plan, RevisionError> {
        let mut simulated = Rows::new(row_indices);
        let mut steps = Vec::with_capacity(order.len());
        for &revision in order {
            steps.push(self.revision_step(&mut simulated, revision, direction, &scope)?);
            scope.advance(self, revision, direction);
        }
        Ok(Plan { start_rows: rows.to_vec(), steps })
    }

    /// Ancestors with dependencies of `targets` (targets included), failing when one target is
    /// an ancestor of another, as Alembic's `_iterate_related_revisions(check=True)` does.
    pub(crate) fn ancestors_checked(&self, targets: &[usize]) -> Result<RevSet, RevisionError> {
        let mut seen = self.empty_set();
        for &target in targets {
            let mut reached: Vec<usize> = Vec::new();
            let mut stack = vec![target];
            while let Some(index) = stack.pop() {
                reached.push(index);
                if seen.put(index) {
                    continue;
                }
                stack.extend(self.normalized_down(index).iter().copied());
            }
            let mut overlaps: Vec<usize> =
                targets.iter().copied().filter(|&other| other != target && reached.contains(&other)).collect();
            if !overlaps.is_empty() {
                overlaps.sort_unstable();
                overlaps.dedup();
                return Err(RevisionError::Overlap { revision: self.id(target).to_owned(), others: self.names(&overlaps) });
            }
        }
        Ok(seen)
    }

    /// The error for revisions a plan needs that its heads do not reach (never expected: the
    /// plans are closed under ancestry).
    fn unreachable(&self, left: &[usize]) -> RevisionError {
        RevisionError::InconsistentRows {
            revision: left.first().map_or_else(String::new, |&index| self.id(index).to_owned()),
            detail: format!("revisions {} are not reachable from the plan's heads", self.names(left).join(", ")),
        }
    }

    /// Alembic's `_topological_sort`: a descending order (children before parents) of
    /// `revisions`, walking depth-first down from `heads` in map order and switching to another
    /// line whenever the next revision is still needed by it. Revisions the heads never reach
    /// are returned as the error.
    ///
    /// Alembic keeps the full ancestor set of every current head and, for each candidate, asks
    /// which head (first in list order) has it as an ancestor. When `revisions` is convex (no
    /// revision outside it lies on a path between two inside it; true of every upgrade and
    /// downgrade set), every path from a head to the candidate runs through revisions still to
    /// emit, so: the candidate is needed by another head exactly when one of its children is
    /// still to emit (a counter per revision), and only then is the owning head looked for, by
    /// walking up from the candidate through those children. That answers every question
    /// Alembic asks with the same answer, in time linear in the graph for the usual shapes,
    /// instead of one full ancestor walk per merge point, branch point and dependency.
    pub(crate) fn topological_sort(&self, revisions: &RevSet, heads: &[usize]) -> Result<Vec<usize>, Vec<usize>> {
        if !self.is_convex(revisions) {
            return self.topological_sort_by_ancestor_sets(revisions, heads);
        }
        let mut todo = revisions.clone();
        let mut remaining = todo.count_ones(..);
        let mut current_heads: Vec<usize> = heads.iter().copied().filter(|&head| todo.contains(head)).collect();
        current_heads.sort_unstable();
        current_heads.dedup();
        // Children (through normalised down revisions) of each revision that are still to emit.
        let mut pending_children: Vec<u32> = vec![0; self.len()];
        for child in todo.ones() {
            for &parent in self.normalized_down(child) {
                if todo.contains(parent) {
                    pending_children[parent] += 1;
                }
            }
        }
        let mut search = UpwardSearch::default();
        let mut output = Vec::with_capacity(remaining);
        let mut candidate_position = 0;
        while !current_heads.is_empty() {
            let candidate = current_heads[candidate_position];
            if pending_children[candidate] > 0
                && let Some(position) = search.first_head_above(self, candidate, candidate_position, &current_heads, &todo)
            {
                candidate_position = position;
                continue;
            }
            if todo.contains(candidate) {
                output.push(candidate);
                todo.set(candidate, false);
                remaining -= 1;
                for &parent in self.normalized_down(candidate) {
                    if todo.contains(parent) {
                        pending_children[parent] -= 1;
                    }
                }
            }
            let heads_to_add: Vec<usize> = self
                .normalized_down(candidate)
                .iter()
                .copied()
                .filter(|&down| todo.contains(down) && !current_heads.contains(&down))
                .collect();
            match heads_to_add.split_first() {
                None => {
                    current_heads.remove(candidate_position);
                    candidate_position = candidate_position.saturating_sub(1);
                }
                Some((&first, rest)) => {
                    current_heads[candidate_position] = first;
                    current_heads.extend_from_slice(rest);
                }
            }
        }
        if remaining != 0 {
            return Err(todo.ones().collect());
        }
        Ok(output)
    }

    /// Whether no revision outside `set` lies on a path (through normalised down revisions)
    /// between two revisions inside it.
    fn is_convex(&self, set: &RevSet) -> bool {
        let mut below = self.empty_set();
        let mut stack: Vec<usize> = Vec::new();
        for member in set.ones() {
            stack.extend(self.normalized_down(member).iter().copied().filter(|&parent| !set.contains(parent)));
        }
        while let Some(index) = stack.pop() {
            if below.put(index) {
                continue;
            }
            stack.extend(self.normalized_down(index).iter().copied().filter(|&parent| !set.contains(parent)));
        }
        if below.is_clear() {
            return true;
        }
        let mut above = self.empty_set();
        for member in set.ones() {
            self.for_each_normalized_child(member, |child| {
                if !set.contains(child) {
                    stack.push(child);
                }
            });
        }
        while let Some(index) = stack.pop() {
            if below.contains(index) {
                return false;
            }
            if above.put(index) {
                continue;
            }
            self.for_each_normalized_child(index, |child| {
                if !set.contains(child) {
                    stack.push(child);
                }
            });
        }
        true
    }

    /// Calls `visit` with each revision that has `index` among its normalised down revisions.
    pub(crate) fn for_each_normalized_child(&self, index: usize, mut visit: impl FnMut(usize)) {
        for &child in self.all_nextrev(index) {
            if self.normalized_down(child).contains(&index) {
                visit(child);
            }
        }
    }
}

/// The walk up from a candidate that finds which current head needs it, with its scratch space
/// kept between calls.
#[derive(Default)]
struct UpwardSearch {
    seen: std::collections::HashSet<usize>,
    stack: Vec<usize>,
}

impl UpwardSearch {
    /// The first position in `heads`, other than `skip`, whose head has `candidate` as an
    /// ancestor, walking up from `candidate` through the revisions still to emit (`todo`).
    fn first_head_above(&mut self, map: &RevisionMap, candidate: usize, skip: usize, heads: &[usize], todo: &RevSet) -> Option<usize> {
        self.seen.clear();
        self.stack.clear();
        self.stack.push(candidate);
        while let Some(index) = self.stack.pop() {
            if !self.seen.insert(index) {
                continue;
            }
            let stack = &mut self.stack;
            map.for_each_normalized_child(index, |child| {
                if todo.contains(child) {
                    stack.push(child);
                }
            });
        }
        heads.iter().enumerate().position(|(position, head)| position != skip && self.seen.contains(head))
    }
}

impl RevisionMap {
    /// Alembic's `_topological_sort` transcribed as it is: one ancestor set per current head,
    /// recomputed whenever a head moves past a merge point, branch point or dependency, which
    /// is O(n) per such revision. `topological_sort` answers the same questions faster and
    /// falls back to this when `revisions` is not convex; the tests compare the two.
    pub(crate) fn topological_sort_by_ancestor_sets(&self, revisions: &RevSet, heads: &[usize]) -> Result<Vec<usize>, Vec<usize>> {
        let mut todo = revisions.clone();
        let mut remaining = todo.count_ones(..);
        let mut current_heads: Vec<usize> = heads.iter().copied().filter(|&head| todo.contains(head)).collect();
        current_heads.sort_unstable();
        current_heads.dedup();
        let mut ancestors_by_head: Vec<RevSet> =
            current_heads.iter().map(|&head| self.related([head], Walk::AncestorsWithDeps)).collect();
        let mut output = Vec::with_capacity(remaining);
        let mut candidate_position = 0;
        while !current_heads.is_empty() {
            let candidate = current_heads[candidate_position];
            let needed_by = ancestors_by_head
                .iter()
                .enumerate()
                .position(|(position, ancestors)| position != candidate_position && ancestors.contains(candidate));
            if let Some(position) = needed_by {
                candidate_position = position;
                continue;
            }
            if todo.contains(candidate) {
                output.push(candidate);
                todo.set(candidate, false);
                remaining -= 1;
            }
            let node = self.node(candidate);
            let heads_to_add: Vec<usize> = node
                .normalized_down
                .iter()
                .copied()
                .filter(|&down| todo.contains(down) && !current_heads.contains(&down))
                .collect();
            match heads_to_add.split_first() {
                None => {
                    current_heads.remove(candidate_position);
                    ancestors_by_head.remove(candidate_position);
                    candidate_position = candidate_position.saturating_sub(1);
                }
                Some((&first, _)) if !node.has_normalized_deps && node.down.len() == 1 => {
                    current_heads[candidate_position] = first;
                    ancestors_by_head[candidate_position].set(candidate, false);
                }
                Some((&first, rest)) => {
                    current_heads[candidate_position] = first;
                    ancestors_by_head[candidate_position] = self.related([first], Walk::AncestorsWithDeps);
                    for &other in rest {
                        current_heads.push(other);
                        ancestors_by_head.push(self.related([other], Walk::AncestorsWithDeps));
                    }
                }
            }
        }
        if remaining != 0 {
            return Err(todo.ones().collect());
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests;
