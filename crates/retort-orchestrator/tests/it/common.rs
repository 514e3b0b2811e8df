//! Helpers: migration sets from inline texts, SQLite databases in a temporary directory, a run
//! that collects its events, and direct reads of the databases with sqlx.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use retort_core::{MigrationSet, SourceFile};
use retort_db::{BackendOptions, DatabaseUrl};
use retort_orchestrator::{Command, DatabaseTarget, Event, RunError, RunReport, RunRequest};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The text of one migration file.
pub fn migration(revision: &str, down_revision: &str, depends_on: &str, upgrade: &str, downgrade: Option<&str>) -> String {
    let mut text = format!("-- revision: {revision}\n-- down_revision: {down_revision}\n");
    if !depends_on.is_empty() {
        text.push_str(&format!("-- depends_on: {depends_on}\n"));
    }
    text.push_str(&format!("-- message: create {revision}\n\n-- upgrade\n{upgrade}\n"));
    if let Some(downgrade) = downgrade {
        text.push_str(&format!("\n-- downgrade\n{downgrade}\n"));
    }
    text
}

/// `tool_registry`: t1 creates `tools`, t2 creates `tool_versions`.
pub fn tool_registry_files() -> Vec<(String, String)> {
    vec![
        file("tool_registry", "t1", migration("t1", "", "", "CREATE TABLE tools (id INTEGER);", Some("DROP TABLE tools;"))),
        file(
            "tool_registry",
            "t2",
            migration("t2", "t1", "", "CREATE TABLE tool_versions (id INTEGER);", Some("DROP TABLE tool_versions;")),
        ),
    ]
}

/// `app`: a1 creates `users`; a2 creates `tool_links` and depends on `tool_registry:t2`.
pub fn app_files() -> Vec<(String, String)> {
    vec![
        file("app", "a1", migration("a1", "", "", "CREATE TABLE users (id INTEGER);", Some("DROP TABLE users;"))),
        file(
            "app",
            "a2",
            migration("a2", "a1", "tool_registry:t2", "CREATE TABLE tool_links (id INTEGER);", Some("DROP TABLE tool_links;")),
        ),
    ]
}

/// A file of `database` named after `revision`, as `(path, text)`.
pub fn file(database: &str, revision: &str, text: String) -> (String, String) {
    (format!("databases/{database}/versions/{revision}.sql"), text)
}

pub fn upgrade_heads() -> Command {
    Command::Upgrade { target: "heads".to_owned() }
}

pub fn upgrade_to(target: &str) -> Command {
    Command::Upgrade { target: target.to_owned() }
}

pub fn downgrade_to(target: &str) -> Command {
    Command::Downgrade { target: target.to_owned() }
}

/// SQLite databases in one temporary directory.
pub struct TestDatabases {
    directory: tempfile::TempDir,
}

impl TestDatabases {
    pub fn new() -> TestDatabases {
        match tempfile::tempdir() {
            Ok(directory) => TestDatabases { directory },
            Err(error) => panic!("cannot create a temporary directory: {error}"),
        }
    }

    /// The SQLite file of `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.directory.path().join(format!("{name}.db"))
    }

    /// The database `name` with these migration files, after `after`.
    pub fn target(&self, name: &str, files: &[(String, String)], after: &[&str]) -> DatabaseTarget {
        let url_text = format!("sqlite://{}", self.path(name).display());
        let url = match DatabaseUrl::parse(&url_text) {
            Ok(url) => url,
            Err(error) => panic!("bad url {url_text}: {error}"),
        };
        DatabaseTarget {
            name: name.to_owned(),
            backend: BackendOptions {
                connect_timeout: Duration::from_secs(10),
                ..BackendOptions::new(url)
            },
            migrations: migration_set(files),
            after: after.iter().map(|name| (*name).to_owned()).collect(),
            lock_timeout: Duration::from_secs(10),
            rust_migrations: &[],
        }
    }
}

pub fn migration_set(files: &[(String, String)]) -> Arc<MigrationSet> {
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(path, text)| SourceFile { path: path.clone(), bytes: text.as_bytes().to_vec() })
        .collect();
    match MigrationSet::load(sources) {
        Ok(set) => Arc::new(set),
        Err(errors) => panic!("migrations do not load: {errors:?}"),
    }
}

