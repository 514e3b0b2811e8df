//! Rust migrations (issue 5) on every engine: the `app` crate's `backfill_users_display_name`,
//! which a project's `versions/` file names with `-- rust: NAME`, runs in batches with its
//! progress reported as events, reverts, and is marked (not rendered) in offline SQL.

use super::{EngineProject, Migration, matrix_test};
use crate::common::TestProject;

/// `users1` creates users (ids 1, 700 and 1600: four batches of 500 ids); `fill2` is the Rust
/// backfill, in one transaction (the `app` crate's own file commits batch by batch).
fn write_migrations(project: &EngineProject) {
    project.migration(
        "1_users1.sql",
        &Migration {
            revision: "users1",
            message: "create users",
            body: "-- upgrade\n\
                   CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL, display_name VARCHAR(255));\n\
                   INSERT INTO users (id, email) VALUES (1, 'ann@example.org'), (700, 'bob@example.com'), (1600, 'cy@example.net');\n\n\
                   -- downgrade\nDROP TABLE users;\n",
            ..Migration::default()
        },
    );
    project.migration(
        "2_fill2.sql",
        &Migration {
            revision: "fill2",
            down_revision: "users1",
            message: "backfill display names",
            body: "-- upgrade\n-- rust: backfill_users_display_name\n\n\
                   -- downgrade\n-- rust: backfill_users_display_name\n",
            ..Migration::default()
        },
    );
}

matrix_test!(
    fn a_rust_migration_backfills_in_batches_and_reverts(project) {
        write_migrations(&project);
        let upgrade = project.retort(&["upgrade", "--format", "json"]);
        upgrade.success();
        let progress: Vec<String> = upgrade
            .stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|event| event["event"] == "step_progress")
            .map(|event| format!("{} {}/{}", event["revision"], event["done"], event["total"]))
            .collect();
        assert_eq!(
            progress,
            [
                "\"fill2\" 0/1600",
                "\"fill2\" 500/1600",
                "\"fill2\" 1000/1600",
                "\"fill2\" 1500/1600",
                "\"fill2\" 1600/1600"
            ]
        );
        let mut inspector = project.inspect();
        assert_eq!(
            inspector.strings("SELECT display_name FROM users ORDER BY id"),
            ["ann", "bob", "cy"]
        );
        assert_eq!(project.database.version_rows(), ["fill2"]);
        assert_eq!(
            project.database.history(),
            ["users1 upgrade applied", "fill2 upgrade applied"]
        );

        project.retort(&["downgrade", "-1"]).success();
        assert_eq!(
            inspector.integer("SELECT COUNT(*) FROM users WHERE display_name IS NULL"),
            3
        );
        assert_eq!(project.database.version_rows(), ["users1"]);

        let offline = project.retort(&["upgrade", "--sql", "users1:fill2"]);
        offline.success();
        assert!(
            offline.stdout.contains(
                "-- Revision fill2 is the Rust migration 'backfill_users_display_name': it cannot be rendered as SQL.\n"
            ),
            "{offline}"
        );
        assert!(
            offline.stderr.contains("warning: database 'app': revision fill2 is the Rust migration 'backfill_users_display_name', which cannot be rendered as SQL"),
            "{offline}"
        );
    }
);

#[test]
fn a_rust_migration_the_binary_does_not_carry_is_refused_before_anything_runs() {
    let project = TestProject::with_databases(&["app", "other"]);
    for database in ["app", "other"] {
        project.write(
            &format!("databases/{database}/versions/1_a1.sql"),
            "-- revision: a1\n-- down_revision:\n-- message: m\n\n-- upgrade\n-- rust: no_such_migration\n",
        );
    }
    project.retort(&["upgrade"]).refused_with(
        2,
        &[
            "database 'app': revision a1 (databases/app/versions/1_a1.sql) is the Rust migration 'no_such_migration', which this retort does not carry",
            "database 'other': revision a1 (databases/other/versions/1_a1.sql) is the Rust migration 'no_such_migration'",
        ],
    );
    assert!(!project.path("data/app.db").exists() || project.state("app").version_rows.is_empty());
}
