//! Helpers shared by the integration tests: fresh databases, hand-built steps, direct queries.

use std::time::Duration;

use retort_core::{Action, Direction, Step, VersionChange};
use retort_db::{Backend, BackendOptions, DatabaseUrl, StepRun};
use sqlx::{Connection, SqliteConnection};
use tempfile::TempDir;

/// A temporary directory holding one SQLite database file, removed on drop.
pub struct TestDatabase {
    pub directory: TempDir,
    pub url: DatabaseUrl,
}

impl TestDatabase {
    pub fn new() -> TestDatabase {
        let directory = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&format!(
            "sqlite://{}",
            directory.path().join("app.db").display()
        ))
        .unwrap();
        TestDatabase { directory, url }
    }

    pub fn options(&self) -> BackendOptions {
        BackendOptions {
            url: self.url.clone(),
            version_table: "retort_version".to_owned(),
            history_table: "retort_history".to_owned(),
            connect_timeout: Duration::from_secs(5),
        }
    }

    pub async fn backend(&self) -> Box<dyn Backend> {
        retort_db::connect(&self.options()).await.unwrap()
    }

    /// A second, plain connection for looking at the file behind the backend's back.
    pub async fn inspect(&self) -> SqliteConnection {
        let path = self.directory.path().join("app.db");
        SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap()
    }

    pub async fn table_names(&self) -> Vec<String> {
        let mut connection = self.inspect().await;
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .fetch_all(&mut connection)
            .await
            .unwrap()
    }
}

pub fn ids(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

pub fn insert(revision: &str) -> VersionChange {
    VersionChange::Insert(revision.to_owned())
}

pub fn update(from: &str, to: &str) -> VersionChange {
    VersionChange::Update {
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

pub fn delete(revision: &str) -> VersionChange {
    VersionChange::Delete(revision.to_owned())
}

/// An upgrade of `revision` from `from`, with its version changes; `rows_after` is not used by
/// the backend and is set to `[revision]`.
pub fn upgrade(revision: &str, from: &[&str], version_changes: Vec<VersionChange>) -> Step {
    Step {
        action: Action::Upgrade(revision.to_owned()),
        from: ids(from),
        to: ids(&[revision]),
        version_changes,
        rows_after: ids(&[revision]),
    }
}

pub fn downgrade(revision: &str, to: &[&str], version_changes: Vec<VersionChange>) -> Step {
    Step {
        action: Action::Downgrade(revision.to_owned()),
        from: ids(&[revision]),
        to: ids(to),
        version_changes,
        rows_after: ids(to),
    }
}

pub fn stamp(to: &[&str], version_changes: Vec<VersionChange>) -> Step {
    Step {
        action: Action::Stamp(Direction::Up),
        from: Vec::new(),
        to: ids(to),
        version_changes,
        rows_after: ids(to),
    }
}

/// A transactional run of `step` with `sql`, expecting `expected_rows`.
pub fn run<'a>(step: &'a Step, sql: Option<&'a str>, expected_rows: &'a [String]) -> StepRun<'a> {
    StepRun {
        run_id: "run-1",
        step,
        sql,
        transactional: true,
        checksum: None,
        expected_rows,
    }
}
