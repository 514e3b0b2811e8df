//! Small pieces of SQL text shared by the engines and the offline renderer: identifier quoting,
//! literals, the version-table DDL and statements.

use retort_core::Dialect;

use crate::error::BackendError;

/// Longest table name accepted (PostgreSQL truncates identifiers at 63 bytes).
const MAX_TABLE_NAME_BYTES: usize = 63;

/// `name` as it appears in SQL: bare when it is a plain identifier (`retort_version`), as
/// Alembic writes it; otherwise quoted for `dialect` with embedded quotes doubled.
pub(crate) fn quote_identifier(dialect: Dialect, name: &str) -> String {
    let mut characters = name.chars();
    let plain = characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_');
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
    let problem = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_TABLE_NAME_BYTES {
        "it is longer than 63 bytes"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(BackendError::InvalidTableName {
        name: name.escape_debug().to_string(),
        problem,
    })
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
    let quoted_table = quote_identifier(dialect, table);
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
    }

    #[test]
    fn literals_double_single_quotes() {
        assert_eq!(quote_literal("o'brien"), "'o''brien'");
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
