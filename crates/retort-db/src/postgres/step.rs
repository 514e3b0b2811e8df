//! Running one step on PostgreSQL: the transaction, the migration's SQL, the version-row
//! changes and the history row, and the failure path that rolls back and records what happened.

use futures_util::StreamExt;
use retort_core::{Dialect, VersionChange};
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};

use super::connection::{PostgresBackend, TableNames, query_failed, select_version_rows};
use crate::backend::{Backend, HistoryRow, Outcome, StepRun};
use crate::error::{BackendError, FailureAftermath, error_chain_text};
use crate::history::{HISTORY_COLUMNS, HistoryDraft, history_revision};
use crate::sql_text::{check_expected_rows, check_rows_matched, placeholders, version_change_sql};
use crate::statements::split_statements;

/// A failed step: the error to return and the statements that stay applied.
struct StepFailure {
    error: BackendError,
    /// `None` for a step without SQL.
    statements_done: Option<usize>,
}

impl PostgresBackend {
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
        let mut draft = HistoryDraft::start(&run, &self.environment);
        let attempt = match run.sql {
            Some(sql) if !run.transactional => {
                let statements: Vec<&str> = split_statements(Dialect::Postgres, sql)
                    .iter()
                    .map(|statement| statement.text)
                    .collect();
                draft.statements_total = Some(statements.len());
                self.run_outside_transaction(&run, &statements, &draft)
                    .await
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

    /// SQL, version changes and history in one transaction.
    async fn run_in_one_transaction(
        &mut self,
        run: &StepRun<'_>,
        draft: &HistoryDraft,
    ) -> Result<(), StepFailure> {
        let statements_done_after_rollback = run.sql.map(|_| 0);
        let mut transaction = self
            .connection
            .begin()
            .await
            .map_err(|source| StepFailure {
                error: query_failed("starting a transaction".to_owned(), source),
                statements_done: statements_done_after_rollback,
            })?;
        let applied: Result<(), BackendError> = async {
            let found = select_version_rows(&mut transaction, &self.tables).await?;
            check_expected_rows(&self.tables.version, run.expected_rows, found)?;
            let statements_done = match run.sql {
                Some(sql) => Some(execute_script(&mut transaction, run, sql).await?),
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
                // Best effort: if the rollback fails the connection is gone, and the server
                // rolls the transaction back with it.
                let _rollback = transaction.rollback().await;
                Err(StepFailure {
                    error,
                    statements_done: statements_done_after_rollback,
                })
            }
        }
    }

    /// A `transaction: false` step: each statement on its own in autocommit mode, then the
    /// version changes and history in one transaction.
    async fn run_outside_transaction(
        &mut self,
        run: &StepRun<'_>,
        statements: &[&str],
        draft: &HistoryDraft,
    ) -> Result<(), StepFailure> {
        let found = select_version_rows(&mut self.connection, &self.tables)
            .await
            .map_err(|error| StepFailure {
                error,
                statements_done: Some(0),
            })?;
        check_expected_rows(&self.tables.version, run.expected_rows, found).map_err(|error| {
            StepFailure {
                error,
                statements_done: Some(0),
            }
        })?;
        for (index, statement) in statements.iter().enumerate() {
            if let Err(source) = sqlx::raw_sql(AssertSqlSafe(*statement))
                .execute(&mut self.connection)
                .await
            {
                return Err(StepFailure {
                    error: BackendError::MigrationFailed {
                        revision: history_revision(run.step),
                        direction: run.step.direction(),
                        statement_number: Some(index + 1),
                        statements_total: Some(statements.len()),
                        statement_text: Some((*statement).to_owned()),
                        statements_done: index,
                        aftermath: FailureAftermath::PartlyApplied,
                        source: Box::new(source.into()),
                    },
                    statements_done: Some(index),
                });
            }
        }
        let statements_done = Some(statements.len());
        let failure = |error| StepFailure {
            error,
            statements_done,
        };
        let mut transaction =
            self.connection.begin().await.map_err(|source| {
                failure(query_failed("starting a transaction".to_owned(), source))
            })?;
        let recorded: Result<(), BackendError> = async {
            apply_version_changes(&mut transaction, &self.tables, &run.step.version_changes)
                .await?;
            let row = draft.finish(Outcome::Applied, statements_done, None);
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

/// Sends a migration's SQL as one query string and returns how many statements completed; on
/// failure the error names the failing statement (its text as the splitter reads it).
async fn execute_script(
    connection: &mut PgConnection,
    run: &StepRun<'_>,
    sql: &str,
) -> Result<usize, BackendError> {
    let mut results = sqlx::raw_sql(AssertSqlSafe(sql)).execute_many(&mut *connection);
    let mut statements_done = 0;
    while let Some(result) = results.next().await {
        if let Err(source) = result {
            let statement_text = split_statements(Dialect::Postgres, sql)
                .get(statements_done)
                .map(|statement| statement.text.to_owned());
            return Err(BackendError::MigrationFailed {
                revision: history_revision(run.step),
                direction: run.step.direction(),
                statement_number: Some(statements_done + 1),
                statements_total: None,
                statement_text,
                statements_done: 0,
                aftermath: FailureAftermath::RolledBack,
                source: Box::new(source.into()),
            });
        }
        statements_done += 1;
    }
    Ok(statements_done)
}

/// Applies version changes in order; an UPDATE or DELETE must match exactly one row.
async fn apply_version_changes(
    connection: &mut PgConnection,
    tables: &TableNames,
    changes: &[VersionChange],
) -> Result<(), BackendError> {
    for change in changes {
        let change_sql = version_change_sql(
            Dialect::Postgres,
            &tables.qualified_version,
            &tables.version,
            change,
        );
        let mut query = sqlx::query(AssertSqlSafe(change_sql.statement));
        for value in change_sql.binds {
            query = query.bind(value);
        }
        let result = query
            .execute(&mut *connection)
            .await
            .map_err(|source| query_failed(change_sql.doing, source))?;
        check_rows_matched(&tables.version, change, result.rows_affected())?;
    }
    Ok(())
}

async fn insert_history(
    connection: &mut PgConnection,
    tables: &TableNames,
    row: &HistoryRow,
) -> Result<(), BackendError> {
    let statement = format!(
        "INSERT INTO {} ({HISTORY_COLUMNS}) VALUES ({})",
        tables.qualified_history,
        placeholders(Dialect::Postgres, 14)
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
