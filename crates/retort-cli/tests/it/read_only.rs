//! `heads`, `branches`, `history`, `show` and `current` in Alembic's formats, on a graph with a
//! branch point, a branch label, a merge and a cross-database dependency.

use crate::common::{Migration, TestProject, example_project};

#[test]
fn heads_lists_labels_and_head_marks() {
    let project = example_project();
    project.retort(&["heads"]).check(
        0,
        "== app ==\nlogin6 (billing) (head)\n== registry ==\ntools1 (head)\n",
        "",
    );
    project
        .retort(&["heads", "--db", "app", "--verbose"])
        .check(
            0,
            "\
Rev: login6 (head)
Parent: merge5
Branch names: billing
Path: databases/app/versions/6_login6.sql

    add last login

",
            "",
        );
}

#[test]
fn heads_mark_effective_heads_and_resolve_dependencies() {
    let project = TestProject::with_databases(&["lib"]);
    project.migration(
        "lib",
        "1_x1.sql",
        &Migration {
            revision: "x1",
            message: "x",
            upgrade: "SELECT 1;",
            ..Migration::default()
        },
    );
    project.migration(
        "lib",
        "2_y1.sql",
        &Migration {
            revision: "y1",
            depends_on: "x1",
            message: "y",
            upgrade: "SELECT 1;",
            ..Migration::default()
        },
    );
    project
        .retort(&["heads"])
        .check(0, "x1 (effective head)\ny1 (head)\n", "");
    project
        .retort(&["heads", "--resolve-dependencies"])
        .check(0, "y1 (head)\n", "");
}

#[test]
fn history_lists_newest_first_with_parents_and_marks() {
    let project = example_project();
    project.retort(&["history", "--db", "app"]).check(
        0,
        "\
merge5 -> login6 (billing) (head), add last login
invoices3, tools4 -> merge5 (billing) (mergepoint), merge billing and tools
projects2 -> invoices3 (billing), create invoices
projects2 (registry:tools1) -> tools4, link projects to tools
users1 -> projects2 (branchpoint), create projects
<base> -> users1, create users
",
        "",
    );
}

#[test]
fn history_takes_a_range() {
    let project = example_project();
    project
        .retort(&["history", "--db", "app", "-r", "projects2:invoices3"])
        .check(
            0,
            "\
projects2 -> invoices3 (billing), create invoices
users1 -> projects2 (branchpoint), create projects
",
            "",
        );
    project
        .retort(&["history", "--db", "app", "-r", "projects2"])
        .check(
            2,
            "",
            "error: history range requires [start]:[end], [start]:, or :[end], got 'projects2'\n",
        );
}

#[test]
fn history_verbose_prints_blocks() {
    let project = example_project();
    let run = project.retort(&["history", "--db", "app", "--verbose", "-r", "merge5:merge5"]);
    run.check(
        0,
        "\
Rev: merge5 (mergepoint)
Merges: invoices3, tools4
Branch names: billing
Path: databases/app/versions/5_merge5.sql

    merge billing and tools

",
        "",
    );
}

#[test]
fn branches_show_each_branch_point_and_its_children() {
    let project = example_project();
    project.retort(&["branches"]).check(
        0,
        "\
== app ==
projects2 (branchpoint)
          -> invoices3 (billing)
          -> tools4

== registry ==
",
        "",
    );
}

#[test]
fn show_prints_the_verbose_block_with_dependencies() {
    let project = example_project();
    project.retort(&["show", "--db", "app", "tools"]).check(
        0,
        "\
Rev: tools4
Parent: projects2
Also depends on: registry:tools1
Path: databases/app/versions/4_tools4.sql

    link projects to tools

",
        "",
    );
    project.retort(&["show", "--db", "app", "projects2"]).check(
        0,
        "\
Rev: projects2 (branchpoint)
Parent: users1
Branches into: invoices3, tools4
Path: databases/app/versions/2_projects2.sql

    create projects

",
        "",
    );
}

#[test]
fn show_reports_unknown_and_ambiguous_revisions() {
    let project = example_project();
    project.retort(&["show", "--db", "app", "nothing"]).check(
        2,
        "",
        "error: database 'app': no such revision or branch 'nothing'\n",
    );
    project.retort(&["show", "--db", "app", "head"]).success();
}

#[test]
fn current_reads_rows_and_marks_them() {
    let project = example_project();
    project.retort(&["upgrade", "--db", "registry"]).success();
    project
        .retort(&["upgrade", "--db", "app", "tools4"])
        .success();
    project
        .retort(&["upgrade", "--db", "app", "invoices3"])
        .success();
    project
        .retort(&["current", "--db", "app"])
        .check(0, "invoices3\ntools4\n", "");
    project
        .retort(&["history", "--db", "app", "-i", "-r", "projects2:"])
        .check(
            0,
            "\
merge5 -> login6 (billing) (head), add last login
invoices3, tools4 -> merge5 (billing) (mergepoint), merge billing and tools
projects2 -> invoices3 (billing) (current), create invoices
projects2 (registry:tools1) -> tools4 (current), link projects to tools
users1 -> projects2 (branchpoint), create projects
",
            "",
        );
    project
        .retort(&["current", "--db", "registry", "--verbose"])
        .check(
            0,
            "\
Current revision(s) for sqlite://[ROOT]/data/registry.db:
Rev: tools1 (head)
Parent: <base>
Path: databases/registry/versions/1_tools1.sql

    create tools

",
            "",
        );
}

#[test]
fn current_never_creates_tables_or_files() {
    let project = example_project();
    project
        .retort(&["current"])
        .check(0, "== app ==\n== registry ==\n", "");
    assert!(!project.path("data/app.db").exists());
    project.retort(&["upgrade", "--db", "registry"]).success();
    project.retort(&["current", "--db", "registry"]).check(0, "tools1 (head)\n", "");
}

#[test]
fn current_marks_and_warns_about_edited_files() {
    let project = example_project();
    project.retort(&["upgrade"]).success();
    let path = "databases/registry/versions/1_tools1.sql";
    let edited = project
        .read(path)
        .replace("name TEXT NOT NULL", "name TEXT");
    project.write(path, &edited);
    project.retort(&["current", "--db", "registry"]).check(
        0,
        "tools1 (head) (edited)\n",
        "warning: database 'registry': revision tools1 (databases/registry/versions/1_tools1.sql) was edited after it was applied; restore it, or add a new migration\n",
    );
}
