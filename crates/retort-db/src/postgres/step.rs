//! Running one step on PostgreSQL: the transaction, the migration's SQL, the version-row
//! changes and the history row, and the failure path that rolls back and records what happened.

use futures_util::StreamExt;
use retort_core::{Dialect, VersionChange};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use super::connection::{PostgresBackend, TableNames, query_failed, select_version_rows};
use crate::backend::{Backend, HistoryRow, Outcome, StepRun};
use crate::error::{BackendError, FailureAftermath, error_chain_text};
use crate::history::{HISTORY_COLUMNS, HistoryDraft, history_revision};
use crate::sql_text::{
    check_expected_rows, check_rows_matched, distinct_rows, guarded_version_change_sql,
    history_insert_text, placeholders, version_change_sql,
};
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
        self.end_abandoned_transaction().await;
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

    /// SQL, version changes and history in one transaction, in three round trips:
    ///
    /// 1. `BEGIN` and the migration's SQL, one query string;
    /// 2. the version changes, the first one made conditional on the version rows being those
    ///    expected, so that a change matching no row says the rows were not what the plan
    ///    expected (the rows it reads are those of the transaction's snapshot, after the
    ///    migration's own statements);
    /// 3. the history row and `COMMIT`, one query string.
    async fn run_in_one_transaction(
        &mut self,
        run: &StepRun<'_>,
        draft: &HistoryDraft,
    ) -> Result<(), StepFailure> {
        let statements_done_after_rollback = run.sql.map(|_| 0);
        self.transaction_open = true;
        let applied: Result<(), BackendError> = async {
            let statements_done = begin_and_run_migration(&mut self.connection, run).await?;
            apply_version_changes(
                &mut self.connection,
                &self.tables,
                &run.step.version_changes,
                Some(run.expected_rows),
            )
            .await?;
            let row = draft.finish(Outcome::Applied, statements_done, None);
            insert_history_and_commit(&mut self.connection, &self.tables, &row, |source| {
                commit_failed(run, source)
            })
            .await?;
            self.transaction_open = false;
            Ok(())
        }
        .await;
        if applied.is_err() {
            self.rollback().await;
        }
        applied.map_err(|error| StepFailure {
            error,
            statements_done: statements_done_after_rollback,
        })
    }

    /// Rolls back the step's transaction. Best effort: if the rollback fails the connection is
    /// gone, and the server rolls the transaction back with it.
    async fn rollback(&mut self) {
        let _rolled_back = sqlx::raw_sql("ROLLBACK")
            .execute(&mut self.connection)
            .await;
        self.transaction_open = false;
    }

    /// Rolls back a step's transaction left open by a step whose future was dropped halfway
    /// (the transaction is begun and ended by statements, which sqlx does not track).
    pub(super) async fn end_abandoned_transaction(&mut self) {
        if self.transaction_open {
            self.rollback().await;
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
        self.transaction_open = true;
        let recorded: Result<(), BackendError> = async {
            sqlx::raw_sql("BEGIN")
                .execute(&mut self.connection)
                .await
                .map_err(|source| query_failed("starting a transaction".to_owned(), source))?;
            apply_version_changes(
                &mut self.connection,
                &self.tables,
                &run.step.version_changes,
                Some(run.expected_rows),
            )
            .await?;
            let row = draft.finish(Outcome::Applied, statements_done, None);
            insert_history_and_commit(&mut self.connection, &self.tables, &row, |source| {
                query_failed(
                    format!("committing the version change of {}", draft.revision),
                    source,
                )
            })
            .await?;
            self.transaction_open = false;
            Ok(())
        }
        .await;
        if recorded.is_err() {
            self.rollback().await;
        }
        recorded.map_err(failure)
    }
}

