//! Property tests of the revision graph: random DAGs (several bases, branch points, merges,
//! same-database depends_on, branch labels) and what must hold for every one of them: upgrade
//! and downgrade plans are topological, every step's version rows follow from its changes and
//! add or remove exactly its revision, round trips come back, no plan repeats or skips a
//! revision, and no target string or revision list makes anything panic.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use retort_core::{Plan, Revision, RevisionError, RevisionMap, VersionChange};

/// The largest generated graph.
pub(crate) const MAX_REVISIONS: usize = 40;

/// The raw choices behind one revision; `build_dag` turns them into a revision whose parents and
/// dependencies are earlier revisions, so the graph is a DAG by construction. The choices shrink
/// towards a plain chain (one parent, the previous revision, nothing else).
#[derive(Debug, Clone)]
pub(crate) struct NodeChoice {
    parent_kind: u8,
    parents: [Index; 3],
    far: [bool; 3],
    dep_kind: u8,
    deps: [Index; 2],
    dep_by_label: [bool; 2],
    label: bool,
}

fn node_choice() -> impl Strategy<Value = NodeChoice> {
    (
        0u8..100,
        any::<[Index; 3]>(),
        any::<[bool; 3]>(),
        0u8..100,
        any::<[Index; 2]>(),
        any::<[bool; 2]>(),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(parent_kind, parents, far, dep_kind, deps, dep_by_label, label)| NodeChoice {
            parent_kind,
            parents,
            far,
            dep_kind,
            deps,
            dep_by_label,
            label,
        })
}

/// A generated graph: revisions in load order.
#[derive(Clone)]
pub(crate) struct Dag {
    pub(crate) revisions: Vec<Revision>,
    /// No revision has two parents or dependencies of which one is an ancestor (with
    /// dependencies) of the other. Alembic's version-table maintenance only keeps the rows an
    /// antichain on such graphs: downgrading `c(a; deps b)` with `b(a)` while another row is
    /// present re-inserts both `a` and `b` (Alembic 1.20.1 does so too), and upgrading through
    /// `y(x; deps b, c)` with `c(b)` is one of Alembic's crash cases.
    pub(crate) tidy: bool,
}

impl fmt::Debug for Dag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `id(down; deps; labels)` in load order, the notation of the spec's worked examples.
        let parts: Vec<String> = self
            .revisions
            .iter()
            .map(|r| {
                let mut text = format!("{}({}", r.id, r.down_revisions.join(","));
                if !r.depends_on.is_empty() || !r.branch_labels.is_empty() {
                    text.push_str(&format!("; {}", r.depends_on.join(",")));
                }
                if !r.branch_labels.is_empty() {
                    text.push_str(&format!("; {}", r.branch_labels.join(",")));
                }
                text.push(')');
                text
            })
            .collect();
        write!(f, "{}[{}]", if self.tidy { "tidy " } else { "" }, parts.join(" "))
    }
}

impl Dag {
    pub(crate) fn map(&self) -> RevisionMap {
        match RevisionMap::new(self.revisions.clone()) {
            Ok(map) => map,
            Err(error) => panic!("a generated DAG must load: {error}\n{self:?}"),
        }
    }

    pub(crate) fn ids(&self) -> Vec<String> {
        self.revisions.iter().map(|r| r.id.clone()).collect()
    }

    pub(crate) fn labels(&self) -> Vec<String> {
        self.revisions.iter().flat_map(|r| r.branch_labels.iter().cloned()).collect()
    }

    /// Every revision a revision needs before it: its down_revisions and its depends_on (labels
    /// resolved to the revision that declares them).
    pub(crate) fn needs(&self) -> HashMap<String, Vec<String>> {
        let mut by_key: HashMap<&str, &str> = HashMap::new();
        for r in &self.revisions {
            by_key.insert(&r.id, &r.id);
            for label in &r.branch_labels {
                by_key.insert(label, &r.id);
            }
        }
        self.revisions
            .iter()
            .map(|r| {
                let mut needs = r.down_revisions.clone();
                needs.extend(r.depends_on.iter().map(|d| by_key[d.as_str()].to_owned()));
                (r.id.clone(), needs)
            })
            .collect()
    }
}

/// Revision ids: short enough to read, long enough for partial matches (`rv1` is ambiguous,
/// `rv12` is a unique prefix of `rv12x`).
pub(crate) fn rev_id(index: usize) -> String {
    format!("rv{index}x")
}

