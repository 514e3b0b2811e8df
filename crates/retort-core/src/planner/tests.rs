//! Worked examples of ALEMBIC_SEMANTICS.md §13, checked end to end through the public API.

use crate::plan::VersionChange;
use crate::{Revision, RevisionMap};

/// Builds a map from `id(down1 down2; dep1 dep2; label)` items separated by spaces between items
/// as `id:down1,down2:dep1,dep2:label`.
fn map(spec: &str) -> RevisionMap {
    let revisions = spec
        .split_whitespace()
        .map(|item| {
            let mut parts = item.split(':');
            let id = parts.next().unwrap_or_default();
            let list = |part: Option<&str>| -> Vec<String> {
                part.unwrap_or_default().split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
            };
            let downs = list(parts.next());
            let deps = list(parts.next());
            let labels = list(parts.next());
            Revision { id: id.to_owned(), down_revisions: downs, depends_on: deps, branch_labels: labels }
        })
        .collect();
    RevisionMap::new(revisions).expect("test graph builds")
}

fn rows(ids: &str) -> Vec<String> {
    ids.split_whitespace().map(str::to_owned).collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn diamond_upgrade_runs_the_later_branch_first() {
    let map = map("a b1:a b2:a c:b1,b2 d:c");
    let plan = map.upgrade(&[], "heads").expect("plan");
    assert_eq!(plan.revisions(), ["a", "b2", "b1", "c", "d"]);
    assert_eq!(plan.end_rows(), ["d"]);
}

#[test]
fn forest_upgrades_the_last_head_in_map_order_first() {
    let map = map("a1 b1:a1 a2 b2:a2");
    let plan = map.upgrade(&[], "heads").expect("plan");
    assert_eq!(plan.revisions(), ["a2", "b2", "a1", "b1"]);
    assert_eq!(sorted(plan.end_rows().to_vec()), ["b1", "b2"]);
}

const BRANCHED: &str = "a b:a c1:b::c1branch d1:c1 c2:b::c2branch d2:c2";

#[test]
fn branched_path_upgrade_inserts_the_second_branch_row() {
    let map = map(BRANCHED);
    let plan = map.upgrade(&rows("a"), "d1").expect("plan");
    assert_eq!(plan.revisions(), ["b", "c1", "d1"]);
    let plan = map.upgrade(&rows("d1"), "d2").expect("plan");
    assert_eq!(plan.revisions(), ["c2", "d2"]);
    assert_eq!(plan.steps[0].version_changes, [VersionChange::Insert("c2".into())]);
    assert_eq!(sorted(plan.end_rows().to_vec()), ["d1", "d2"]);
}

#[test]
fn branched_path_downgrade_to_a_removes_both_branches() {
    let map = map(BRANCHED);
    let plan = map.downgrade(&rows("d1 d2"), "a").expect("plan");
    assert_eq!(plan.revisions(), ["d1", "c1", "d2", "c2", "b"]);
    let changes: Vec<VersionChange> = plan.steps.iter().flat_map(|step| step.version_changes.clone()).collect();
    assert_eq!(
        changes,
        [
            VersionChange::Update { from: "d1".into(), to: "c1".into() },
            VersionChange::Delete("c1".into()),
            VersionChange::Update { from: "d2".into(), to: "c2".into() },
            VersionChange::Update { from: "c2".into(), to: "b".into() },
            VersionChange::Update { from: "b".into(), to: "a".into() },
        ]
    );
}

#[test]
fn label_scoped_relative_targets() {
    let map = map(BRANCHED);
    assert_eq!(map.downgrade(&rows("d2 d1"), "c2branch@base+2").expect("plan").revisions(), ["d2", "c2"]);
    assert_eq!(map.upgrade(&rows("c1"), "c2branch@+1").expect("plan").revisions(), ["c2"]);
    assert!(map.upgrade(&rows("c1 c2"), "+1").is_err());
}

#[test]
fn dependency_row_is_absorbed_by_its_dependant() {
    let map = map("lib1 app1 app2:app1:lib1");
    let plan = map.upgrade(&rows("app1 lib1"), "app2").expect("plan");
    assert_eq!(plan.revisions(), ["app2"]);
    assert_eq!(
        plan.steps[0].version_changes,
        [VersionChange::Delete("app1".into()), VersionChange::Update { from: "lib1".into(), to: "app2".into() }]
    );
}

#[test]
fn linear_relative_steps() {
    let map = map("a b:a c:b d:c e:d");
    assert_eq!(map.upgrade(&rows("a"), "+2").expect("plan").revisions(), ["b", "c"]);
    assert_eq!(map.upgrade(&rows("a"), "b+2").expect("plan").revisions(), ["b", "c", "d"]);
    assert_eq!(map.upgrade(&rows("a"), "d-2").expect("plan").revisions(), ["b"]);
    assert_eq!(map.downgrade(&rows("e"), "-3").expect("plan").revisions(), ["e", "d", "c"]);
    assert_eq!(map.downgrade(&rows("d"), "c-2").expect("plan").revisions(), ["d", "c", "b"]);
    let error = map.upgrade(&rows("b"), "+5").expect_err("too far");
    assert_eq!(error.to_string(), "relative revision +5 didn't produce 5 migrations");
}

/// A deterministic xorshift generator for the differential tests below.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }
}