/// A fail-fast request over `databases`, with `external` as the other configured databases.
pub fn request(command: Command, databases: Vec<DatabaseTarget>, external: Vec<DatabaseTarget>) -> RunRequest {
    let all_migrations = databases
        .iter()
        .chain(&external)
        .map(|target| (target.name.clone(), Arc::clone(&target.migrations)))
        .collect();
    RunRequest { run_id: "run-1".to_owned(), command, databases, external, all_migrations, keep_going: false, jobs: None }
}

/// Runs `request`, returning its result and every event it reported.
pub async fn run_collecting(request: RunRequest) -> (Result<RunReport, RunError>, Vec<Event>) {
    let mut events = Vec::new();
    let result = retort_orchestrator::run(request, &mut |event: &Event| events.push(event.clone())).await;
    (result, events)
}

/// Runs `request` and expects a report.
pub async fn run_ok(request: RunRequest) -> RunReport {
    match run_collecting(request).await.0 {
        Ok(report) => report,
        Err(error) => panic!("run refused: {error}"),
    }
}

/// Runs `request` and expects it refused.
pub async fn run_refused(request: RunRequest) -> (RunError, Vec<Event>) {
    match run_collecting(request).await {
        (Err(error), events) => (error, events),
        (Ok(report), _) => panic!("run not refused: {report:?}"),
    }
}

/// The tables of a SQLite file other than retort's own, sorted; empty when it does not exist.
pub async fn user_tables(path: &Path) -> Vec<String> {
    query_strings(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'retort_%' AND name NOT LIKE 'sqlite_%' ORDER BY name").await
}

/// The version rows of a SQLite file, sorted; empty when it or its version table does not exist.
pub async fn version_rows(path: &Path) -> Vec<String> {
    let tables = query_strings(path, "SELECT name FROM sqlite_master WHERE name = 'retort_version'").await;
    if tables.is_empty() {
        return Vec::new();
    }
    query_strings(path, "SELECT version_num FROM retort_version ORDER BY version_num").await
}

/// The single text column of each row `sql` returns from the SQLite file at `path`.
pub async fn query(path: &Path, sql: &str) -> Vec<String> {
    query_strings(path, sql).await
}

async fn query_strings(path: &Path, sql: &str) -> Vec<String> {
    if !path.exists() {
        return Vec::new();
    }
    let options = match SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())) {
        Ok(options) => options.read_only(true),
        Err(error) => panic!("bad sqlite path {}: {error}", path.display()),
    };
    let mut connection = match options.connect().await {
        Ok(connection) => connection,
        Err(error) => panic!("cannot open {}: {error}", path.display()),
    };
    let values: Vec<String> = match sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut connection).await {
        Ok(values) => values,
        Err(error) => panic!("query {sql} failed: {error}"),
    };
    let _closed = connection.close().await;
    values
}

/// Every step of every database in `report`, as `(database, steps_run)`.
pub fn steps_run(report: &RunReport) -> Vec<(&str, usize)> {
    report.databases.iter().map(|database| (database.database.as_str(), database.steps_run)).collect()
}

pub fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// A SQLite file whose write lock a test holds: a migration that writes to it (see
/// [`Gate::migration_sql`]) blocks until the test opens the gate. It lets a test hold one step of
/// a run in progress, deterministically, while it watches what the other databases do.
pub struct Gate {
    path: PathBuf,
    connection: sqlx::SqliteConnection,
}

