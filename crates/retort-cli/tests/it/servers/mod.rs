//! End-to-end tests of the `retort` binary on SQLite, PostgreSQL and MariaDB/MySQL (issue 3): one
//! set of tests, run on every engine through [`matrix_test!`], each on a fresh database.
//!
//! SQLite databases are temporary files. On the servers, each test creates
//! `retort_e2e_<random>` and a guard drops it when the test ends, panics included. The servers
//! come from `RETORT_TEST_POSTGRES_URL` and `RETORT_TEST_MYSQL_URL` (default: the local servers,
//! database `test`, as the administration connection). When a server cannot be reached the test
//! fails if `CI` is set, and otherwise is skipped with a loud message on stderr.
//!
//! Every run of the binary is checked for the password of its database URL (and of the
//! administration URLs): a password must never reach the output.

mod concurrency;
mod connect;
mod failure;
mod fixture;
mod flow;
mod kill;
mod options;
mod rollback;
mod rust_migration;
mod secrets;

use std::fs;
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Connection};
use tempfile::TempDir;

/// The server URLs used when the environment names none.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// How long a server gets to accept a TCP connection before it counts as unreachable.
const REACHABILITY_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a test looks at the database while it waits for something a process does.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Runs one test body on every engine, or on the engines listed:
/// `matrix_test!(fn name(project) { … })` makes `name::sqlite`, `name::postgres` and
/// `name::mysql`; `matrix_test!([postgres, mysql] fn name(project) { … })` only those.
/// The body gets an [`EngineProject`] on a fresh database.
macro_rules! matrix_test {
    (fn $name:ident($project:ident) $body:block) => {
        $crate::servers::matrix_test!([sqlite, postgres, mysql] fn $name($project) $body);
    };
    ([$($engine:ident),+] fn $name:ident($project:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports, reason = "each body uses a different part of the file's imports")]
            use super::*;

            fn body($project: $crate::servers::EngineProject) $body

            $(
                #[test]
                fn $engine() {
                    let engine = $crate::servers::Engine::named(stringify!($engine));
                    if let Some(project) = $crate::servers::EngineProject::create(engine) {
                        body(project);
                    }
                }
            )+
        }
    };
}

pub(crate) use matrix_test;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
    Mysql,
}

impl Engine {
    /// The engine a `matrix_test!` test function is named after.
    pub fn named(name: &str) -> Engine {
        match name {
            "sqlite" => Engine::Sqlite,
            "postgres" => Engine::Postgres,
            "mysql" => Engine::Mysql,
            other => panic!("no engine is called {other}"),
        }
    }

    /// The dialect word of migration sections (`-- upgrade postgres`).
    pub fn dialect(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }

    /// Whether a failed migration is rolled back as a whole (SQLite, PostgreSQL).
    pub fn transactional_ddl(self) -> bool {
        self != Engine::Mysql
    }

    /// The server's administration URL, from the environment or the local default.
    fn server_url(self) -> Option<String> {
        let (variable, default) = match self {
            Engine::Sqlite => return None,
            Engine::Postgres => ("RETORT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            Engine::Mysql => ("RETORT_TEST_MYSQL_URL", DEFAULT_MYSQL_URL),
        };
        Some(std::env::var(variable).unwrap_or_else(|_| default.to_owned()))
    }

    /// The administration URL when the server can be reached; `None` (after a loud message)
    /// outside CI when it cannot. Panics in CI when it cannot.
    pub fn reachable_server_url(self) -> Option<String> {
        let server_url = self.server_url()?;
        server_is_reachable(self, &server_url).then_some(server_url)
    }
}

/// Where the binary finds the database URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `url = "…"` in `config/retort.toml`.
    Config,
    /// `url_env = "APP_DATABASE_URL"` in the config, the URL in that variable.
    UrlEnv,
    /// Only `[databases.app]` in the config, the URL in `RETORT_DATABASES__APP__URL`.
    RetortVariable,
}

/// A project in a temporary directory with one database, `app`, on a fresh database of its
/// engine.
pub struct EngineProject {
    pub engine: Engine,
    pub database: TestDatabase,
    url_source: UrlSource,
    /// The project root (`config/`, `databases/app/versions/`).
    directory: TempDir,
}

impl EngineProject {
    /// A project on a fresh database of `engine`, its URL in the config; `None` when the
    /// engine's server is unreachable outside CI.
    pub fn create(engine: Engine) -> Option<EngineProject> {
        Some(EngineProject::on(TestDatabase::create(engine)?))
    }

