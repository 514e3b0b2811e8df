//! Cases transcribed from Alembic 1.20.1's `tests/test_revision.py` (and `CurrentTest` of
//! `tests/test_command.py`): building the map, heads and labels, resolving identifiers, and the
//! order in which revisions are iterated.
//!
//! Alembic's `_assert_iteration(upper, lower)` iterates inclusively with neither implicit base
//! nor downgrade selection; that is `walk_revisions(lower, upper)`, which is what `history -r
//! lower:upper` lists, so those cases go through `RevisionMap::history`. Cases with
//! `select_for_downgrade=True` are downgrades from rows `upper` to `lower`, and those with
//! `implicit_base=True` are upgrades from rows `lower` to `upper`: the downgrade or upgrade
//! excludes the revision it stops at, which the iteration includes. Every expected value was
//! checked against the real Alembic, by running the same query through its `RevisionMap` and
//! `ScriptDirectory._upgrade_revs` / `_downgrade_revs`; where retort deliberately differs, the
//! test says so and pins retort's behaviour.

use retort_core::{HistoryRange, Revision, RevisionError, RevisionMap};

/// Builds a map from whitespace-separated `id(down,..;depends_on,..;labels,..)` tokens, listed
/// in map order; `a` alone is a base, `b(;a)` a base that depends on `a`.
pub(crate) fn build(graph: &str) -> Result<RevisionMap, RevisionError> {
    let revisions = graph
        .split_whitespace()
        .map(|token| {
            let (id, inner) = match token.split_once('(') {
                Some((id, rest)) => (
                    id,
                    rest.strip_suffix(')')
                        .expect("a token's parenthesis is closed"),
                ),
                None => (token, ""),
            };
            let mut parts = inner.split(';').map(|part| {
                part.split(',')
                    .filter(|item| !item.is_empty())
                    .collect::<Vec<_>>()
            });
            let down = parts.next().unwrap_or_default();
            let depends_on = parts.next().unwrap_or_default();
            let labels = parts.next().unwrap_or_default();
            Revision::new(id, &down)
                .with_depends_on(&depends_on)
                .with_branch_labels(&labels)
        })
        .collect();
    RevisionMap::new(revisions)
}

/// Builds `graph`, runs `query` on it and compares the rendered result with `expect`.
///
/// Queries: `heads`, `real_heads`, `bases`, `labels X`, `resolve X`, `resolve_one X` (`None` is
/// base), `current R,..` (sorted), `history START:END`, and `upgrade T from R,..` /
/// `downgrade T from R,..`, rendered as the revisions run then `=> {rows at the end}` (sorted, as
/// Alembic's tests compare a set). An error renders as `error: <Debug>`, and so does a graph
/// that does not build, whatever the query.
fn check(graph: &str, query: &str, expect: &str) {
    let actual = match build(graph) {
        Ok(map) => run(&map, query).unwrap_or_else(|error| format!("error: {error:?}")),
        Err(error) => format!("error: {error:?}"),
    };
    assert_eq!(actual, expect, "\ngraph: {graph}\nquery: {query}");
}

