//! `plan`, `status` and `check`: read-only views of every database, which create nothing.

use crate::common::{Migration, TestProject, example_project};

#[test]
fn plan_lists_steps_by_wave_and_creates_nothing() {
    let project = example_project();
    let run = project.retort(&["plan"]);
    run.check(
        0,
        "\
upgrade to heads: 7 steps in 2 databases, 6 waves

database  from  to      steps
app       base  login6  6
registry  base  tools1  1

wave  database  step               message                  waits for
1     app       upgrade users1     create users
1     registry  upgrade tools1     create tools
2     app       upgrade projects2  create projects
3     app       upgrade tools4     link projects to tools   registry:tools1
4     app       upgrade invoices3  create invoices
5     app       upgrade merge5     merge billing and tools
6     app       upgrade login6     add last login
",
        "",
    );
    assert!(!project.path("data").exists(), "plan created files");
    project
        .retort(&["upgrade", "projects2", "--db", "app"])
        .success();
    project
        .retort(&["plan", "--downgrade", "base", "--db", "app"])
        .check(
            0,
            "\
downgrade to base: 2 steps in 1 database, 2 waves

database  from       to    steps
app       projects2  base  2

wave  database  step                 message          waits for
1     app       downgrade projects2  create projects
2     app       downgrade users1     create users
",
            "",
        );
}

#[test]
fn plan_speaks_json_dot_and_mermaid() {
    let project = example_project();
    let json = project.retort(&["plan", "--format", "json"]);
    let plan: serde_json::Value =
        serde_json::from_str(json.success()).expect("plan --format json is JSON");
    assert_eq!(plan["waves"], 6);
    let tools4 = plan["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|step| step["revision"] == "tools4"))
        .cloned();
    let tools4 = tools4.expect("tools4 is planned");
    assert_eq!(tools4["path"], "databases/app/versions/4_tools4.sql");
    assert_eq!(tools4["waits_for"][1]["step"]["database"], "registry");
    assert_eq!(tools4["waits_for"][1]["because"]["kind"], "depends_on");

    let dot = project.retort(&["plan", "--format", "dot"]);
    let dot = dot.success();
    assert!(dot.starts_with("digraph retort_plan {\n"), "{dot}");
    assert!(
        dot.contains(
            "  \"registry:tools1\" -> \"app:tools4\" [style=dashed, label=\"depends_on\"];\n"
        ),
        "{dot}"
    );
    assert!(
        dot.contains("  \"app:users1\" -> \"app:projects2\";\n"),
        "{dot}"
    );

    let mermaid = project.retort(&["plan", "--format", "mermaid"]);
    let mermaid = mermaid.success();
    assert!(
        mermaid.starts_with("flowchart LR\n  subgraph d0 [\"app\"]\n"),
        "{mermaid}"
    );
    assert!(mermaid.contains(" -.->|depends_on| "), "{mermaid}");
}

#[test]
fn plan_refuses_what_the_run_would_refuse() {
    let project = example_project();
    project.retort(&["plan", "--db", "app"]).refused_with(
        2,
        &["error: database 'app': revision tools4 (databases/app/versions/4_tools4.sql) depends on registry:tools1, which is not applied; run 'upgrade --db registry' first"],
    );
    project
        .retort(&["plan", "--downgrade"])
        .refused_with(2, &["error: plan --downgrade needs a TARGET"]);
    assert!(!project.path("data").exists());
}

#[test]
fn status_shows_each_database_and_check_fails_until_everything_is_applied() {
    let project = example_project();
    project.retort(&["status"]).check(
        0,
        "\
database  current  heads   pending  unexpected heads  edited files
app       base     login6  6        -                 -
registry  base     tools1  1        -                 -
",
        "",
    );
    project.retort(&["check"]).check(
        1,
        "",
        "\
database 'app': 6 migrations pending (users1, projects2, tools4, invoices3, merge5, login6); run 'retort upgrade'
database 'registry': 1 migration pending (tools1); run 'retort upgrade'
",
    );
    assert!(
        !project.path("data").exists(),
        "status or check created files"
    );
    project.retort(&["upgrade"]).success();
    project
        .retort(&["check"])
        .check(0, "", "2 databases are up to date\n");
    let status = project.retort(&["status", "--format", "json"]);
    let status: serde_json::Value =
        serde_json::from_str(status.success()).expect("status --format json is JSON");
    assert_eq!(status["databases"][0]["current"][0], "login6");
    assert_eq!(
        status["databases"][0]["pending"].as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn check_fails_on_edited_files_and_unexpected_heads() {
    let project = example_project();
    project.retort(&["upgrade"]).success();
    let path = "databases/registry/versions/1_tools1.sql";
    project.write(
        path,
        &project
            .read(path)
            .replace("name TEXT NOT NULL", "name TEXT"),
    );
    project.migration(
        "app",
        "7_side7.sql",
        &Migration {
            revision: "side7",
            down_revision: "merge5",
            message: "a second head",
            upgrade: "SELECT 1;",
            ..Migration::default()
        },
    );
    let edited = "database 'registry': revision tools1 (databases/registry/versions/1_tools1.sql) was edited after it was applied; restore it, or add a new migration\n";
    project.retort(&["check"]).check(
        1,
        "",
        &format!(
            "database 'app': 1 migration pending (side7); run 'retort upgrade'\n\
             database 'app' has 2 heads (login6, side7), more than the 1 its config expects; merge them with: retort merge --db app heads -m \"merge heads\"\n{edited}"
        ),
    );
    project.retort(&["status", "--db", "app"]).check(
        0,
        "\
database  current  heads          pending  unexpected heads  edited files
app       login6   login6, side7  1        2 (expects 1)     -
",
        "warning: database 'app' has 2 heads (login6, side7), more than the 1 its config expects; merge them with: retort merge --db app heads -m \"merge heads\"\n",
    );
    // Two heads are fine where the config expects them.
    let config = project
        .read("config/retort.toml")
        .replace("[databases.app]\n", "[databases.app]\nexpected_heads = 2\n");
    project.write("config/retort.toml", &config);
    project
        .retort(&["upgrade", "heads", "--db", "app"])
        .success();
    project
        .retort(&["check", "--db", "app"])
        .check(0, "", "1 database is up to date\n");
    project
        .retort(&["check", "--db", "registry"])
        .check(1, "", edited);
}

#[test]
fn a_database_that_is_not_there_yet_reads_as_empty() {
    let project = TestProject::with_databases(&["app"]);
    project.retort(&["status"]).check(
        0,
        "\
database  current  heads  pending  unexpected heads  edited files
app       base     -      0        -                 -
",
        "",
    );
    project
        .retort(&["check"])
        .check(0, "", "1 database is up to date\n");
    assert!(!project.path("data/app.db").exists());
}
