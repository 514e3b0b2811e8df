//! Reading what SQLite's pragmas do not say from the `CREATE TABLE` and `CREATE INDEX` text it
//! keeps in `sqlite_master`: check constraints, generated columns, `AUTOINCREMENT`, and the
//! keys and `WHERE` of indexes (expressions included).
//!
//! SQLite stores the statements as written, so this is a parser of the user's DDL, kept to the
//! clauses above: it finds them by keyword at the right parenthesis depth and never fails; what
//! it cannot read is left out.

use retort_core::Dialect;

use crate::model::{CheckConstraint, Generated, IndexKey, IndexTarget};
use crate::normalize::normalize_expression;
use crate::tokens::{Token, TokenKind, matching_close, text_between, tokenize};

/// What a SQLite `CREATE TABLE` says beyond the pragmas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqliteTableDetails {
    /// Columns with an `AUTOINCREMENT` primary key.
    pub autoincrement_columns: Vec<String>,
    /// Generated columns and their expressions.
    pub generated_columns: Vec<(String, Generated)>,
    /// Column and table check constraints, in order.
    pub checks: Vec<CheckConstraint>,
    /// The table options after the column list (`WITHOUT ROWID`, `STRICT`), upper-cased.
    pub options: Option<String>,
}

/// What a SQLite `CREATE INDEX` says: its keys and its `WHERE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteIndexDetails {
    pub keys: Vec<IndexKey>,
    pub predicate: Option<String>,
}

/// Reads the checks, generated columns and `AUTOINCREMENT` of a `CREATE TABLE` statement.
pub fn parse_sqlite_create_table(sql: &str) -> SqliteTableDetails {
    let tokens = tokenize(sql, false);
    let mut details = SqliteTableDetails::default();
    let Some(open) = tokens
        .iter()
        .position(|token| token.kind == TokenKind::Open)
    else {
        return details;
    };
    let Some(close) = matching_close(&tokens, open) else {
        return details;
    };
    for (first, last) in top_level_items(&tokens, open + 1, close) {
        read_item(sql, &tokens, first, last, &mut details);
    }
    if close + 1 < tokens.len() {
        let options = text_between(sql, &tokens, close + 1, tokens.len() - 1);
        details.options = Some(crate::normalize::normalize_type(Dialect::Sqlite, options));
    }
    details
}

/// Reads the keys and `WHERE` of a `CREATE INDEX` statement; `None` when there is no key list.
pub fn parse_sqlite_create_index(sql: &str) -> Option<SqliteIndexDetails> {
    let tokens = tokenize(sql, false);
    let on = tokens.iter().position(|token| token.is_word("ON"))?;
    let open = on
        + tokens[on..]
            .iter()
            .position(|token| token.kind == TokenKind::Open)?;
    let close = matching_close(&tokens, open)?;
    let keys = top_level_items(&tokens, open + 1, close)
        .into_iter()
        .map(|(first, last)| index_key(sql, &tokens, first, last))
        .collect();
    let predicate = match tokens.get(close + 1) {
        Some(token) if token.is_word("WHERE") && close + 2 < tokens.len() => {
            Some(normalize_expression(
                Dialect::Sqlite,
                text_between(sql, &tokens, close + 2, tokens.len() - 1),
            ))
        }
        _ => None,
    };
    Some(SqliteIndexDetails { keys, predicate })
}

