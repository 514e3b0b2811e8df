//! Finding and reading the configuration: errors name the file (and line) or the variable,
//! layers override in order, and `--db` selects configured databases only.

use std::fs;

use crate::common::{TestProject, example_project};

/// With no config file, the binary runs on the configuration and migrations it carries (see
/// `release.rs`); an explicit `--config` that does not exist is still an error.
#[test]
fn no_config_runs_on_the_built_in_one() {
    let project = TestProject::empty();
    project.retort(&["heads"]).check(
        0,
        "== app ==\n9b3d5f7a2c48 (billing) (head)\n== tool_registry ==\na7d9e1f3b542 (head)\n",
        "",
    );
    project
        .retort(&["--config", "config/retort.toml", "heads"])
        .fails_with(2, "error: cannot read config file config/retort.toml: ");
}

#[test]
fn bad_toml_names_the_file_and_line() {
    let project = TestProject::with_config("[databases.app]\nurl = \"sqlite:data/app.db\n");
    project.retort(&["heads"]).check(
        2,
        "",
        "error: config/retort.toml:2:26: invalid TOML: invalid basic string, expected `\"`\n",
    );
}

#[test]
fn unknown_keys_are_named_with_their_file() {
    let project = TestProject::with_config(
        "[databases.app]\nurl = \"sqlite:data/app.db\"\nlock_timeout = 5\n",
    );
    project.retort(&["heads"]).check(
        2,
        "",
        "error: unknown key 'databases.app.lock_timeout' in config/retort.toml:3; expected one of: url, url_env, versions, version_table, history_table, after, lock_timeout_secs, connect_timeout_secs, expected_heads, schema, extensions, create_database, transaction_mode\n",
    );
    let project = TestProject::with_config("[database.app]\nurl = \"sqlite:data/app.db\"\n");
    project.retort(&["heads"]).fails_with(
        2,
        "error: unknown key 'database' in config/retort.toml:1; expected one of: databases\n",
    );
}