impl Gate {
    /// A closed gate in the test's directory.
    pub async fn closed(databases: &TestDatabases) -> Gate {
        let path = databases.directory.path().join("gate.db");
        let options = match SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())) {
            Ok(options) => options.create_if_missing(true),
            Err(error) => panic!("bad gate path: {error}"),
        };
        let mut connection = match options.connect().await {
            Ok(connection) => connection,
            Err(error) => panic!("cannot open the gate: {error}"),
        };
        for statement in ["CREATE TABLE IF NOT EXISTS passed (id INTEGER)", "BEGIN IMMEDIATE"] {
            if let Err(error) = sqlx::raw_sql(statement).execute(&mut connection).await {
                panic!("{statement}: {error}");
            }
        }
        Gate { path, connection }
    }

    /// SQL that waits at the gate: a `transaction: false` migration's upgrade (SQLite refuses
    /// ATTACH inside a transaction).
    pub fn migration_sql(&self) -> String {
        format!("ATTACH DATABASE '{}' AS gate;\nINSERT INTO gate.passed VALUES (1);\nDETACH DATABASE gate;", self.path.display())
    }

    /// Lets every migration waiting at the gate through.
    pub async fn open(mut self) {
        if let Err(error) = sqlx::raw_sql("COMMIT").execute(&mut self.connection).await {
            panic!("cannot open the gate: {error}");
        }
        let _closed = self.connection.close().await;
    }
}

/// A migration that waits at `gate` (run outside a transaction).
pub fn gated_migration(revision: &str, down_revision: &str, depends_on: &str, gate: &Gate) -> String {
    migration(revision, down_revision, depends_on, &gate.migration_sql(), Some("SELECT 1;"))
        .replacen("-- message:", "-- transaction: false\n-- message:", 1)
}

/// A run in a task of its own, whose events arrive on a channel as they happen.
pub struct RunningRun {
    pub events: tokio::sync::mpsc::UnboundedReceiver<Event>,
    pub seen: Vec<Event>,
    handle: tokio::task::JoinHandle<Result<RunReport, RunError>>,
}

impl RunningRun {
    pub fn start(request: RunRequest) -> RunningRun {
        let (sender, events) = tokio::sync::mpsc::unbounded_channel();
        let handle = tokio::spawn(async move {
            retort_orchestrator::run(request, &mut |event: &Event| {
                let _sent = sender.send(event.clone());
            })
            .await
        });
        RunningRun { events, seen: Vec::new(), handle }
    }

    /// Waits for the first event that `wanted` accepts, keeping every event seen so far.
    pub async fn wait_for(&mut self, wanted: impl Fn(&Event) -> bool) -> Event {
        while let Some(event) = self.events.recv().await {
            self.seen.push(event.clone());
            if wanted(&event) {
                return event;
            }
        }
        panic!("the run ended without the event; seen: {:#?}", self.seen);
    }

    /// Waits for the run to end; returns its report and every event it reported.
    pub async fn finish(mut self) -> (RunReport, Vec<Event>) {
        let result = match self.handle.await {
            Ok(result) => result,
            Err(error) => panic!("the run panicked: {error}"),
        };
        while let Ok(event) = self.events.try_recv() {
            self.seen.push(event);
        }
        match result {
            Ok(report) => (report, self.seen),
            Err(error) => panic!("run refused: {error}"),
        }
    }
}

/// The position of the first event `wanted` accepts.
pub fn position(events: &[Event], wanted: impl Fn(&Event) -> bool) -> usize {
    match events.iter().position(wanted) {
        Some(position) => position,
        None => panic!("no such event in {events:#?}"),
    }
}

/// `StepStarted` of `database:revision`.
pub fn started(database: &str, revision: &str) -> impl Fn(&Event) -> bool {
    let (database, revision) = (database.to_owned(), revision.to_owned());
    move |event| matches!(event, Event::StepStarted { database: d, revision: r, .. } if *d == database && *r == revision)
}

/// `StepFinished` of `database:revision`.
pub fn finished(database: &str, revision: &str) -> impl Fn(&Event) -> bool {
    let (database, revision) = (database.to_owned(), revision.to_owned());
    move |event| matches!(event, Event::StepFinished { database: d, revision: r, .. } if *d == database && *r == revision)
}

/// The `started_at` and `finished_at` of the applied history row of `revision`.
pub async fn history_times(path: &Path, revision: &str) -> (String, String) {
    let sql = format!("SELECT started_at || ' ' || finished_at FROM retort_history WHERE revision = '{revision}' AND outcome = 'applied'");
    let rows = query_strings(path, &sql).await;
    match rows.as_slice() {
        [times] => match times.split_once(' ') {
            Some((started, finished)) => (started.to_owned(), finished.to_owned()),
            None => panic!("bad history times {times}"),
        },
        other => panic!("expected one history row for {revision}, found {other:?}"),
    }
}