/// `BEGIN` followed by the migration's SQL, as one query string; returns how many of the
/// migration's statements completed (`None` for a step without SQL). On failure the error names
/// the failing statement (its text as the splitter reads it).
async fn begin_and_run_migration(
    connection: &mut PgConnection,
    run: &StepRun<'_>,
) -> Result<Option<usize>, BackendError> {
    let sql = run.sql.unwrap_or_default();
    let mut script = String::with_capacity(sql.len() + 8);
    script.push_str("BEGIN;\n");
    script.push_str(sql);
    let mut completed: usize = 0;
    let mut results = sqlx::raw_sql(AssertSqlSafe(script)).execute_many(&mut *connection);
    while let Some(result) = results.next().await {
        let source = match result {
            Ok(_) => {
                completed += 1;
                continue;
            }
            Err(source) => source,
        };
        if completed == 0 {
            return Err(query_failed("starting a transaction".to_owned(), source));
        }
        let statements_done = completed - 1;
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
    Ok(run.sql.map(|_| completed.saturating_sub(1)))
}

/// Applies version changes in order; an UPDATE or DELETE must match exactly one row. With
/// `expected`, the version rows must be those (as sets) first: the check is folded into the
/// first change (see [`crate::sql_text::rows_guard`]), and only when that change matches no row
/// are the rows read, to say which of the two went wrong.
async fn apply_version_changes(
    connection: &mut PgConnection,
    tables: &TableNames,
    changes: &[VersionChange],
    expected: Option<&[String]>,
) -> Result<(), BackendError> {
    let guard = match expected {
        Some(expected) => match (distinct_rows(expected), changes.is_empty()) {
            (Some(rows), false) => Some((expected, rows)),
            // Nothing to fold the check into, or a list no table can hold: read and compare.
            _ => {
                let found = select_version_rows(connection, tables).await?;
                check_expected_rows(&tables.version, expected, found)?;
                None
            }
        },
        None => None,
    };
    for (position, change) in changes.iter().enumerate() {
        let change_sql = match (&guard, position) {
            (Some((_, rows)), 0) => guarded_version_change_sql(
                Dialect::Postgres,
                &tables.qualified_version,
                &tables.version,
                change,
                rows,
            ),
            _ => version_change_sql(
                Dialect::Postgres,
                &tables.qualified_version,
                &tables.version,
                change,
            ),
        };
        let mut query = sqlx::query(AssertSqlSafe(change_sql.statement));
        for value in change_sql.binds {
            query = query.bind(value);
        }
        let result = query
            .execute(&mut *connection)
            .await
            .map_err(|source| query_failed(change_sql.doing, source))?;
        if let (Some((expected, _)), 0, 0) = (&guard, position, result.rows_affected()) {
            // The rows were not those expected, or they were and the change matched none.
            let found = select_version_rows(connection, tables).await?;
            check_expected_rows(&tables.version, expected, found)?;
        }
        check_rows_matched(&tables.version, change, result.rows_affected())?;
    }
    Ok(())
}

/// The history row and `COMMIT`, as one query string when the row's values can be written as
/// literals (else the row is bound, and `COMMIT` follows on its own). `commit_failed` makes the
/// error of a failed `COMMIT`.
async fn insert_history_and_commit(
    connection: &mut PgConnection,
    tables: &TableNames,
    row: &HistoryRow,
    commit_failed: impl FnOnce(sqlx::Error) -> BackendError,
) -> Result<(), BackendError> {
    let Some(insert) = history_insert_text(Dialect::Postgres, &tables.qualified_history, row)
    else {
        insert_history(connection, tables, row).await?;
        sqlx::raw_sql("COMMIT")
            .execute(&mut *connection)
            .await
            .map_err(commit_failed)?;
        return Ok(());
    };
    let mut completed: usize = 0;
    let mut results =
        sqlx::raw_sql(AssertSqlSafe(format!("{insert};\nCOMMIT"))).execute_many(&mut *connection);
    while let Some(result) = results.next().await {
        match result {
            Ok(_) => completed += 1,
            Err(source) if completed == 0 => {
                return Err(query_failed(
                    format!("writing to {}", tables.history),
                    source,
                ));
            }
            Err(source) => return Err(commit_failed(source)),
        }
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