/// A random DAG of up to 24 revisions: bases, branch points, merges of up to three parents,
/// depends_on edges (also on revisions that are already ancestors) and labels.
fn random_map(random: &mut Random) -> RevisionMap {
    let size = 2 + random.below(23);
    let mut revisions: Vec<Revision> = Vec::with_capacity(size);
    for index in 0..size {
        let mut down: Vec<String> = Vec::new();
        let parents = if index == 0 || random.below(10) == 0 { 0 } else { 1 + usize::from(random.below(4) == 0) + usize::from(random.below(8) == 0) };
        for _ in 0..parents {
            let parent = if random.below(2) == 0 { index - 1 - random.below(index.min(3)) } else { random.below(index) };
            let id = format!("r{parent}");
            if !down.contains(&id) {
                down.push(id);
            }
        }
        let mut depends_on: Vec<String> = Vec::new();
        if index > 0 && random.below(4) == 0 {
            depends_on.push(format!("r{}", random.below(index)));
        }
        let labels = if random.below(8) == 0 { vec![format!("l{index}")] } else { Vec::new() };
        revisions.push(Revision { id: format!("r{index}"), down_revisions: down, depends_on, branch_labels: labels });
    }
    RevisionMap::new(revisions).expect("random graph builds")
}

fn random_subset(random: &mut Random, size: usize) -> Vec<usize> {
    (0..size).filter(|_| random.below(4) == 0).collect()
}

/// The fast topological sort and the transcription of Alembic's agree on every set, convex or
/// not, reachable from the heads or not.
#[test]
fn topological_sort_agrees_with_alembics_ancestor_sets() {
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    for _ in 0..3000 {
        let map = random_map(&mut random);
        let heads = random_subset(&mut random, map.len());
        let rows = random_subset(&mut random, map.len());
        let mut upgrade_set = map.related(heads.iter().copied(), crate::graph::Walk::AncestorsWithDeps);
        upgrade_set.difference_with(&map.related(rows.iter().copied(), crate::graph::Walk::AncestorsWithDeps));
        let mut arbitrary = map.empty_set();
        for index in random_subset(&mut random, map.len()) {
            arbitrary.insert(index);
        }
        for set in [upgrade_set, arbitrary] {
            assert_eq!(
                map.topological_sort(&set, &heads),
                map.topological_sort_by_ancestor_sets(&set, &heads),
                "{:?} heads {heads:?} set {:?}",
                map.ids(),
                set.ones().collect::<Vec<_>>()
            );
        }
    }
}

/// Plans computed with the scope (short walks inside the applied set) equal plans computed
/// with a full ancestor walk at every merge point.
#[test]
fn scoped_row_changes_agree_with_full_ancestor_walks() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let map = random_map(&mut random);
        let rows: Vec<String> = random_subset(&mut random, map.len()).into_iter().map(|index| map.id(index).to_owned()).collect();
        let target = match random.below(3) {
            0 => "heads".to_owned(),
            1 => "base".to_owned(),
            _ => map.id(random.below(map.len())).to_owned(),
        };
        for direction in [crate::plan::Direction::Up, crate::plan::Direction::Down] {
            let plan = match direction {
                crate::plan::Direction::Up => map.upgrade(&rows, &target),
                crate::plan::Direction::Down => map.downgrade(&rows, &target),
            };
            let Ok(plan) = plan else { continue };
            let row_indices = map.row_indices(&rows).expect("rows are revisions");
            let order: Vec<usize> =
                plan.steps.iter().filter_map(|step| step.revision()).map(|id| map.index_of(id).expect("a revision")).collect();
            let unscoped = map.plan_in_scope(&rows, &row_indices, &order, direction, crate::rows::Scope::unbounded());
            assert_eq!(Ok(plan), unscoped, "{:?} rows {rows:?} target {target}", map.ids());
        }
    }
}