/// The `(first, last)` token ranges between `start` and `end` (exclusive) separated by commas
/// at the top level.
fn top_level_items(tokens: &[Token<'_>], start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut first = start;
    for (index, token) in tokens.iter().enumerate().take(end).skip(start) {
        match token.kind {
            TokenKind::Open => depth += 1,
            TokenKind::Close => depth = depth.saturating_sub(1),
            TokenKind::Comma if depth == 0 => {
                if index > first {
                    items.push((first, index - 1));
                }
                first = index + 1;
            }
            _ => {}
        }
    }
    if end > first {
        items.push((first, end - 1));
    }
    items
}

/// Words that start a column or table constraint, and so end a pending `CONSTRAINT name`.
const CONSTRAINT_WORDS: [&str; 10] = [
    "PRIMARY",
    "UNIQUE",
    "NOT",
    "NULL",
    "DEFAULT",
    "REFERENCES",
    "FOREIGN",
    "COLLATE",
    "GENERATED",
    "AS",
];

/// One column definition or table constraint, tokens `first..=last`.
fn read_item(
    sql: &str,
    tokens: &[Token<'_>],
    first: usize,
    last: usize,
    details: &mut SqliteTableDetails,
) {
    let is_table_constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
        .iter()
        .any(|word| tokens[first].is_word(word));
    let column = if is_table_constraint {
        None
    } else {
        tokens[first].identifier()
    };
    let mut pending_name: Option<String> = None;
    let mut index = if column.is_some() { first + 1 } else { first };
    while index <= last {
        let token = &tokens[index];
        if token.kind == TokenKind::Open {
            // Type arguments and the like: skip the parenthesised run.
            index = matching_close(tokens, index).map_or(last + 1, |close| close + 1);
            continue;
        }
        if token.is_word("CONSTRAINT") {
            pending_name = tokens.get(index + 1).and_then(Token::identifier);
            index += 2;
            continue;
        }
        if token.is_word("CHECK")
            && let Some((expression, after)) = parenthesised(sql, tokens, index + 1, last)
        {
            details.checks.push(CheckConstraint {
                name: pending_name.take(),
                expression,
            });
            index = after;
            continue;
        }
        if token.is_word("AUTOINCREMENT")
            && let Some(column) = &column
        {
            details.autoincrement_columns.push(column.clone());
        }
        if token.is_word("AS")
            && let (Some(column), Some((expression, after))) =
                (&column, parenthesised(sql, tokens, index + 1, last))
        {
            let stored = tokens
                .get(after)
                .is_some_and(|next| after <= last && next.is_word("STORED"));
            details
                .generated_columns
                .push((column.clone(), Generated { expression, stored }));
            index = after;
            continue;
        }
        if CONSTRAINT_WORDS.iter().any(|word| token.is_word(word)) {
            pending_name = None;
        }
        index += 1;
    }
}

/// The normalised expression inside the parentheses that open at `open` (and end by `last`),
/// and the index after them.
fn parenthesised(
    sql: &str,
    tokens: &[Token<'_>],
    open: usize,
    last: usize,
) -> Option<(String, usize)> {
    if tokens.get(open)?.kind != TokenKind::Open {
        return None;
    }
    let close = matching_close(tokens, open)?;
    if close > last {
        return None;
    }
    let inner = if close > open + 1 {
        text_between(sql, tokens, open + 1, close - 1)
    } else {
        ""
    };
    Some((normalize_expression(Dialect::Sqlite, inner), close + 1))
}

/// One key of an index: a column or an expression, then `COLLATE x` and `ASC`/`DESC`.
fn index_key(sql: &str, tokens: &[Token<'_>], first: usize, mut last: usize) -> IndexKey {
    let mut descending = false;
    if tokens[last].is_word("DESC") || tokens[last].is_word("ASC") {
        descending = tokens[last].is_word("DESC");
        last = last.saturating_sub(1).max(first);
    }
    if last >= first + 2 && tokens[last - 1].is_word("COLLATE") {
        last -= 2;
    }
    let target = match (last == first, tokens[first].identifier()) {
        (true, Some(column)) => IndexTarget::Column(column),
        _ => IndexTarget::Expression(normalize_expression(
            Dialect::Sqlite,
            text_between(sql, tokens, first, last),
        )),
    };
    IndexKey {
        target,
        descending,
        nulls_first: None,
        prefix_length: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_generated_columns_and_autoincrement() {
        let details = parse_sqlite_create_table(
            "CREATE TABLE \"orders\" (\n\
               id INTEGER PRIMARY KEY AUTOINCREMENT,\n\
               price NUMERIC(10, 2) NOT NULL CONSTRAINT positive CHECK (price > 0),\n\
               qty INTEGER CHECK(qty >= 1) DEFAULT 1,\n\
               total NUMERIC GENERATED ALWAYS AS (price * qty) STORED,\n\
               label TEXT AS (upper(name)),\n\
               CONSTRAINT sane CHECK ((qty < 1000)),\n\
               CHECK (price < 1e6)\n\
             ) strict,  without rowid",
        );
        assert_eq!(details.autoincrement_columns, ["id"]);
        assert_eq!(details.options.as_deref(), Some("STRICT, WITHOUT ROWID"));
        assert_eq!(
            details.generated_columns,
            [
                (
                    "total".to_owned(),
                    Generated {
                        expression: "price * qty".to_owned(),
                        stored: true
                    }
                ),
                (
                    "label".to_owned(),
                    Generated {
                        expression: "upper(name)".to_owned(),
                        stored: false
                    }
                ),
            ]
        );
        let checks: Vec<(Option<&str>, &str)> = details
            .checks
            .iter()
            .map(|check| (check.name.as_deref(), check.expression.as_str()))
            .collect();
        assert_eq!(
            checks,
            [
                (Some("positive"), "price > 0"),
                (None, "qty >= 1"),
                (Some("sane"), "qty < 1000"),
                (None, "price < 1e6"),
            ]
        );
    }

    #[test]
    fn index_keys_and_predicates() {
        let details = parse_sqlite_create_index(
            "CREATE UNIQUE INDEX ix ON users (lower(email), \"Org\" DESC, name COLLATE NOCASE) WHERE deleted_at IS NULL",
        );
        let Some(details) = details else {
            panic!("no key list");
        };
        assert_eq!(
            details.keys[0].target,
            IndexTarget::Expression("lower(email)".to_owned())
        );
        assert_eq!(
            details.keys[1].target,
            IndexTarget::Column("Org".to_owned())
        );
        assert!(details.keys[1].descending);
        assert_eq!(
            details.keys[2].target,
            IndexTarget::Column("name".to_owned())
        );
        assert_eq!(details.predicate.as_deref(), Some("deleted_at IS NULL"));
    }

    #[test]
    fn broken_text_reads_as_nothing() {
        assert_eq!(
            parse_sqlite_create_table("CREATE TABLE t (a CHECK ("),
            SqliteTableDetails::default()
        );
        assert_eq!(parse_sqlite_create_index("CREATE INDEX i"), None);
    }
}
