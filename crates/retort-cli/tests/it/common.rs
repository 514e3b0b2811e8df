//! Test helpers: a temporary project, running the binary in it, normalising its output, and
//! reading its SQLite databases.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::Connection;

/// A project in a temporary directory, removed when dropped.
pub struct TestProject {
    directory: tempfile::TempDir,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// One migration file's header and sections.
#[derive(Debug, Clone, Default)]
pub struct Migration<'a> {
    pub revision: &'a str,
    pub down_revision: &'a str,
    pub depends_on: &'a str,
    pub branch_labels: &'a str,
    pub message: &'a str,
    pub upgrade: &'a str,
    /// `None` for an irreversible migration.
    pub downgrade: Option<&'a str>,
}

impl Migration<'_> {
    pub fn render(&self) -> String {
        let mut text = format!(
            "-- revision: {}\n-- down_revision: {}\n",
            self.revision, self.down_revision
        );
        if !self.depends_on.is_empty() {
            text.push_str(&format!("-- depends_on: {}\n", self.depends_on));
        }
        if !self.branch_labels.is_empty() {
            text.push_str(&format!("-- branch_labels: {}\n", self.branch_labels));
        }
        text.push_str(&format!(
            "-- message: {}\n-- created: 2026-11-21T10:00:00Z\n\n",
            self.message
        ));
        text.push_str(&format!("-- upgrade\n{}\n", self.upgrade));
        if let Some(downgrade) = self.downgrade {
            text.push_str(&format!("\n-- downgrade\n{downgrade}\n"));
        }
        text
    }
}

impl TestProject {
    /// An empty directory.
    pub fn empty() -> TestProject {
        TestProject {
            directory: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// A project with this `config/retort.toml`.
    pub fn with_config(config: &str) -> TestProject {
        let project = TestProject::empty();
        project.write("config/retort.toml", config);
        project
    }

    /// A project with SQLite databases `names` under `data/`, each with an empty `versions/`.
    pub fn with_databases(names: &[&str]) -> TestProject {
        let config: String = names
            .iter()
            .map(|name| format!("[databases.{name}]\nurl = \"sqlite:data/{name}.db\"\n\n"))
            .collect();
        let project = TestProject::with_config(&config);
        for name in names {
            fs::create_dir_all(project.versions(name)).expect("versions directory");
        }
        project
    }

    pub fn root(&self) -> &Path {
        self.directory.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    pub fn versions(&self, database: &str) -> PathBuf {
        self.root()
            .join("databases")
            .join(database)
            .join("versions")
    }

    /// Writes a file under the root, creating its directories.
    pub fn write(&self, relative: &str, content: &str) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("parent directory");
        }
        fs::write(path, content).expect("write file");
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path(relative)).expect("read file")
    }

    /// Writes `databases/<database>/versions/<file_name>`.
    pub fn migration(&self, database: &str, file_name: &str, migration: &Migration<'_>) {
        self.write(
            &format!("databases/{database}/versions/{file_name}"),
            &migration.render(),
        );
    }

    /// The names of the files in a database's `versions/`, sorted.
    pub fn version_files(&self, database: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.versions(database))
            .expect("versions directory")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    /// Runs `retort args...` in the project root.
    pub fn retort(&self, args: &[&str]) -> Run {
        self.retort_with(self.root(), args, &[])
    }

    /// Runs `retort args...` in `directory` with extra environment variables.
    pub fn retort_with(&self, directory: &Path, args: &[&str], variables: &[(&str, &str)]) -> Run {
        self.run_program(
            Path::new(env!("CARGO_BIN_EXE_retort")),
            directory,
            args,
            variables,
        )
    }

    /// Runs `program args...` (a copy of the binary) in `directory` with extra environment
    /// variables, and none of the caller's `RETORT_` or `*_DATABASE_URL` ones.
    pub fn run_program(
        &self,
        program: &Path,
        directory: &Path,
        args: &[&str],
        variables: &[(&str, &str)],
    ) -> Run {
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(directory)
            .env("NO_COLOR", "1");
        for (name, _) in std::env::vars() {
            if name.starts_with("RETORT_") || name.ends_with("_DATABASE_URL") {
                command.env_remove(name);
            }
        }
        for (name, value) in variables {
            command.env(name, value);
        }
        let output = output_of(&mut command);
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: self.normalise(&String::from_utf8_lossy(&output.stdout)),
            stderr: self.normalise(&String::from_utf8_lossy(&output.stderr)),
        }
    }

    /// Output with the project root as `[ROOT]` and step durations as `[TIME]`.
    fn normalise(&self, text: &str) -> String {
        let root = self.root().to_string_lossy().into_owned();
        normalise_durations(&text.replace(&root, "[ROOT]"))
    }

    /// The single text column of each row `sql` returns from `data/<database>.db`.
    pub fn query(&self, database: &str, sql: &'static str) -> Vec<String> {
        let path = self.path(&format!("data/{database}.db"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let url = format!("sqlite://{}?mode=ro", path.display());
            let mut connection = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("open the test database");
            let rows: Vec<String> = sqlx::query_scalar(sql)
                .fetch_all(&mut connection)
                .await
                .expect("query");
            connection.close().await.expect("close");
            rows
        })
    }

    /// The version rows of `data/<database>.db`, sorted.
    pub fn version_rows(&self, database: &str) -> Vec<String> {
        self.query(
            database,
            "SELECT version_num FROM retort_version ORDER BY version_num",
        )
    }

    /// The user tables of `data/<database>.db` (retort's own excluded), sorted.
    pub fn tables(&self, database: &str) -> Vec<String> {
        self.query(
            database,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'retort_%' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
    }
}

