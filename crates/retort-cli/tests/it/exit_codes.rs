//! The documented exit codes: 0 success, 1 a migration failed, 2 bad input of any kind.

use crate::common::{Migration, TestProject, example_project};

#[test]
fn success_is_0() {
    example_project().retort(&["heads"]).success();
}

#[test]
fn usage_errors_are_2() {
    let project = example_project();
    let run = project.retort(&["upgrade", "--no-such-flag"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
    assert_eq!(project.retort(&["stamp"]).code, 2);
}

#[test]
fn help_and_version_are_0() {
    let project = TestProject::empty();
    assert!(
        project
            .retort(&["--help"])
            .success()
            .contains("Usage: retort")
    );
    assert!(
        project
            .retort(&["--version"])
            .success()
            .starts_with("retort ")
    );
}

#[test]
fn connection_problems_are_2() {
    let project = TestProject::with_config(
        "[databases.app]\nurl = \"postgres://app:Secret1@localhost:1/app\"\n",
    );
    std::fs::create_dir_all(project.versions("app")).expect("versions");
    let run = project.retort(&["current"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.starts_with("error: database 'app': "),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("Secret1"),
        "the password leaked: {}",
        run.stderr
    );
}

#[test]
fn a_failed_migration_is_1() {
    let project = TestProject::with_databases(&["app"]);
    project.migration(
        "app",
        "1_a1.sql",
        &Migration {
            revision: "a1",
            message: "broken",
            upgrade: "NOT SQL AT ALL;",
            ..Migration::default()
        },
    );
    assert_eq!(project.retort(&["upgrade"]).code, 1);
}