/// Turns raw choices into a DAG. Parents are earlier revisions (0 = a new base, 2-3 = a merge);
/// dependencies are earlier revisions that are not already ancestors of the new one. When
/// `tidy`, a revision's parents and dependencies are pairwise unrelated.
pub(crate) fn build_dag(choices: &[NodeChoice], with_deps: bool, tidy: bool) -> Dag {
    // Ancestors (through parents and dependencies) of each revision, as bit masks.
    let mut ancestors: Vec<u64> = Vec::with_capacity(choices.len());
    let mut revisions: Vec<Revision> = Vec::with_capacity(choices.len());
    for (i, choice) in choices.iter().enumerate() {
        let parent_count = match (i, choice.parent_kind) {
            (0, _) => 0,
            (_, 0..65) => 1,
            (_, 65..80) => 2,
            (_, 80..87) => 3,
            _ => 0,
        };
        let related = |a: usize, b: usize| a == b || ancestors[a] & (1 << b) != 0 || ancestors[b] & (1 << a) != 0;
        let mut down: Vec<usize> = Vec::new();
        for j in 0..parent_count {
            // The previous three revisions, or any earlier one.
            let range = if choice.far[j] { 0..i } else { i.saturating_sub(3)..i };
            let candidates: Vec<usize> = range.rev().filter(|&c| !down.iter().any(|&d| if tidy { related(c, d) } else { c == d })).collect();
            if candidates.is_empty() {
                break;
            }
            down.push(candidates[choice.parents[j].index(candidates.len())]);
        }
        let mut mask: u64 = 0;
        for &parent in &down {
            mask |= ancestors[parent] | (1 << parent);
        }
        let mut deps: Vec<usize> = Vec::new();
        if with_deps && i > 0 {
            let dep_count = match choice.dep_kind {
                0..70 => 0,
                70..92 => 1,
                _ => 2,
            };
            for j in 0..dep_count {
                let candidates: Vec<usize> = (0..i)
                    .filter(|&c| mask & (1 << c) == 0 && !deps.contains(&c))
                    .filter(|&c| !tidy || !down.iter().chain(&deps).any(|&other| related(c, other)))
                    .collect();
                if candidates.is_empty() {
                    break;
                }
                deps.push(candidates[choice.deps[j].index(candidates.len())]);
            }
        }
        for &dep in &deps {
            mask |= ancestors[dep] | (1 << dep);
        }
        ancestors.push(mask);
        let depends_on: Vec<String> = deps
            .iter()
            .enumerate()
            .map(|(j, &dep)| match revisions[dep].branch_labels.first() {
                Some(label) if choice.dep_by_label[j] => label.clone(),
                _ => rev_id(dep),
            })
            .collect();
        revisions.push(Revision {
            id: rev_id(i),
            down_revisions: down.iter().map(|&d| rev_id(d)).collect(),
            depends_on,
            branch_labels: if choice.label { vec![format!("lb{i}")] } else { Vec::new() },
        });
    }
    Dag { revisions, tidy }
}

/// Random DAGs of 1 to `max` revisions.
pub(crate) fn dag_strategy(max: usize, with_deps: bool, tidy: bool) -> impl Strategy<Value = Dag> {
    prop::collection::vec(node_choice(), 1..=max).prop_map(move |choices| build_dag(&choices, with_deps, tidy))
}

/// Random DAGs: with depends_on half of the time, tidy three times out of four.
fn any_dag() -> impl Strategy<Value = Dag> {
    prop_oneof![
        3 => dag_strategy(MAX_REVISIONS, false, true),
        3 => dag_strategy(MAX_REVISIONS, true, true),
        1 => dag_strategy(MAX_REVISIONS, false, false),
        1 => dag_strategy(MAX_REVISIONS, true, false),
    ]
}

fn set(items: impl IntoIterator<Item = impl Into<String>>) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

fn applied(map: &RevisionMap, rows: &[String]) -> Result<BTreeSet<String>, TestCaseError> {
    map.applied(rows).map(set).map_err(|e| TestCaseError::fail(format!("applied({rows:?}): {e}")))
}

fn ok<T>(what: impl fmt::Display, result: Result<T, RevisionError>) -> Result<T, TestCaseError> {
    result.map_err(|e| TestCaseError::fail(format!("{what}: {e}")))
}

/// A state reached from `[]` by one to three upgrades and downgrades to random revisions; errors
/// (a downgrade target above the state, say) leave the state as it was.
/// On an untidy graph only upgrades are used (downgrades may leave rows that are not an antichain,
/// in Alembic too).
pub(crate) fn reach(dag: &Dag, map: &RevisionMap, moves: &[(bool, Index)]) -> Vec<String> {
    let ids = dag.ids();
    let mut rows: Vec<String> = Vec::new();
    for (i, (down, pick)) in moves.iter().enumerate() {
        let target = &ids[pick.index(ids.len())];
        let plan = if *down && i > 0 && dag.tidy { map.downgrade(&rows, target) } else { map.upgrade(&rows, target) };
        if let Ok(plan) = plan {
            rows = plan.end_rows().to_vec();
        }
    }
    rows
}

