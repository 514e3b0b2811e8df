//! Small pieces of SQL text shared by the engines and the offline renderer: identifier quoting,
//! literals, bind parameters, the version-table DDL and statements, and the checks every engine
//! makes of the version rows around a step.

use retort_core::{Dialect, VersionChange};

use crate::backend::HistoryRow;
use crate::error::BackendError;
use crate::history::HISTORY_COLUMNS;

/// Longest table name accepted (PostgreSQL truncates identifiers at 63 bytes).
const MAX_TABLE_NAME_BYTES: usize = 63;

/// `name` as it appears in SQL: bare when it is a plain lowercase identifier (`retort_version`),
/// as Alembic writes it; otherwise quoted for `dialect` with embedded quotes doubled. Upper-case
/// letters are quoted as SQLAlchemy quotes them: PostgreSQL would fold a bare `App` to `app`.
pub(crate) fn quote_identifier(dialect: Dialect, name: &str) -> String {
    let mut characters = name.chars();
    let plain = characters
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && characters.all(|character| {
            character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_'
        });
    if plain {
        return name.to_owned();
    }
    match dialect {
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
        Dialect::Sqlite | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// A string literal: single quotes around, embedded single quotes doubled.
pub(crate) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Refuses table names no engine can hold: empty, too long, or with control characters.
pub(crate) fn check_table_name(name: &str) -> Result<(), BackendError> {
    match name_problem(name) {
        None => Ok(()),
        Some(problem) => Err(BackendError::InvalidTableName {
            name: name.escape_debug().to_string(),
            problem,
        }),
    }
}

/// Like [`check_table_name`], for a schema or extension name; `what` says which.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<(), BackendError> {
    match name_problem(name) {
        None => Ok(()),
        Some(problem) => Err(BackendError::InvalidName {
            what,
            name: name.escape_debug().to_string(),
            problem,
        }),
    }
}

fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_TABLE_NAME_BYTES {
        Some("it is longer than 63 bytes")
    } else if name.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    }
}

/// `table`, or `schema.table`, each part quoted as [`quote_identifier`] does.
pub(crate) fn qualified_name(dialect: Dialect, schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(schema) => format!(
            "{}.{}",
            quote_identifier(dialect, schema),
            quote_identifier(dialect, table)
        ),
        None => quote_identifier(dialect, table),
    }
}

/// The `number`th (1-based) bind parameter: `?1` (SQLite), `$1` (PostgreSQL), `?` (MySQL).
pub(crate) fn placeholder(dialect: Dialect, number: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("?{number}"),
        Dialect::Postgres => format!("${number}"),
        Dialect::Mysql => "?".to_owned(),
    }
}

/// `count` bind parameters separated by `, `.
pub(crate) fn placeholders(dialect: Dialect, count: usize) -> String {
    (1..=count)
        .map(|number| placeholder(dialect, number))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One version-table change as a statement with bind values, and what it does for messages.
pub(crate) struct VersionChangeSql<'a> {
    pub(crate) statement: String,
    pub(crate) binds: Vec<&'a str>,
    /// A fragment for [`BackendError::QueryFailed`]: "updating 'a' to 'b' in retort_version".
    pub(crate) doing: String,
}

/// The statement that applies `change` to the version table `quoted_table` (named `table`).
pub(crate) fn version_change_sql<'a>(
    dialect: Dialect,
    quoted_table: &str,
    table: &str,
    change: &'a VersionChange,
) -> VersionChangeSql<'a> {
    numbered_version_change_sql(dialect, quoted_table, table, change, 1)
}

/// [`version_change_sql`] with its bind parameters numbered from `first_placeholder`, for a
/// statement that follows others in one multi-statement query (SQLite numbers parameters across
/// the whole query).
pub(crate) fn numbered_version_change_sql<'a>(
    dialect: Dialect,
    quoted_table: &str,
    table: &str,
    change: &'a VersionChange,
    first_placeholder: usize,
) -> VersionChangeSql<'a> {
    let first = placeholder(dialect, first_placeholder);
    let second = placeholder(dialect, first_placeholder + 1);
    match change {
        VersionChange::Insert(revision) => VersionChangeSql {
            statement: format!("INSERT INTO {quoted_table} (version_num) VALUES ({first})"),
            binds: vec![revision],
            doing: format!("inserting '{revision}' into {table}"),
        },
        VersionChange::Update { from, to } => VersionChangeSql {
            statement: format!(
                "UPDATE {quoted_table} SET version_num = {first} WHERE version_num = {second}"
            ),
            binds: vec![to, from],
            doing: format!("updating '{from}' to '{to}' in {table}"),
        },
        VersionChange::Delete(revision) => VersionChangeSql {
            statement: format!("DELETE FROM {quoted_table} WHERE version_num = {first}"),
            binds: vec![revision],
            doing: format!("deleting '{revision}' from {table}"),
        },
    }
}

