//! The warning `upgrade` gives before a MySQL migration that cannot be rolled back as a whole.
//!
//! MySQL commits each DDL statement implicitly, so a migration with several DDL statements, or
//! DDL and data changes, leaves whatever ran before a failure in place. retort runs such a
//! migration statement by statement and can resume it (see the module doc of `mysql`), but the
//! user should know before it starts. This is a pure function of the SQL, so the orchestrator can
//! call it while planning, without a connection.

use std::fmt;

use retort_core::Dialect;

use crate::statements::split_statements;

/// A migration whose statements cannot commit or roll back together on its dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonAtomicWarning {
    /// Statements that commit implicitly: `CREATE`, `ALTER`, `DROP`, `RENAME`, `TRUNCATE`.
    pub ddl_statements: usize,
    /// Statements that change rows: `INSERT`, `UPDATE`, `DELETE`, `REPLACE`, `LOAD`, `CALL`.
    pub data_statements: usize,
}

impl fmt::Display for NonAtomicWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "runs {} ddl statement(s) and {} data change(s) on mysql, which commits each ddl \
             statement as it runs: if it fails part-way, the statements before the failure stay \
             applied and cannot be rolled back (after a fix, the rerun resumes after them)",
            self.ddl_statements, self.data_statements
        )
    }
}

/// `Some` when `sql` would not be atomic on `dialect`: on MySQL, a migration with two or more
/// DDL statements, or with DDL and data changes. `None` on SQLite and PostgreSQL, whose DDL is
/// transactional.
pub fn non_atomic_warning(dialect: Dialect, sql: &str) -> Option<NonAtomicWarning> {
    if dialect != Dialect::Mysql {
        return None;
    }
    let mut warning = NonAtomicWarning {
        ddl_statements: 0,
        data_statements: 0,
    };
    for statement in split_statements(dialect, sql) {
        match statement_kind(statement.text) {
            StatementKind::Ddl => warning.ddl_statements += 1,
            StatementKind::DataChange => warning.data_statements += 1,
            StatementKind::Other => {}
        }
    }
    let mixes = warning.ddl_statements >= 2
        || (warning.ddl_statements >= 1 && warning.data_statements >= 1);
    mixes.then_some(warning)
}

enum StatementKind {
    Ddl,
    DataChange,
    Other,
}

/// The kind of a statement, from its first word.
fn statement_kind(text: &str) -> StatementKind {
    let first_word = text
        .trim_start_matches(|character: char| !character.is_ascii_alphabetic())
        .split(|character: char| !character.is_ascii_alphanumeric() && character != '_')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match first_word.as_str() {
        "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE" => StatementKind::Ddl,
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "LOAD" | "CALL" => StatementKind::DataChange,
        _ => StatementKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(sql: &str) -> Option<(usize, usize)> {
        non_atomic_warning(Dialect::Mysql, sql)
            .map(|warning| (warning.ddl_statements, warning.data_statements))
    }

    #[test]
    fn one_ddl_statement_or_only_data_is_atomic_enough() {
        assert_eq!(warning("CREATE TABLE t (id INT);"), None);
        assert_eq!(
            warning("INSERT INTO t VALUES (1); UPDATE t SET id = 2;"),
            None
        );
        assert_eq!(warning("-- nothing\n"), None);
        assert_eq!(
            warning("SET @a = 1; CREATE INDEX i ON t (id); SELECT 1"),
            None
        );
    }

    #[test]
    fn several_ddl_statements_or_ddl_with_data_warn() {
        assert_eq!(
            warning("CREATE TABLE t (id INT);\nALTER TABLE t ADD COLUMN b INT;"),
            Some((2, 0))
        );
        assert_eq!(
            warning("create table t (id int);\ninsert into t values (1);\n-- ok"),
            Some((1, 1))
        );
        assert_eq!(
            warning("DROP TABLE old; /* keep; */ REPLACE INTO t VALUES (1); DELETE FROM u"),
            Some((1, 2))
        );
    }

    #[test]
    fn a_routine_body_counts_once() {
        let sql = "CREATE PROCEDURE p() BEGIN INSERT INTO t VALUES (1); DELETE FROM t; END;";
        assert_eq!(warning(sql), None);
    }

    #[test]
    fn transactional_dialects_never_warn() {
        let sql = "CREATE TABLE t (id INT); INSERT INTO t VALUES (1); DROP TABLE u;";
        assert_eq!(non_atomic_warning(Dialect::Postgres, sql), None);
        assert_eq!(non_atomic_warning(Dialect::Sqlite, sql), None);
    }

    #[test]
    fn the_message_says_what_happens_and_what_to_do() {
        let message = non_atomic_warning(Dialect::Mysql, "CREATE TABLE a (id INT); DROP TABLE b")
            .map(|warning| warning.to_string())
            .unwrap_or_default();
        assert_eq!(
            message,
            "runs 2 ddl statement(s) and 0 data change(s) on mysql, which commits each ddl \
             statement as it runs: if it fails part-way, the statements before the failure stay \
             applied and cannot be rolled back (after a fix, the rerun resumes after them)"
        );
    }
}
