//! Splitting a migration's SQL into statements, for the engines that must run them one by one.
//!
//! MySQL and MariaDB commit DDL implicitly, so retort runs a migration there statement by
//! statement and records how far it got; PostgreSQL runs a `transaction: false` migration the
//! same way, because a multi-statement query string is one implicit transaction there and
//! `CREATE INDEX CONCURRENTLY` refuses to run inside it. Both need the statements as the server
//! would see them, which a naive split on `;` gets wrong.
//!
//! A `;` ends a statement unless it is inside a string or quoted identifier (`'…'`, `"…"`,
//! `` `…` ``, SQLite's `[…]`, with doubled quotes and, in MySQL and PostgreSQL `E'…'`, backslash
//! escapes), a comment (`--`, MySQL's `#`, `/* */`, nested in PostgreSQL), a PostgreSQL dollar
//! quote (`$$…$$`, `$body$…$body$`), parentheses (PostgreSQL's `CREATE RULE … DO (…; …)`), or the
//! body of a compound statement written without a `DELIMITER` command:
//!
//! - MySQL `CREATE PROCEDURE | FUNCTION | TRIGGER | EVENT` and MariaDB's `BEGIN NOT ATOMIC`, whose
//!   `BEGIN … END`, `IF … END IF`, `CASE … END CASE`, `LOOP`, `WHILE` and `REPEAT` blocks nest;
//! - PostgreSQL `CREATE FUNCTION | PROCEDURE … BEGIN ATOMIC … END`;
//! - SQLite `CREATE TRIGGER … BEGIN … END`.
//!
//! `DELIMITER` itself is a command of the `mysql` client, not SQL: write bodies without it.
//! A statement's text excludes the comments and whitespace around it and its final `;`; MySQL's
//! executable comments (`/*!40101 … */`) are kept, since the server runs them.

mod scanner;
#[cfg(test)]
mod tests;

use retort_core::Dialect;

use self::scanner::{Token, TokenKind, tokenize};

/// One statement of a migration, without its terminating `;` and surrounding comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SqlStatement<'a> {
    pub(crate) text: &'a str,
}

/// The statements of `sql` in order; comment-only and empty statements are left out.
pub(crate) fn split_statements(dialect: Dialect, sql: &str) -> Vec<SqlStatement<'_>> {
    let significant: Vec<Token> = tokenize(dialect, sql)
        .into_iter()
        .filter(Token::is_significant)
        .collect();
    let mut statements = Vec::new();
    let mut first_index = 0;
    while first_index < significant.len() {
        let end_index = statement_end(dialect, sql, &significant, first_index);
        if end_index > first_index {
            statements.push(SqlStatement {
                text: &sql[significant[first_index].start..significant[end_index - 1].end],
            });
        }
        first_index = end_index + 1;
    }
    statements
}

/// Words that name what a `CREATE` creates; the first of them in a statement decides whether
/// it has a compound body.
const OBJECT_KINDS: &[&str] = &[
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "EVENT",
    "TABLE",
    "VIEW",
    "INDEX",
    "DATABASE",
    "SCHEMA",
    "SEQUENCE",
    "TYPE",
    "DOMAIN",
    "EXTENSION",
    "USER",
    "ROLE",
    "RULE",
    "POLICY",
    "TABLESPACE",
    "SERVER",
    "MATERIALIZED",
    "COLLATION",
    "PUBLICATION",
    "SUBSCRIPTION",
];

/// MySQL block statements that `END` may name (`END IF`): the word after `END` opens nothing.
const MYSQL_BLOCK_SUFFIXES: &[&str] = &["IF", "CASE", "LOOP", "WHILE", "REPEAT"];

/// How many leading tokens are read to decide whether a statement has a compound body.
const LEADING_TOKENS_READ: usize = 16;

/// What a word does to the block depth of a compound body.
enum BlockEffect {
    Opens,
    Closes,
    Nothing,
}

/// The index of the `;` that ends the statement starting at `first_index` (or `tokens.len()`).
fn statement_end(dialect: Dialect, sql: &str, tokens: &[Token], first_index: usize) -> usize {
    let compound = has_compound_body(dialect, sql, &tokens[first_index..]);
    let mut block_depth = 0_usize;
    let mut paren_depth = 0_usize;
    let mut after_end = false;
    for index in first_index..tokens.len() {
        let token = tokens[index];
        match token.kind {
            TokenKind::Semicolon if block_depth == 0 && paren_depth == 0 => return index,
            TokenKind::OpenParen => paren_depth += 1,
            TokenKind::CloseParen => paren_depth = paren_depth.saturating_sub(1),
            TokenKind::Word if compound => {
                let word = sql[token.start..token.end].to_ascii_uppercase();
                let names_closed_block = after_end
                    && dialect == Dialect::Mysql
                    && MYSQL_BLOCK_SUFFIXES.contains(&word.as_str());
                after_end = false;
                if !names_closed_block {
                    match block_effect(dialect, sql, tokens, index, &word) {
                        BlockEffect::Opens => block_depth += 1,
                        BlockEffect::Closes => {
                            block_depth = block_depth.saturating_sub(1);
                            after_end = true;
                        }
                        BlockEffect::Nothing => {}
                    }
                }
            }
            _ => {}
        }
        if token.kind != TokenKind::Word {
            after_end = false;
        }
    }
    tokens.len()
}

