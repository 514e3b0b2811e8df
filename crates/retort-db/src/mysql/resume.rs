//! Resuming a MySQL step after a failure: which statements a failed run already applied, and
//! whether they are still the statements of the migration file (see the module doc of `mysql`).

use retort_core::Direction;
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use super::connection::{MysqlBackend, query_failed};
use crate::error::BackendError;

/// Hex characters kept of each statement's SHA-256: enough to tell an edit apart.
const STATEMENT_CHECKSUM_HEX_LENGTH: usize = 16;

/// What separates the checksums in the `statement_checksums` column.
const CHECKSUM_SEPARATOR: &str = ",";

/// The checksum of one statement's text, as stored in `statement_checksums`.
pub(super) fn statement_checksum(text: &str) -> String {
    let mut digest = hex::encode(Sha256::digest(text.as_bytes()));
    digest.truncate(STATEMENT_CHECKSUM_HEX_LENGTH);
    digest
}

/// The `statement_checksums` column for a migration's statements.
pub(super) fn join_checksums(checksums: &[String]) -> String {
    checksums.join(CHECKSUM_SEPARATOR)
}

/// The latest history row of a revision that ran statements (stamps and refusals have none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PreviousAttempt {
    pub(super) id: i64,
    pub(super) direction: String,
    pub(super) outcome: String,
    pub(super) statements_done: Option<i64>,
    pub(super) statement_checksums: Option<String>,
}

/// [`PreviousAttempt`] as a row: id, direction, outcome, statements done, checksums.
type PreviousAttemptRow = (i64, String, String, Option<i64>, Option<String>);

/// The step being started, for [`resume_point`].
pub(super) struct ResumeRequest<'a> {
    pub(super) revision: &'a str,
    pub(super) direction: Direction,
    /// `upgrade` or `downgrade`, as stored.
    pub(super) direction_word: &'a str,
    /// The checksums of the migration's statements now.
    pub(super) checksums: &'a [String],
    pub(super) history_table: &'a str,
}

impl MysqlBackend {
    /// The latest row of `revision` that recorded statement checksums.
    pub(super) async fn previous_attempt(
        &mut self,
        revision: &str,
    ) -> Result<Option<PreviousAttempt>, BackendError> {
        let statement = format!(
            "SELECT id, direction, outcome, statements_done, statement_checksums FROM {} \
             WHERE revision = ? AND statement_checksums IS NOT NULL ORDER BY id DESC LIMIT 1",
            self.tables.qualified_history
        );
        let row: Option<PreviousAttemptRow> = sqlx::query_as(AssertSqlSafe(statement))
            .bind(revision)
            .fetch_optional(&mut self.connection)
            .await
            .map_err(|source| {
                query_failed(
                    format!(
                        "reading the last run of {revision} from {}",
                        self.tables.history
                    ),
                    source,
                )
            })?;
        Ok(row.map(
            |(id, direction, outcome, statements_done, statement_checksums)| PreviousAttempt {
                id,
                direction,
                outcome,
                statements_done,
                statement_checksums,
            },
        ))
    }
}

