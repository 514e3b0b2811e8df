//! Identifiers and literals in generated DDL: bare when that is safe, quoted in the dialect's
//! way otherwise, so that generated migrations read like hand-written ones.

use retort_core::Dialect;

use crate::model::ObjectName;

/// Words that cannot be bare identifiers in at least one dialect (the common reserved words of
/// SQL:2016, PostgreSQL, MySQL and SQLite); quoting them everywhere keeps the rule simple.
const RESERVED: &[&str] = &[
    "add",
    "all",
    "alter",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "between",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "inner",
    "insert",
    "intersect",
    "interval",
    "into",
    "is",
    "join",
    "key",
    "keys",
    "leading",
    "left",
    "like",
    "limit",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "primary",
    "range",
    "references",
    "rename",
    "replace",
    "right",
    "row",
    "rows",
    "select",
    "set",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "when",
    "where",
    "window",
    "with",
];

/// `name` bare when it is a plain lower-case identifier and no reserved word; otherwise quoted
/// (`"Name"` on PostgreSQL and SQLite, `` `Name` `` on MySQL), embedded quotes doubled.
pub fn quote_identifier(dialect: Dialect, name: &str) -> String {
    let mut characters = name.chars();
    let plain = characters
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && characters.all(|character| {
            character.is_ascii_lowercase() || character.is_ascii_digit() || character == '_'
        });
    if plain && !RESERVED.contains(&name) {
        return name.to_owned();
    }
    match dialect {
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
        Dialect::Sqlite | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// `schema.name` or `name`, each part quoted as needed.
pub fn quote_object(dialect: Dialect, name: &ObjectName) -> String {
    match &name.schema {
        Some(schema) => format!(
            "{}.{}",
            quote_identifier(dialect, schema),
            quote_identifier(dialect, &name.name)
        ),
        None => quote_identifier(dialect, &name.name),
    }
}

/// A comma-separated list of quoted column names.
pub fn quote_columns(dialect: Dialect, columns: &[String]) -> String {
    columns
        .iter()
        .map(|column| quote_identifier(dialect, column))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A string literal: single quotes around, embedded single quotes doubled.
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay_bare() {
        assert_eq!(quote_identifier(Dialect::Postgres, "users"), "users");
        assert_eq!(quote_identifier(Dialect::Postgres, "user"), "\"user\"");
        assert_eq!(quote_identifier(Dialect::Mysql, "Order"), "`Order`");
        assert_eq!(quote_identifier(Dialect::Sqlite, "a\"b"), "\"a\"\"b\"");
        assert_eq!(
            quote_object(
                Dialect::Postgres,
                &ObjectName::qualified("billing", "order")
            ),
            "billing.\"order\""
        );
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
