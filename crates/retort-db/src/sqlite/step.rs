//! Running one step: the transaction, the migration's statements, the version-row changes and
//! the history row, and the failure path that rolls back and records what happened.

use futures_util::StreamExt;
use retort_core::{Dialect, VersionChange};
use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

use super::connection::{SqliteBackend, TableNames, query_failed, select_version_rows};
use crate::backend::{Backend, HistoryRow, Outcome, StepRun};
use crate::error::{BackendError, FailureAftermath, error_chain_text};
use crate::history::{HISTORY_COLUMNS, HistoryDraft, history_revision};
use crate::statements::split_statements;

/// A failed step: the error to return and what to record.
struct StepFailure {
    error: BackendError,
    /// Statements that took effect (0 after a rollback); `None` for a step without SQL.
    statements_done: Option<usize>,
}

impl SqliteBackend {
    /// [`crate::Backend::run_step`]: runs the step, and records it in history whichever way it ends.
    pub(super) async fn run_step_and_record(
        &mut self,
        run: StepRun<'_>,
    ) -> Result<(), BackendError> {
        // Checked once per connection: every step used to ask the catalog again (a round trip,
        // two on MySQL), which was a measurable part of a step on a fast server.
        if !self.tables_ready {
            self.ensure_tables().await?;
            self.tables_ready = true;
        }
        let draft = HistoryDraft::start(&run, &self.environment);
        let attempt = match run.sql {
            Some(sql) if !run.transactional => {
                self.run_outside_transaction(&run, sql, &draft).await
            }
            _ => self.run_in_one_transaction(&run, &draft).await,
        };
        let Err(failure) = attempt else {
            return Ok(());
        };
        let row = draft.finish(
            Outcome::Failed,
            failure.statements_done,
            Some(error_chain_text(&failure.error)),
        );
        // Best effort: the error to report is the step's, not a failure to record it.
        let _recorded = insert_history(&mut self.connection, &self.tables, &row).await;
        Err(failure.error)
    }

    /// A step with its SQL, version changes and history in one `BEGIN IMMEDIATE` transaction.
    async fn run_in_one_transaction(
        &mut self,
        run: &StepRun<'_>,
        draft: &HistoryDraft,
    ) -> Result<(), StepFailure> {
        let statements_done_after_rollback = run.sql.map(|_| 0);
        let mut transaction = self
            .connection
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| StepFailure {
                error: query_failed("starting a write transaction".to_owned(), source),
                statements_done: statements_done_after_rollback,
            })?;
        let applied: Result<(), BackendError> = async {
            check_expected_rows(&mut transaction, &self.tables, run.expected_rows).await?;
            let statements_done = match run.sql {
                Some(sql) => Some(execute_migration_sql(&mut transaction, run, sql, true).await?),
                None => None,
            };
            apply_version_changes(&mut transaction, &self.tables, &run.step.version_changes)
                .await?;
            let row = draft.finish(Outcome::Applied, statements_done, None);
            insert_history(&mut transaction, &self.tables, &row).await
        }
        .await;
        match applied {
            Ok(()) => transaction.commit().await.map_err(|source| StepFailure {
                error: commit_failed(run, source),
                statements_done: statements_done_after_rollback,
            }),
            Err(error) => {
                // Best effort: if the rollback fails too, the connection is gone with the transaction.
                let _rollback = transaction.rollback().await;
                Err(StepFailure {
                    error,
                    statements_done: statements_done_after_rollback,
                })
            }
        }
    }

    /// A `transaction: false` step: its SQL in autocommit mode, then version changes and history
    /// in one transaction.
    async fn run_outside_transaction(
        &mut self,
        run: &StepRun<'_>,
        sql: &str,
        draft: &HistoryDraft,
    ) -> Result<(), StepFailure> {
        check_expected_rows(&mut self.connection, &self.tables, run.expected_rows)
            .await
            .map_err(|error| StepFailure {
                error,
                statements_done: Some(0),
            })?;
        let statements_done = execute_migration_sql(&mut self.connection, run, sql, false)
            .await
            .map_err(|error| {
                let statements_done = match &error {
                    BackendError::MigrationFailed {
                        statements_done, ..
                    } => *statements_done,
                    _ => 0,
                };
                StepFailure {
                    error,
                    statements_done: Some(statements_done),
                }
            })?;
        let failure = |error| StepFailure {
            error,
            statements_done: Some(statements_done),
        };
        let mut transaction = self
            .connection
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| {
                failure(query_failed(
                    "starting a write transaction".to_owned(),
                    source,
                ))
            })?;
        let recorded: Result<(), BackendError> = async {
            apply_version_changes(&mut transaction, &self.tables, &run.step.version_changes)
                .await?;
            let row = draft.finish(Outcome::Applied, Some(statements_done), None);
            insert_history(&mut transaction, &self.tables, &row).await
        }
        .await;
        match recorded {
            Ok(()) => transaction.commit().await.map_err(|source| {
                failure(query_failed(
                    format!("committing the version change of {}", draft.revision),
                    source,
                ))
            }),
            Err(error) => {
                let _rollback = transaction.rollback().await;
                Err(failure(error))
            }
        }
    }
}

