//! The release binary (issue 5): it carries every database's migrations and the shipped
//! configuration, so a copy of it runs with no source tree; in a workspace that builds it, the
//! migrations on disk must be the ones it carries.

use std::fs;

use crate::common::TestProject;

/// The URLs a release image gives: `app` through retort's own variable, `tool_registry`
/// through the `url_env` its shipped config names.
fn release_urls(project: &TestProject) -> Vec<(&'static str, String)> {
    vec![
        (
            "RETORT_DATABASES__APP__URL",
            format!("sqlite:{}", project.path("data/app.db").display()),
        ),
        (
            "TOOL_REGISTRY_DATABASE_URL",
            format!("sqlite:{}", project.path("data/tool_registry.db").display()),
        ),
    ]
}

#[test]
fn a_copied_binary_upgrades_and_checks_with_no_source_tree() {
    let project = TestProject::empty();
    let binary = project.path("retort");
    fs::copy(env!("CARGO_BIN_EXE_retort"), &binary).expect("copy the binary");
    fs::create_dir_all(project.path("data")).expect("data directory");
    let urls = release_urls(&project);
    let variables: Vec<(&str, &str)> = urls
        .iter()
        .map(|(name, url)| (*name, url.as_str()))
        .collect();
    let run = |args: &[&str]| project.run_program(&binary, project.root(), args, &variables);

    let upgrade = run(&["upgrade"]);
    upgrade.success();
    assert!(
        upgrade
            .stderr
            .contains("app: upgrade 9b3d5f7a2c48 (backfill users display name) ... ok"),
        "{}",
        upgrade.stderr
    );
    assert_eq!(project.version_rows("app"), ["9b3d5f7a2c48"]);
    assert_eq!(project.version_rows("tool_registry"), ["a7d9e1f3b542"]);
    run(&["check"]).check(0, "", "2 databases are up to date\n");

    // Nothing but the binary and the databases: no config, no versions.
    let mut entries: Vec<String> = fs::read_dir(project.root())
        .expect("readable")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    entries.sort();
    assert_eq!(entries, ["data", "retort"]);

    run(&["revision", "--db", "app", "-m", "x"]).fails_with(
        2,
        "error: 'revision' changes the project's files, but no config/retort.toml was found in [ROOT] or any parent directory (this retort is running on its built-in migrations); run it in the project\n",
    );
    run(&["--env", "staging", "current"]).fails_with(
        2,
        "error: no built-in config/retort.staging.toml for environment 'staging'",
    );
}

#[test]
fn without_urls_the_shipped_sqlite_paths_are_relative_to_the_current_directory() {
    let project = TestProject::empty();
    let binary = project.path("retort");
    fs::copy(env!("CARGO_BIN_EXE_retort"), &binary).expect("copy the binary");
    fs::create_dir_all(project.path("data")).expect("data directory");
    project
        .run_program(
            &binary,
            project.root(),
            &["upgrade", "--db", "tool_registry"],
            &[],
        )
        .success();
    assert_eq!(project.version_rows("tool_registry"), ["a7d9e1f3b542"]);
}

/// A copy of this workspace's project files: its config, its database crates and, with
/// `builds_retort`, the manifest of the crate that builds retort.
fn copy_of_this_workspace(builds_retort: bool) -> TestProject {
    let project = TestProject::empty();
    project.copy_from_workspace("config/retort.toml");
    project.copy_from_workspace("databases/app");
    project.copy_from_workspace("databases/tool_registry");
    if builds_retort {
        project.copy_from_workspace("crates/retort-cli/Cargo.toml");
    }
    project
}

#[test]
fn migrations_on_disk_that_differ_from_the_built_in_ones_stop_the_command() {
    let project = copy_of_this_workspace(true);
    project.retort(&["status"]).success();

    let edited = "databases/app/versions/6f3b7c4d5a81_add_users_last_login.sql";
    let text = project.read(edited);
    project.write(edited, &text.replace("VARCHAR(32)", "VARCHAR(64)"));
    fs::remove_file(
        project.path("databases/tool_registry/versions/a7d9e1f3b542_index_tool_versions.sql"),
    )
    .expect("remove a revision");
    project
        .retort(&[
            "revision",
            "--db",
            "app",
            "-m",
            "added since",
            "--rev-id",
            "added1",
        ])
        .success();

    project.retort(&["upgrade"]).check(
        2,
        "",
        "error: database 'app': the migrations on disk are not the ones built into this retort; rebuild it (cargo build) or restore the files:
  revision 6f3b7c4d5a81 (databases/app/versions/6f3b7c4d5a81_add_users_last_login.sql) differs from the copy built in
  revision added1 (databases/app/versions/added1_added_since.sql) is on disk but not built in
",
    );
    project.retort(&["status", "--db", "tool_registry"]).check(
        2,
        "",
        "error: database 'tool_registry': the migrations on disk are not the ones built into this retort; rebuild it (cargo build) or restore the files:
  revision a7d9e1f3b542 (databases/tool_registry/versions/a7d9e1f3b542_index_tool_versions.sql) is built in but not on disk
",
    );
    assert!(
        !project.path("data").exists(),
        "a refused command created the databases"
    );
}

#[test]
fn a_project_that_does_not_build_retort_is_read_from_disk_only() {
    let project = copy_of_this_workspace(false);
    project
        .retort(&[
            "revision", "--db", "app", "-m", "added", "--rev-id", "added1",
        ])
        .success();
    project.retort(&["upgrade"]).success();
    assert_eq!(project.version_rows("app"), ["added1"]);
}