    /// A project whose database is only a URL, never created, dropped or connected to by the
    /// test (for errors found before connecting, or servers that are not there).
    pub fn unconnected(url: &str) -> EngineProject {
        let engine = match url.split(':').next() {
            Some("sqlite") => Engine::Sqlite,
            Some("postgres" | "postgresql") => Engine::Postgres,
            _ => Engine::Mysql,
        };
        EngineProject::on(TestDatabase {
            engine,
            name: String::new(),
            url: url.to_owned(),
            user: None,
            server_url: None,
            _directory: None,
            dropped_at_end: false,
        })
    }

    /// A project on `database`, its URL in the config.
    pub fn on(database: TestDatabase) -> EngineProject {
        let project = EngineProject {
            engine: database.engine,
            database,
            url_source: UrlSource::Config,
            directory: tempfile::tempdir().expect("temporary directory"),
        };
        fs::create_dir_all(project.versions()).expect("versions directory");
        project.configure("");
        project
    }

    pub fn root(&self) -> &Path {
        self.directory.path()
    }

    pub fn versions(&self) -> PathBuf {
        self.root().join("databases/app/versions")
    }

    /// Takes the URL from `source` from now on, and rewrites the config for it.
    pub fn set_url_source(&mut self, source: UrlSource) {
        self.url_source = source;
        self.configure("");
    }

    /// Writes `config/retort.toml`: database `app` with its URL where the URL source says, and
    /// `options` (TOML lines such as `schema = "s"`).
    pub fn configure(&self, options: &str) {
        let url_line = match self.url_source {
            UrlSource::Config => format!("url = {}\n", toml_string(&self.database.url)),
            UrlSource::UrlEnv => "url_env = \"APP_DATABASE_URL\"\n".to_owned(),
            UrlSource::RetortVariable => String::new(),
        };
        self.write(
            "config/retort.toml",
            &format!("[databases.app]\n{url_line}{options}\n"),
        );
    }

    /// Writes a file under the root, creating its directories.
    pub fn write(&self, relative: &str, content: &str) {
        let path = self.root().join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("parent directory");
        }
        fs::write(path, content).expect("write file");
    }

    /// Writes `databases/app/versions/<file_name>`.
    pub fn migration(&self, file_name: &str, migration: &Migration<'_>) {
        self.write(
            &format!("databases/app/versions/{file_name}"),
            &migration.render(),
        );
    }

    /// Runs `retort args...` in the project root and waits for it.
    pub fn retort(&self, args: &[&str]) -> Run {
        self.retort_with(args, &[])
    }

    /// Runs `retort args...` with extra environment variables.
    pub fn retort_with(&self, args: &[&str], variables: &[(&str, &str)]) -> Run {
        let started = Instant::now();
        let output = self
            .command(args, variables)
            .output()
            .expect("the retort binary runs");
        self.finish(args, output, started.elapsed())
    }

    /// Starts `retort args...` without waiting; [`EngineProject::finish`] reads its output.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the retort binary starts")
    }

    /// The output of a finished process, checked for secrets.
    pub fn finish(&self, args: &[&str], output: Output, elapsed: Duration) -> Run {
        let run = Run {
            command: format!("retort {}", args.join(" ")),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed,
        };
        let mut secrets = self.database.secrets();
        secrets.extend(admin_secrets());
        run.assert_hides(&secrets);
        run
    }

    fn command(&self, args: &[&str], variables: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_retort"));
        command
            .args(args)
            .current_dir(self.root())
            .env("NO_COLOR", "1");
        for (name, _) in std::env::vars() {
            if name.starts_with("RETORT_") || name.ends_with("_DATABASE_URL") {
                command.env_remove(name);
            }
        }
        match self.url_source {
            UrlSource::Config => {}
            UrlSource::UrlEnv => {
                command.env("APP_DATABASE_URL", &self.database.url);
            }
            UrlSource::RetortVariable => {
                command.env("RETORT_DATABASES__APP__URL", &self.database.url);
            }
        }
        for (name, value) in variables {
            command.env(name, value);
        }
        command
    }

    /// A plain connection to the project's database, behind retort's back.
    pub fn inspect(&self) -> Inspector {
        self.database.inspect()
    }
}

