//! `revision` and `merge`: the files they write, and Alembic's rules and errors for parents,
//! dependencies and ids.

use crate::common::{TestProject, example_project};

/// The file's text with its `-- created:` value checked (RFC 3339, UTC) and replaced.
fn with_created_checked(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("-- created: ") {
            Some(created) => {
                assert!(
                    created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
                    "{created}"
                );
                "-- created: [CREATED]".to_owned()
            }
            None => line.to_owned(),
        })
        .map(|line| line + "\n")
        .collect()
}

#[test]
fn a_first_revision_is_a_base_with_empty_sections() {
    let project = TestProject::with_databases(&["app"]);
    project
        .retort(&[
            "revision",
            "-m",
            "Create users!",
            "--rev-id",
            "3f1c2a9b7d10",
        ])
        .check(
            0,
            "Generating databases/app/versions/3f1c2a9b7d10_create_users.sql ... done\n",
            "",
        );
    let text = project.read("databases/app/versions/3f1c2a9b7d10_create_users.sql");
    assert_eq!(
        with_created_checked(&text),
        "\
-- revision: 3f1c2a9b7d10
-- down_revision:
-- message: Create users!
-- created: [CREATED]

-- upgrade


-- downgrade

"
    );
    project
        .retort(&["heads"])
        .check(0, "3f1c2a9b7d10 (head)\n", "");
}

#[test]
fn generated_ids_are_twelve_hex_digits_and_chain_onto_the_head() {
    let project = TestProject::with_databases(&["app"]);
    project
        .retort(&["revision", "-m", "first", "--rev-id", "first1"])
        .success();
    let run = project.retort(&[
        "revision",
        "-m",
        "a message that is rather long, longer than forty characters",
    ]);
    let stdout = run.success();
    let files = project.version_files("app");
    let second = files
        .iter()
        .find(|name| !name.starts_with("first1"))
        .expect("a second file");
    let (id, slug) = second.split_once('_').expect("id_slug");
    assert_eq!(id.len(), 12);
    assert!(
        id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
        "{id}"
    );
    assert_eq!(slug, "a_message_that_is_rather_long_longer_.sql");
    assert_eq!(
        stdout,
        format!("Generating databases/app/versions/{second} ... done\n")
    );
    assert!(
        project
            .read(&format!("databases/app/versions/{second}"))
            .contains("-- down_revision: first1\n")
    );
}

#[test]
fn revision_needs_one_database() {
    let project = example_project();
    project.retort(&["revision", "-m", "x"]).check(
        2,
        "",
        "error: revision acts on exactly one database; pass --db NAME (configured: app, registry)\n",
    );
}

#[test]
fn several_heads_need_a_head_or_a_merge() {
    let project = example_project();
    project
        .retort(&[
            "revision",
            "--db",
            "app",
            "-m",
            "side",
            "--head",
            "projects2",
            "--splice",
            "--rev-id",
            "side7",
        ])
        .success();
    project.retort(&["revision", "--db", "app", "-m", "more"]).check(
        2,
        "",
        "error: database 'app': multiple heads are present (login6, side7); please specify the head revision on which the new revision should be based, or perform a merge: retort merge --db app heads -m \"merge heads\"\n",
    );
    project
        .retort(&[
            "revision", "--db", "app", "-m", "more", "--head", "side7", "--rev-id", "more8",
        ])
        .success();
    assert!(
        project
            .read("databases/app/versions/more8_more.sql")
            .contains("-- down_revision: side7\n")
    );
}

#[test]
fn a_parent_that_is_not_a_head_needs_splice() {
    let project = example_project();
    project.retort(&["revision", "--db", "app", "-m", "x", "--head", "proj"]).check(
        2,
        "",
        "error: database 'app': revision projects2 is not a head revision; please specify --splice to create a new branch from this revision\n",
    );
    assert_eq!(project.version_files("app").len(), 6);
    project
        .retort(&[
            "revision", "--db", "app", "-m", "x", "--head", "proj", "--splice", "--rev-id", "x7",
        ])
        .success();
    project
        .retort(&["heads", "--db", "app"])
        .check(0, "login6 (billing) (head)\nx7 (head)\n", "");
}

#[test]
fn head_base_starts_a_new_root() {
    let project = example_project();
    project
        .retort(&[
            "revision", "--db", "app", "-m", "root", "--head", "base", "--rev-id", "root7",
        ])
        .success();
    assert!(
        project
            .read("databases/app/versions/root7_root.sql")
            .contains("-- down_revision:\n")
    );
}