fn moves() -> impl Strategy<Value = Vec<(bool, Index)>> {
    prop::collection::vec((prop::bool::weighted(0.3), any::<Index>()), 1..=3)
}

/// Property 2: every step's rows follow from its changes, and it applies or removes exactly its
/// revision. Property 4: no revision twice; an upgrade runs only unapplied revisions and a
/// downgrade only applied ones.
fn check_plan(map: &RevisionMap, plan: &Plan, what: &str) -> Result<(), TestCaseError> {
    let mut rows: Vec<String> = plan.start_rows.clone();
    let start = applied(map, &rows)?;
    let mut current = start.clone();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (n, step) in plan.steps.iter().enumerate() {
        for change in &step.version_changes {
            match change {
                VersionChange::Insert(id) => {
                    prop_assert!(!rows.contains(id), "{what}: step {n} inserts {id} into {rows:?}");
                    rows.push(id.clone());
                }
                VersionChange::Delete(id) => {
                    let at = rows.iter().position(|r| r == id);
                    prop_assert!(at.is_some(), "{what}: step {n} deletes {id} from {rows:?}");
                    rows.remove(at.unwrap_or_default());
                }
                VersionChange::Update { from, to } => {
                    prop_assert!(!rows.contains(to), "{what}: step {n} updates to {to}, already in {rows:?}");
                    let at = rows.iter().position(|r| r == from);
                    prop_assert!(at.is_some(), "{what}: step {n} updates {from}, not in {rows:?}");
                    rows[at.unwrap_or_default()] = to.clone();
                }
            }
        }
        prop_assert_eq!(&rows, &step.rows_after, "{}: step {} rows_after", what, n);
        let revision = step.revision().map(str::to_owned);
        prop_assert!(revision.is_some(), "{what}: step {n} of an upgrade/downgrade is a stamp");
        let revision = revision.unwrap_or_default();
        prop_assert!(seen.insert(revision.clone()), "{what}: {revision} runs twice");
        let mut expected = current.clone();
        match step.direction() {
            retort_core::Direction::Up => {
                prop_assert!(!start.contains(&revision), "{what}: upgrade runs {revision}, applied at the start");
                expected.insert(revision.clone());
            }
            retort_core::Direction::Down => {
                prop_assert!(start.contains(&revision), "{what}: downgrade runs {revision}, not applied at the start");
                expected.remove(&revision);
            }
        }
        let after = applied(map, &rows)?;
        prop_assert_eq!(&after, &expected, "{}: applied after step {} ({})", what, n, revision);
        current = after;
    }
    Ok(())
}

/// Rows no one of which is an ancestor (with dependencies) of another.
fn check_antichain(map: &RevisionMap, rows: &[String], what: &str) -> Result<(), TestCaseError> {
    for row in rows {
        let below = applied(map, std::slice::from_ref(row))?;
        for other in rows {
            prop_assert!(other == row || !below.contains(other), "{what}: row {other} is below row {row} in {rows:?}");
        }
    }
    Ok(())
}

/// Property 1 and the downgrade half of property 3 on one graph.
fn check_full_round_trip(dag: &Dag) -> Result<(), TestCaseError> {
    let map = dag.map();
    let needs = dag.needs();
    let all = set(dag.ids());

    let up = ok("upgrade [] heads", map.upgrade(&[], "heads"))?;
    check_plan(&map, &up, "upgrade [] heads")?;
    let order = up.revisions();
    prop_assert_eq!(order.len(), dag.revisions.len(), "every revision once: {:?}", order);
    let position: HashMap<&str, usize> = order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for (id, before) in &needs {
        for need in before {
            prop_assert!(position[need.as_str()] < position[id.as_str()], "{need} must run before {id}: {order:?}");
        }
    }
    let heads_rows = up.end_rows().to_vec();
    check_antichain(&map, &heads_rows, "upgrade [] heads")?;
    prop_assert_eq!(applied(&map, &heads_rows)?, all.clone());
    prop_assert_eq!(set(heads_rows.clone()), set(map.real_heads()), "rows after upgrading heads are the real heads");

    let down = ok(format!("downgrade {heads_rows:?} base"), map.downgrade(&heads_rows, "base"))?;
    check_plan(&map, &down, "downgrade heads base")?;
    let order = down.revisions();
    prop_assert_eq!(order.len(), dag.revisions.len(), "every revision once: {:?}", order);
    let position: HashMap<&str, usize> = order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for (id, before) in &needs {
        for need in before {
            prop_assert!(position[need.as_str()] > position[id.as_str()], "{id} must be downgraded before {need}: {order:?}");
        }
    }
    prop_assert!(down.end_rows().is_empty(), "rows after downgrading to base: {:?}", down.end_rows());
    Ok(())
}