/// One migration file's header and sections.
#[derive(Debug, Clone, Default)]
pub struct Migration<'a> {
    pub revision: &'a str,
    pub down_revision: &'a str,
    pub message: &'a str,
    /// `-- transaction: false` when set.
    pub non_transactional: bool,
    /// The sections after the header, as written (`-- upgrade\n…`).
    pub body: &'a str,
}

impl Migration<'_> {
    pub fn render(&self) -> String {
        let mut text = format!(
            "-- revision: {}\n-- down_revision: {}\n-- message: {}\n-- created: 2026-11-21T10:00:00Z\n",
            self.revision, self.down_revision, self.message
        );
        if self.non_transactional {
            text.push_str("-- transaction: false\n");
        }
        text.push('\n');
        text.push_str(self.body);
        text
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn success(&self) -> &str {
        assert!(self.code == 0, "expected success, got\n{self}");
        &self.stdout
    }

    /// Asserts the exit code and that stderr contains every one of `fragments`, and that
    /// nothing panicked.
    #[track_caller]
    pub fn fails_with(&self, code: i32, fragments: &[&str]) {
        let missing: Vec<&&str> = fragments
            .iter()
            .filter(|fragment| !self.stderr.contains(**fragment))
            .collect();
        assert!(
            self.code == code && missing.is_empty(),
            "expected exit {code} with stderr containing {missing:?}, got\n{self}"
        );
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked:\n{self}"
        );
    }

    /// Asserts that no secret appears in stdout or stderr.
    #[track_caller]
    pub fn assert_hides(&self, secrets: &[String]) {
        for secret in secrets {
            assert!(
                !self.stdout.contains(secret.as_str()) && !self.stderr.contains(secret.as_str()),
                "the output shows the secret {secret:?}:\n{self}"
            );
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {}\nexit {} after {:?}\n--- stdout\n{}--- stderr\n{}---",
            self.command, self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Waits for every process and returns their runs, in order; each run's `elapsed` counts from
/// the start of the wait.
pub fn finish_all(project: &EngineProject, args: &[&str], children: Vec<Child>) -> Vec<Run> {
    let started = Instant::now();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().expect("wait for retort");
            project.finish(args, output, started.elapsed())
        })
        .collect()
}

/// Polls `condition` every [`POLL_INTERVAL`] until it holds; panics naming `what` after
/// `timeout`.
#[track_caller]
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "gave up after {timeout:?} waiting until {what}"
        );
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// A login with a password, created on the server for one test and dropped after it.
pub struct ServerUser {
    pub name: String,
    pub password: String,
}

impl ServerUser {
    /// A random user name and a random password holding characters URLs must escape.
    fn random() -> ServerUser {
        let random = uuid::Uuid::new_v4().simple().to_string();
        ServerUser {
            name: format!("retort_user_{}", &random[..12]),
            password: format!("Pw@{}/x", &random[12..28]),
        }
    }

    /// The password as it is written in a URL.
    pub fn encoded_password(&self) -> String {
        self.password.replace('@', "%40").replace('/', "%2F")
    }

    /// The random part of the password, which no form of it can hide.
    pub fn password_core(&self) -> &str {
        &self.password[3..19]
    }
}

/// One fresh database, dropped (or deleted) when this value is.
pub struct TestDatabase {
    pub engine: Engine,
    /// The database name on the server (`main` for SQLite).
    pub name: String,
    /// The URL retort is given (password included, when there is a user).
    pub url: String,
    /// The user that owns the database, when created with one.
    pub user: Option<ServerUser>,
    /// The administration URL (server engines).
    server_url: Option<String>,
    /// The SQLite file's directory.
    _directory: Option<TempDir>,
    /// Whether a guard drops the database (and user) at the end.
    dropped_at_end: bool,
}

impl TestDatabase {
    /// A fresh database of `engine`; `None` (after a loud message) when its server is
    /// unreachable outside CI.
    pub fn create(engine: Engine) -> Option<TestDatabase> {
        let mut database = TestDatabase::named(engine, &fresh_database_name())?;
        database.create_on_server(None);
        Some(database)
    }

    /// A fresh database owned by a new login with a password, which the URL carries (server
    /// engines only).
    pub fn create_with_user(engine: Engine) -> Option<TestDatabase> {
        let mut database = TestDatabase::named(engine, &fresh_database_name())?;
        let user = ServerUser::random();
        database.create_on_server(Some(&user));
        database.url = with_credentials(&database.url, &user.name, &user.encoded_password());
        database.user = Some(user);
        Some(database)
    }