/// `expected` as a set, when every entry is distinct: the form [`rows_guard`] checks. `None`
/// for a list with a repeated entry, which no version table can hold (the caller then reads the
/// rows and compares, as [`check_expected_rows`] does).
pub(crate) fn distinct_rows(expected: &[String]) -> Option<Vec<&str>> {
    let mut rows: Vec<&str> = expected.iter().map(String::as_str).collect();
    rows.sort_unstable();
    let count = rows.len();
    rows.dedup();
    (rows.len() == count).then_some(rows)
}

/// A condition that holds exactly when the version table `quoted_table` holds the `count` rows
/// bound from placeholder `first_placeholder` on (the rows are distinct; the table's primary
/// key makes its own rows distinct).
///
/// Put in the `WHERE` of a step's first version change, it makes the change the check that the
/// rows are what the plan expected: the change then matches no row instead of one when they are
/// not, and the check costs no round trip of its own.
pub(crate) fn rows_guard(
    dialect: Dialect,
    quoted_table: &str,
    first_placeholder: usize,
    count: usize,
) -> String {
    if count == 0 {
        return format!("NOT EXISTS (SELECT 1 FROM {quoted_table})");
    }
    let rows: Vec<String> = (first_placeholder..first_placeholder + count)
        .map(|number| placeholder(dialect, number))
        .collect();
    format!(
        "(SELECT COUNT(*) FROM {quoted_table}) = {count} AND \
         (SELECT COUNT(*) FROM {quoted_table} WHERE version_num IN ({})) = {count}",
        rows.join(", ")
    )
}

/// [`version_change_sql`] made conditional on [`rows_guard`] (SQLite and PostgreSQL; MySQL
/// refuses a subquery on the table an `UPDATE` or `DELETE` changes): an `INSERT` becomes an
/// `INSERT … SELECT … WHERE`. The guard's rows are bound after the change's own values.
pub(crate) fn guarded_version_change_sql<'a>(
    dialect: Dialect,
    quoted_table: &str,
    table: &str,
    change: &'a VersionChange,
    expected: &[&'a str],
) -> VersionChangeSql<'a> {
    let first = placeholder(dialect, 1);
    let second = placeholder(dialect, 2);
    let (statement, mut binds, doing) = match change {
        VersionChange::Insert(revision) => {
            let guard = rows_guard(dialect, quoted_table, 2, expected.len());
            (
                format!("INSERT INTO {quoted_table} (version_num) SELECT {first} WHERE {guard}"),
                vec![revision.as_str()],
                format!("inserting '{revision}' into {table}"),
            )
        }
        VersionChange::Update { from, to } => {
            let guard = rows_guard(dialect, quoted_table, 3, expected.len());
            (
                format!(
                    "UPDATE {quoted_table} SET version_num = {first} WHERE version_num = {second} AND {guard}"
                ),
                vec![to.as_str(), from.as_str()],
                format!("updating '{from}' to '{to}' in {table}"),
            )
        }
        VersionChange::Delete(revision) => {
            let guard = rows_guard(dialect, quoted_table, 2, expected.len());
            (
                format!("DELETE FROM {quoted_table} WHERE version_num = {first} AND {guard}"),
                vec![revision.as_str()],
                format!("deleting '{revision}' from {table}"),
            )
        }
    };
    binds.extend_from_slice(expected);
    VersionChangeSql {
        statement,
        binds,
        doing,
    }
}