impl Run {
    /// Asserts the exit code, stdout and stderr (after normalisation) all at once.
    #[track_caller]
    pub fn check(&self, code: i32, stdout: &str, stderr: &str) {
        assert!(
            self.code == code && self.stdout == stdout && self.stderr == stderr,
            "\nexpected exit {code}\n--- stdout\n{stdout}--- stderr\n{stderr}---\n\ngot exit {}\n--- stdout\n{}--- stderr\n{}---\n",
            self.code,
            self.stdout,
            self.stderr
        );
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn success(&self) -> &str {
        assert!(
            self.code == 0,
            "expected success, got exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        &self.stdout
    }

    /// Asserts the exit code and that stderr contains `fragment`.
    #[track_caller]
    pub fn fails_with(&self, code: i32, fragment: &str) {
        assert!(
            self.code == code && self.stderr.contains(fragment),
            "expected exit {code} with stderr containing {fragment:?}, got exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
    }
}

/// `12ms` or `1.5s` after `ok ` becomes `[TIME]`.
fn normalise_durations(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        match line.rsplit_once(" ... ok ") {
            Some((before, duration))
                if duration.ends_with('s')
                    && duration.chars().next().is_some_and(|c| c.is_ascii_digit()) =>
            {
                lines.push(format!("{before} ... ok [TIME]"));
            }
            _ => lines.push(line.to_owned()),
        }
    }
    lines.join("\n")
}

/// The example graph most tests use, in database `app` (with `registry` for the dependency):
///
/// ```text
/// users1 -> projects2 -> invoices3 (billing) -> merge5 -> login6
///                     -> tools4 (depends on registry:tools1) -^
/// ```
pub fn example_project() -> TestProject {
    let project = TestProject::with_databases(&["app", "registry"]);
    add_example_migrations(&project);
    project
}

pub fn add_example_migrations(project: &TestProject) {
    project.migration(
        "registry",
        "1_tools1.sql",
        &Migration {
            revision: "tools1",
            message: "create tools",
            upgrade: "CREATE TABLE tools (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
            downgrade: Some("DROP TABLE tools;"),
            ..Migration::default()
        },
    );
    let app = [
        (
            "1_users1.sql",
            Migration {
                revision: "users1",
                message: "create users",
                upgrade: "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                downgrade: Some("DROP TABLE users;"),
                ..Migration::default()
            },
        ),
        (
            "2_projects2.sql",
            Migration {
                revision: "projects2",
                down_revision: "users1",
                message: "create projects",
                upgrade: "CREATE TABLE projects (id INTEGER PRIMARY KEY);",
                downgrade: Some("DROP TABLE projects;"),
                ..Migration::default()
            },
        ),
        (
            "3_invoices3.sql",
            Migration {
                revision: "invoices3",
                down_revision: "projects2",
                branch_labels: "billing",
                message: "create invoices",
                upgrade: "CREATE TABLE invoices (id INTEGER PRIMARY KEY);",
                downgrade: Some("DROP TABLE invoices;"),
                ..Migration::default()
            },
        ),
        (
            "4_tools4.sql",
            Migration {
                revision: "tools4",
                down_revision: "projects2",
                depends_on: "registry:tools1",
                message: "link projects to tools",
                upgrade: "CREATE TABLE project_tools (project_id INTEGER, tool_id INTEGER);",
                downgrade: Some("DROP TABLE project_tools;"),
                ..Migration::default()
            },
        ),
        (
            "5_merge5.sql",
            Migration {
                revision: "merge5",
                down_revision: "invoices3, tools4",
                message: "merge billing and tools",
                upgrade: "",
                downgrade: Some(""),
                ..Migration::default()
            },
        ),
        (
            "6_login6.sql",
            Migration {
                revision: "login6",
                down_revision: "merge5",
                message: "add last login",
                upgrade: "ALTER TABLE users ADD COLUMN last_login TEXT;",
                downgrade: Some("ALTER TABLE users DROP COLUMN last_login;"),
                ..Migration::default()
            },
        ),
    ];
    for (file_name, migration) in &app {
        project.migration("app", file_name, migration);
    }
}

/// Everything in `data/<database>.db` that a refused command must leave as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseState {
    /// Every table and index, retort's own included, as `table t` or `index name`.
    pub schema: Vec<String>,
    /// The version rows, sorted.
    pub version_rows: Vec<String>,
    /// One `revision direction outcome` line per history row, oldest first.
    pub history: Vec<String>,
    /// The holder of the migration lock as `host pid run_id`, when one holds it.
    pub lock: Vec<String>,
}

impl TestProject {
    /// The schema, version rows, history rows and lock of `data/<database>.db`.
    pub fn state(&self, database: &str) -> DatabaseState {
        let schema = self.query(
            database,
            "SELECT type || ' ' || name FROM sqlite_master ORDER BY type, name",
        );
        let has = |table: &str| {
            schema
                .iter()
                .any(|entry| *entry == format!("table {table}"))
        };
        let history = if has("retort_history") {
            self.query(
                database,
                "SELECT revision || ' ' || direction || ' ' || outcome FROM retort_history ORDER BY id",
            )
        } else {
            Vec::new()
        };
        let lock = if has("retort_lock") {
            self.query(
                database,
                "SELECT host || ' ' || pid || ' ' || run_id FROM retort_lock",
            )
        } else {
            Vec::new()
        };
        let version_rows = if has("retort_version") {
            self.version_rows(database)
        } else {
            Vec::new()
        };
        DatabaseState {
            schema,
            version_rows,
            history,
            lock,
        }
    }