/// Property 3 from a random reachable state S.
fn check_state_round_trip(dag: &Dag, moves: &[(bool, Index)]) -> Result<(), TestCaseError> {
    let map = dag.map();
    let ids = dag.ids();
    let state = reach(dag, &map, moves);
    let state_applied = applied(&map, &state)?;
    check_antichain(&map, &state, "reached state")?;

    let up = ok(format!("upgrade {state:?} heads"), map.upgrade(&state, "heads"))?;
    check_plan(&map, &up, "upgrade S heads")?;
    let top = up.end_rows().to_vec();
    prop_assert_eq!(applied(&map, &top)?, set(ids.clone()));
    let down = ok(format!("downgrade {top:?} base"), map.downgrade(&top, "base"))?;
    check_plan(&map, &down, "downgrade heads base")?;
    prop_assert!(down.end_rows().is_empty());

    // Back to S one row at a time.
    let mut rows: Vec<String> = Vec::new();
    for row in &state {
        let plan = ok(format!("upgrade {rows:?} {row}"), map.upgrade(&rows, row))?;
        check_plan(&map, &plan, "upgrade back to S")?;
        rows = plan.end_rows().to_vec();
    }
    prop_assert_eq!(applied(&map, &rows)?, state_applied.clone(), "rebuilt {:?}, S was {:?}", rows, state);
    prop_assert_eq!(set(rows.clone()), set(state.clone()), "rebuilt rows {:?}, S was {:?}", rows, state);

    // Upgrading heads from the empty table ends where upgrading heads from S did.
    let again = ok("upgrade [] heads", map.upgrade(&[], "heads"))?;
    prop_assert_eq!(set(again.end_rows().to_vec()), set(top));

    // Downgrading S to one of its own rows is an empty or consistent plan.
    for row in &state {
        let Ok(plan) = map.downgrade(&state, row) else { continue };
        check_plan(&map, &plan, "downgrade S to a row")?;
    }
    Ok(())
}

/// Property 2 and 4 on upgrades and downgrades from random states to random targets.
fn check_random_plans(dag: &Dag, moves: &[(bool, Index)], picks: &[Index]) -> Result<(), TestCaseError> {
    let map = dag.map();
    let ids = dag.ids();
    let state = reach(dag, &map, moves);
    for pick in picks {
        let target = &ids[pick.index(ids.len())];
        let up = ok(format!("upgrade {state:?} {target}"), map.upgrade(&state, target))?;
        check_plan(&map, &up, &format!("upgrade {state:?} {target}"))?;
        check_antichain(&map, up.end_rows(), "after an upgrade")?;
        let mut expected = applied(&map, &state)?;
        expected.extend(applied(&map, std::slice::from_ref(target))?);
        prop_assert_eq!(applied(&map, up.end_rows())?, expected, "upgrade {:?} {}", state, target);

        match map.downgrade(&state, target) {
            Ok(down) => {
                check_plan(&map, &down, &format!("downgrade {state:?} {target}"))?;
                if dag.tidy {
                    check_antichain(&map, down.end_rows(), "after a downgrade")?;
                }
                // Nothing that the target needs is removed.
                let kept = applied(&map, down.end_rows())?;
                let target_needs = applied(&map, std::slice::from_ref(target))?;
                let before = applied(&map, &state)?;
                for need in target_needs.intersection(&before) {
                    prop_assert!(kept.contains(need), "downgrade {state:?} {target} removed {need}");
                }
            }
            Err(RevisionError::NotValidTarget { .. }) => {
                // Refused only when nothing above the target (through its children) is applied
                // and the target is not a row: there is nothing to downgrade.
                let before = applied(&map, &state)?;
                let children: Vec<&str> = map.info(target).map(|info| info.children).unwrap_or_default();
                prop_assert!(
                    !state.contains(target) && children.iter().all(|child| !before.contains(*child)),
                    "downgrade {state:?} {target} refused"
                );
            }
            Err(error) => prop_assert!(false, "downgrade {state:?} {target}: {error}"),
        }
    }
    Ok(())
}