/// `value` as a string literal that reads the same whatever the session's settings, or `None`
/// when it cannot be written so (the caller then binds it):
///
/// - SQLite: single quotes, embedded ones doubled (SQLite has no backslash escapes);
/// - PostgreSQL: an `E'…'` literal, backslashes and quotes escaped, so that
///   `standard_conforming_strings` (which a migration may change) does not matter;
/// - MySQL: only plain text (letters, digits and `_ - . : + @ /` and spaces), since both
///   `NO_BACKSLASH_ESCAPES` and the connection's character set change how a literal reads.
///
/// A NUL character is never written as a literal.
pub(crate) fn text_literal(dialect: Dialect, value: &str) -> Option<String> {
    if value.contains('\0') {
        return None;
    }
    match dialect {
        Dialect::Sqlite => Some(quote_literal(value)),
        Dialect::Postgres => Some(format!(
            "E'{}'",
            value.replace('\\', "\\\\").replace('\'', "''")
        )),
        Dialect::Mysql => value
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_-.:+@/ ".contains(character))
            .then(|| format!("'{value}'")),
    }
}

/// [`version_change_sql`] with its values written as literals (see [`text_literal`]), for a
/// statement sent with others in one query; `None` when a value cannot be written so.
pub(crate) fn version_change_text(
    dialect: Dialect,
    quoted_table: &str,
    change: &VersionChange,
) -> Option<String> {
    let text = |value: &str| text_literal(dialect, value);
    Some(match change {
        VersionChange::Insert(revision) => {
            format!(
                "INSERT INTO {quoted_table} (version_num) VALUES ({})",
                text(revision)?
            )
        }
        VersionChange::Update { from, to } => format!(
            "UPDATE {quoted_table} SET version_num = {} WHERE version_num = {}",
            text(to)?,
            text(from)?
        ),
        VersionChange::Delete(revision) => {
            format!(
                "DELETE FROM {quoted_table} WHERE version_num = {}",
                text(revision)?
            )
        }
    })
}

/// `INSERT INTO <history> (…) VALUES (…)` for `row`, its values written as literals; `None`
/// when one of them cannot be (see [`text_literal`]). Sent with the statements around it in one
/// query, it saves the round trip a statement with bound values takes on its own.
pub(crate) fn history_insert_text(
    dialect: Dialect,
    quoted_history: &str,
    row: &HistoryRow,
) -> Option<String> {
    let text = |value: &str| text_literal(dialect, value);
    let optional_text = |value: &Option<String>| match value {
        Some(value) => text_literal(dialect, value),
        None => Some("NULL".to_owned()),
    };
    let optional_number =
        |value: Option<i64>| value.map_or_else(|| "NULL".to_owned(), |number| number.to_string());
    let values = [
        text(&row.run_id)?,
        text(&row.revision)?,
        text(&row.direction)?,
        optional_text(&row.checksum)?,
        text(&row.started_at)?,
        text(&row.finished_at)?,
        row.duration_ms.to_string(),
        text(&row.user_name)?,
        text(&row.host)?,
        text(&row.retort_version)?,
        text(&row.outcome)?,
        optional_number(row.statements_done),
        optional_number(row.statements_total),
        optional_text(&row.error)?,
    ];
    Some(format!(
        "INSERT INTO {quoted_history} ({HISTORY_COLUMNS}) VALUES ({})",
        values.join(", ")
    ))
}

/// Refuses a step unless the version rows `found` are `expected`, compared as sets.
pub(crate) fn check_expected_rows(
    table: &str,
    expected: &[String],
    found: Vec<String>,
) -> Result<(), BackendError> {
    let mut found_sorted = found.clone();
    found_sorted.sort();
    let mut expected_sorted = expected.to_vec();
    expected_sorted.sort();
    if found_sorted == expected_sorted {
        return Ok(());
    }
    Err(BackendError::VersionRowsChanged {
        table: table.to_owned(),
        expected: expected.to_vec(),
        found,
    })
}

/// Refuses an UPDATE or DELETE of a version row that matched other than exactly one row.
pub(crate) fn check_rows_matched(
    table: &str,
    change: &VersionChange,
    rows_affected: u64,
) -> Result<(), BackendError> {
    let must_match_one_row = !matches!(change, VersionChange::Insert(_));
    if must_match_one_row && rows_affected != 1 {
        return Err(BackendError::VersionRowMismatch {
            table: table.to_owned(),
            change: change.clone(),
            matched: rows_affected,
        });
    }
    Ok(())
}