    /// A database name that does not exist on the server, dropped at the end should something
    /// create it.
    pub fn missing(engine: Engine) -> Option<TestDatabase> {
        let mut database = TestDatabase::named(engine, &fresh_database_name())?;
        database.dropped_at_end = true;
        Some(database)
    }

    fn named(engine: Engine, name: &str) -> Option<TestDatabase> {
        let Some(server_url) = engine.server_url() else {
            let directory = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}", directory.path().join("app.db").display());
            return Some(TestDatabase {
                engine,
                name: "main".to_owned(),
                url,
                user: None,
                server_url: None,
                _directory: Some(directory),
                dropped_at_end: false,
            });
        };
        if !server_is_reachable(engine, &server_url) {
            return None;
        }
        Some(TestDatabase {
            engine,
            name: name.to_owned(),
            url: with_database(&server_url, name),
            user: None,
            server_url: Some(server_url),
            _directory: None,
            dropped_at_end: false,
        })
    }

    fn create_on_server(&mut self, owner: Option<&ServerUser>) {
        let Some(server_url) = &self.server_url else {
            return;
        };
        let name = &self.name;
        // Dropped from here on, even when what follows fails.
        self.dropped_at_end = true;
        let statements = match (self.engine, owner) {
            (_, None) => format!("CREATE DATABASE {name}"),
            (Engine::Postgres, Some(user)) => format!(
                "CREATE ROLE {} LOGIN PASSWORD '{}'; CREATE DATABASE {name} OWNER {}",
                user.name, user.password, user.name
            ),
            (_, Some(user)) => format!(
                "CREATE USER '{}'@'%' IDENTIFIED BY '{}'; CREATE DATABASE {name}; \
                 GRANT ALL PRIVILEGES ON {name}.* TO '{}'@'%'",
                user.name, user.password, user.name
            ),
        };
        if let Some(user) = owner {
            // The guard must drop the user even when creating the database fails.
            self.user = Some(ServerUser {
                name: user.name.clone(),
                password: user.password.clone(),
            });
        }
        let mut admin = Inspector::connect(self.engine, server_url);
        for statement in statements.split("; ") {
            admin.execute(statement);
        }
    }

    /// The URL with its password, for the test's own connections as the administrator.
    pub fn admin_url(&self) -> String {
        match &self.server_url {
            Some(server_url) => with_database(server_url, &self.name),
            None => self.url.clone(),
        }
    }

    /// A plain connection to the database, as the administrator.
    pub fn inspect(&self) -> Inspector {
        Inspector::connect(self.engine, &self.admin_url())
    }

    /// The passwords no output may show: the user's, in both its forms.
    fn secrets(&self) -> Vec<String> {
        let Some(user) = &self.user else {
            return Vec::new();
        };
        vec![
            user.password.clone(),
            user.encoded_password(),
            user.password_core().to_owned(),
        ]
    }

    /// The user tables of the default schema (PostgreSQL `public`; retort's own excluded),
    /// sorted.
    pub fn tables(&self) -> Vec<String> {
        self.tables_in(None)
    }

    /// Every table of `schema` (PostgreSQL; `None`: the default schema), retort's included
    /// when a schema is named, sorted.
    pub fn tables_in(&self, schema: Option<&str>) -> Vec<String> {
        let query = match (self.engine, schema) {
            (Engine::Sqlite, _) => "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'retort_%' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                .to_owned(),
            (Engine::Postgres, None) => "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_name NOT LIKE 'retort_%' ORDER BY 1"
                .to_owned(),
            (Engine::Postgres, Some(schema)) => format!(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = '{schema}' ORDER BY 1"
            ),
            (Engine::Mysql, _) => "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name NOT LIKE 'retort_%' ORDER BY 1"
                .to_owned(),
        };
        self.inspect().strings(&query)
    }

    /// The version rows, sorted.
    pub fn version_rows(&self) -> Vec<String> {
        self.inspect()
            .strings("SELECT version_num FROM retort_version ORDER BY version_num")
    }

    /// One `revision direction outcome` line per history row, oldest first.
    pub fn history(&self) -> Vec<String> {
        let concat = match self.engine {
            Engine::Mysql => "CONCAT(revision, ' ', direction, ' ', outcome)",
            _ => "revision || ' ' || direction || ' ' || outcome",
        };
        self.inspect()
            .strings(&format!("SELECT {concat} FROM retort_history ORDER BY id"))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (true, Some(server_url)) = (self.dropped_at_end, &self.server_url) else {
            return;
        };
        let mut statements = vec![match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        }];
        if let Some(user) = &self.user {
            statements.push(match self.engine {
                Engine::Postgres => format!("DROP ROLE IF EXISTS {}", user.name),
                _ => format!("DROP USER IF EXISTS '{}'@'%'", user.name),
            });
        }
        let (engine, server_url) = (self.engine, server_url.clone());
        // On a thread of its own: a panicking test may be unwinding through a runtime.
        let dropped = std::thread::spawn(move || {
            let mut admin = Inspector::connect(engine, &server_url);
            for statement in &statements {
                admin.execute(statement);
            }
        })
        .join();
        if dropped.is_err() && !std::thread::panicking() {
            panic!("could not drop the test database {}", self.name);
        }
    }
}

