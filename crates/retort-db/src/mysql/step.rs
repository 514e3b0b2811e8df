//! Running one step on MySQL: the checks before anything runs, the `running` history row, the
//! statements one at a time with their progress, and the closing transaction that changes the
//! version rows and marks the row `applied`.

use retort_core::{Dialect, VersionChange};
use sqlx::mysql::MySqlConnection;
use sqlx::{AssertSqlSafe, Connection};

use super::connection::{MysqlBackend, TableNames, query_failed, select_version_rows};
use super::resume::{ResumeRequest, join_checksums, resume_point, statement_checksum};
use crate::backend::{Backend, HistoryRow, Outcome, StepRun};
use crate::error::{BackendError, FailureAftermath, error_chain_text};
use crate::history::{HISTORY_COLUMNS, HistoryDraft};
use crate::sql_text::{check_expected_rows, check_rows_matched, placeholders, version_change_sql};
use crate::statements::split_statements;

impl MysqlBackend {
    /// [`crate::Backend::run_step`]: a step without SQL (a stamp) in one transaction; a migration
    /// statement by statement, resuming after a failed run's unchanged statements.
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
        let Some(sql) = run.sql else {
            let finished = self.finish_step(&run, &draft, None, None).await;
            if let Err(error) = &finished {
                let row = draft.finish(Outcome::Failed, None, Some(error_chain_text(error)));
                // Best effort: the error to report is the step's, not a failure to record it.
                let _recorded =
                    insert_history(&mut self.connection, &self.tables, &row, None).await;
            }
            return finished;
        };
        let statements: Vec<&str> = split_statements(Dialect::Mysql, sql)
            .iter()
            .map(|statement| statement.text)
            .collect();
        let checksums: Vec<String> = statements
            .iter()
            .map(|statement| statement_checksum(statement))
            .collect();
        draft.statements_total = Some(statements.len());
        let statements_to_skip = match self.check_before_running(&run, &draft, &checksums).await {
            Ok(count) => count,
            Err(error) => {
                let row = draft.finish(Outcome::Failed, Some(0), Some(error_chain_text(&error)));
                let _recorded =
                    insert_history(&mut self.connection, &self.tables, &row, None).await;
                return Err(error);
            }
        };
        let running_row = draft.finish(Outcome::Running, Some(statements_to_skip), None);
        let history_id = insert_history(
            &mut self.connection,
            &self.tables,
            &running_row,
            Some(&join_checksums(&checksums)),
        )
        .await?;
        let progress = StepProgress {
            draft: &draft,
            history_id,
        };
        for (index, statement) in statements.iter().enumerate().skip(statements_to_skip) {
            let executed = sqlx::raw_sql(AssertSqlSafe(*statement))
                .execute(&mut self.connection)
                .await;
            let recorded = match executed {
                Ok(_) => {
                    progress
                        .record(self, Outcome::Running, index + 1, None)
                        .await
                }
                Err(source) => Err(BackendError::MigrationFailed {
                    revision: draft.revision.clone(),
                    direction: run.step.direction(),
                    statement_number: Some(index + 1),
                    statements_total: Some(statements.len()),
                    statement_text: Some((*statement).to_owned()),
                    statements_done: index,
                    aftermath: FailureAftermath::Resumable,
                    source: Box::new(source.into()),
                }),
            };
            if let Err(error) = recorded {
                let done = if error.is_migration_failure() {
                    index
                } else {
                    index + 1
                };
                let _recorded = progress
                    .record(self, Outcome::Failed, done, Some(&error))
                    .await;
                return Err(error);
            }
        }
        let finished = self
            .finish_step(&run, &draft, Some(&progress), Some(statements.len()))
            .await;
        if let Err(error) = &finished {
            let _recorded = progress
                .record(self, Outcome::Failed, statements.len(), Some(error))
                .await;
        }
        finished
    }

    /// The version rows must be those expected; returns how many statements a failed run of this
    /// step already applied, unchanged.
    async fn check_before_running(
        &mut self,
        run: &StepRun<'_>,
        draft: &HistoryDraft,
        checksums: &[String],
    ) -> Result<usize, BackendError> {
        let found = select_version_rows(&mut self.connection, &self.tables).await?;
        check_expected_rows(&self.tables.version, run.expected_rows, found)?;
        let previous = self.previous_attempt(&draft.revision).await?;
        resume_point(
            previous.as_ref(),
            &ResumeRequest {
                revision: &draft.revision,
                direction: run.step.direction(),
                direction_word: draft.direction,
                checksums,
                history_table: &self.tables.history,
            },
        )
    }

    /// The closing transaction: version changes, and the history row marked `applied` (updated
    /// when the step has a `running` row, inserted otherwise).
    async fn finish_step(
        &mut self,
        run: &StepRun<'_>,
        draft: &HistoryDraft,
        progress: Option<&StepProgress<'_>>,
        statements_done: Option<usize>,
    ) -> Result<(), BackendError> {
        let mut transaction = self
            .connection
            .begin()
            .await
            .map_err(|source| query_failed("starting a transaction".to_owned(), source))?;
        let applied: Result<(), BackendError> = async {
            if progress.is_none() {
                let found = select_version_rows(&mut transaction, &self.tables).await?;
                check_expected_rows(&self.tables.version, run.expected_rows, found)?;
            }
            apply_version_changes(&mut transaction, &self.tables, &run.step.version_changes)
                .await?;
            let row = draft.finish(Outcome::Applied, statements_done, None);
            match progress {
                Some(progress) => {
                    update_history(&mut transaction, &self.tables, progress.history_id, &row)
                        .await?;
                    mark_interrupted_attempts_resumed(&mut transaction, &self.tables, progress)
                        .await
                }
                None => insert_history(&mut transaction, &self.tables, &row, None)
                    .await
                    .map(|_id| ()),
            }
        }
        .await;
        match applied {
            Ok(()) => transaction.commit().await.map_err(|source| {
                query_failed(
                    format!("committing the version change of {}", draft.revision),
                    source,
                )
            }),
            Err(error) => {
                // Best effort: if the rollback fails the connection is gone, and the server
                // rolls the transaction back with it.
                let _rollback = transaction.rollback().await;
                Err(error)
            }
        }
    }
}

