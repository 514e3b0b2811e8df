//! `init NAME`: the migration crate, its `versions/` and its config entry; refusals.

use crate::common::{TestProject, example_project};

#[test]
fn init_scaffolds_a_crate_and_adds_the_config_entry() {
    let project = example_project();
    project.retort(&["init", "tool_registry"]).check(
        0,
        "\
Creating directory databases/tool_registry/versions ... done
Generating databases/tool_registry/Cargo.toml ... done
Generating databases/tool_registry/build.rs ... done
Generating databases/tool_registry/src/lib.rs ... done
Adding [databases.tool_registry] to config/retort.toml ... done
",
        "",
    );
    let cargo_toml = project.read("databases/tool_registry/Cargo.toml");
    assert!(
        cargo_toml.contains("name = \"tool-registry-migrations\"\n"),
        "{cargo_toml}"
    );
    assert!(
        cargo_toml.contains("version.workspace = true\n"),
        "{cargo_toml}"
    );
    assert!(
        project
            .read("databases/tool_registry/src/lib.rs")
            .contains("pub const DATABASE: &str = \"tool_registry\";")
    );
    assert!(
        project
            .read("databases/tool_registry/build.rs")
            .contains("include_bytes!")
    );
    assert!(project.read("config/retort.toml").ends_with(
        "url = \"sqlite:data/registry.db\"\n\n[databases.tool_registry]\nurl = \"sqlite:data/tool_registry.db\"\n"
    ));
    project
        .retort(&[
            "revision",
            "--db",
            "tool_registry",
            "-m",
            "first",
            "--rev-id",
            "first1",
        ])
        .success();
    project
        .retort(&["upgrade", "--db", "tool_registry"])
        .success();
    assert_eq!(project.version_rows("tool_registry"), ["first1"]);
}

#[test]
fn init_creates_the_config_in_a_new_project() {
    let project = TestProject::empty();
    project.retort(&["init", "app"]).success();
    assert_eq!(
        project.read("config/retort.toml"),
        "[databases.app]\nurl = \"sqlite:data/app.db\"\n"
    );
    project.retort(&["heads"]).check(0, "", "");
}

#[test]
fn init_refuses_what_exists_and_bad_names() {
    let project = example_project();
    project.retort(&["init", "app"]).check(
        2,
        "",
        "error: database 'app' is already configured in config/retort.toml\n",
    );
    project.write("databases/orphan/notes.txt", "x");
    project
        .retort(&["init", "orphan"])
        .check(2, "", "error: databases/orphan already exists\n");
    project.retort(&["init", "Bad-Name"]).check(
        2,
        "",
        "error: invalid database name 'Bad-Name'; expected a lowercase letter, then lowercase letters, digits and '_'\n",
    );
}

/// In a workspace that builds its own retort, `init` adds the new crate to the CLI's
/// dependencies (the next build carries it); until then the new database is read from disk,
/// so `revision` then `upgrade` work at once with the binary already built.
#[test]
fn init_in_a_workspace_that_builds_retort_registers_the_crate() {
    let project = TestProject::empty();
    project.copy_from_workspace("config/retort.toml");
    project.copy_from_workspace("databases/app");
    project.copy_from_workspace("databases/tool_registry");
    project.copy_from_workspace("crates/retort-cli/Cargo.toml");
    project.retort(&["init", "billing"]).check(
        0,
        "\
Creating directory databases/billing/versions ... done
Generating databases/billing/Cargo.toml ... done
Generating databases/billing/build.rs ... done
Generating databases/billing/src/lib.rs ... done
Adding [databases.billing] to config/retort.toml ... done
Adding billing-migrations to the dependencies of crates/retort-cli/Cargo.toml ... done
",
        "",
    );
    let manifest = project.read("crates/retort-cli/Cargo.toml");
    assert!(
        manifest.contains(
            "tool-registry-migrations = { path = \"../../databases/tool_registry\" }\nbilling-migrations = { path = \"../../databases/billing\" }\n"
        ),
        "{manifest}"
    );
    project
        .retort(&[
            "revision", "--db", "billing", "-m", "first", "--rev-id", "bill1",
        ])
        .success();
    project.retort(&["upgrade"]).success();
    assert_eq!(project.version_rows("billing"), ["bill1"]);
    assert_eq!(project.version_rows("app"), ["9b3d5f7a2c48"]);
}
