//! The whole everyday flow on one database, as a user runs it: revision, upgrade, current,
//! history, downgrade -1, a second branch and its merge, stamp --purge, and upgrade --sql.

use crate::common::TestProject;

/// Writes SQL into the empty sections of a generated file; returns the file's path.
fn fill_sections(
    project: &TestProject,
    generating_line: &str,
    upgrade: &str,
    downgrade: &str,
) -> String {
    let path = generating_line
        .strip_prefix("Generating ")
        .and_then(|rest| rest.strip_suffix(" ... done\n"))
        .expect("a Generating line")
        .to_owned();
    let text = project.read(&path);
    let filled = text.replace(
        "-- upgrade\n\n\n-- downgrade\n\n",
        &format!("-- upgrade\n{upgrade}\n\n-- downgrade\n{downgrade}\n"),
    );
    assert_ne!(text, filled, "the generated file has empty sections");
    project.write(&path, &filled);
    path
}

#[test]
fn revision_upgrade_downgrade_merge_stamp_and_offline() {
    let project = TestProject::with_databases(&["app"]);

    let run = project.retort(&["revision", "-m", "create users", "--rev-id", "users1"]);
    fill_sections(
        &project,
        run.success(),
        "CREATE TABLE users (id INTEGER PRIMARY KEY);",
        "DROP TABLE users;",
    );
    let run = project.retort(&["revision", "-m", "create projects"]);
    let projects_path = fill_sections(
        &project,
        run.success(),
        "CREATE TABLE projects (id INTEGER PRIMARY KEY);",
        "DROP TABLE projects;",
    );
    let projects = projects_path
        .trim_start_matches("databases/app/versions/")
        .split('_')
        .next()
        .expect("id")
        .to_owned();

    project.retort(&["upgrade"]).success();
    assert_eq!(project.tables("app"), ["projects", "users"]);
    assert_eq!(project.version_rows("app"), [projects.as_str()]);
    project
        .retort(&["current"])
        .check(0, &format!("{projects} (head)\n"), "");
    project.retort(&["history", "-i"]).check(
        0,
        &format!("users1 -> {projects} (head) (current), create projects\n<base> -> users1, create users\n"),
        "",
    );

    project.retort(&["downgrade", "-1"]).check(
        0,
        "",
        &format!("app: at {projects}, 1 step to run\napp: downgrade {projects} (create projects) ... ok [TIME]\n"),
    );
    assert_eq!(project.tables("app"), ["users"]);
    assert_eq!(project.version_rows("app"), ["users1"]);

    let run = project.retort(&[
        "revision",
        "-m",
        "create tags",
        "--head",
        "users1",
        "--splice",
        "--rev-id",
        "tags3",
    ]);
    fill_sections(
        &project,
        run.success(),
        "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        "DROP TABLE tags;",
    );
    project
        .retort(&["revision", "-m", "too early"])
        .fails_with(2, "multiple heads are present");
    project.retort(&["upgrade"]).success();
    assert_eq!(project.tables("app"), ["projects", "tags", "users"]);
    let mut both_heads = vec![projects.clone(), "tags3".to_owned()];
    both_heads.sort();
    assert_eq!(project.version_rows("app"), both_heads);

    project
        .retort(&["merge", "-m", "merge heads", "--rev-id", "merge4"])
        .check(
            0,
            "Generating databases/app/versions/merge4_merge_heads.sql ... done\n",
            "",
        );
    assert!(
        project
            .read("databases/app/versions/merge4_merge_heads.sql")
            .contains(&format!("-- down_revision: {projects}, tags3\n"))
    );
    project.retort(&["upgrade"]).success();
    assert_eq!(project.version_rows("app"), ["merge4"]);
    project
        .retort(&["current"])
        .check(0, "merge4 (head) (mergepoint)\n", "");

    project.retort(&["stamp", "--purge", "users1"]).success();
    assert_eq!(project.version_rows("app"), ["users1"]);
    assert_eq!(project.tables("app"), ["projects", "tags", "users"]);

    let run = project.retort(&["upgrade", "users1:heads", "--sql"]);
    let script = run.success();
    assert!(!script.contains("CREATE TABLE retort_version"), "{script}");
    assert!(
        script.contains("CREATE TABLE tags (id INTEGER PRIMARY KEY);"),
        "{script}"
    );
    assert!(
        script.contains(&format!("-- Running upgrade {projects}, tags3 -> merge4\n")),
        "{script}"
    );
    assert_eq!(
        project.version_rows("app"),
        ["users1"],
        "--sql changes nothing"
    );
}
