//! A runner killed with SIGKILL in the middle of a migration, on PostgreSQL and MariaDB/MySQL:
//! the database is consistent (the version table at the previous revision; on PostgreSQL nothing
//! of the killed migration, on MySQL its progress recorded), the lock died with the process, and
//! a rerun completes promptly (on PostgreSQL because retort asks the server to watch for a
//! vanished client, with no option in the URL).
//!
//! The test waits for the migration to be seen running on the server (polling the server's list
//! of sessions), never for a fixed time.

use std::time::{Duration, Instant};

use super::{Engine, EngineProject, Migration, matrix_test, wait_until};

/// How long the middle migration would sleep, were it not killed.
const LONG_SLEEP: &str = "30";

fn write_migrations(project: &EngineProject, sleep_seconds: &str) {
    let sleep = match project.engine {
        Engine::Postgres => format!("SELECT pg_sleep({sleep_seconds});"),
        _ => format!("SELECT SLEEP({sleep_seconds});"),
    };
    let migrations = [
        (
            "first1",
            "",
            "CREATE TABLE first (id INTEGER PRIMARY KEY);".to_owned(),
        ),
        (
            "sleepy2",
            "first1",
            format!(
                "CREATE TABLE half (id INTEGER PRIMARY KEY);\n{sleep}\n\
                 CREATE TABLE half2 (id INTEGER PRIMARY KEY);"
            ),
        ),
        (
            "last3",
            "sleepy2",
            "CREATE TABLE last (id INTEGER PRIMARY KEY);".to_owned(),
        ),
    ];
    for (number, (revision, down_revision, upgrade)) in migrations.iter().enumerate() {
        project.migration(
            &format!("{}_{revision}.sql", number + 1),
            &Migration {
                revision,
                down_revision,
                message: revision,
                body: &format!("-- upgrade\n{upgrade}\n"),
                ..Migration::default()
            },
        );
    }
}

matrix_test!(
    [postgres, mysql]
    fn a_runner_killed_mid_migration_leaves_a_consistent_database_and_no_lock(project) {
        // No `client_connection_check_interval` in the URL: retort sets it on PostgreSQL, so
        // the server notices the dead client while pg_sleep runs and rolls its transaction back.
        // A stale lock would make the rerun fail after 5 s rather than wait a minute.
        project.configure("lock_timeout_secs = 5");
        write_migrations(&project, LONG_SLEEP);
        let database = &project.database;

        let mut runner = project.spawn(&["upgrade"]);
        let sleeping = match project.engine {
            Engine::Postgres => {
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep(30)%'"
            }
            _ => {
                "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() \
                 AND id <> CONNECTION_ID() AND info LIKE 'SELECT SLEEP(30)%'"
            }
        };
        let mut inspector = database.inspect();
        wait_until("the middle migration runs", Duration::from_secs(20), || {
            inspector.integer(sleeping) == 1
        });
        runner.kill().expect("SIGKILL the runner");
        let output = runner.wait_with_output().expect("the killed runner ends");
        assert_eq!(output.status.code(), None, "killed by a signal");

        let lock_is_held = match project.engine {
            Engine::Postgres => {
                "SELECT COUNT(*) FROM pg_locks \
                 JOIN pg_database ON pg_database.oid = pg_locks.database \
                 WHERE pg_locks.locktype = 'advisory' AND pg_database.datname = current_database()"
                    .to_owned()
            }
            _ => format!(
                "SELECT COUNT(*) FROM \
                 (SELECT IS_USED_LOCK('retort:{}.retort_version') AS holder) AS used \
                 WHERE holder IS NOT NULL",
                database.name
            ),
        };
        wait_until("the killed runner's lock is released", Duration::from_secs(5), || {
            inspector.integer(&lock_is_held) == 0
        });

        assert_eq!(database.version_rows(), ["first1"]);
        if project.engine == Engine::Postgres {
            assert_eq!(database.tables(), ["first"], "no half-created table");
            assert_eq!(database.history(), ["first1 upgrade applied"]);
        } else {
            assert_eq!(database.tables(), ["first", "half"], "ddl commits as it runs");
            assert_eq!(
                database.history(),
                ["first1 upgrade applied", "sleepy2 upgrade running"]
            );
            assert_eq!(
                inspector.integer(
                    "SELECT statements_done FROM retort_history WHERE revision = 'sleepy2'"
                ),
                1
            );
        }

        // The rerun takes the lock at once and finishes (on MySQL, resuming after `half`).
        write_migrations(&project, "0");
        let started = Instant::now();
        project.retort(&["upgrade"]).success();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(10), "the rerun took {elapsed:?}");
        assert_eq!(database.version_rows(), ["last3"]);
        assert_eq!(database.tables(), ["first", "half", "half2", "last"]);
        let history = database.history();
        if project.engine == Engine::Postgres {
            assert_eq!(
                history,
                ["first1 upgrade applied", "sleepy2 upgrade applied", "last3 upgrade applied"]
            );
        } else {
            // The killed attempt's row no longer claims to be running.
            assert_eq!(
                history,
                [
                    "first1 upgrade applied",
                    "sleepy2 upgrade resumed",
                    "sleepy2 upgrade applied",
                    "last3 upgrade applied"
                ]
            );
        }
    }
);
