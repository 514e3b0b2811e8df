//! The engine matrix: a fresh database per test on SQLite, PostgreSQL and MariaDB/MySQL, and
//! the `matrix_test!` macro that runs one test body on all three.
//!
//! SQLite databases are temporary files. On the servers, each test creates
//! `retort_test_<random>` and a guard drops it when the test ends, panics included. The servers
//! come from `RETORT_TEST_POSTGRES_URL` and `RETORT_TEST_MYSQL_URL` (default: the local servers,
//! database `test`, as the administration connection). When a server cannot be reached the test
//! fails if `CI` is set, and otherwise is skipped with a loud message on stderr.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use retort_db::{Backend, BackendOptions, DatabaseUrl};
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

/// Runs one async test body on every engine: `matrix_test!(async fn name(database) { … })`
/// makes `name::sqlite`, `name::postgres` and `name::mysql`.
macro_rules! matrix_test {
    (async fn $name:ident($database:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports, reason = "each body uses a different part of the file's imports")]
            use super::*;

            async fn body($database: $crate::engines::TestDatabase) $body

            #[tokio::test]
            async fn sqlite() {
                if let Some(database) = $crate::engines::TestDatabase::create($crate::engines::Engine::Sqlite).await {
                    body(database).await;
                }
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(database) = $crate::engines::TestDatabase::create($crate::engines::Engine::Postgres).await {
                    body(database).await;
                }
            }

            #[tokio::test]
            async fn mysql() {
                if let Some(database) = $crate::engines::TestDatabase::create($crate::engines::Engine::Mysql).await {
                    body(database).await;
                }
            }
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
    /// Whether a failed step is rolled back as a whole (SQLite, PostgreSQL).
    pub fn transactional_ddl(self) -> bool {
        self != Engine::Mysql
    }

    /// The server's administration URL when the server can be reached; `None` (after a loud
    /// message) outside CI when it cannot, for tests that create their own databases.
    pub fn reachable_server_url(self) -> Option<String> {
        let server_url = self.server_url()?;
        server_is_reachable(self, &server_url).then_some(server_url)
    }

    /// The server's administration URL, from the environment or the local default.
    pub fn server_url(self) -> Option<String> {
        let (variable, default) = match self {
            Engine::Sqlite => return None,
            Engine::Postgres => ("RETORT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            Engine::Mysql => ("RETORT_TEST_MYSQL_URL", DEFAULT_MYSQL_URL),
        };
        Some(std::env::var(variable).unwrap_or_else(|_| default.to_owned()))
    }
}

/// One fresh database, dropped (or deleted) when this value is.
pub struct TestDatabase {
    pub engine: Engine,
    pub url: DatabaseUrl,
    /// The SQLite file's directory.
    pub directory: Option<TempDir>,
    /// The server database's name; `_guard` drops it.
    pub name: String,
    _guard: Option<ServerDatabaseGuard>,
}

impl TestDatabase {
    /// A fresh SQLite database (no server needed).
    pub fn sqlite() -> TestDatabase {
        let directory = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&format!(
            "sqlite://{}",
            directory.path().join("app.db").display()
        ))
        .unwrap();
        TestDatabase {
            engine: Engine::Sqlite,
            url,
            directory: Some(directory),
            name: "main".to_owned(),
            _guard: None,
        }
    }

    /// A fresh database of `engine`; `None` (after a loud message) when its server is
    /// unreachable outside CI.
    pub async fn create(engine: Engine) -> Option<TestDatabase> {
        let Some(server_url) = engine.server_url() else {
            return Some(TestDatabase::sqlite());
        };
        if !server_is_reachable(engine, &server_url) {
            return None;
        }
        let name = fresh_database_name();
        let guard = ServerDatabaseGuard::create(engine, &server_url, &name).await;
        let url = DatabaseUrl::parse(&with_database(&server_url, &name)).unwrap();
        Some(TestDatabase {
            engine,
            url,
            directory: None,
            name,
            _guard: Some(guard),
        })
    }

    pub fn options(&self) -> BackendOptions {
        BackendOptions {
            connect_timeout: Duration::from_secs(10),
            ..BackendOptions::new(self.url.clone())
        }
    }

    pub async fn backend(&self) -> Box<dyn Backend> {
        retort_db::connect(&self.options()).await.unwrap()
    }

    /// A plain connection, behind the backend's back.
    pub async fn inspect(&self) -> Inspector {
        inspector_for(self.engine, &self.raw_url()).await
    }

    /// A plain connection to the SQLite file.
    pub async fn sqlite_connection(&self) -> SqliteConnection {
        assert_eq!(self.engine, Engine::Sqlite);
        SqliteConnection::connect(&self.raw_url()).await.unwrap()
    }

    /// The URL with its password, for the test's own connections.
    pub fn raw_url(&self) -> String {
        match self.engine {
            Engine::Sqlite => format!(
                "sqlite://{}",
                self.directory
                    .as_ref()
                    .unwrap()
                    .path()
                    .join("app.db")
                    .display()
            ),
            engine => with_database(&engine.server_url().unwrap(), &self.name),
        }
    }

    /// The tables of the default schema (PostgreSQL `public`), sorted.
    pub async fn table_names(&self) -> Vec<String> {
        let query = match self.engine {
            Engine::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Engine::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            }
            Engine::Mysql => {
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1"
            }
        };
        self.inspect().await.strings(query).await
    }

    pub async fn version_rows(&self) -> Vec<String> {
        let mut rows = self
            .inspect()
            .await
            .strings("SELECT version_num FROM retort_version")
            .await;
        rows.sort();
        rows
    }
}

