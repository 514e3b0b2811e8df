//! Version-table maintenance: Alembic's `HeadMaintainer.update_to_step` with `RevisionStep` and
//! `StampStep`, computed ahead of time so that online runs and `--sql` output agree.
//!
//! The rows are kept in row order: an INSERT appends, an UPDATE replaces in place, a DELETE
//! removes. Where Alembic picks from a Python set (which parent row to UPDATE at a merge, which
//! to INSERT at an unmerge), retort takes the declared `down_revision` order.

use crate::error::RevisionError;
use crate::graph::{RevisionMap, Walk};
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
    pub(crate) fn revision_step(&self, rows: &mut Rows, revision: usize, direction: Direction) -> Result<Step, RevisionError> {
        let node = &self.nodes[revision];
        let downs = node.normalized_down.clone();
        let mut changes = Changes { map: self, revision, changes: Vec::new() };
        let present: Vec<usize> = downs.iter().copied().filter(|&down| rows.contains(down)).collect();
        match direction {
            Direction::Down if rows.contains(revision) && (downs.is_empty() || self.unmerge_targets(rows, revision).is_empty()) => {
                changes.delete(rows, revision)?;
            }
            Direction::Up if downs.is_empty() || present.is_empty() => changes.insert(rows, revision)?,
            Direction::Up if downs.len() > 1 && present.len() > 1 => {
                let others: Vec<usize> = rows.as_slice().iter().copied().filter(|row| !downs.contains(row)).collect();
                let mut from: Vec<usize> = if others.is_empty() {
                    downs.clone()
                } else {
                    let ancestors = self.related(others, Walk::AncestorsWithDeps);
                    downs.iter().copied().filter(|&down| !ancestors.contains(down)).collect()
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
                let targets = self.unmerge_targets(rows, revision);
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
    fn unmerge_targets(&self, rows: &Rows, revision: usize) -> Vec<usize> {
        let downs = &self.nodes[revision].normalized_down;
        let others: Vec<usize> = rows.as_slice().iter().copied().filter(|&row| row != revision).collect();
        if others.is_empty() {
            downs
                .iter()
                .copied()
                .filter(|&down| {
                    !downs.iter().any(|&other| {
                        other != down && {
                            let mut ancestors = self.related([other], Walk::AncestorsWithDeps);
                            ancestors.set(other, false);
                            ancestors.contains(down)
                        }
                    })
                })
                .collect()
        } else {
            let ancestors = self.related(others, Walk::AncestorsWithDeps);
            downs.iter().copied().filter(|&down| !ancestors.contains(down)).collect()
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
