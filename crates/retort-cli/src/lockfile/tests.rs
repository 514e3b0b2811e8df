//! The lock's layout, its comparison with loaded migrations, and the repository's own
//! `retort.lock`, which must pin the example databases as they are.

use std::fs;
use std::path::Path;

use retort_core::SourceFile;

use super::*;
use crate::embedded::BUNDLE;

fn set(files: &[(&str, &str)]) -> Arc<MigrationSet> {
    let files: Vec<SourceFile> = files
        .iter()
        .map(|(revision, down_revision)| SourceFile {
            path: format!("{revision}.sql"),
            bytes: format!(
                "-- revision: {revision}\n-- down_revision: {down_revision}\n-- message: m\n\n-- upgrade\nSELECT 1;\n"
            )
            .into_bytes(),
        })
        .collect();
    Arc::new(MigrationSet::load(files).expect("valid migrations"))
}

fn lock_of(databases: &[(&str, Arc<MigrationSet>)]) -> Lockfile {
    let sets: BTreeMap<String, Arc<MigrationSet>> = databases
        .iter()
        .map(|(name, set)| ((*name).to_owned(), set.clone()))
        .collect();
    Lockfile::of(&sets)
}

#[test]
fn the_lock_reads_back_what_it_writes() {
    let lock = lock_of(&[
        ("app", set(&[("a1", ""), ("b2", "a1"), ("c3", "a1")])),
        ("other", set(&[("x1", "")])),
    ]);
    let text = lock.render();
    assert!(
        text.contains(
            "\n[databases.app]\nheads = [\"b2\", \"c3\"]\nrevisions = 3\ngraph = \"sha256:"
        ),
        "{text}"
    );
    assert_eq!(Lockfile::parse("retort.lock", &text).expect("parses"), lock);
}

#[test]
fn each_change_is_named() {
    let locked = lock_of(&[
        ("app", set(&[("a1", ""), ("b2", "a1")])),
        ("gone", set(&[("g1", "")])),
    ]);
    let edited = lock_of(&[
        ("app", set(&[("a1", ""), ("x9", "a1"), ("b2", "x9")])),
        ("new", set(&[("n1", "")])),
    ]);
    let found: Vec<String> = locked
        .differences(&edited, true)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "database 'app': revisions were edited, added or removed since the lock was written (3 revisions now, 2 locked)",
            "database 'new' is not in the lock",
            "the lock has database 'gone', which is not configured",
        ]
    );
    let moved = lock_of(&[("app", set(&[("a1", ""), ("b2", "a1"), ("c3", "b2")]))]);
    let found: Vec<String> = locked
        .differences(&moved, false)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(found, ["database 'app': heads c3; the lock has b2"]);
    assert_eq!(locked.differences(&locked, true), []);
}

#[test]
fn bad_lock_files_say_how_to_fix_them() {
    let error = Lockfile::parse("retort.lock", "version = 7\n").expect_err("unknown version");
    assert_eq!(
        error.to_string(),
        "retort.lock has layout version 7; this retort reads version 1: write it again with 'retort lock'"
    );
    let error = Lockfile::parse("retort.lock", "version = 1\n[databases.app]\nheads = 1\n")
        .expect_err("invalid");
    assert!(
        error
            .to_string()
            .starts_with("retort.lock is not a valid lock file: "),
        "{error}"
    );
}

/// The repository's `retort.lock` pins the example databases as they are: a migration added
/// or edited without `retort lock` fails here (run `cargo run -- lock`).
#[test]
fn the_committed_lock_is_up_to_date() {
    let sets: BTreeMap<String, Arc<MigrationSet>> = BUNDLE
        .databases
        .iter()
        .map(|database| {
            let set =
                MigrationSet::load(database.source_files()).expect("the example migrations load");
            (database.name.to_owned(), Arc::new(set))
        })
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../retort.lock");
    let committed = fs::read_to_string(&path).expect("the repository has a retort.lock");
    assert_eq!(
        committed,
        Lockfile::of(&sets).render(),
        "retort.lock is stale: run 'cargo run -- lock' and commit it"
    );
}