/// A plain connection of any engine, for looking and poking.
pub enum Inspector {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
    Mysql(MySqlConnection),
}

impl Inspector {
    /// The first column of every row, as text.
    pub async fn strings(&mut self, query: &str) -> Vec<String> {
        let sql = AssertSqlSafe(query.to_owned());
        match self {
            Inspector::Sqlite(connection) => sqlx::query_scalar(sql).fetch_all(connection).await,
            Inspector::Postgres(connection) => sqlx::query_scalar(sql).fetch_all(connection).await,
            Inspector::Mysql(connection) => sqlx::query_scalar(sql).fetch_all(connection).await,
        }
        .unwrap_or_else(|error| panic!("{query} failed: {error}"))
    }

    /// A count, or any integer in the first column of the first row.
    pub async fn integer(&mut self, query: &str) -> i64 {
        let sql = AssertSqlSafe(query.to_owned());
        match self {
            Inspector::Sqlite(connection) => sqlx::query_scalar(sql).fetch_one(connection).await,
            Inspector::Postgres(connection) => sqlx::query_scalar(sql).fetch_one(connection).await,
            Inspector::Mysql(connection) => sqlx::query_scalar(sql).fetch_one(connection).await,
        }
        .unwrap_or_else(|error| panic!("{query} failed: {error}"))
    }

    /// Runs statements, panicking on failure.
    pub async fn execute(&mut self, sql: &str) {
        let statements = AssertSqlSafe(sql.to_owned());
        match self {
            Inspector::Sqlite(connection) => sqlx::raw_sql(statements)
                .execute(connection)
                .await
                .map(drop),
            Inspector::Postgres(connection) => sqlx::raw_sql(statements)
                .execute(connection)
                .await
                .map(drop),
            Inspector::Mysql(connection) => sqlx::raw_sql(statements)
                .execute(connection)
                .await
                .map(drop),
        }
        .unwrap_or_else(|error| panic!("{sql} failed: {error}"));
    }
}

async fn inspector_for(engine: Engine, raw_url: &str) -> Inspector {
    match engine {
        Engine::Sqlite => Inspector::Sqlite(SqliteConnection::connect(raw_url).await.unwrap()),
        Engine::Postgres => Inspector::Postgres(PgConnection::connect(raw_url).await.unwrap()),
        Engine::Mysql => Inspector::Mysql(MySqlConnection::connect(raw_url).await.unwrap()),
    }
}

/// Drops a server database when the test that created it ends, even by panicking.
pub struct ServerDatabaseGuard {
    engine: Engine,
    server_url: String,
    name: String,
}

impl ServerDatabaseGuard {
    /// Drops `name` at the end of the test, when something else creates it.
    pub fn adopt(engine: Engine, server_url: &str, name: &str) -> ServerDatabaseGuard {
        ServerDatabaseGuard {
            engine,
            server_url: server_url.to_owned(),
            name: name.to_owned(),
        }
    }

    async fn create(engine: Engine, server_url: &str, name: &str) -> ServerDatabaseGuard {
        inspector_for(engine, server_url)
            .await
            .execute(&format!("CREATE DATABASE {name}"))
            .await;
        ServerDatabaseGuard {
            engine,
            server_url: server_url.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl Drop for ServerDatabaseGuard {
    fn drop(&mut self) {
        drop_server_database(self.engine, &self.server_url, &self.name);
    }
}

/// Drops `name` on the server from a thread of its own: `Drop` cannot await, and the test's
/// runtime may be the one dropping.
fn drop_server_database(engine: Engine, server_url: &str, name: &str) {
    let statement = match engine {
        Engine::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {name}"),
    };
    let server_url = server_url.to_owned();
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            inspector_for(engine, &server_url)
                .await
                .execute(&statement)
                .await;
        });
    })
    .join();
    if dropped.is_err() && !std::thread::panicking() {
        panic!("could not drop the test database {name}");
    }
}

/// `retort_test_` and 12 random hex characters.
pub fn fresh_database_name() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("retort_test_{}", &random[..12])
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = before_query.split_once("://").unwrap();
    let host_start = rest.rfind('@').map_or(0, |at| at + 1);
    let host_and_port = rest[host_start..].split('/').next().unwrap();
    let mut result = format!("{scheme}://{}{host_and_port}/{name}", &rest[..host_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

/// Whether the server accepts TCP connections; outside CI an unreachable server skips the test
/// with a message (once per engine, written past the test harness's output capture), in CI it
/// fails it.
fn server_is_reachable(engine: Engine, server_url: &str) -> bool {
    let after_scheme = server_url.split_once("://").unwrap().1;
    let host_start = after_scheme.rfind('@').map_or(0, |at| at + 1);
    let host_and_port = after_scheme[host_start..].split(['/', '?']).next().unwrap();
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
    let redacted = DatabaseUrl::parse(server_url).unwrap();
    if std::env::var_os("CI").is_some() {
        panic!("the {engine:?} server at {redacted} is unreachable and CI is set: start it");
    }
    static WARNED: [AtomicBool; 3] = [const { AtomicBool::new(false) }; 3];
    if !WARNED[engine as usize].swap(true, Ordering::Relaxed) {
        let _written = writeln!(
            std::io::stderr(),
            "\n!!!!! SKIPPING every {engine:?} test: the server at {redacted} is unreachable; \
             start it, or set RETORT_TEST_{}_URL (with CI set, these tests fail instead) !!!!!\n",
            format!("{engine:?}").to_uppercase()
        );
    }
    false
}
