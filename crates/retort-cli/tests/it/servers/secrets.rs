//! The password of a database URL never reaches the output. A login with a password is created
//! for the test (and dropped after it); every kind of run is made with a URL holding that
//! password (success, read-only commands with `--verbose`, a wrong target, a failing migration,
//! a bad configuration value, a lock timeout, downgrade and stamp, a killed runner) and every
//! stdout and stderr is searched for it.

use std::time::Duration;

use super::{Engine, EngineProject, Migration, Run, TestDatabase, UrlSource, redacted, wait_until};

fn write_migration(
    project: &EngineProject,
    file_name: &str,
    revision: &str,
    down_revision: &str,
    upgrade: &str,
    downgrade: &str,
) {
    project.migration(
        file_name,
        &Migration {
            revision,
            down_revision,
            message: revision,
            body: &format!("-- upgrade\n{upgrade}\n\n-- downgrade\n{downgrade}\n"),
            ..Migration::default()
        },
    );
}

/// Every run of the test, kept to be searched at the end.
#[derive(Default)]
struct Transcript {
    runs: Vec<Run>,
}

impl Transcript {
    fn record(&mut self, run: Run) -> &Run {
        self.runs.push(run);
        self.runs.last().expect("the run just recorded")
    }
}

fn passwords_never_appear(engine: Engine) {
    let Some(database) = TestDatabase::create_with_user(engine) else {
        return;
    };
    let user = database.user.as_ref().expect("a login");
    let secrets = [
        user.password.clone(),
        user.encoded_password(),
        user.password_core().to_owned(),
    ];
    let masked_url = redacted(&database.url);
    assert!(
        masked_url.contains(&format!("{}:****@", user.name)),
        "{masked_url}"
    );
    let mut project = EngineProject::on(database);
    // Through figment's environment layer, where a careless error would quote the value.
    project.set_url_source(UrlSource::RetortVariable);
    let mut transcript = Transcript::default();

    write_migration(
        &project,
        "1_ok1.sql",
        "ok1",
        "",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        "DROP TABLE a;",
    );
    transcript.record(project.retort(&["upgrade"])).success();
    let current = transcript
        .record(project.retort(&["--verbose", "current"]))
        .success();
    assert!(
        current.contains(&masked_url),
        "`current --verbose` shows the URL, masked:\n{current}"
    );
    for args in [
        &["history", "--verbose", "--indicate-current"][..],
        &["upgrade", "--verbose"],
        &["downgrade", "base"],
        &["upgrade"],
        &["stamp", "base"],
        &["stamp", "ok1"],
    ] {
        transcript.record(project.retort(args)).success();
    }
    transcript
        .record(project.retort(&["upgrade", "no_such_revision"]))
        .fails_with(2, &["no_such_revision"]);
    transcript
        .record(project.retort_with(
            &["upgrade"],
            &[("RETORT_DATABASES__APP__LOCK_TIMEOUT_SECS", "soon")],
        ))
        .fails_with(2, &["lock_timeout_secs"]);

    write_migration(
        &project,
        "2_bad2.sql",
        "bad2",
        "ok1",
        "INSERT INTO missing_table VALUES (1);",
        "",
    );
    transcript
        .record(project.retort(&["upgrade"]))
        .fails_with(1, &["upgrade of bad2 failed"]);

    // A runner holding the lock in a long migration, and one that gives up waiting for it.
    let sleep = match engine {
        Engine::Postgres => "SELECT pg_sleep(30);",
        _ => "SELECT SLEEP(30);",
    };
    write_migration(&project, "2_bad2.sql", "bad2", "ok1", sleep, "");
    let mut holder = project.spawn(&["upgrade"]);
    let sleeping = match engine {
        Engine::Postgres => {
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep(30)%'"
        }
        _ => {
            "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() \
             AND id <> CONNECTION_ID() AND info LIKE 'SELECT SLEEP(30)%'"
        }
    };
    let mut inspector = project.inspect();
    wait_until(
        "the holder's migration runs",
        Duration::from_secs(20),
        || inspector.integer(sleeping) == 1,
    );
    transcript
        .record(project.retort_with(
            &["upgrade"],
            &[("RETORT_DATABASES__APP__LOCK_TIMEOUT_SECS", "1")],
        ))
        .fails_with(
            2,
            &[
                "timed out after 1s waiting for the migration lock",
                &format!("pid {}", holder.id()),
            ],
        );
    holder.kill().expect("stop the holder");
    let output = holder.wait_with_output().expect("the holder ends");
    transcript.record(project.finish(&["upgrade"], output, Duration::ZERO));

    // `finish` checked each run as it came; this is the whole suite's output at once.
    let everything: String = transcript
        .runs
        .iter()
        .map(|run| format!("{}{}", run.stdout, run.stderr))
        .collect();
    assert_eq!(transcript.runs.len(), 13);
    for secret in &secrets {
        assert!(!everything.contains(secret.as_str()), "{everything}");
    }
    assert!(everything.contains(":****@"), "the URL is shown masked");
}

#[test]
fn postgres_passwords_never_appear_in_any_output() {
    passwords_never_appear(Engine::Postgres);
}

#[test]
fn mysql_passwords_never_appear_in_any_output() {
    passwords_never_appear(Engine::Mysql);
}
