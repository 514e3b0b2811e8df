//! The plan that takes given revisions back out of a database, for rolling back a whole run:
//! a downgrade whose starting points are named revisions rather than a target below them.
//!
//! Alembic's downgrade removes every applied descendant of the target's children; this removes
//! every applied descendant of the named revisions (the revisions included), in the same
//! order and with the same version-table changes (`planner.rs`). The caller (the
//! orchestrator's rollback) checks that what the plan removes is exactly what the run applied.

use crate::error::RevisionError;
use crate::graph::{RevisionMap, Walk};
use crate::plan::{Direction, Plan};

impl RevisionMap {
    /// The downgrade plan from `rows` that removes `revisions` and every applied revision that
    /// depends on them (their descendants, through `down_revision` and `depends_on`). Revisions
    /// that are not applied are ignored; an unknown id is an error.
    pub fn downgrade_removing(&self, rows: &[String], revisions: &[String]) -> Result<Plan, RevisionError> {
        let row_indices = self.row_indices(rows)?;
        let mut roots = Vec::with_capacity(revisions.len());
        for id in revisions {
            roots.push(self.index_of(id).ok_or_else(|| RevisionError::UnknownRevision { id: id.clone() })?);
        }
        let mut drops = self.related(roots, Walk::DescendantsWithDeps);
        drops.intersect_with(&self.related(row_indices.iter().copied(), Walk::AncestorsWithDeps));
        let order = self.topological_sort(&drops, &row_indices).map_err(|left| RevisionError::InconsistentRows {
            revision: left.first().map_or_else(String::new, |&index| self.id(index).to_owned()),
            detail: format!("revisions {} are not reachable from the plan's heads", self.names(&left).join(", ")),
        })?;
        self.plan(rows, &row_indices, &order, Direction::Down)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Action, Revision, RevisionMap};

    fn map(revisions: &[(&str, &[&str])]) -> RevisionMap {
        RevisionMap::new(revisions.iter().map(|(id, down)| Revision::new(*id, down)).collect()).expect("valid graph")
    }

    fn check(map: &RevisionMap, rows: &[&str], remove: &[&str], expect: &[&str], rows_after: &[&str]) {
        let rows: Vec<String> = rows.iter().map(|row| (*row).to_owned()).collect();
        let remove: Vec<String> = remove.iter().map(|id| (*id).to_owned()).collect();
        let plan = map.downgrade_removing(&rows, &remove).expect("a plan");
        let steps: Vec<&str> = plan
            .steps
            .iter()
            .map(|step| match &step.action {
                Action::Downgrade(id) => id.as_str(),
                other => panic!("not a downgrade: {other:?}"),
            })
            .collect();
        assert_eq!(steps, expect);
        let mut end: Vec<&str> = plan.end_rows().iter().map(String::as_str).collect();
        end.sort_unstable();
        assert_eq!(end, rows_after);
    }

    #[test]
    fn a_line_is_removed_from_the_top() {
        let map = map(&[("a", &[]), ("b", &["a"]), ("c", &["b"])]);
        check(&map, &["c"], &["b", "c"], &["c", "b"], &["a"]);
        check(&map, &["c"], &["a", "b", "c"], &["c", "b", "a"], &[]);
    }

    #[test]
    fn removing_a_merge_leaves_both_parents() {
        let map = map(&[("a", &[]), ("b", &["a"]), ("c", &["a"]), ("m", &["b", "c"])]);
        check(&map, &["m"], &["m"], &["m"], &["b", "c"]);
    }

    #[test]
    fn applied_descendants_go_too_and_unapplied_ones_are_ignored() {
        let map = map(&[("a", &[]), ("b", &["a"]), ("c", &["b"]), ("d", &["c"])]);
        check(&map, &["c"], &["b"], &["c", "b"], &["a"]);
        let error = map.downgrade_removing(&["c".to_owned()], &["zz".to_owned()]).expect_err("unknown");
        assert_eq!(error.to_string(), "no such revision or branch 'zz'; please ensure at least four characters are present for partial revision identifier matches");
    }
}
