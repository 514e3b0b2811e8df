//! Running one step on MySQL: the checks before anything runs, the `running` history row, the
//! statements one at a time with their progress, and the closing transaction that changes the
//! version rows and marks the row `applied`.

use futures_util::StreamExt;
use retort_core::{Dialect, VersionChange};
use sqlx::mysql::{MySql, MySqlArguments, MySqlConnection};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Connection};

use super::connection::{MysqlBackend, TableNames, query_failed, select_version_rows};
use super::resume::{ResumeRequest, join_checksums, resume_point, statement_checksum};
use crate::backend::{Backend, HistoryRow, Outcome, StepRun};
use crate::error::{BackendError, FailureAftermath, error_chain_text};
use crate::history::{HISTORY_COLUMNS, HistoryDraft};
use crate::sql_text::{
    check_expected_rows, check_rows_matched, distinct_rows, placeholders, rows_guard, text_literal,
    version_change_sql, version_change_text,
};
use crate::statements::split_statements;

impl MysqlBackend {
    /// [`crate::Backend::run_step`]: a step without SQL (a stamp) in one transaction; a migration
    /// statement by statement, resuming after a failed run's unchanged statements.
    pub(super) async fn run_step_and_record(
        &mut self,
        run: StepRun<'_>,
    ) -> Result<(), BackendError> {
        self.end_abandoned_transaction().await;
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
            Err(error) => return Err(self.record_refusal(&draft, error).await),
        };
        let running_row = draft.finish(Outcome::Running, Some(statements_to_skip), None);
        // The version rows are checked by this insert itself (see `insert_running_row`).
        let history_id = match self
            .insert_running_row(&running_row, &join_checksums(&checksums), run.expected_rows)
            .await
        {
            Ok(history_id) => history_id,
            Err(error @ BackendError::VersionRowsChanged { .. }) => {
                return Err(self.record_refusal(&draft, error).await);
            }
            Err(error) => return Err(error),
        };
        let progress = StepProgress {
            draft: &draft,
            history_id,
        };
        // The closing transaction's start and version changes go with the last statement, when
        // they can be written as literals.
        let mut transaction_begun = false;
        for (index, statement) in statements.iter().enumerate().skip(statements_to_skip) {
            let is_last = index + 1 == statements.len();
            let closing = if is_last {
                closing_transaction_text(&self.tables, &run.step.version_changes)
            } else {
                None
            };
            let ran = self
                .run_statement(statement, &progress, index + 1, closing.as_deref())
                .await;
            let recorded = match ran {
                Ok(ran) => {
                    if !ran.progress_recorded {
                        // The statement swallowed what followed it (an unclosed comment, say).
                        progress
                            .record(self, Outcome::Running, index + 1, None)
                            .await
                    } else {
                        transaction_begun = ran.transaction_begun;
                        match ran.changes_matched {
                            Some(matched) => check_changes_matched(
                                &self.tables.version,
                                &run.step.version_changes,
                                &matched,
                            ),
                            None => Ok(()),
                        }
                    }
                }
                Err(StatementFailure::Statement(source)) => Err(BackendError::MigrationFailed {
                    revision: draft.revision.clone(),
                    direction: run.step.direction(),
                    statement_number: Some(index + 1),
                    statements_total: Some(statements.len()),
                    statement_text: Some((*statement).to_owned()),
                    statements_done: index,
                    aftermath: FailureAftermath::Resumable,
                    source: Box::new(source.into()),
                }),
                Err(StatementFailure::After {
                    error,
                    transaction_begun: begun,
                }) => {
                    transaction_begun = begun;
                    Err(error)
                }
            };
            if let Err(error) = recorded {
                if transaction_begun {
                    self.rollback().await;
                }
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
        let finished = if transaction_begun {
            self.commit_applied(&draft, &progress, statements.len())
                .await
        } else {
            self.finish_step(&run, &draft, Some(&progress), Some(statements.len()))
                .await
        };
        if let Err(error) = &finished {
            let _recorded = progress
                .record(self, Outcome::Failed, statements.len(), Some(error))
                .await;
        }
        finished
    }

    /// Runs one statement and records the progress after it, in one query: the server runs the
    /// update as soon as the statement completes, so a runner killed in between leaves no
    /// applied statement uncounted. `closing` (the start of the closing transaction and the
    /// version changes) follows the last statement in the same query.
    async fn run_statement(
        &mut self,
        statement: &str,
        progress: &StepProgress<'_>,
        statements_done: usize,
        closing: Option<&str>,
    ) -> Result<StatementRan, StatementFailure> {
        let row = progress
            .draft
            .finish(Outcome::Running, Some(statements_done), None);
        // Numbers only: nothing the statement could leave open (a string, say) can change what
        // this update means.
        let mut script = format!(
            "{statement}\n;\nUPDATE {} SET statements_done = {statements_done}, duration_ms = {} WHERE id = {}",
            self.tables.qualified_history, row.duration_ms, progress.history_id
        );
        if let Some(closing) = closing {
            script.push_str(";\n");
            script.push_str(closing);
        }
        let mut ran = StatementRan {
            progress_recorded: false,
            transaction_begun: false,
            changes_matched: closing.map(|_| Vec::new()),
        };
        // Set before the query is sent: a future dropped while it runs leaves the transaction
        // to be rolled back (a rollback without one does nothing).
        self.transaction_open |= closing.is_some();
        let mut results = sqlx::raw_sql(AssertSqlSafe(script)).execute_many(&mut self.connection);
        let mut completed: usize = 0;
        while let Some(result) = results.next().await {
            let done = match result {
                Ok(done) => done,
                Err(source) if completed == 0 => return Err(StatementFailure::Statement(source)),
                Err(source) => {
                    let doing = match completed {
                        1 => format!("recording progress in {}", self.tables.history),
                        2 => "starting a transaction".to_owned(),
                        _ => format!("changing the version rows in {}", self.tables.version),
                    };
                    return Err(StatementFailure::After {
                        error: query_failed(doing, source),
                        transaction_begun: completed > 2,
                    });
                }
            };
            match completed {
                0 => {}
                1 => ran.progress_recorded = true,
                2 => ran.transaction_begun = true,
                _ => {
                    if let Some(matched) = &mut ran.changes_matched {
                        matched.push(done.rows_affected());
                    }
                }
            }
            completed += 1;
        }
        if !ran.transaction_begun {
            ran.changes_matched = None;
            self.transaction_open = false;
        }
        Ok(ran)
    }

    /// Ends the closing transaction begun with the last statement: the history row marked
    /// `applied`, earlier interrupted attempts marked `resumed`, and `COMMIT`, in one query when
    /// the values can be written as literals.
    async fn commit_applied(
        &mut self,
        draft: &HistoryDraft,
        progress: &StepProgress<'_>,
        statements_done: usize,
    ) -> Result<(), BackendError> {
        let row = draft.finish(Outcome::Applied, Some(statements_done), None);
        let committed: Result<(), BackendError> = async {
            let Some(script) = closing_commit_text(&self.tables, &row, progress) else {
                update_history(
                    &mut self.connection,
                    &self.tables,
                    progress.history_id,
                    &row,
                )
                .await?;
                mark_interrupted_attempts_resumed(&mut self.connection, &self.tables, progress)
                    .await?;
                sqlx::raw_sql("COMMIT")
                    .execute(&mut self.connection)
                    .await
                    .map_err(|source| commit_failed(draft, source))?;
                return Ok(());
            };
            let mut completed: usize = 0;
            let mut results =
                sqlx::raw_sql(AssertSqlSafe(script)).execute_many(&mut self.connection);
            while let Some(result) = results.next().await {
                match result {
                    Ok(_) => completed += 1,
                    Err(source) if completed < 2 => {
                        return Err(query_failed(
                            format!("recording the step in {}", self.tables.history),
                            source,
                        ));
                    }
                    Err(source) => return Err(commit_failed(draft, source)),
                }
            }
            Ok(())
        }
        .await;
        if committed.is_err() {
            self.rollback().await;
        } else {
            self.transaction_open = false;
        }
        committed
    }

    /// Records a step refused before its first statement as `failed`, and returns the error.
    async fn record_refusal(&mut self, draft: &HistoryDraft, error: BackendError) -> BackendError {
        let row = draft.finish(Outcome::Failed, Some(0), Some(error_chain_text(&error)));
        // Best effort: the error to report is the step's, not a failure to record it.
        let _recorded = insert_history(&mut self.connection, &self.tables, &row, None).await;
        error
    }

    /// Rolls back the closing transaction. Best effort: if the rollback fails the connection is
    /// gone, and the server rolls the transaction back with it.
    async fn rollback(&mut self) {
        let _rolled_back = sqlx::raw_sql("ROLLBACK")
            .execute(&mut self.connection)
            .await;
        self.transaction_open = false;
    }

    /// Rolls back a closing transaction left open by a step whose future was dropped halfway
    /// (it is begun and ended by statements, which sqlx does not track).
    pub(super) async fn end_abandoned_transaction(&mut self) {
        if self.transaction_open {
            self.rollback().await;
        }
    }

    /// Inserts the step's `running` history row, on condition that the version rows are those
    /// expected: the check costs no round trip of its own. Returns the row's id.
    async fn insert_running_row(
        &mut self,
        row: &HistoryRow,
        statement_checksums: &str,
        expected: &[String],
    ) -> Result<i64, BackendError> {
        let Some(rows) = distinct_rows(expected) else {
            let found = select_version_rows(&mut self.connection, &self.tables).await?;
            check_expected_rows(&self.tables.version, expected, found)?;
            return insert_history(
                &mut self.connection,
                &self.tables,
                row,
                Some(statement_checksums),
            )
            .await;
        };
        let guard = rows_guard(
            Dialect::Mysql,
            &self.tables.qualified_version,
            16,
            rows.len(),
        );
        let statement = format!(
            "INSERT INTO {} ({HISTORY_COLUMNS}, statement_checksums) SELECT {} FROM DUAL WHERE {guard}",
            self.tables.qualified_history,
            placeholders(Dialect::Mysql, 15)
        );
        let mut query =
            bind_history_row(sqlx::query(AssertSqlSafe(statement)), row).bind(statement_checksums);
        for expected_row in &rows {
            query = query.bind(*expected_row);
        }
        let result = query
            .execute(&mut self.connection)
            .await
            .map_err(|source| {
                query_failed(format!("writing to {}", self.tables.history), source)
            })?;
        if result.rows_affected() == 0 {
            let found = select_version_rows(&mut self.connection, &self.tables).await?;
            check_expected_rows(&self.tables.version, expected, found)?;
            // The rows changed back in between: they are as expected now.
            return insert_history(
                &mut self.connection,
                &self.tables,
                row,
                Some(statement_checksums),
            )
            .await;
        }
        Ok(i64::try_from(result.last_insert_id()).unwrap_or(i64::MAX))
    }

    /// How many statements a failed run of this step already applied, unchanged. When the run
    /// refuses to resume, version rows other than those expected are reported instead, as they
    /// would have been had they been checked first.
    async fn check_before_running(
        &mut self,
        run: &StepRun<'_>,
        draft: &HistoryDraft,
        checksums: &[String],
    ) -> Result<usize, BackendError> {
        let previous = self.previous_attempt(&draft.revision).await?;
        let resumed = resume_point(
            previous.as_ref(),
            &ResumeRequest {
                revision: &draft.revision,
                direction: run.step.direction(),
                direction_word: draft.direction,
                checksums,
                history_table: &self.tables.history,
            },
        );
        if resumed.is_err() {
            let found = select_version_rows(&mut self.connection, &self.tables).await?;
            check_expected_rows(&self.tables.version, run.expected_rows, found)?;
        }
        resumed
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
    let result = bind_history_row(sqlx::query(AssertSqlSafe(statement)), row)
        .bind(statement_checksums)
        .execute(connection)
        .await
        .map_err(|source| query_failed(format!("writing to {}", tables.history), source))?;
    Ok(i64::try_from(result.last_insert_id()).unwrap_or(i64::MAX))
}

/// Binds `row`'s values in [`HISTORY_COLUMNS`] order.
fn bind_history_row<'q>(
    query: Query<'q, MySql, MySqlArguments>,
    row: &'q HistoryRow,
) -> Query<'q, MySql, MySqlArguments> {
    query
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

/// What [`MysqlBackend::run_statement`] got done besides the statement.
struct StatementRan {
    /// The progress update ran (a statement ending in an unclosed comment swallows it).
    progress_recorded: bool,
    /// The closing transaction started.
    transaction_begun: bool,
    /// The rows each version change matched, once the closing transaction started.
    changes_matched: Option<Vec<u64>>,
}

/// Where [`MysqlBackend::run_statement`] failed.
enum StatementFailure {
    /// The migration's statement.
    Statement(sqlx::Error),
    /// What followed it; `transaction_begun` says whether the closing transaction had started.
    After {
        error: BackendError,
        transaction_begun: bool,
    },
}

/// `START TRANSACTION` and the version changes, as literals; `None` when a value cannot be
/// written so (the closing transaction then runs on its own, its values bound).
fn closing_transaction_text(tables: &TableNames, changes: &[VersionChange]) -> Option<String> {
    let mut script = String::from("START TRANSACTION");
    for change in changes {
        script.push_str(";\n");
        script.push_str(&version_change_text(
            Dialect::Mysql,
            &tables.qualified_version,
            change,
        )?);
    }
    Some(script)
}

/// The history row marked `applied`, interrupted attempts marked `resumed`, and `COMMIT`, as
/// literals; `None` when a value cannot be written so.
fn closing_commit_text(
    tables: &TableNames,
    row: &HistoryRow,
    progress: &StepProgress<'_>,
) -> Option<String> {
    let text = |value: &str| text_literal(Dialect::Mysql, value);
    let statements_done = row
        .statements_done
        .map_or_else(|| "NULL".to_owned(), |done| done.to_string());
    Some(format!(
        "UPDATE {history} SET outcome = {outcome}, statements_done = {statements_done}, \
         finished_at = {finished_at}, duration_ms = {duration_ms}, error = NULL WHERE id = {id};\n\
         UPDATE {history} SET outcome = {resumed} WHERE revision = {revision} AND direction = {direction} \
         AND outcome = {running} AND id < {id};\n\
         COMMIT",
        history = tables.qualified_history,
        outcome = text(&row.outcome)?,
        finished_at = text(&row.finished_at)?,
        duration_ms = row.duration_ms,
        id = progress.history_id,
        resumed = text(Outcome::Resumed.as_str())?,
        revision = text(&progress.draft.revision)?,
        direction = text(progress.draft.direction)?,
        running = text(Outcome::Running.as_str())?,
    ))
}

/// Refuses an UPDATE or DELETE of a version row that matched other than exactly one row.
fn check_changes_matched(
    table: &str,
    changes: &[VersionChange],
    matched: &[u64],
) -> Result<(), BackendError> {
    for (change, &rows_affected) in changes.iter().zip(matched) {
        check_rows_matched(table, change, rows_affected)?;
    }
    Ok(())
}

/// A failed `COMMIT` of the closing transaction.
fn commit_failed(draft: &HistoryDraft, source: sqlx::Error) -> BackendError {
    query_failed(
        format!("committing the version change of {}", draft.revision),
        source,
    )
}
