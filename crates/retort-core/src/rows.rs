//! Version-table maintenance: Alembic's `HeadMaintainer.update_to_step` with `RevisionStep` and
//! `StampStep`, computed ahead of time so that online runs and `--sql` output agree.
//!
//! The rows are kept in row order: an INSERT appends, an UPDATE replaces in place, a DELETE
//! removes. Where Alembic picks from a Python set (which parent row to UPDATE at a merge, which
//! to INSERT at an unmerge), retort takes the declared `down_revision` order.

use std::collections::HashSet;

use crate::error::RevisionError;
use crate::graph::{RevSet, RevisionMap, Walk};
use crate::plan::{Action, Direction, Step, VersionChange};

/// The version rows as a plan is simulated.
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    rows: Vec<usize>,
}

impl Rows {
    pub(crate) fn new(rows: &[usize]) -> Self {
        let mut unique: Vec<usize> = Vec::with_capacity(rows.len());
        for &row in rows {
            if !unique.contains(&row) {
                unique.push(row);
            }
        }
        Rows { rows: unique }
    }

    pub(crate) fn as_slice(&self) -> &[usize] {
        &self.rows
    }

    fn contains(&self, index: usize) -> bool {
        self.rows.contains(&index)
    }
}

/// A set known to hold every ancestor of the simulated rows, kept up to date step by step, so
/// that "is this revision an ancestor of those rows?" can be answered by a short walk up from
/// the revision inside it, rather than by collecting every ancestor of the rows at each merge
/// point (O(n) per merge point). When a step would break what the set promises (a plan out of
/// topological order), it is dropped and the answers fall back to the full walk.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// Closed under ancestry (normalised down revisions) and holding every row.
    applied: Option<RevSet>,
}

impl Scope {
    /// The ancestors of `rows`, rows included.
    pub(crate) fn new(map: &RevisionMap, rows: &[usize]) -> Self {
        Scope { applied: Some(map.related(rows.iter().copied(), Walk::AncestorsWithDeps)) }
    }

    /// A scope that knows nothing: every answer comes from the full walk.
    #[cfg(test)]
    pub(crate) fn unbounded() -> Self {
        Scope { applied: None }
    }

    /// Follows a step: an upgraded revision joins the set once its parents are in it; a
    /// downgraded one leaves it once none of its children is left in it.
    pub(crate) fn advance(&mut self, map: &RevisionMap, revision: usize, direction: Direction) {
        let Some(applied) = self.applied.as_mut() else {
            return;
        };
        let still_closed = match direction {
            Direction::Up => map.normalized_down(revision).iter().all(|&parent| applied.contains(parent)),
            Direction::Down => {
                let mut child_left = false;
                map.for_each_normalized_child(revision, |child| child_left |= applied.contains(child));
                !child_left
            }
        };
        if still_closed {
            applied.set(revision, direction == Direction::Up);
        } else {
            self.applied = None;
        }
    }
}

impl RevisionMap {
    /// Whether `target` is one of `sources` or an ancestor (with dependencies) of one: the
    /// same answer as `related(sources, AncestorsWithDeps).contains(target)`.
    fn is_ancestor_of_any(&self, target: usize, sources: &[usize], scope: &Scope) -> bool {
        let Some(applied) = scope.applied.as_ref().filter(|applied| sources.iter().all(|&source| applied.contains(source)))
        else {
            return self.related(sources.iter().copied(), Walk::AncestorsWithDeps).contains(target);
        };
        // The set holds every ancestor of the sources.
        if !applied.contains(target) {
            return false;
        }
        // Every path from a source down to the target stays inside the set.
        let mut seen: HashSet<usize> = HashSet::new();
        let mut stack = vec![target];
        while let Some(index) = stack.pop() {
            if sources.contains(&index) {
                return true;
            }
            if !seen.insert(index) {
                continue;
            }
            self.for_each_normalized_child(index, |child| {
                if applied.contains(child) {
                    stack.push(child);
                }
            });
        }
        false
    }
}

/// Collects the changes of one step while keeping the simulated rows in sync.
struct Changes<'m> {
    map: &'m RevisionMap,
    revision: usize,
    changes: Vec<VersionChange>,
}

impl Changes<'_> {
    fn inconsistent(&self, detail: String) -> RevisionError {
        RevisionError::InconsistentRows { revision: self.map.id(self.revision).to_owned(), detail }
    }

    fn insert(&mut self, rows: &mut Rows, version: usize) -> Result<(), RevisionError> {
        if rows.contains(version) {
            return Err(self.inconsistent(format!("{} is already a version row", self.map.id(version))));
        }
        rows.rows.push(version);
        self.changes.push(VersionChange::Insert(self.map.id(version).to_owned()));
        Ok(())
    }

    fn delete(&mut self, rows: &mut Rows, version: usize) -> Result<(), RevisionError> {
        let Some(position) = rows.rows.iter().position(|&row| row == version) else {
            return Err(self.inconsistent(format!("{} is not a version row", self.map.id(version))));
        };
        rows.rows.remove(position);
        self.changes.push(VersionChange::Delete(self.map.id(version).to_owned()));
        Ok(())
    }

    fn update(&mut self, rows: &mut Rows, from: usize, to: usize) -> Result<(), RevisionError> {
        if rows.contains(to) {
            return Err(self.inconsistent(format!("{} is already a version row", self.map.id(to))));
        }
        let Some(position) = rows.rows.iter().position(|&row| row == from) else {
            return Err(self.inconsistent(format!("{} is not a version row", self.map.id(from))));
        };
        rows.rows[position] = to;
        self.changes.push(VersionChange::Update { from: self.map.id(from).to_owned(), to: self.map.id(to).to_owned() });
        Ok(())
    }
}

