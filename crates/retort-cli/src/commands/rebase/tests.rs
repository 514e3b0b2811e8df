//! Which branch stays, where the others go, and what refuses a rebase, on small inline graphs.

use retort_core::SourceFile;

use super::*;

/// A graph from `(revision, down_revision, created)` triples.
fn graph(revisions: &[(&str, &str, &str)]) -> MigrationSet {
    let files: Vec<SourceFile> = revisions
        .iter()
        .map(|(revision, down_revision, created)| SourceFile {
            path: format!("versions/{revision}.sql"),
            bytes: format!(
                "-- revision: {revision}\n-- down_revision: {down_revision}\n-- message: m\n-- created: {created}\n\n-- upgrade\nSELECT 1;\n"
            )
            .into_bytes(),
        })
        .collect();
    MigrationSet::load(files).expect("valid graph")
}

/// `revision -> new parent` for each move, or the refusal.
fn check(set: &MigrationSet, seen: &[&str]) -> Result<Vec<String>, Refusal> {
    let heads: Vec<String> = set.map().heads().into_iter().map(str::to_owned).collect();
    let seen: BTreeMap<String, String> = seen
        .iter()
        .map(|revision| ((*revision).to_owned(), "applied".to_owned()))
        .collect();
    let moves = plan_moves(set, &heads, &seen)?;
    Ok(moves
        .iter()
        .map(|step| {
            format!(
                "{} {} -> {}",
                step.revision, step.old_parent, step.new_parent
            )
        })
        .collect())
}

const TWO_BRANCHES: [(&str, &str, &str); 5] = [
    ("a", "", "2026-01-01"),
    ("b1", "a", "2026-01-03"),
    ("b2", "b1", "2026-01-04"),
    ("c1", "a", "2026-01-02"),
    ("c2", "c1", "2026-01-05"),
];

#[test]
fn with_nothing_released_the_newer_branch_goes_on_top_of_the_older() {
    let set = graph(&TWO_BRANCHES);
    assert_eq!(check(&set, &["a"]), Ok(vec!["b1 a -> c2".to_owned()]));
}

#[test]
fn the_released_branch_stays_where_it_is() {
    let set = graph(&TWO_BRANCHES);
    assert_eq!(check(&set, &["a", "b1"]), Ok(vec!["c1 a -> b2".to_owned()]));
}

#[test]
fn three_branches_become_one_line_oldest_first() {
    let set = graph(&[
        ("a", "", "1"),
        ("b1", "a", "2"),
        ("c1", "a", "3"),
        ("d1", "a", "4"),
    ]);
    assert_eq!(
        check(&set, &[]),
        Ok(vec!["c1 a -> b1".to_owned(), "d1 a -> c1".to_owned()])
    );
    assert_eq!(
        check(&set, &["d1"]),
        Ok(vec!["b1 a -> d1".to_owned(), "c1 a -> b1".to_owned()])
    );
}

#[test]
fn a_branch_off_a_revision_the_line_does_not_have_refuses() {
    let mut revisions = TWO_BRANCHES.to_vec();
    revisions.push(("d1", "b1", "2026-01-06"));
    // b1 is shared by b2 and d1, so the branches are c1-c2 (the oldest, which stays), b2 and
    // d1; neither b2 nor d1 can go on top of c2, which does not have b1.
    let set = graph(&revisions);
    assert_eq!(
        check(&set, &[]),
        Err(Refusal::ForkOffTheLine {
            revision: "b2".to_owned(),
            parent: "b1".to_owned(),
            head: "c2".to_owned(),
        })
    );
}

#[test]
fn released_revisions_on_two_branches_refuse() {
    let set = graph(&TWO_BRANCHES);
    assert_eq!(
        check(&set, &["b1", "c2"]),
        Err(Refusal::SeveralBranchesSeen {
            seen: vec![
                SeenRevision {
                    revision: "b1".to_owned(),
                    seen_by: "applied".to_owned()
                },
                SeenRevision {
                    revision: "c2".to_owned(),
                    seen_by: "applied".to_owned()
                },
            ]
        })
    );
}

#[test]
fn a_branch_with_a_merge_or_a_new_base_refuses() {
    let set = graph(&[
        ("a", "", "1"),
        ("b", "a", "2"),
        ("c", "a", "3"),
        ("m", "b, c", "4"),
        ("d", "a", "5"),
    ]);
    assert_eq!(
        check(&set, &[]),
        Err(Refusal::NotALine {
            head: "m".to_owned(),
            revision: "m".to_owned()
        })
    );
    let set = graph(&[("a", "", "1"), ("b", "a", "2"), ("z", "", "3")]);
    assert!(
        matches!(check(&set, &[]), Err(Refusal::NewBase { .. })),
        "{:?}",
        check(&set, &[])
    );
}

#[test]
fn only_the_down_revision_line_changes() {
    let text = "-- revision: b1\r\n-- down_revision: a\r\n-- message: m\r\n\r\n-- upgrade\r\nSELECT 1;\r\n";
    let set = MigrationSet::load(vec![
        SourceFile {
            path: "a.sql".to_owned(),
            bytes: b"-- revision: a\n-- down_revision:\n\n-- upgrade\n".to_vec(),
        },
        SourceFile {
            path: "b1.sql".to_owned(),
            bytes: text.as_bytes().to_vec(),
        },
    ])
    .expect("valid graph");
    let migration = set.migration("b1").expect("b1");
    assert_eq!(
        with_down_revision(text, migration, "c2"),
        text.replace("-- down_revision: a\r\n", "-- down_revision: c2\r\n")
    );
}