/// Strings built from the graph's ids and labels and the target syntax, plus arbitrary text.
fn target_strings(dag: &Dag) -> BoxedStrategy<String> {
    let mut tokens: Vec<String> = dag.ids();
    tokens.extend(dag.labels());
    tokens.extend(dag.ids().iter().map(|id| id[..id.len() - 1].to_owned()));
    for token in ["@", "@", "+", "-", "-", "1", "2", "0", "12", "9999999999999999999999", "head", "heads", "base", ":", " ", "_", "rv", "rv1"] {
        tokens.push(token.to_owned());
    }
    prop_oneof![
        prop::collection::vec(prop::sample::select(tokens), 0..6).prop_map(|parts| parts.concat()),
        "\\PC{0,12}",
        "[-+@:0-9a-z_]{0,10}",
    ]
    .boxed()
}

fn dag_and_strings() -> impl Strategy<Value = (Dag, Vec<(bool, Index)>, Vec<String>)> {
    any_dag().prop_flat_map(|dag| {
        let strings = prop::collection::vec(target_strings(&dag), 1..8);
        (Just(dag), moves(), strings)
    })
}

/// An arbitrary revision list for map building: ids valid or not, references dangling or not.
fn arbitrary_revisions() -> impl Strategy<Value = Vec<Revision>> {
    let name = prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "c", "d", "e", "ab", "abcd", "abce", "l1", "l2"]).prop_map(str::to_owned),
        1 => "\\PC{0,6}",
        1 => "[a-c@+: ,-]{0,4}",
    ];
    let revision = (
        name.clone(),
        prop::collection::vec(name.clone(), 0..3),
        prop::collection::vec(name.clone(), 0..2),
        prop::collection::vec(name, 0..2),
    )
        .prop_map(|(id, down_revisions, depends_on, branch_labels)| Revision { id, down_revisions, depends_on, branch_labels });
    prop::collection::vec(revision, 0..8)
}

const CASES: u32 = 512;

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, max_shrink_iters: 8192, ..ProptestConfig::default() })]

    /// 1 + 3: upgrading heads from the empty table runs every revision once, parents and
    /// dependencies first, and leaves the real heads; downgrading them to base runs every
    /// revision once, children first, and empties the table.
    #[test]
    fn upgrade_heads_then_downgrade_base(dag in any_dag()) {
        check_full_round_trip(&dag)?;
    }

    /// 2 + 4: steps of upgrades and downgrades between random states and random revisions.
    #[test]
    fn steps_follow_their_changes(dag in any_dag(), moves in moves(), picks in prop::collection::vec(any::<Index>(), 1..4)) {
        check_random_plans(&dag, &moves, &picks)?;
    }

    /// 3: from a reachable state: up to heads, down to base, and back to the state.
    #[test]
    fn round_trips_from_a_reachable_state(dag in any_dag(), moves in moves()) {
        check_state_round_trip(&dag, &moves)?;
    }

    /// 5: no target string makes resolution, planning or stamping panic.
    #[test]
    fn any_target_string_is_ok_or_an_error((dag, moves, strings) in dag_and_strings()) {
        let map = dag.map();
        let state = reach(&dag, &map, &moves);
        for s in &strings {
            let _ = map.resolve(s);
            let _ = map.resolve_one(s);
            for rows in [&[][..], &state[..]] {
                if let Ok(plan) = map.upgrade(rows, s) {
                    check_plan(&map, &plan, &format!("upgrade {rows:?} {s:?}"))?;
                }
                if let Ok(plan) = map.downgrade(rows, s) {
                    check_plan(&map, &plan, &format!("downgrade {rows:?} {s:?}"))?;
                }
                let _ = map.stamp(rows, &[s.as_str()], false);
                let _ = map.stamp(rows, &[s.as_str(), "heads"], true);
            }
        }
    }

    /// 6: any revision list either builds a map or is a RevisionError, and a built map answers.
    #[test]
    fn any_revision_list_builds_or_is_an_error(revisions in arbitrary_revisions()) {
        if let Ok(map) = RevisionMap::new(revisions.clone()) {
            let _ = map.heads();
            let _ = map.real_heads();
            let _ = map.bases();
            if let Ok(plan) = map.upgrade(&[], "heads") {
                let rows = plan.end_rows().to_vec();
                let _ = map.downgrade(&rows, "base");
                let _ = map.stamp(&rows, &["base"], false);
            }
            for revision in &revisions {
                let _ = map.upgrade(&[], &revision.id);
                let _ = map.resolve(&revision.id);
            }
        }
    }
}