/// How many leading statements to skip: those a failed (or killed) run of the same revision and
/// direction applied, when they are unchanged; 0 when there is nothing to resume. Refuses when an
/// applied statement has changed.
pub(super) fn resume_point(
    previous: Option<&PreviousAttempt>,
    request: &ResumeRequest<'_>,
) -> Result<usize, BackendError> {
    let Some(previous) = previous else {
        return Ok(0);
    };
    let unfinished = matches!(previous.outcome.as_str(), "failed" | "running");
    let statements_done = previous
        .statements_done
        .and_then(|done| usize::try_from(done).ok())
        .unwrap_or(0);
    if !unfinished || previous.direction != request.direction_word || statements_done == 0 {
        return Ok(0);
    }
    let applied: Vec<&str> = previous
        .statement_checksums
        .as_deref()
        .unwrap_or_default()
        .split(CHECKSUM_SEPARATOR)
        .collect();
    let changed = (0..statements_done).find(|&index| {
        applied.get(index).copied() != request.checksums.get(index).map(String::as_str)
    });
    match changed {
        None => Ok(statements_done),
        Some(index) => Err(BackendError::ResumeRefused {
            revision: request.revision.to_owned(),
            direction: request.direction,
            statements_done,
            changed_statement: index + 1,
            history_table: request.history_table.to_owned(),
            history_id: previous.id,
        }),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a test fails loudly on a bad fixture")]
mod tests {
    use super::*;

    fn checksums(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| statement_checksum(text)).collect()
    }

    fn attempt(outcome: &str, direction: &str, done: i64, texts: &[&str]) -> PreviousAttempt {
        PreviousAttempt {
            id: 7,
            direction: direction.to_owned(),
            outcome: outcome.to_owned(),
            statements_done: Some(done),
            statement_checksums: Some(join_checksums(&checksums(texts))),
        }
    }

    fn point(previous: Option<&PreviousAttempt>, now: &[&str]) -> Result<usize, BackendError> {
        let now = checksums(now);
        resume_point(
            previous,
            &ResumeRequest {
                revision: "b2",
                direction: Direction::Up,
                direction_word: "upgrade",
                checksums: &now,
                history_table: "retort_history",
            },
        )
    }

    #[test]
    fn checksums_are_short_stable_hex() {
        assert_eq!(
            statement_checksum("SELECT 1"),
            statement_checksum("SELECT 1")
        );
        assert_ne!(
            statement_checksum("SELECT 1"),
            statement_checksum("SELECT 2")
        );
        assert_eq!(
            statement_checksum("SELECT 1").len(),
            STATEMENT_CHECKSUM_HEX_LENGTH
        );
    }

    #[test]
    fn unchanged_applied_statements_are_skipped() {
        let failed = attempt("failed", "upgrade", 2, &["A", "B", "broken C", "D"]);
        assert_eq!(
            point(Some(&failed), &["A", "B", "fixed C", "D"]).ok(),
            Some(2)
        );
        let killed = attempt("running", "upgrade", 1, &["A", "B"]);
        assert_eq!(point(Some(&killed), &["A", "B"]).ok(), Some(1));
    }

    #[test]
    fn nothing_to_resume_starts_from_the_first_statement() {
        assert_eq!(point(None, &["A"]).ok(), Some(0));
        let applied = attempt("applied", "upgrade", 2, &["A", "B"]);
        assert_eq!(point(Some(&applied), &["A", "B"]).ok(), Some(0));
        let other_direction = attempt("failed", "downgrade", 1, &["X", "Y"]);
        assert_eq!(point(Some(&other_direction), &["A"]).ok(), Some(0));
        let abandoned = attempt("abandoned", "upgrade", 1, &["A", "B"]);
        assert_eq!(point(Some(&abandoned), &["Z"]).ok(), Some(0));
        let failed_first = attempt("failed", "upgrade", 0, &["A"]);
        assert_eq!(point(Some(&failed_first), &["changed"]).ok(), Some(0));
    }

    #[test]
    fn a_changed_applied_statement_is_refused_naming_it() {
        let failed = attempt("failed", "upgrade", 2, &["A", "B", "C"]);
        let error = point(Some(&failed), &["A", "B changed", "C"]).unwrap_err();
        assert!(matches!(
            error,
            BackendError::ResumeRefused {
                changed_statement: 2,
                statements_done: 2,
                history_id: 7,
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "cannot resume the upgrade of b2: statement 2 already ran in a failed run but has \
             changed since (statements 1-2 stay applied); restore its applied text, or undo \
             statements 1-2 by hand and then run \
             `UPDATE retort_history SET outcome = 'abandoned' WHERE id = 7` to start over"
        );
        let removed = point(Some(&failed), &["A"]).unwrap_err();
        assert!(matches!(
            removed,
            BackendError::ResumeRefused {
                changed_statement: 2,
                ..
            }
        ));
    }
}