#[test]
fn bad_values_and_missing_urls_are_all_reported() {
    let project = TestProject::with_config(
        "[databases.app]\nversions = \"v\"\n\n[databases.other]\nurl = \"oracle://scott:tiger@db/orcl\"\nafter = [\"nowhere\"]\n",
    );
    project.retort(&["heads"]).check(
        2,
        "",
        "\
error: 3 problems in the configuration:
  database 'app' has neither 'url' nor 'url_env' in config/retort.toml:1
  invalid url for database 'other' (from config/retort.toml:5): unsupported database url scheme `oracle` (supported: sqlite:, postgres://, postgresql://, mysql://, mariadb://)
  database 'other' in config/retort.toml:6 lists 'nowhere' in 'after', which is not configured (configured: app, other)
",
    );
    let project = TestProject::with_config(
        "[databases.app]\nurl = \"sqlite:data/app.db\"\nlock_timeout_secs = \"soon\"\n",
    );
    project.retort(&["heads"]).check(
        2,
        "",
        "error: invalid value for 'databases.app.lock_timeout_secs' in config/retort.toml:3: invalid type: found string \"soon\", expected u64\n",
    );
}

#[test]
fn unknown_databases_list_the_configured_ones() {
    let project = example_project();
    project
        .retort(&["heads", "--db", "billing"])
        .check(2, "", "error: database 'billing' is not configured; configured in config/retort.toml: app, registry\n");
}

#[test]
fn environment_variables_override_the_file_and_are_named_in_errors() {
    let project = example_project();
    let run = project.retort_with(
        project.root(),
        &["current", "--db", "app", "--verbose"],
        &[("RETORT_DATABASES__APP__URL", "sqlite:data/elsewhere.db")],
    );
    run.check(
        0,
        "Current revision(s) for sqlite://[ROOT]/data/elsewhere.db:\n",
        "",
    );
    let run = project.retort_with(
        project.root(),
        &["heads"],
        &[("RETORT_DATABASES__APP__LOCKTIMEOUT", "5")],
    );
    run.fails_with(2, "error: unknown key 'databases.app.locktimeout' in environment variable RETORT_DATABASES__APP__LOCKTIMEOUT;");
    let run = project.retort_with(
        project.root(),
        &["heads", "--db", "app"],
        &[("RETORT_ENV", ""), ("RETORT_SOMETHING_ELSE", "x")],
    );
    run.check(0, "login6 (billing) (head)\n", "");
}

#[test]
fn url_env_wins_over_url_when_set() {
    let project = example_project();
    let config = project.read("config/retort.toml").replace(
        "[databases.app]\nurl = \"sqlite:data/app.db\"\n",
        "[databases.app]\nurl = \"sqlite:data/app.db\"\nurl_env = \"APP_DATABASE_URL\"\n",
    );
    project.write("config/retort.toml", &config);
    let run = project.retort_with(
        project.root(),
        &["current", "--db", "app", "-v"],
        &[("APP_DATABASE_URL", "sqlite:data/from_env.db")],
    );
    run.check(
        0,
        "Current revision(s) for sqlite://[ROOT]/data/from_env.db:\n",
        "",
    );
    project.retort(&["current", "--db", "app", "-v"]).check(
        0,
        "Current revision(s) for sqlite://[ROOT]/data/app.db:\n",
        "",
    );
}

#[test]
fn an_unset_url_env_without_url_fails_only_when_connecting() {
    let project = TestProject::with_config("[databases.app]\nurl_env = \"APP_DATABASE_URL\"\n");
    fs::create_dir_all(project.versions("app")).expect("versions");
    project.retort(&["heads"]).check(0, "", "");
    project.retort(&["current"]).check(
        2,
        "",
        "error: database 'app' has no url: the environment variable APP_DATABASE_URL named by its url_env is not set, and config/retort.toml gives no 'url'\n",
    );
}

#[test]
fn the_env_overlay_is_read_over_the_base_config() {
    let project = example_project();
    project.write(
        "config/retort.ci.toml",
        "[databases.app]\nurl = \"sqlite:data/ci.db\"\n",
    );
    for args in [
        &["--env", "ci", "current", "--db", "app", "-v"][..],
        &["current", "--db", "app", "-v"][..],
    ] {
        let variables: &[(&str, &str)] = if args[0] == "--env" {
            &[]
        } else {
            &[("RETORT_ENV", "ci")]
        };
        project.retort_with(project.root(), args, variables).check(
            0,
            "Current revision(s) for sqlite://[ROOT]/data/ci.db:\n",
            "",
        );
    }
    project.retort(&["--env", "staging", "heads"]).check(
        2,
        "",
        "error: cannot read config file config/retort.staging.toml: No such file or directory (os error 2)\n",
    );
}

#[test]
fn the_config_is_found_from_a_subdirectory_and_paths_stay_relative_to_the_root() {
    let project = example_project();
    let run = project.retort_with(
        &project.versions("app"),
        &["current", "--db", "app", "-v"],
        &[],
    );
    run.check(
        0,
        "Current revision(s) for sqlite://[ROOT]/data/app.db:\n",
        "",
    );
    let run = project.retort_with(
        &project.versions("app"),
        &["show", "--db", "app", "users1"],
        &[],
    );
    assert!(
        run.success()
            .contains("Path: databases/app/versions/1_users1.sql\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_explicit_config_outside_config_dir_makes_its_directory_the_root() {
    let project = TestProject::empty();
    project.write(
        "deploy/retort.toml",
        "[databases.app]\nurl = \"sqlite:app.db\"\n",
    );
    fs::create_dir_all(project.path("deploy/databases/app/versions")).expect("versions");
    project
        .retort(&["--config", "deploy/retort.toml", "current", "-v"])
        .check(
            0,
            "Current revision(s) for sqlite://[ROOT]/deploy/app.db:\n",
            "",
        );
}

#[test]
fn a_missing_versions_directory_is_named() {
    let project = TestProject::with_config("[databases.app]\nurl = \"sqlite:data/app.db\"\n");
    project.retort(&["heads"]).check(
        2,
        "",
        "error: the versions directory databases/app/versions of database 'app' does not exist; create it, or set 'versions' in the config\n",
    );
}