/// The `running` history row of a step under way.
struct StepProgress<'a> {
    draft: &'a HistoryDraft,
    history_id: i64,
}

impl StepProgress<'_> {
    /// Updates the row: its outcome, the statements done, and the error when there is one.
    async fn record(
        &self,
        backend: &mut MysqlBackend,
        outcome: Outcome,
        statements_done: usize,
        error: Option<&BackendError>,
    ) -> Result<(), BackendError> {
        let row = self.draft.finish(
            outcome,
            Some(statements_done),
            error.map(|error| error_chain_text(error)),
        );
        update_history(
            &mut backend.connection,
            &backend.tables,
            self.history_id,
            &row,
        )
        .await
    }
}

/// Marks `resumed` the rows left `running` by earlier attempts of the step `progress` has just
/// completed: their runners died mid-step (see the module doc), and this one finished the step.
async fn mark_interrupted_attempts_resumed(
    connection: &mut MySqlConnection,
    tables: &TableNames,
    progress: &StepProgress<'_>,
) -> Result<(), BackendError> {
    let statement = format!(
        "UPDATE {} SET outcome = ? WHERE revision = ? AND direction = ? AND outcome = ? AND id < ?",
        tables.qualified_history
    );
    sqlx::query(AssertSqlSafe(statement))
        .bind(Outcome::Resumed.as_str())
        .bind(&progress.draft.revision)
        .bind(progress.draft.direction)
        .bind(Outcome::Running.as_str())
        .bind(progress.history_id)
        .execute(connection)
        .await
        .map_err(|source| {
            query_failed(
                format!(
                    "marking the interrupted runs of {} in {}",
                    progress.draft.revision, tables.history
                ),
                source,
            )
        })?;
    Ok(())
}

/// Applies version changes in order; an UPDATE or DELETE must match exactly one row.
async fn apply_version_changes(
    connection: &mut MySqlConnection,
    tables: &TableNames,
    changes: &[VersionChange],
) -> Result<(), BackendError> {
    for change in changes {
        let change_sql = version_change_sql(
            Dialect::Mysql,
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

/// Inserts a history row and returns its id.
async fn insert_history(
    connection: &mut MySqlConnection,
    tables: &TableNames,
    row: &HistoryRow,
    statement_checksums: Option<&str>,
) -> Result<i64, BackendError> {
    let statement = format!(
        "INSERT INTO {} ({HISTORY_COLUMNS}, statement_checksums) VALUES ({})",
        tables.qualified_history,
        placeholders(Dialect::Mysql, 15)
    );
    let result = sqlx::query(AssertSqlSafe(statement))
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
        .bind(statement_checksums)
        .execute(connection)
        .await
        .map_err(|source| query_failed(format!("writing to {}", tables.history), source))?;
    Ok(i64::try_from(result.last_insert_id()).unwrap_or(i64::MAX))
}

/// Updates the row `history_id` to `row`'s outcome, progress, end time and error.
async fn update_history(
    connection: &mut MySqlConnection,
    tables: &TableNames,
    history_id: i64,
    row: &HistoryRow,
) -> Result<(), BackendError> {
    let statement = format!(
        "UPDATE {} SET outcome = ?, statements_done = ?, finished_at = ?, duration_ms = ?, \
         error = ? WHERE id = ?",
        tables.qualified_history
    );
    sqlx::query(AssertSqlSafe(statement))
        .bind(&row.outcome)
        .bind(row.statements_done)
        .bind(&row.finished_at)
        .bind(row.duration_ms)
        .bind(&row.error)
        .bind(history_id)
        .execute(connection)
        .await
        .map_err(|source| {
            query_failed(format!("recording progress in {}", tables.history), source)
        })?;
    Ok(())
}
