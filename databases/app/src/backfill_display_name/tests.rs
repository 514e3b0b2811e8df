//! The backfill on a fake connection: which statements it runs for a range of ids, and the
//! progress it reports.

use std::sync::Mutex;

use retort_migration::{
    DataConnection, DataError, Dialect, MigrationContext, Progress, RustMigration,
};

use super::BackfillUsersDisplayName;

/// Answers the bounds query with `bounds` and records every statement.
struct Recording {
    bounds: Vec<Option<i64>>,
    statements: Vec<String>,
}

#[async_trait::async_trait]
impl DataConnection for Recording {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn execute(&mut self, sql: &str) -> Result<u64, DataError> {
        self.statements
            .push(sql.split_whitespace().collect::<Vec<_>>().join(" "));
        Ok(1)
    }

    async fn fetch_integers(&mut self, _sql: &str) -> Result<Vec<Option<i64>>, DataError> {
        Ok(self.bounds.clone())
    }

    async fn fetch_strings(&mut self, _sql: &str) -> Result<Vec<Option<String>>, DataError> {
        Ok(Vec::new())
    }
}

/// The statements and progress of an upgrade over ids `bounds`.
async fn upgrade(bounds: Vec<Option<i64>>) -> (Vec<String>, Vec<Progress>) {
    let mut connection = Recording {
        bounds,
        statements: Vec::new(),
    };
    let reported = Mutex::new(Vec::new());
    let on_progress = |progress: Progress| {
        if let Ok(mut reported) = reported.lock() {
            reported.push(progress);
        }
    };
    let mut context = MigrationContext::new(&mut connection, &on_progress);
    let result = BackfillUsersDisplayName.upgrade(&mut context).await;
    assert!(result.is_ok(), "{result:?}");
    let progress = reported.into_inner().unwrap_or_default();
    (connection.statements, progress)
}

fn progress(done: u64, total: u64) -> Progress {
    Progress {
        done,
        total: Some(total),
    }
}

#[tokio::test]
async fn ids_are_updated_in_batches_with_progress_after_each() {
    let (statements, reported) = upgrade(vec![Some(3), Some(1100)]).await;
    assert_eq!(
        statements,
        [
            "UPDATE users SET display_name = split_part(email, '@', 1) WHERE id >= 3 AND id < 503 AND display_name IS NULL",
            "UPDATE users SET display_name = split_part(email, '@', 1) WHERE id >= 503 AND id < 1003 AND display_name IS NULL",
            "UPDATE users SET display_name = split_part(email, '@', 1) WHERE id >= 1003 AND id < 1503 AND display_name IS NULL",
        ]
    );
    assert_eq!(
        reported,
        [
            progress(0, 1098),
            progress(500, 1098),
            progress(1000, 1098),
            progress(1098, 1098)
        ]
    );
}

#[tokio::test]
async fn an_empty_table_is_done_at_once() {
    let (statements, reported) = upgrade(vec![None, None]).await;
    assert_eq!(statements, Vec::<String>::new());
    assert_eq!(reported, [progress(0, 0)]);
}