/// Whether the statement whose tokens start at `tokens[0]` is a routine, trigger or block whose
/// body holds `;`.
fn has_compound_body(dialect: Dialect, sql: &str, tokens: &[Token]) -> bool {
    let leading_words: Vec<String> = tokens
        .iter()
        .take(LEADING_TOKENS_READ)
        .take_while(|token| !matches!(token.kind, TokenKind::Semicolon | TokenKind::OpenParen))
        .filter(|token| token.kind == TokenKind::Word)
        .map(|token| sql[token.start..token.end].to_ascii_uppercase())
        .collect();
    let words: Vec<&str> = leading_words.iter().map(String::as_str).collect();
    if dialect == Dialect::Mysql && words.starts_with(&["BEGIN", "NOT", "ATOMIC"]) {
        return true;
    }
    let Some((&first_word, rest)) = words.split_first() else {
        return false;
    };
    let kind = rest.iter().find(|word| OBJECT_KINDS.contains(word));
    matches!(
        (dialect, first_word, kind),
        (
            Dialect::Mysql,
            "CREATE",
            Some(&("PROCEDURE" | "FUNCTION" | "TRIGGER" | "EVENT"))
        ) | (Dialect::Mysql, "ALTER", Some(&"EVENT"))
            | (
                Dialect::Postgres,
                "CREATE",
                Some(&("PROCEDURE" | "FUNCTION"))
            )
            | (Dialect::Sqlite, "CREATE", Some(&"TRIGGER"))
    )
}

/// How `word` (at `tokens[index]`, inside a compound statement) changes the block depth.
fn block_effect(
    dialect: Dialect,
    sql: &str,
    tokens: &[Token],
    index: usize,
    word: &str,
) -> BlockEffect {
    match (dialect, word) {
        (_, "END") => BlockEffect::Closes,
        (_, "CASE") => BlockEffect::Opens,
        (Dialect::Postgres, "BEGIN") => {
            if next_word_is(sql, tokens, index + 1, &["ATOMIC"]) {
                BlockEffect::Opens
            } else {
                BlockEffect::Nothing
            }
        }
        (Dialect::Mysql | Dialect::Sqlite, "BEGIN") => BlockEffect::Opens,
        // `IF`, `WHILE`, `LOOP` and `REPEAT` are reserved in MySQL, so they are keywords here:
        // block statements, except the functions `IF(a, b, c)` and `REPEAT('x', 3)` and the
        // `IF EXISTS` / `IF NOT EXISTS` of DDL.
        (Dialect::Mysql, "WHILE" | "LOOP") => BlockEffect::Opens,
        (Dialect::Mysql, "REPEAT") if !is_function_call(tokens, index + 1) => BlockEffect::Opens,
        (Dialect::Mysql, "IF")
            if !is_function_call(tokens, index + 1)
                && !next_word_is(sql, tokens, index + 1, &["NOT", "EXISTS"]) =>
        {
            BlockEffect::Opens
        }
        _ => BlockEffect::Nothing,
    }
}

/// Whether `tokens[index]` is one of `words` (upper case).
fn next_word_is(sql: &str, tokens: &[Token], index: usize, words: &[&str]) -> bool {
    tokens.get(index).is_some_and(|token| {
        token.kind == TokenKind::Word
            && words
                .iter()
                .any(|word| sql[token.start..token.end].eq_ignore_ascii_case(word))
    })
}

/// Whether `tokens[index]` opens an argument list with several arguments: `IF(a, b, c)` and
/// `REPEAT('x', 3)` are functions, `IF (a > b) THEN` is a statement.
fn is_function_call(tokens: &[Token], index: usize) -> bool {
    if tokens
        .get(index)
        .is_none_or(|token| token.kind != TokenKind::OpenParen)
    {
        return false;
    }
    let mut depth = 0_usize;
    for token in &tokens[index..] {
        match token.kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return false;
                }
            }
            TokenKind::Comma if depth == 1 => return true,
            TokenKind::Semicolon => return false,
            _ => {}
        }
    }
    false
}