impl RevisionMap {
    /// One migration step and its version-table changes (`RevisionStep` + `update_to_step`).
    pub(crate) fn revision_step(&self, rows: &mut Rows, revision: usize, direction: Direction, scope: &Scope) -> Result<Step, RevisionError> {
        let node = self.node(revision);
        let downs = node.normalized_down.to_vec();
        let mut changes = Changes { map: self, revision, changes: Vec::new() };
        let present: Vec<usize> = downs.iter().copied().filter(|&down| rows.contains(down)).collect();
        match direction {
            Direction::Down if rows.contains(revision) && (downs.is_empty() || self.unmerge_targets(rows, revision, scope).is_empty()) => {
                changes.delete(rows, revision)?;
            }
            Direction::Up if downs.is_empty() || present.is_empty() => changes.insert(rows, revision)?,
            Direction::Up if downs.len() > 1 && present.len() > 1 => {
                let others: Vec<usize> = rows.as_slice().iter().copied().filter(|row| !downs.contains(row)).collect();
                let mut from: Vec<usize> = if others.is_empty() {
                    downs.clone()
                } else {
                    downs.iter().copied().filter(|&down| !self.is_ancestor_of_any(down, &others, scope)).collect()
                };
                // Alembic would fail here on a parent that is implied by another parent rather
                // than being a row itself; such a parent has nothing to delete.
                from.retain(|&down| rows.contains(down));
                let Some((&last, rest)) = from.split_last() else {
                    return Err(changes.inconsistent("none of its parents is a version row of its own".to_owned()));
                };
                for &down in rest {
                    changes.delete(rows, down)?;
                }
                changes.update(rows, last, revision)?;
            }
            Direction::Down if rows.contains(revision) && downs.len() > 1 => {
                let targets = self.unmerge_targets(rows, revision, scope);
                let Some((&last, rest)) = targets.split_last() else {
                    return Err(changes.inconsistent("it has no parent to return to".to_owned()));
                };
                for &target in rest {
                    changes.insert(rows, target)?;
                }
                changes.update(rows, revision, last)?;
            }
            _ => {
                let down = if downs.len() == 1 {
                    downs[0]
                } else {
                    match present.as_slice() {
                        [one] => *one,
                        _ => return Err(changes.inconsistent("it is not clear which parent row to update".to_owned())),
                    }
                };
                match direction {
                    Direction::Up => changes.update(rows, down, revision)?,
                    Direction::Down => changes.update(rows, revision, down)?,
                }
            }
        }
        let versioned_down: Vec<String> = node.down.iter().map(|&down| self.id(down).to_owned()).collect();
        let this = vec![self.id(revision).to_owned()];
        let (action, from, to) = match direction {
            Direction::Up => (Action::Upgrade(self.id(revision).to_owned()), versioned_down, this),
            Direction::Down => (Action::Downgrade(self.id(revision).to_owned()), this, versioned_down),
        };
        Ok(Step { action, from, to, version_changes: changes.changes, rows_after: self.names(rows.as_slice()) })
    }

    /// Alembic's `_unmerge_to_revisions`: the parents a downgraded revision leaves as rows,
    /// minus those still implied by the other rows; declared order.
    fn unmerge_targets(&self, rows: &Rows, revision: usize, scope: &Scope) -> Vec<usize> {
        let downs = self.normalized_down(revision);
        let others: Vec<usize> = rows.as_slice().iter().copied().filter(|&row| row != revision).collect();
        if others.is_empty() {
            downs
                .iter()
                .copied()
                .filter(|&down| !downs.iter().any(|&other| other != down && self.is_ancestor_of_any(down, &[other], scope)))
                .collect()
        } else {
            downs.iter().copied().filter(|&down| !self.is_ancestor_of_any(down, &others, scope)).collect()
        }
    }

    /// A stamp step (`StampStep` + `update_to_step`).
    pub(crate) fn stamp_step(&self, rows: &mut Rows, from: &[usize], to: Option<usize>, direction: Direction, branch_move: bool) -> Result<Step, RevisionError> {
        let reference = to.or_else(|| from.first().copied()).unwrap_or(0);
        let mut changes = Changes { map: self, revision: reference, changes: Vec::new() };
        let to_missing = to.is_some_and(|to| !rows.contains(to));
        let from_missing = from.iter().any(|&row| !rows.contains(row));
        if direction == Direction::Down && branch_move {
            match from {
                [one] => changes.delete(rows, *one)?,
                _ => return Err(changes.inconsistent("a branch delete needs exactly one row".to_owned())),
            }
        } else if direction == Direction::Up && (branch_move || from_missing) && to_missing {
            match to {
                Some(to) => changes.insert(rows, to)?,
                None => return Err(changes.inconsistent("nothing to insert".to_owned())),
            }
        } else {
            let Some(to) = to else {
                return Err(changes.inconsistent("nothing to update to".to_owned()));
            };
            let Some((&last, rest)) = from.split_last() else {
                return Err(changes.inconsistent("nothing to update from".to_owned()));
            };
            for &row in rest {
                changes.delete(rows, row)?;
            }
            changes.update(rows, last, to)?;
        }
        Ok(Step {
            action: Action::Stamp(direction),
            from: self.names(from),
            to: to.map(|to| vec![self.id(to).to_owned()]).unwrap_or_default(),
            version_changes: changes.changes,
            rows_after: self.names(rows.as_slice()),
        })
    }
}
