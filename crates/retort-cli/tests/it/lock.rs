//! `retort.lock` (issue 5): `lock` writes it, `check --locked` fails and `upgrade --locked`
//! refuses while the migrations differ from it; `rebase` linearises unreleased heads.

use std::fs;

use crate::common::{Migration, TestProject, example_project};

fn linear(revision: &'static str, down_revision: &'static str) -> Migration<'static> {
    Migration {
        revision,
        down_revision,
        message: revision,
        upgrade: "SELECT 1;",
        downgrade: Some("SELECT 1;"),
        ..Migration::default()
    }
}

#[test]
fn a_migration_added_without_relocking_fails_check_and_refuses_upgrade() {
    let project = example_project();
    project.retort(&["upgrade"]).success();
    project.retort(&["check", "--locked"]).check(
        1,
        "",
        "there is no retort.lock; write it with 'retort lock' and commit it\n",
    );
    project
        .retort(&["lock"])
        .check(0, "Writing retort.lock ... done\n", "");
    project
        .retort(&["lock"])
        .check(0, "", "retort.lock is up to date\n");
    project.retort(&["upgrade", "--locked"]).success();
    project
        .retort(&["check", "--locked"])
        .check(0, "", "2 databases are up to date\n");

    project.migration("app", "7_extra7.sql", &linear("extra7", "login6"));
    project.migration("registry", "2_tools2.sql", &{
        let mut edited = linear("tools1", "");
        edited.upgrade = "CREATE TABLE tools (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
        edited.message = "create tools";
        edited.downgrade = Some("DROP TABLE tools; -- edited");
        edited
    });
    fs::remove_file(project.path("databases/registry/versions/1_tools1.sql")).expect("remove");
    project.retort(&["check", "--locked", "--db", "app"]).refused_with(
        1,
        &["database 'app': heads extra7; the lock has login6; run 'retort lock' and commit retort.lock\n"],
    );
    project.retort(&["upgrade", "--locked"]).check(
        2,
        "",
        "error: the migrations are not the ones retort.lock pins; refusing to run them (run 'retort lock' and commit retort.lock if the change is intended):
  database 'app': heads extra7; the lock has login6
  database 'registry': revisions were edited, added or removed since the lock was written (1 revision now, 1 locked)
",
    );
    assert_eq!(
        project.version_rows("app"),
        ["login6"],
        "a refused upgrade ran"
    );

    project.retort(&["lock", "--db", "app"]).success();
    project
        .retort(&["upgrade", "--locked", "--db", "app"])
        .success();
    assert_eq!(project.version_rows("app"), ["extra7"]);
    project.retort(&["check", "--locked", "--db", "registry"]).refused_with(
        1,
        &["database 'registry': revisions were edited, added or removed since the lock was written"],
    );
}

#[test]
fn a_lock_of_databases_no_longer_configured_fails_check() {
    let project = TestProject::with_databases(&["app", "gone"]);
    project.migration("app", "1_a1.sql", &linear("a1", ""));
    project.retort(&["lock"]).success();
    project.write(
        "config/retort.toml",
        "[databases.app]\nurl = \"sqlite:data/app.db\"\n",
    );
    project.retort(&["upgrade"]).success();
    project.retort(&["check", "--locked"]).check(
        1,
        "",
        "the lock has database 'gone', which is not configured; run 'retort lock' and commit retort.lock\n",
    );
}

/// Two people each added a revision on top of `login6`.
fn project_with_two_heads() -> TestProject {
    let project = example_project();
    project.retort(&["upgrade"]).success();
    let mut first = linear("first7", "login6");
    let mut second = linear("second7", "login6");
    first.upgrade = "CREATE TABLE first_table (id INTEGER);";
    second.upgrade = "CREATE TABLE second_table (id INTEGER);";
    project.migration("app", "7_first7.sql", &first);
    project.migration("app", "8_second7.sql", &second);
    project
}

#[test]
fn rebase_moves_the_unreleased_branch_on_top_of_the_released_one() {
    let project = project_with_two_heads();
    project
        .retort(&["upgrade", "second7", "--db", "app"])
        .success();
    project.retort(&["rebase", "--db", "app"]).check(
        0,
        "Moving revision first7 (databases/app/versions/7_first7.sql) onto second7 (was login6) ... done\n",
        "",
    );
    assert!(
        project
            .read("databases/app/versions/7_first7.sql")
            .starts_with("-- revision: first7\n-- down_revision: second7\n-- message: first7\n")
    );
    project
        .retort(&["heads", "--db", "app"])
        .check(0, "first7 (billing) (head)\n", "");
    project.retort(&["upgrade"]).success();
    assert_eq!(project.version_rows("app"), ["first7"]);
    project.retort(&["rebase", "--db", "app"]).check(
        0,
        "",
        "database 'app' has 1 head; nothing to rebase\n",
    );
}

#[test]
fn rebase_refuses_released_branches_and_offers_merge() {
    let project = project_with_two_heads();
    project.retort(&["upgrade", "heads"]).success();
    project.retort(&["rebase", "--db", "app"]).check(
        2,
        "",
        "error: cannot rebase database 'app': more than one of its branches has released revisions: first7 (applied to database 'app'), second7 (applied to database 'app'); merge its heads instead: retort merge --db app heads -m \"merge heads\"\n",
    );

    // Released elsewhere: the lock pins both heads.
    let project = project_with_two_heads();
    project.retort(&["lock"]).success();
    project.retort(&["rebase", "--db", "app"]).refused_with(
        2,
        &["more than one of its branches has released revisions: first7 (pinned by retort.lock), second7 (pinned by retort.lock)"],
    );
    assert!(
        project
            .read("databases/app/versions/8_second7.sql")
            .contains("-- down_revision: login6\n")
    );
}

#[test]
fn the_copied_release_binary_matches_its_built_in_lock() {
    let project = TestProject::empty();
    let binary = project.path("retort");
    fs::copy(env!("CARGO_BIN_EXE_retort"), &binary).expect("copy the binary");
    fs::create_dir_all(project.path("data")).expect("data directory");
    project
        .run_program(&binary, project.root(), &["upgrade", "--locked"], &[])
        .success();
    project
        .run_program(&binary, project.root(), &["check", "--locked"], &[])
        .check(0, "", "2 databases are up to date\n");
}
