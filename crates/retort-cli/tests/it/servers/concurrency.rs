//! Eight `retort upgrade` processes started at once on the same database, on every engine: each
//! migration runs exactly once, every process exits 0 (the waiters wait for the lock, then find
//! nothing to do), and history holds one applied row per migration.

use super::{EngineProject, Migration, UrlSource, finish_all, matrix_test};

const RUNNERS: usize = 8;

/// `run1` creates `applied`; every migration records itself there once it runs. `run3` takes a
/// moment (an engine-specific pause), so that the other runners arrive while the lock is held.
fn write_migrations(project: &EngineProject) {
    for number in 1..=5 {
        let revision = format!("run{number}");
        let down_revision = if number == 1 {
            String::new()
        } else {
            format!("run{}", number - 1)
        };
        let create = if number == 1 {
            "CREATE TABLE applied (revision VARCHAR(32) NOT NULL);".to_owned()
        } else {
            format!("CREATE TABLE t{number} (id INTEGER PRIMARY KEY);")
        };
        let record = format!("INSERT INTO applied (revision) VALUES ('{revision}');");
        let body = if number == 3 {
            format!(
                "-- upgrade postgres\n{create}\nSELECT pg_sleep(0.3);\n{record}\n\n\
                 -- upgrade mysql\n{create}\nSELECT SLEEP(0.3);\n{record}\n\n\
                 -- upgrade sqlite\n{create}\n\
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) \
                 SELECT COUNT(*) FROM n;\n{record}\n"
            )
        } else {
            format!("-- upgrade\n{create}\n{record}\n")
        };
        project.migration(
            &format!("{number}_{revision}.sql"),
            &Migration {
                revision: &revision,
                down_revision: &down_revision,
                message: &format!("step {number}"),
                body: &body,
                ..Migration::default()
            },
        );
    }
}

matrix_test!(
    fn eight_runners_at_once_apply_each_migration_once(project) {
        let mut project = project;
        project.set_url_source(UrlSource::RetortVariable);
        write_migrations(&project);
        let database = &project.database;

        let children = (0..RUNNERS)
            .map(|_| project.spawn(&["upgrade"]))
            .collect();
        let runs = finish_all(&project, &["upgrade"], children);
        for run in &runs {
            run.success();
        }

        assert_eq!(database.version_rows(), ["run5"]);
        assert_eq!(
            database
                .inspect()
                .strings("SELECT revision FROM applied ORDER BY revision"),
            ["run1", "run2", "run3", "run4", "run5"],
            "each migration ran exactly once"
        );
        assert_eq!(
            database.history(),
            [
                "run1 upgrade applied",
                "run2 upgrade applied",
                "run3 upgrade applied",
                "run4 upgrade applied",
                "run5 upgrade applied"
            ]
        );
        assert_eq!(database.tables(), ["applied", "t2", "t3", "t4", "t5"]);
    }
);
