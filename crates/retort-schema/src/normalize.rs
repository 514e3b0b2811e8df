//! Normalising what engines say about types, defaults and expressions, per dialect, so that the
//! same schema read twice (or written by hand and then by retort) compares equal.
//!
//! Expressions keep their text for rendering, with whitespace tidied; they are compared by
//! their tokens (spacing, comments and the case of words and identifiers ignored, redundant
//! outer parentheses dropped), since each engine prints them in its own way: SQLite keeps the
//! text as written, MariaDB quotes every identifier, PostgreSQL deparses.

use retort_core::Dialect;

use crate::tokens::{TokenKind, matching_close, tokenize};

/// A declared type as retort compares and renders it.
///
/// - SQLite keeps the type as declared; it is upper-cased, with spaces tidied
///   (`varchar (255)` and `VARCHAR(255)` are one type).
/// - PostgreSQL's `format_type` is already canonical (`character varying(255)`).
/// - MySQL and MariaDB: lower case outside quotes, and integer display widths dropped
///   (`int(11)` is `int`) except `tinyint(1)`, which by convention means boolean.
pub fn normalize_type(dialect: Dialect, text: &str) -> String {
    let tidy = tidy_spacing(text, dialect == Dialect::Mysql, true);
    match dialect {
        Dialect::Sqlite => upper_outside_quotes(&tidy),
        Dialect::Postgres => tidy,
        Dialect::Mysql => drop_integer_width(&lower_outside_quotes(&tidy)),
    }
}

/// A column default as retort compares and renders it; `None` for `NULL` (which is what having
/// no default means) and for an empty text.
pub fn normalize_default(dialect: Dialect, text: &str) -> Option<String> {
    let tidy = tidy_spacing(text, dialect == Dialect::Mysql, false);
    if tidy.is_empty() || tidy.eq_ignore_ascii_case("null") {
        return None;
    }
    Some(tidy)
}

/// An expression (check, generated column, index key or predicate) with its whitespace tidied
/// and redundant outer parentheses dropped: `((price > 0))` is `price > 0`.
pub fn normalize_expression(dialect: Dialect, text: &str) -> String {
    let mut current = tidy_spacing(text, dialect == Dialect::Mysql, false);
    loop {
        let tokens = tokenize(&current, dialect == Dialect::Mysql);
        let wrapped = tokens.len() >= 2
            && tokens[0].kind == TokenKind::Open
            && matching_close(&tokens, 0) == Some(tokens.len() - 1);
        if !wrapped {
            return current;
        }
        let inner = current[tokens[0].end..tokens[tokens.len() - 1].start]
            .trim()
            .to_owned();
        current = inner;
    }
}

/// Whether two expressions say the same thing, spacing, comments, case and outer parentheses
/// aside.
pub fn same_expression(dialect: Dialect, left: &str, right: &str) -> bool {
    expression_key(dialect, left) == expression_key(dialect, right)
}

/// Whether `text` names `word` as an identifier (bare or quoted, in any case).
pub fn mentions_word(text: &str, word: &str) -> bool {
    tokenize(text, true).iter().any(|token| {
        matches!(token.kind, TokenKind::Word | TokenKind::QuotedIdentifier)
            && token.key() == word.to_ascii_lowercase()
    })
}

/// The tokens an expression is compared by.
fn expression_key(dialect: Dialect, text: &str) -> Vec<String> {
    let normal = normalize_expression(dialect, text);
    tokenize(&normal, dialect == Dialect::Mysql)
        .iter()
        .map(|token| token.key())
        .collect()
}

/// The text with comments dropped and whitespace made single spaces: none after `(` or before
/// `)` and `,`, one after `,`, and (with `glue_calls`) none between a word and a `(`; elsewhere
/// a space where the text had one. Strings and quoted identifiers are untouched.
fn tidy_spacing(text: &str, backslash_escapes: bool, glue_calls: bool) -> String {
    let tokens = tokenize(text, backslash_escapes);
    let mut tidy = String::with_capacity(text.len());
    let mut previous: Option<TokenKind> = None;
    for token in &tokens {
        if let Some(previous_kind) = previous {
            let space = if previous_kind == TokenKind::Open
                || matches!(token.kind, TokenKind::Close | TokenKind::Comma)
            {
                false
            } else if previous_kind == TokenKind::Comma {
                true
            } else if glue_calls
                && token.kind == TokenKind::Open
                && previous_kind == TokenKind::Word
            {
                false
            } else {
                token.spaced
            };
            if space {
                tidy.push(' ');
            }
        }
        tidy.push_str(token.text);
        previous = Some(token.kind);
    }
    tidy
}