    /// Writes `bytes` (not necessarily UTF-8) to a file under the root.
    pub fn write_bytes(&self, relative: &str, bytes: &[u8]) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("parent directory");
        }
        fs::write(path, bytes).expect("write file");
    }

    /// Runs `sql` (one or more statements) on `data/<database>.db`, as another program would.
    pub fn execute(&self, database: &str, sql: &'static str) {
        let path = self.path(&format!("data/{database}.db"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let url = format!("sqlite://{}", path.display());
            let mut connection = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("open the test database");
            sqlx::raw_sql(sql)
                .execute(&mut connection)
                .await
                .expect("execute");
            connection.close().await.expect("close");
        });
    }
}

impl Run {
    /// Asserts that the command was refused (or its migration failed) with `code`, that stderr
    /// holds every one of `fragments`, and that nothing panicked.
    #[track_caller]
    pub fn refused_with(&self, code: i32, fragments: &[&str]) {
        let missing: Vec<&&str> = fragments
            .iter()
            .filter(|fragment| !self.stderr.contains(**fragment))
            .collect();
        assert!(
            self.code == code && missing.is_empty(),
            "expected exit {code} with stderr containing {missing:?}, got exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
        for panic_text in ["panicked", "RUST_BACKTRACE"] {
            assert!(
                !self.stderr.contains(panic_text) && !self.stdout.contains(panic_text),
                "the binary panicked:\n{}",
                self.stderr
            );
        }
    }
}

/// This repository's root, whose example databases the binary carries.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl TestProject {
    /// A project holding a copy of everything in `relative`, a directory of the workspace
    /// (`tests/fixtures/shop`).
    pub fn copy_of(relative: &str) -> TestProject {
        let project = TestProject::empty();
        copy_recursively(&workspace_root().join(relative), project.root());
        project
    }

    /// Copies `relative` (a file, or a directory with everything in it) from the workspace root
    /// to the same place in this project.
    pub fn copy_from_workspace(&self, relative: &str) {
        copy_recursively(&workspace_root().join(relative), &self.path(relative));
    }
}

fn copy_recursively(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).expect("directory");
        for entry in fs::read_dir(from).expect("readable directory") {
            let entry = entry.expect("directory entry");
            copy_recursively(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).expect("parent directory");
        }
        fs::copy(from, to).expect("copy file");
    }
}

/// Runs `command` to its end. A binary copied by this test process may still be open for
/// writing in a child that another test thread forked at that moment (until that child execs),
/// which makes starting it fail with "text file busy": that is retried for a while.
fn output_of(command: &mut Command) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match command.output() {
            Err(error)
                if error.kind() == std::io::ErrorKind::ExecutableFileBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::yield_now();
            }
            result => return result.expect("the retort binary runs"),
        }
    }
}