/// A plain connection of any engine, for looking and poking, with its own runtime.
pub struct Inspector {
    runtime: tokio::runtime::Runtime,
    connection: InspectorConnection,
}

enum InspectorConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

impl Inspector {
    pub fn connect(engine: Engine, url: &str) -> Inspector {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let connection = runtime.block_on(async {
            match engine {
                Engine::Sqlite => SqliteConnection::connect(url)
                    .await
                    .map(InspectorConnection::Sqlite),
                Engine::Postgres => PgConnection::connect(url)
                    .await
                    .map(InspectorConnection::Postgres),
                Engine::Mysql => MySqlConnection::connect(url)
                    .await
                    .map(InspectorConnection::Mysql),
            }
            .unwrap_or_else(|error| {
                panic!("could not connect to the {engine:?} test database: {error}")
            })
        });
        Inspector {
            runtime,
            connection,
        }
    }

    /// The first column of every row, as text.
    pub fn strings(&mut self, query: &str) -> Vec<String> {
        let sql = AssertSqlSafe(query.to_owned());
        let connection = &mut self.connection;
        self.runtime
            .block_on(async {
                match connection {
                    InspectorConnection::Sqlite(connection) => {
                        sqlx::query_scalar(sql).fetch_all(connection).await
                    }
                    InspectorConnection::Postgres(connection) => {
                        sqlx::query_scalar(sql).fetch_all(connection).await
                    }
                    InspectorConnection::Mysql(connection) => {
                        sqlx::query_scalar(sql).fetch_all(connection).await
                    }
                }
            })
            .unwrap_or_else(|error| panic!("{query} failed: {error}"))
    }

    /// An integer in the first column of the first row (a count, say).
    pub fn integer(&mut self, query: &str) -> i64 {
        let sql = AssertSqlSafe(query.to_owned());
        let connection = &mut self.connection;
        self.runtime
            .block_on(async {
                match connection {
                    InspectorConnection::Sqlite(connection) => {
                        sqlx::query_scalar(sql).fetch_one(connection).await
                    }
                    InspectorConnection::Postgres(connection) => {
                        sqlx::query_scalar(sql).fetch_one(connection).await
                    }
                    InspectorConnection::Mysql(connection) => {
                        sqlx::query_scalar(sql).fetch_one(connection).await
                    }
                }
            })
            .unwrap_or_else(|error| panic!("{query} failed: {error}"))
    }

    /// Runs one statement, panicking on failure.
    pub fn execute(&mut self, statement: &str) {
        let sql = AssertSqlSafe(statement.to_owned());
        let connection = &mut self.connection;
        self.runtime
            .block_on(async {
                match connection {
                    InspectorConnection::Sqlite(connection) => {
                        sqlx::raw_sql(sql).execute(connection).await.map(drop)
                    }
                    InspectorConnection::Postgres(connection) => {
                        sqlx::raw_sql(sql).execute(connection).await.map(drop)
                    }
                    InspectorConnection::Mysql(connection) => {
                        sqlx::raw_sql(sql).execute(connection).await.map(drop)
                    }
                }
            })
            .unwrap_or_else(|error| panic!("{statement} failed: {error}"));
    }
}

/// `retort_e2e_` and 12 random hex characters.
fn fresh_database_name() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("retort_e2e_{}", &random[..12])
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let parts = UrlParts::of(url);
    format!(
        "{}://{}{}/{name}{}",
        parts.scheme, parts.credentials, parts.host_and_port, parts.query
    )
}