fn upper_outside_quotes(text: &str) -> String {
    map_outside_quotes(text, str::to_ascii_uppercase)
}

fn lower_outside_quotes(text: &str) -> String {
    map_outside_quotes(text, str::to_ascii_lowercase)
}

fn map_outside_quotes(text: &str, map: fn(&str) -> String) -> String {
    let mut result = String::with_capacity(text.len());
    let mut last = 0;
    for token in tokenize(text, false) {
        result.push_str(&text[last..token.start]);
        match token.kind {
            TokenKind::String | TokenKind::QuotedIdentifier => result.push_str(token.text),
            _ => result.push_str(&map(token.text)),
        }
        last = token.end;
    }
    result.push_str(&text[last..]);
    result
}

/// `int(11) unsigned` → `int unsigned`; `tinyint(1)` stays.
fn drop_integer_width(text: &str) -> String {
    const INTEGER_TYPES: [&str; 6] = [
        "tinyint",
        "smallint",
        "mediumint",
        "int",
        "integer",
        "bigint",
    ];
    let Some(open) = text.find('(') else {
        return text.to_owned();
    };
    let (name, rest) = text.split_at(open);
    if !INTEGER_TYPES.contains(&name) {
        return text.to_owned();
    }
    let Some(close) = rest.find(')') else {
        return text.to_owned();
    };
    let width = &rest[1..close];
    if !width.chars().all(|character| character.is_ascii_digit())
        || (name == "tinyint" && width == "1")
    {
        return text.to_owned();
    }
    format!("{name}{}", &rest[close + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_types_keep_their_words_in_upper_case() {
        assert_eq!(
            normalize_type(Dialect::Sqlite, "varchar (255)"),
            "VARCHAR(255)"
        );
        assert_eq!(
            normalize_type(Dialect::Sqlite, "decimal( 10 , 2 )"),
            "DECIMAL(10, 2)"
        );
        assert_eq!(
            normalize_type(Dialect::Sqlite, "  unsigned   big int "),
            "UNSIGNED BIG INT"
        );
        assert_eq!(normalize_type(Dialect::Sqlite, ""), "");
    }

    #[test]
    fn mysql_integer_widths_go_but_booleans_stay() {
        assert_eq!(normalize_type(Dialect::Mysql, "int(11)"), "int");
        assert_eq!(
            normalize_type(Dialect::Mysql, "BIGINT(20) UNSIGNED"),
            "bigint unsigned"
        );
        assert_eq!(normalize_type(Dialect::Mysql, "tinyint(1)"), "tinyint(1)");
        assert_eq!(
            normalize_type(Dialect::Mysql, "varchar(255)"),
            "varchar(255)"
        );
        assert_eq!(
            normalize_type(Dialect::Mysql, "ENUM('Active','Gone')"),
            "enum('Active', 'Gone')"
        );
        assert_eq!(
            normalize_type(Dialect::Mysql, "decimal(10,2)"),
            "decimal(10, 2)"
        );
    }

    #[test]
    fn null_defaults_are_no_default() {
        assert_eq!(normalize_default(Dialect::Mysql, "NULL"), None);
        assert_eq!(normalize_default(Dialect::Sqlite, "null"), None);
        assert_eq!(
            normalize_default(Dialect::Sqlite, " 'x' "),
            Some("'x'".to_owned())
        );
        assert_eq!(
            normalize_default(Dialect::Sqlite, "(datetime( 'now' ))"),
            Some("(datetime('now'))".to_owned())
        );
    }

    #[test]
    fn expressions_compare_by_tokens() {
        assert_eq!(
            normalize_expression(Dialect::Postgres, "((price > (0)::numeric))"),
            "price > (0)::numeric"
        );
        assert!(same_expression(Dialect::Mysql, "`price` > 0", "(price>0)"));
        assert!(same_expression(
            Dialect::Sqlite,
            "Status IN ('a','b')",
            "status in ( 'a', 'b' )"
        ));
        assert!(!same_expression(
            Dialect::Sqlite,
            "status IN ('A')",
            "status IN ('a')"
        ));
        assert!(!same_expression(Dialect::Sqlite, "(a) + (b)", "a + b"));
        assert_eq!(
            normalize_expression(Dialect::Sqlite, "(a) + (b)"),
            "(a) + (b)"
        );
    }

    #[test]
    fn words_are_found_as_identifiers_only() {
        assert!(mentions_word("lower(\"Email\")", "email"));
        assert!(mentions_word("`price` > 0", "price"));
        assert!(!mentions_word("'price' > 0", "price"));
        assert!(!mentions_word("prices > 0", "price"));
    }
}