/// Refuses the step unless the version rows are `expected` (as sets).
async fn check_expected_rows(
    connection: &mut SqliteConnection,
    tables: &TableNames,
    expected: &[String],
) -> Result<(), BackendError> {
    let found = select_version_rows(connection, tables).await?;
    let mut found_sorted = found.clone();
    found_sorted.sort();
    let mut expected_sorted = expected.to_vec();
    expected_sorted.sort();
    if found_sorted != expected_sorted {
        return Err(BackendError::VersionRowsChanged {
            table: tables.version.clone(),
            expected: expected.to_vec(),
            found,
        });
    }
    Ok(())
}

/// Runs a migration's statements in order and returns how many ran. On failure the error says
/// which statement failed; `rolled_back` says whether the caller is about to roll back.
async fn execute_migration_sql(
    connection: &mut SqliteConnection,
    run: &StepRun<'_>,
    sql: &str,
    rolled_back: bool,
) -> Result<usize, BackendError> {
    let mut results = sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute_many(&mut *connection);
    let mut statements_done = 0;
    while let Some(result) = results.next().await {
        if let Err(source) = result {
            // The text as the splitter reads it; SQLite's own count of completed statements
            // says which one it is.
            let statement_text = split_statements(Dialect::Sqlite, sql)
                .get(statements_done)
                .map(|statement| statement.text.to_owned());
            return Err(BackendError::MigrationFailed {
                revision: history_revision(run.step),
                direction: run.step.direction(),
                statement_number: Some(statements_done + 1),
                statements_total: None,
                statement_text,
                statements_done: if rolled_back { 0 } else { statements_done },
                aftermath: if rolled_back {
                    FailureAftermath::RolledBack
                } else {
                    FailureAftermath::PartlyApplied
                },
                source: Box::new(source.into()),
            });
        }
        statements_done += 1;
    }
    Ok(statements_done)
}

/// Applies version changes in order; an UPDATE or DELETE must match exactly one row.
async fn apply_version_changes(
    connection: &mut SqliteConnection,
    tables: &TableNames,
    changes: &[VersionChange],
) -> Result<(), BackendError> {
    let table = &tables.quoted_version;
    for change in changes {
        let (query, doing) = match change {
            VersionChange::Insert(revision) => (
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO {table} (version_num) VALUES (?1)"
                )))
                .bind(revision),
                format!("inserting '{revision}' into {}", tables.version),
            ),
            VersionChange::Update { from, to } => (
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET version_num = ?1 WHERE version_num = ?2"
                )))
                .bind(to)
                .bind(from),
                format!("updating '{from}' to '{to}' in {}", tables.version),
            ),
            VersionChange::Delete(revision) => (
                sqlx::query(AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE version_num = ?1"
                )))
                .bind(revision),
                format!("deleting '{revision}' from {}", tables.version),
            ),
        };
        let result = query
            .execute(&mut *connection)
            .await
            .map_err(|source| query_failed(doing, source))?;
        let must_match_one_row = !matches!(change, VersionChange::Insert(_));
        if must_match_one_row && result.rows_affected() != 1 {
            return Err(BackendError::VersionRowMismatch {
                table: tables.version.clone(),
                change: change.clone(),
                matched: result.rows_affected(),
            });
        }
    }
    Ok(())
}

async fn insert_history(
    connection: &mut SqliteConnection,
    tables: &TableNames,
    row: &HistoryRow,
) -> Result<(), BackendError> {
    let statement = format!(
        "INSERT INTO {} ({HISTORY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        tables.quoted_history
    );
    sqlx::query(AssertSqlSafe(statement))
        .bind(&row.run_id)
        .bind(&row.revision)
        .bind(&row.direction)
        .bind(&row.checksum)
        .bind(&row.started_at)
        .bind(&row.finished_at)
        .bind(row.duration_ms)
        .bind(&row.user_name)
        .bind(&row.host)
        .bind(&row.retort_version)
        .bind(&row.outcome)
        .bind(row.statements_done)
        .bind(row.statements_total)
        .bind(&row.error)
        .execute(connection)
        .await
        .map_err(|source| query_failed(format!("writing to {}", tables.history), source))?;
    Ok(())
}

/// A failed COMMIT: the migration's fault when it had SQL (a deferred constraint, say).
fn commit_failed(run: &StepRun<'_>, source: sqlx::Error) -> BackendError {
    match run.sql {
        Some(_) => BackendError::MigrationFailed {
            revision: history_revision(run.step),
            direction: run.step.direction(),
            statement_number: None,
            statements_total: None,
            statement_text: None,
            statements_done: 0,
            aftermath: FailureAftermath::RolledBack,
            source: Box::new(source.into()),
        },
        None => query_failed(
            format!("committing the stamp to {}", history_revision(run.step)),
            source,
        ),
    }
}