/// `CREATE TABLE <table> (version_num VARCHAR(32) NOT NULL, CONSTRAINT <table>_pkc PRIMARY KEY
/// (version_num))`: Alembic's `alembic_version` shape, the same on every dialect, so an
/// Alembic-managed table can be adopted. `if_not_exists` for online use; `multiline` lays it out
/// as Alembic's offline script does.
pub(crate) fn create_version_table(
    dialect: Dialect,
    table: &str,
    if_not_exists: bool,
    multiline: bool,
) -> String {
    create_version_table_in(dialect, None, table, if_not_exists, multiline)
}

/// [`create_version_table`] in `schema` when given; the constraint keeps Alembic's name.
pub(crate) fn create_version_table_in(
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
    if_not_exists: bool,
    multiline: bool,
) -> String {
    let quoted_table = qualified_name(dialect, schema, table);
    let quoted_constraint = quote_identifier(dialect, &format!("{table}_pkc"));
    let if_not_exists = if if_not_exists { "IF NOT EXISTS " } else { "" };
    let (open, separator, close) = if multiline {
        ("\n    ", ",\n    ", "\n")
    } else {
        ("", ", ", "")
    };
    format!(
        "CREATE TABLE {if_not_exists}{quoted_table} ({open}version_num VARCHAR(32) NOT NULL{separator}\
         CONSTRAINT {quoted_constraint} PRIMARY KEY (version_num){close})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifiers_stay_bare_and_others_are_quoted() {
        assert_eq!(
            quote_identifier(Dialect::Postgres, "retort_version"),
            "retort_version"
        );
        assert_eq!(
            quote_identifier(Dialect::Postgres, "Version Table"),
            "\"Version Table\""
        );
        assert_eq!(quote_identifier(Dialect::Sqlite, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_identifier(Dialect::Mysql, "a`b c"), "`a``b c`");
        assert_eq!(quote_identifier(Dialect::Mysql, "1st"), "`1st`");
        assert_eq!(quote_identifier(Dialect::Postgres, "App"), "\"App\"");
    }

    #[test]
    fn literals_double_single_quotes() {
        assert_eq!(quote_literal("o'brien"), "'o''brien'");
    }

    #[test]
    fn text_literals_read_the_same_whatever_the_session() {
        assert_eq!(
            text_literal(Dialect::Sqlite, "o'b\\r").as_deref(),
            Some("'o''b\\r'")
        );
        assert_eq!(
            text_literal(Dialect::Postgres, "o'b\\r").as_deref(),
            Some("E'o''b\\\\r'")
        );
        assert_eq!(
            text_literal(Dialect::Mysql, "2026-01-02T03:04:05.678Z").as_deref(),
            Some("'2026-01-02T03:04:05.678Z'")
        );
        assert_eq!(text_literal(Dialect::Mysql, "o'brien"), None);
        assert_eq!(text_literal(Dialect::Mysql, "a\\b"), None);
        assert_eq!(text_literal(Dialect::Sqlite, "a\0b"), None);
    }

    #[test]
    fn rows_guard_counts_the_expected_rows() {
        assert_eq!(
            rows_guard(Dialect::Sqlite, "v", 2, 0),
            "NOT EXISTS (SELECT 1 FROM v)"
        );
        assert_eq!(
            rows_guard(Dialect::Postgres, "v", 3, 2),
            "(SELECT COUNT(*) FROM v) = 2 AND (SELECT COUNT(*) FROM v WHERE version_num IN ($3, $4)) = 2"
        );
        assert_eq!(
            distinct_rows(&["b".to_owned(), "a".to_owned()]),
            Some(vec!["a", "b"])
        );
        assert_eq!(distinct_rows(&["a".to_owned(), "a".to_owned()]), None);
    }

    #[test]
    fn table_names_are_checked() {
        assert!(check_table_name("retort_version").is_ok());
        assert!(check_table_name("").is_err());
        assert!(check_table_name("a\nb").is_err());
        assert!(check_table_name(&"x".repeat(64)).is_err());
    }

    #[test]
    fn version_table_ddl() {
        assert_eq!(
            create_version_table(Dialect::Sqlite, "retort_version", true, false),
            "CREATE TABLE IF NOT EXISTS retort_version (version_num VARCHAR(32) NOT NULL, \
             CONSTRAINT retort_version_pkc PRIMARY KEY (version_num))"
        );
        assert_eq!(
            create_version_table(Dialect::Postgres, "alembic_version", false, true),
            "CREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL,\n    \
             CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)"
        );
    }
}