#[test]
fn depends_on_resolves_partial_ids_keeps_labels_and_reaches_other_databases() {
    let project = example_project();
    project
        .retort(&[
            "revision",
            "--db",
            "app",
            "-m",
            "deps",
            "--rev-id",
            "deps7",
            "--depends-on",
            "proj",
            "--depends-on",
            "billing",
            "--depends-on",
            "registry:tool",
        ])
        .success();
    let text = project.read("databases/app/versions/deps7_deps.sql");
    assert!(
        text.contains(
            "-- down_revision: login6\n-- depends_on: projects2, billing, registry:tools1\n"
        ),
        "{text}"
    );
    project.retort(&["show", "--db", "app", "deps7"]).success();
}

#[test]
fn depends_on_errors_name_the_problem() {
    let project = example_project();
    project
        .retort(&["revision", "--db", "app", "-m", "x", "--depends-on", "nowhere:abc"])
        .check(2, "", "error: --depends-on 'nowhere:abc': database 'nowhere' is not configured (configured: app, registry)\n");
    project
        .retort(&[
            "revision",
            "--db",
            "app",
            "-m",
            "x",
            "--depends-on",
            "registry:zzzz",
        ])
        .check(
            2,
            "",
            "error: database 'registry': no such revision or branch 'zzzz'\n",
        );
    project
        .retort(&["revision", "--db", "app", "-m", "x", "--depends-on", "zzzz"])
        .check(
            2,
            "",
            "error: database 'app': no such revision or branch 'zzzz'\n",
        );
    assert_eq!(project.version_files("app").len(), 6);
}

#[test]
fn rev_ids_are_checked() {
    let project = example_project();
    project
        .retort(&["revision", "--db", "app", "-m", "x", "--rev-id", "a-b"])
        .fails_with(
            2,
            "error: --rev-id: invalid revision identifier 'a-b': character(s) '-' not allowed",
        );
    project.retort(&["revision", "--db", "app", "-m", "x", "--rev-id", "users1"]).check(
        2,
        "",
        "error: database 'app': revision id 'users1' is already used by databases/app/versions/1_users1.sql\n",
    );
}

#[test]
fn a_revision_that_would_not_load_is_not_written() {
    let project = example_project();
    project.retort(&["revision", "--db", "app", "-m", "x", "--rev-id", "x7", "--branch-label", "billing"]).fails_with(
        2,
        "error: the new revision would not load, nothing was written:\n  databases/app/versions/x7_x.sql:",
    );
    assert_eq!(project.version_files("app").len(), 6);
    project
        .retort(&["revision", "--db", "app", "-m", "two\nlines"])
        .check(
            2,
            "",
            "error: the message must be one line: it is written to the '-- message:' header\n",
        );
}

#[test]
fn merge_joins_the_heads() {
    let project = example_project();
    project
        .retort(&[
            "revision", "--db", "app", "-m", "side", "--head", "users1", "--splice", "--rev-id",
            "side7",
        ])
        .success();
    project
        .retort(&[
            "merge",
            "--db",
            "app",
            "-m",
            "merge heads",
            "--rev-id",
            "merge8",
        ])
        .check(
            0,
            "Generating databases/app/versions/merge8_merge_heads.sql ... done\n",
            "",
        );
    let text = project.read("databases/app/versions/merge8_merge_heads.sql");
    assert!(text.contains("-- down_revision: login6, side7\n"), "{text}");
    project
        .retort(&["heads", "--db", "app"])
        .check(0, "merge8 (billing) (head)\n", "");
    project
        .retort(&["merge", "--db", "app", "-m", "again", "users1", "merge8"])
        .fails_with(
            2,
            "error: database 'app': revision users1 is not a head revision;",
        );
    project
        .retort(&["merge", "--db", "app", "-m", "again", "merge8", "heads"])
        .check(
            2,
            "",
            "error: database 'app': duplicate head revisions specified (merge8, merge8)\n",
        );
}

#[test]
fn broken_files_are_all_reported_with_their_lines() {
    let project = example_project();
    project.write(
        "databases/app/versions/7_bad.sql",
        "-- revision: bad7\n-- down_revison: login6\n-- upgrade\n",
    );
    project.write(
        "databases/registry/versions/2_worse.sql",
        "-- message: no id\n-- upgrade\n",
    );
    let run = project.retort(&["heads"]);
    run.fails_with(2, "error: 2 problems in the migration files:\n  databases/app/versions/7_bad.sql:2: unknown header key 'down_revison'");
    run.fails_with(
        2,
        "\n  databases/registry/versions/2_worse.sql:1: missing required header key 'revision'",
    );
    project
        .retort(&["revision", "--db", "app", "-m", "x"])
        .fails_with(
            2,
            "error: databases/app/versions/7_bad.sql:2: unknown header key 'down_revison'",
        );
}