fn run(map: &RevisionMap, query: &str) -> Result<String, RevisionError> {
    let (operation, argument) = query.split_once(' ').unwrap_or((query, ""));
    let rows_of = |text: &str| -> Vec<String> {
        text.split(',')
            .map(str::trim)
            .filter(|row| !row.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(match operation {
        "heads" => map.heads().join(" "),
        "real_heads" => map.real_heads().join(" "),
        "bases" => map.bases().join(" "),
        "labels" => map
            .info(argument)
            .expect("the revision exists")
            .labels
            .join(" "),
        "resolve" => map.resolve(argument)?.join(" "),
        "resolve_one" => map
            .resolve_one(argument)?
            .unwrap_or_else(|| "None".to_owned()),
        "current" => {
            let mut current = map.current(&rows_of(argument))?;
            current.sort();
            current.join(" ")
        }
        "history" => map.history(&HistoryRange::parse(argument)?, &[])?.join(" "),
        "upgrade" | "downgrade" => {
            let (target, rows) = argument.split_once(" from").expect("`T from ROWS`");
            let rows = rows_of(rows);
            let plan = if operation == "upgrade" {
                map.upgrade(&rows, target)?
            } else {
                map.downgrade(&rows, target)?
            };
            let mut end_rows = plan.end_rows().to_vec();
            end_rows.sort();
            format!(
                "{} => {{{}}}",
                plan.revisions().join(" "),
                end_rows.join(" ")
            )
            .trim_start()
            .to_owned()
        }
        other => panic!("unknown query {other}"),
    })
}

const TWO_HEADS: &str = "a b(a) c1(b) c2(b)";
const LINE: &str = "a b(a) c(b)";
const DIAMOND: &str = "a b1(a) b2(a) c(b1,b2) d(c)";
const LABELED: &str = "a(;;abranch) b(a) somelongername(b) c(somelongername) d e(d;;ebranch) someothername(e) f(someothername)";
const MULTIPLE_BRANCH: &str = "a b1(a) b2(a) cb1(b1) cb2(b2) d1cb1(cb1) d2cb1(cb1) d1cb2(cb2) d2cb2(cb2) d3cb2(cb2) d1d2cb2(d1cb2,d2cb2)";
const TRAVELLING: &str = "a1 a2(a1) a3(a2) b1(a3) b2(a3) cb1(b1) cb2(b2) db1(cb1) db2(cb2) e1b1(db1) fe1b1(e1b1) e2b1(db1) e2b2(db2) merge(e2b1,e2b2)";
const MULTIPLE_BASE: &str = "base1 base2 base3 a1a(base1) a1b(base1) a2(base2) a3(base3) b1a(a1a) b1b(a1b) b2(a2) b3(a3) c2(b2) d2(c2) mergeb3d2(b3,d2)";
const CROSS_ONE: &str = "base1(;;b_1) a1a(base1) a1b(base1) b1a(a1a) b1b(a1b;a3) base2(;;b_2) a2(base2) b2(a2) c2(b2;a3) d2(c2) \
                         base3(;;b_3) a3(base3) b3(a3)";
const CROSS_TWO: &str = "base1(;;b_1) a1(base1) b1(a1) c1(b1) base2(;b_1;b_2) a2(base2) b2(a2) c2(b2) d2(c2) \
                         base3(;;b_3) a3(base3) b3(a3) c3(b3;b2) d3(c3)";
const NORMALIZED: &str = "a1 a2(a1) a3(a2) b1 b2(b1;a3) b3(b2) b4(b3;a3) b5(b4;b4)";

/// alembic tests/test_revision.py APITest.test_get_revision_head_single,
/// test_get_revision_base_single, test_get_revision_base_multiple
#[test]
fn api_test_get_revision_head_and_base() {
    check(LINE, "resolve_one head", "c");
    check(LINE, "resolve_one base", "None");
    check("a b(a) c d(c)", "resolve_one base", "None");
}

/// alembic tests/test_revision.py APITest.test_get_revision_head_multiple,
/// test_get_revision_heads_multiple, test_get_revisions_head_multiple
#[test]
fn api_test_multiple_heads_errors() {
    let multiple = |argument: &str| {
        format!(
            "error: {:?}",
            RevisionError::MultipleHeads {
                argument: argument.to_owned(),
                heads: vec!["c1".into(), "c2".into()]
            }
        )
    };
    check(TWO_HEADS, "resolve_one head", &multiple("head"));
    check(TWO_HEADS, "resolve_one heads", &multiple("heads"));
    check(TWO_HEADS, "resolve head", &multiple("head"));
}

/// alembic tests/test_revision.py APITest.test_get_revisions_heads_multiple (and the heads of
/// test_add_revision_two_head before the revision is added)
#[test]
fn api_test_get_revisions_heads_multiple() {
    check(TWO_HEADS, "heads", "c1 c2");
    check(TWO_HEADS, "resolve heads", "c1 c2");
}

/// The trap of spec §2.2 on an APITest-style graph: `b2` depends on `a1`, so `a1` is a versioned
/// head but not a real head. `head` fails with two versioned heads while `heads` is the one real
/// head (checked against Alembic's `get_revision` / `get_revisions`).
#[test]
fn api_test_effective_head() {
    let graph = "a1 b1 b2(b1;a1)";
    check(graph, "heads", "a1 b2");
    check(graph, "real_heads", "b2");
    check(
        graph,
        "resolve_one head",
        &format!(
            "error: {:?}",
            RevisionError::MultipleHeads {
                argument: "head".into(),
                heads: vec!["a1".into(), "b2".into()]
            }
        ),
    );
    check(graph, "resolve heads", "b2");
}

/// alembic tests/test_revision.py APITest.test_iterate_tolerates_dupe_targets: Alembic iterates
/// `("c", "c")` down to `a`, exclusive; a downgrade to `a` from two equal rows runs the same.
#[test]
fn api_test_iterate_tolerates_dupe_targets() {
    check(LINE, "downgrade a from c,c", "c b => {a}");
}

/// alembic tests/test_revision.py DiamondTest.test_iterate_simple_diamond; the upgrade of the
/// whole diamond runs that order reversed (spec §13.1).
#[test]
fn diamond_test_iterate_simple_diamond() {
    check(DIAMOND, "history a:d", "d c b1 b2 a");
    check(DIAMOND, "upgrade heads from", "a b2 b1 c d => {d}");
}

/// alembic tests/test_revision.py EmptyMapTest.test_iterate
#[test]
fn empty_map_test_iterate() {
    check("", "history base:head", "");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_dupe_branch_collection. Alembic names
/// `c` or `e` as the revision that reuses the label depending on Python's set order (spec §11);
/// retort checks labels in map order, so the later revision `e` is the one reported.
#[test]
fn labeled_branch_test_dupe_branch_collection() {
    check(
        "a b(a) c(b;;xy1) d e(d;;xy1) f(e)",
        "heads",
        &format!(
            "error: {:?}",
            RevisionError::DuplicateBranchLabel {
                label: "xy1".into(),
                revision: "e".into(),
                other: "c".into()
            }
        ),
    );
}

/// alembic tests/test_revision.py LabeledBranchTest, label propagation: the label of `e` also
/// names its descendants and the unbranched stem below it (`d`), which is why
/// test_iterate_head_to_named_base reaches `d` from `ebranch@base` (spec §1.5).
#[test]
fn labeled_branch_test_label_propagation() {
    check(LABELED, "labels d", "ebranch");
    check(LABELED, "labels f", "ebranch");
    check(LABELED, "labels a", "abranch");
    check(LABELED, "labels c", "abranch");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_get_current_named_rev,
/// test_branch_at_heads, test_branch_at_syntax
#[test]
fn labeled_branch_test_branch_at_syntax() {
    check(LABELED, "resolve_one ebranch@head", "f");
    check(LABELED, "resolve_one abranch@heads", "c");
    check(LABELED, "resolve_one abranch@head", "c");
    check(LABELED, "resolve_one abranch@base", "None");
    check(LABELED, "resolve_one ebranch@d", "d");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_iterate_head_to_named_base
#[test]
fn labeled_branch_test_iterate_head_to_named_base() {
    check(LABELED, "history ebranch@base:heads", "f someothername e d");
    check(
        LABELED,
        "history abranch@base:heads",
        "c somelongername b a",
    );
}

/// alembic tests/test_revision.py LabeledBranchTest.test_iterate_named_head_to_base
#[test]
fn labeled_branch_test_iterate_named_head_to_base() {
    check(LABELED, "history base:ebranch@head", "f someothername e d");
    check(LABELED, "history base:abranch@head", "c somelongername b a");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_iterate_named_head_to_heads,
/// test_iterate_named_rev_to_heads, test_iterate_to_branch_at_rev
#[test]
fn labeled_branch_test_iterate_named_rev_to_heads() {
    check(LABELED, "history ebranch@head:heads", "f");
    check(LABELED, "history ebranch@d:heads", "f someothername e d");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_iterate_head_to_version_specific_base
#[test]
fn labeled_branch_test_iterate_head_to_version_specific_base() {
    check(LABELED, "history e@base:heads", "f someothername e d");
    check(LABELED, "history c@base:heads", "c somelongername b a");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_branch_w_down_relative,
/// test_branch_w_up_relative
#[test]
fn labeled_branch_test_branch_relative() {
    check(LABELED, "history ebranch@-2:heads", "f someothername e");
    check(LABELED, "history base:ebranch@+2", "e d");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_partial_id_resolve,
/// test_not_actually_a_branch, test_not_actually_a_branch_partial_resolution,
/// test_actually_short_rev_name
#[test]
fn labeled_branch_test_partial_id_resolve() {
    check(LABELED, "resolve_one ebranch@some", "someothername");
    check(LABELED, "resolve_one abranch@some", "somelongername");
    check(LABELED, "resolve_one e@d", "d");
    check(LABELED, "resolve_one someoth@d", "d");
    check(LABELED, "resolve_one e", "e");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_branch_at_self,
/// test_retrieve_branch_revision
#[test]
fn labeled_branch_test_retrieve_branch_revision() {
    check(LABELED, "resolve_one ebranch@ebranch", "e");
    check(LABELED, "resolve_one abranch", "a");
    check(LABELED, "resolve_one ebranch", "e");
}

/// alembic tests/test_revision.py LabeledBranchTest.test_partial_id_resolve_too_short,
/// test_no_revision_exists
#[test]
fn labeled_branch_test_no_revision_exists() {
    let unknown = |id: &str| {
        format!(
            "error: {:?}",
            RevisionError::UnknownRevision { id: id.to_owned() }
        )
    };
    check(LABELED, "resolve_one ebranch@sos", &unknown("sos"));
    check(LABELED, "resolve_one abranch@qprstuv", &unknown("qprstuv"));
    check(LABELED, "resolve_one abranch@qpr", &unknown("qpr"));
}

/// alembic tests/test_revision.py LabeledBranchTest.test_rev_not_in_branch
#[test]
fn labeled_branch_test_rev_not_in_branch() {
    let not_member = |revision: &str, label: &str| {
        format!(
            "error: {:?}",
            RevisionError::NotBranchMember {
                revision: revision.into(),
                label: label.into()
            }
        )
    };
    check(
        LABELED,
        "resolve_one ebranch@b",
        &not_member("b", "ebranch"),
    );
    check(
        LABELED,
        "resolve_one abranch@d",
        &not_member("d", "abranch"),
    );
}

/// alembic tests/test_revision.py LabeledBranchTest.test_no_such_branch
#[test]
fn labeled_branch_test_no_such_branch() {
    check(
        LABELED,
        "resolve_one x@d",
        &format!(
            "error: {:?}",
            RevisionError::UnknownBranch { label: "x".into() }
        ),
    );
}

/// The LabeledBranchTest graph without the label that makes test_partial_id_resolve unique:
/// `some` starts two revision ids. Alembic says "Multiple revisions start with 'some':
/// 'somelongername', 'someothername'..." (the first three keys, then `...`); retort lists every
/// candidate (a deliberate difference). A prefix with one match resolves even when it is a
/// label's prefix (`ebra` is `ebranch`, declared by `e`).
#[test]
fn labeled_branch_test_ambiguous_partial_id() {
    let ambiguous = |prefix: &str| {
        format!(
            "error: {:?}",
            RevisionError::AmbiguousPrefix {
                prefix: prefix.to_owned(),
                candidates: vec!["somelongername".into(), "someothername".into()]
            }
        )
    };
    check(LABELED, "resolve_one some", &ambiguous("some"));
    check(LABELED, "resolve_one so", &ambiguous("so"));
    check(LABELED, "resolve_one ebra", "e");
}

/// alembic tests/test_revision.py LongShortBranchTest.test_iterate_full
#[test]
fn long_short_branch_test_iterate_full() {
    check(
        "a b1(a) b2(a) c1(b1) d11(c1) d12(c1)",
        "history base:heads",
        "b2 d11 d12 c1 b1 a",
    );
}

/// alembic tests/test_revision.py MultipleBranchTest.test_iterate_from_merge_point,
/// test_iterate_single_branch, test_iterate_single_branch_to_base
#[test]
fn multiple_branch_test_iterate_single_branch() {
    check(
        MULTIPLE_BRANCH,
        "history a:d1d2cb2",
        "d1d2cb2 d1cb2 d2cb2 cb2 b2 a",
    );
    check(MULTIPLE_BRANCH, "history a:d3cb2", "d3cb2 cb2 b2 a");
    check(MULTIPLE_BRANCH, "history base:d3cb2", "d3cb2 cb2 b2 a");
}

/// alembic tests/test_revision.py MultipleBranchTest.test_iterate_multiple_heads_single_base and
/// test_iterate_multiple_heads, as downgrades from those heads: `d1cb1` is not above `b2` and
/// stays.
#[test]
fn multiple_branch_test_iterate_multiple_heads_single_base() {
    check(
        MULTIPLE_BRANCH,
        "downgrade b2 from d1cb1,d2cb2,d3cb2",
        "d2cb2 d3cb2 cb2 => {b2 d1cb1}",
    );
    check(
        MULTIPLE_BRANCH,
        "downgrade a from d2cb2,d3cb2",
        "d2cb2 d3cb2 cb2 b2 => {a}",
    );
}

/// alembic tests/test_revision.py MultipleBranchTest.test_same_branch_wrong_direction,
/// test_distinct_branches: Alembic's "Revision d1cb1 is not an ancestor of revision b1" is, for
/// `history -r`, "Requested range d1cb1:b1 does not refer to ancestor/descendant revisions".
#[test]
fn multiple_branch_test_wrong_direction() {
    let not_ancestor = |start: &str, end: &str| {
        format!(
            "error: {:?}",
            RevisionError::HistoryRangeNotAncestor {
                start: start.into(),
                end: end.into()
            }
        )
    };
    check(
        MULTIPLE_BRANCH,
        "history d1cb1:b1",
        &not_ancestor("d1cb1", "b1"),
    );
    check(
        MULTIPLE_BRANCH,
        "history b1:d2cb2",
        &not_ancestor("b1", "d2cb2"),
    );
}

/// alembic tests/test_revision.py MultipleBranchEffectiveHead.test_other_downgrade,
/// test_use_all_current, test_effective_head
#[test]
fn multiple_branch_effective_head_test() {
    let graph = "y1(;;y) x1(;;x) y2(y1;x1) x2(x1)";
    check(graph, "downgrade x@-1 from x2,y2", "x2 => {y2}");
    check(graph, "downgrade x@-1 from x1,y2", "y2 x1 => {y1}");
    check(graph, "downgrade x@-1 from y2", "y2 x1 => {y1}");
}

/// alembic tests/test_revision.py BranchTravellingTest.test_iterate_one_branch_both_to_merge:
/// the upgrade from `db1` to `merge` fills in the other line first.
#[test]
fn branch_travelling_test_iterate_one_branch_both_to_merge() {
    check(
        TRAVELLING,
        "upgrade merge from db1",
        "b2 cb2 db2 e2b2 e2b1 merge => {merge}",
    );
}

/// alembic tests/test_revision.py BranchTravellingTest.test_two_branches_to_root,
/// test_two_branches_end_in_branch, test_two_branches_end_behind_branch
#[test]
fn branch_travelling_test_two_branches() {
    check(
        TRAVELLING,
        "history a1:merge",
        "merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3 a2 a1",
    );
    check(TRAVELLING, "history b1:merge", "merge e2b1 db1 cb1 b1");
    check(
        TRAVELLING,
        "history a2:merge",
        "merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3 a2",
    );
}

/// alembic tests/test_revision.py BranchTravellingTest.test_three_branches_to_root,
/// test_three_branches_end_in_single_branch (`["merge", "fe1b1"]` are the heads),
/// test_iterate_to_symbolic_base
#[test]
fn branch_travelling_test_three_branches() {
    check(
        TRAVELLING,
        "history a1:heads",
        "fe1b1 e1b1 merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3 a2 a1",
    );
    check(
        TRAVELLING,
        "history a3:heads",
        "fe1b1 e1b1 merge e2b1 db1 cb1 b1 e2b2 db2 cb2 b2 a3",
    );
    check(
        TRAVELLING,
        "history base:fe1b1",
        "fe1b1 e1b1 db1 cb1 b1 a3 a2 a1",
    );
}

/// alembic tests/test_revision.py BranchTravellingTest.test_detect_invalid_head_selection, as an
/// upgrade from rows where `db1` is an ancestor of `fe1b1`.
#[test]
fn branch_travelling_test_detect_invalid_head_selection() {
    check(
        TRAVELLING,
        "upgrade heads from db1,b2,fe1b1",
        &format!(
            "error: {:?}",
            RevisionError::Overlap {
                revision: "fe1b1".into(),
                others: vec!["db1".into()]
            }
        ),
    );
}

/// alembic tests/test_revision.py MultipleBaseTest.test_heads_to_base, test_specific_path_one
#[test]
fn multiple_base_test_heads_to_base() {
    check(
        MULTIPLE_BASE,
        "history base:heads",
        "b1a a1a b1b a1b base1 mergeb3d2 b3 a3 base3 d2 c2 b2 a2 base2",
    );
    check(
        MULTIPLE_BASE,
        "downgrade base from b1a,b1b,mergeb3d2",
        "b1a a1a b1b a1b base1 mergeb3d2 b3 a3 base3 d2 c2 b2 a2 base2 => {}",
    );
    check(MULTIPLE_BASE, "history base3:b3", "b3 a3 base3");
}

/// alembic tests/test_revision.py MultipleBaseTest.test_detect_invalid_base_selection, as an
/// upgrade to `c2` from rows `a2, b2`.
#[test]
fn multiple_base_test_detect_invalid_base_selection() {
    check(
        MULTIPLE_BASE,
        "upgrade c2 from a2,b2",
        &format!(
            "error: {:?}",
            RevisionError::Overlap {
                revision: "b2".into(),
                others: vec!["a2".into()]
            }
        ),
    );
}

/// alembic tests/test_revision.py MultipleBaseTest.test_heads_to_revs_plus_implicit_base_exclusive,
/// test_specific_path_two_implicit_base: an upgrade pulls in the other bases' lines.
#[test]
fn multiple_base_test_implicit_base() {
    check(
        MULTIPLE_BASE,
        "upgrade heads from base3",
        "base2 a2 b2 c2 d2 a3 b3 mergeb3d2 base1 a1b b1b a1a b1a => {b1a b1b mergeb3d2}",
    );
}

/// alembic tests/test_revision.py MultipleBaseCrossDependencyTestOne.test_what_are_the_heads,
/// test_heads_to_base, test_heads_to_base_downgrade
#[test]
fn multiple_base_cross_dependency_test_one_heads_to_base() {
    check(CROSS_ONE, "heads", "b1a b1b d2 b3");
    check(
        CROSS_ONE,
        "history base:heads",
        "b1a a1a b1b a1b base1 d2 c2 b2 a2 base2 b3 a3 base3",
    );
    check(
        CROSS_ONE,
        "downgrade base from b1a,b1b,d2,b3",
        "b1a a1a b1b a1b base1 d2 c2 b2 a2 base2 b3 a3 base3 => {}",
    );
}

/// alembic tests/test_revision.py MultipleBaseCrossDependencyTestOne.test_same_branch_wrong_direction,
/// test_different_branch_not_wrong_direction
#[test]
fn multiple_base_cross_dependency_test_one_wrong_direction() {
    let not_ancestor = |start: &str, end: &str| {
        format!(
            "error: {:?}",
            RevisionError::HistoryRangeNotAncestor {
                start: start.into(),
                end: end.into()
            }
        )
    };
    check(CROSS_ONE, "history d2:b2", &not_ancestor("d2", "b2"));
    check(CROSS_ONE, "history d2:b3", &not_ancestor("d2", "b3"));
}

/// alembic tests/test_revision.py MultipleBaseCrossDependencyTestOne.test_we_need_head2_upgrade,
/// test_we_need_head2_downgrade: the 2 line needs the 3 line going up, not going down (where
/// `a3`, implied by `c2`, comes back as a row).
#[test]
fn multiple_base_cross_dependency_test_one_we_need_head2() {
    check(
        CROSS_ONE,
        "history base:b_2@head",
        "d2 c2 b2 a2 base2 a3 base3",
    );
    check(
        CROSS_ONE,
        "upgrade b_2@head from",
        "base3 a3 base2 a2 b2 c2 d2 => {d2}",
    );
    check(
        CROSS_ONE,
        "downgrade b_2@base from d2",
        "d2 c2 b2 a2 base2 => {a3}",
    );
}

/// alembic tests/test_revision.py MultipleBaseCrossDependencyTestOne.test_we_need_head3_upgrade,
/// test_we_need_head3_downgrade, test_we_need_head1_upgrade, test_we_need_head1_downgrade
#[test]
fn multiple_base_cross_dependency_test_one_we_need_head1_and_head3() {
    check(CROSS_ONE, "history base:b_3@head", "b3 a3 base3");
    check(CROSS_ONE, "downgrade base from b3", "b3 a3 base3 => {}");
    check(CROSS_ONE, "history base:b1b@head", "b1b a1b base1 a3 base3");
    check(
        CROSS_ONE,
        "upgrade b1b@head from",
        "base3 a3 base1 a1b b1b => {b1b}",
    );
    check(
        CROSS_ONE,
        "downgrade b1b@base from b1b",
        "b1b a1b base1 => {a3}",
    );
}

/// alembic tests/test_revision.py MultipleBaseCrossDependencyTestOne.test_we_need_base2_upgrade,
/// test_we_need_base2_downgrade, test_we_need_base3_upgrade, test_we_need_base3_downgrade:
/// going down to `b_3@base` also takes down what depends on `a3` (`b1b`, `c2` and above).
#[test]
fn multiple_base_cross_dependency_test_one_we_need_base2_and_base3() {
    check(
        CROSS_ONE,
        "history b_2@base:heads",
        "d2 c2 b2 a2 base2 a3 base3",
    );
    check(
        CROSS_ONE,
        "downgrade b_2@base from b1a,b1b,d2,b3",
        "d2 c2 b2 a2 base2 => {b1a b1b b3}",
    );
    check(CROSS_ONE, "history b_3@base:heads", "b3 a3 base3");
    check(
        CROSS_ONE,
        "downgrade b_3@base from b1a,b1b,d2,b3",
        "b1b d2 c2 b3 a3 base3 => {a1b b1a b2}",
    );
}

/// alembic tests/test_revision.py MultipleBaseCrossDependencyTestTwo (every test)
#[test]
fn multiple_base_cross_dependency_test_two() {
    check(CROSS_TWO, "heads", "c1 d2 d3");
    check(
        CROSS_TWO,
        "history base:heads",
        "c1 b1 a1 d2 c2 d3 c3 b3 a3 base3 b2 a2 base2 base1",
    );
    check(
        CROSS_TWO,
        "history base:b_2@head",
        "d2 c2 b2 a2 base2 base1",
    );
    check(
        CROSS_TWO,
        "history base:b_3@head",
        "d3 c3 b3 a3 base3 b2 a2 base2 base1",
    );
    check(CROSS_TWO, "history base:b_1@head", "c1 b1 a1 base1");
    check(CROSS_TWO, "history b_1@base:heads", "c1 b1 a1 base1");
    check(
        CROSS_TWO,
        "history b_2@base:heads",
        "d2 c2 b2 a2 base2 base1",
    );
    check(
        CROSS_TWO,
        "history b_3@base:heads",
        "d3 c3 b3 a3 base3 b2 a2 base2 base1",
    );
}

/// alembic tests/test_revision.py MultipleBaseCrossDependencyTestThree.test_traverse_no_parent_but_a_dep
#[test]
fn multiple_base_cross_dependency_test_three_traverse_no_parent_but_a_dep() {
    check(
        "base1 a1(base1) b1(a1) c2(;a1) c3(c2)",
        "history base:heads",
        "b1 c3 c2 a1 base1",
    );
}

/// alembic tests/test_revision.py GraphWithLoopTest.test_revision_map_solitary_loop,
/// test_revision_map_head_loop, test_revision_map_solitary_dependency_loop,
/// test_revision_map_merge_point_dep_loop
#[test]
fn graph_with_loop_test_self_loops() {
    check(
        "a(a)",
        "heads",
        &format!("error: {:?}", RevisionError::SelfLoop { id: "a".into() }),
    );
    check(
        "a b(a) c(b,c)",
        "heads",
        &format!("error: {:?}", RevisionError::SelfLoop { id: "c".into() }),
    );
    check(
        "a(;a)",
        "heads",
        &format!(
            "error: {:?}",
            RevisionError::DependencySelfLoop { id: "a".into() }
        ),
    );
    check(
        "a b1(a) b2(a) c(b1,b2;c)",
        "heads",
        &format!(
            "error: {:?}",
            RevisionError::DependencySelfLoop { id: "c".into() }
        ),
    );
}

/// alembic tests/test_revision.py GraphWithLoopTest.test_revision_dupe_head,
/// test_revision_map_no_loop_w_overlapping_substrings(_dependencies): `user` is not a loop.
#[test]
fn graph_with_loop_test_overlapping_substrings() {
    check(
        "user_foo user(user_foo;user_foo)",
        "history base:heads",
        "user user_foo",
    );
    check(
        "user_foo user(user_foo)",
        "history base:heads",
        "user user_foo",
    );
    check(
        "user_foo user(;user_foo)",
        "history base:heads",
        "user user_foo",
    );
}

/// alembic tests/test_revision.py GraphWithCycleTest.test_revision_map_simple_cycle,
/// test_revision_map_extra_simple_cycle, test_revision_map_lower_simple_cycle,
/// test_revision_map_upper_simple_cycle
#[test]
fn graph_with_cycle_test_cycles() {
    let cycle = |ids: &[&str]| {
        format!(
            "error: {:?}",
            RevisionError::Cycle {
                ids: ids.iter().map(|id| (*id).to_owned()).collect()
            }
        )
    };
    check("a(c) b(a) c(b)", "heads", &cycle(&["a", "b", "c"]));
    check("a(c) b(a) c(b) d e(d)", "heads", &cycle(&["a", "b", "c"]));
    check(
        "a(c) b(a) c(b) d(c) e(d)",
        "heads",
        &cycle(&["a", "b", "c", "d", "e"]),
    );
    check(
        "a b(a) c(b,e) d(c) e(d)",
        "heads",
        &cycle(&["a", "b", "c", "d", "e"]),
    );
}

/// alembic tests/test_revision.py GraphWithCycleTest.test_revision_map_simple_dep_cycle,
/// test_revision_map_extra_simple_dep_cycle, test_revision_map_lower_simple_dep_cycle,
/// test_revision_map_upper_simple_dep_cycle.
///
/// FAILS (discrepancy reported to the lead): the expected ids are what Alembic 1.20.1 reports.
/// In the lower and upper graphs there is no real base (lower: `a` has a dependency) or no real
/// head (upper: `c` depends on `e`), so Alembic names every revision (`a, b, c, d, e`); retort
/// runs its strongly-connected-components pass first and names only the loop. Alembic's test
/// regex happens to accept any subset of the ids, the real message does not vary.
#[test]
fn graph_with_cycle_test_dependency_cycles() {
    let cycle = |ids: &[&str]| {
        format!(
            "error: {:?}",
            RevisionError::DependencyCycle {
                ids: ids.iter().map(|id| (*id).to_owned()).collect()
            }
        )
    };
    check("a(;c) b(a) c(b)", "heads", &cycle(&["a", "b", "c"]));
    check("a(;c) b(a) c(b) d e(d)", "heads", &cycle(&["a", "b", "c"]));
    check(
        "a(;c) b(a) c(b) d(c) e(d)",
        "heads",
        &cycle(&["a", "b", "c", "d", "e"]),
    );
    check(
        "a b(a) c(b;e) d(c) e(d)",
        "heads",
        &cycle(&["a", "b", "c", "d", "e"]),
    );
}

/// A cycle Alembic's reachability test misses (deliberate difference): in
/// `a; b(a,d); c(b); d(c); e(c)` every revision is reachable both from the head `e` and from the
/// base `a`, so Alembic 1.20.1 builds the map (heads `e`, history `e c b d a`). retort reports
/// the loop `b → c → d → b`. Graph built on GraphWithCycleTest.test_revision_map_upper_simple_cycle.
#[test]
fn graph_with_cycle_test_cycle_alembic_misses() {
    check(
        "a b(a,d) c(b) d(c) e(c)",
        "heads",
        &format!(
            "error: {:?}",
            RevisionError::Cycle {
                ids: vec!["b".into(), "c".into(), "d".into()]
            }
        ),
    );
    // The same through depends_on: with a real head `f` and a real base `a`, Alembic's
    // dependency reachability test passes and it builds the map (heads `f`).
    check(
        "a b(a) c(b;e) d(c) e(d) f(e)",
        "heads",
        &format!(
            "error: {:?}",
            RevisionError::DependencyCycle {
                ids: vec!["c".into(), "d".into(), "e".into()]
            }
        ),
    );
}

/// alembic tests/test_revision.py NormalizedDownRevTest.test_normalized_down_revisions,
/// test_dupe_dependency. `_normalized_down_revisions` is not public: `b4`'s dependency on `a3`
/// is dropped because its ancestor `b2` declares it, so downgrading `b4` leaves only `b3`, and
/// `b5`'s dependency on its own parent makes no second edge.
#[test]
fn normalized_down_rev_test_normalized_down_revisions() {
    check(NORMALIZED, "downgrade b3 from b4", "b4 => {b3}");
    check(NORMALIZED, "real_heads", "b5");
}

/// alembic tests/test_revision.py NormalizedDownRevTest.test_branch_traversal,
/// test_all_traversal, test_partial_traversal (select_for_downgrade)
#[test]
fn normalized_down_rev_test_traversal() {
    check(
        NORMALIZED,
        "downgrade b1@base from b4",
        "b4 b3 b2 b1 => {a3}",
    );
    check(
        NORMALIZED,
        "downgrade base from b5",
        "b5 b4 b3 b2 b1 a3 a2 a1 => {}",
    );
    check(
        NORMALIZED,
        "downgrade a2 from b5",
        "b5 b4 b3 b2 a3 => {a2 b1}",
    );
}

/// alembic tests/test_revision.py NormalizedDownRevTest.test_partial_traversal_implicit_base_two,
/// test_partial_traversal_implicit_base_three (implicit base: upgrades from `b1`)
#[test]
fn normalized_down_rev_test_partial_traversal_implicit_base() {
    check(
        NORMALIZED,
        "upgrade b5 from b1",
        "a1 a2 a3 b2 b3 b4 b5 => {b5}",
    );
    check(
        "c1 a1 a2(a1;c1) a3(a2;c1) b1 b2(b1;a3) b3(b2) b4(b3;a3) b5(b4)",
        "upgrade b5 from b1",
        "c1 a1 a2 a3 b2 b3 b4 b5 => {b5}",
    );
}

/// alembic tests/test_command.py CurrentTest.test_heads_one_is_dependent, test_heads_upg,
/// test_two_heads, test_plain_current: `current` adds the heads a row implies through
/// depends_on.
#[test]
fn current_test_implied_heads() {
    let graph = "a1 a2(a1) a3(a2) b1 b2(b1;a2) b3(b2)";
    check(graph, "current b2", "a2 b2");
    check(graph, "upgrade b3 from b2", "b3 => {b3}");
    check(graph, "current b3", "a2 b3");
    check(graph, "current a1,b1", "a1 b1");
    check(graph, "current a3", "a3");
}