/// `url` with its user and password replaced.
pub fn with_credentials(url: &str, user: &str, password: &str) -> String {
    let parts = UrlParts::of(url);
    format!(
        "{}://{user}:{password}@{}/{}{}",
        parts.scheme, parts.host_and_port, parts.database, parts.query
    )
}

/// `url` with its host and port replaced.
pub fn with_host_and_port(url: &str, host_and_port: &str) -> String {
    let parts = UrlParts::of(url);
    format!(
        "{}://{}{host_and_port}/{}{}",
        parts.scheme, parts.credentials, parts.database, parts.query
    )
}

/// `url` as retort shows it: the password of its user info masked (as `DatabaseUrl` does).
pub fn redacted(url: &str) -> String {
    let parts = UrlParts::of(url);
    let credentials = match parts.credentials.trim_end_matches('@').split_once(':') {
        Some((user, _password)) => format!("{user}:****@"),
        None => parts.credentials.to_owned(),
    };
    format!(
        "{}://{credentials}{}/{}{}",
        parts.scheme, parts.host_and_port, parts.database, parts.query
    )
}

/// A server URL taken apart: `scheme://credentials@host:port/database?query`.
struct UrlParts<'a> {
    scheme: &'a str,
    /// `user:password@` or empty.
    credentials: &'a str,
    host_and_port: &'a str,
    database: &'a str,
    /// `?…` or empty.
    query: &'a str,
}

impl UrlParts<'_> {
    fn of(url: &str) -> UrlParts<'_> {
        let (before_query, query) = match url.find('?') {
            Some(index) => (&url[..index], &url[index..]),
            None => (url, ""),
        };
        let (scheme, rest) = before_query.split_once("://").expect("a server url");
        let host_start = rest.rfind('@').map_or(0, |at| at + 1);
        let (host_and_port, database) = rest[host_start..]
            .split_once('/')
            .unwrap_or((&rest[host_start..], ""));
        UrlParts {
            scheme,
            credentials: &rest[..host_start],
            host_and_port,
            database,
            query,
        }
    }
}

/// The passwords of the administration URLs, which no output may show either. A password that
/// the rest of its URL spells out (`postgres://postgres:postgres@…`) cannot be searched for, and
/// is left out.
fn admin_secrets() -> Vec<String> {
    [Engine::Postgres, Engine::Mysql]
        .into_iter()
        .filter_map(Engine::server_url)
        .filter_map(|url| {
            let credentials = UrlParts::of(&url)
                .credentials
                .trim_end_matches('@')
                .to_owned();
            let (_user, password) = credentials.split_once(':')?;
            let searchable = !password.is_empty() && !redacted(&url).contains(password);
            searchable.then(|| password.to_owned())
        })
        .collect()
}

/// `text` as a TOML basic string.
pub fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Whether `CI` is set (to anything but nothing).
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| !value.is_empty())
}

/// Whether the server accepts TCP connections; outside CI an unreachable server skips the test
/// with a message (once per engine, written past the test harness's output capture), in CI it
/// fails it.
fn server_is_reachable(engine: Engine, server_url: &str) -> bool {
    let host_and_port = UrlParts::of(server_url).host_and_port;
    let default_port = if engine == Engine::Postgres {
        5432
    } else {
        3306
    };
    let address = if host_and_port.contains(':') {
        host_and_port.to_owned()
    } else {
        format!("{host_and_port}:{default_port}")
    };
    let reachable = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|socket| TcpStream::connect_timeout(&socket, REACHABILITY_TIMEOUT).is_ok());
    if reachable {
        return true;
    }
    let variable = match engine {
        Engine::Postgres => "RETORT_TEST_POSTGRES_URL",
        _ => "RETORT_TEST_MYSQL_URL",
    };
    if in_ci() {
        panic!(
            "the {engine:?} server at {address} is unreachable and CI is set: start it, or set \
             {variable}"
        );
    }
    static WARNED: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];
    if !WARNED[engine as usize].swap(true, Ordering::Relaxed) {
        let _written = writeln!(
            std::io::stderr(),
            "\n!!!!! SKIPPING every end-to-end {engine:?} test of retort-cli: the server at \
             {address} is unreachable; start it, or set {variable} (with CI set, these tests \
             fail instead) !!!!!\n"
        );
    }
    false
}
