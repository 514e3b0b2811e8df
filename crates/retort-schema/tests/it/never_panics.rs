//! What engines hand back is read without ever panicking, whatever the text: the tokenizer,
//! the normalisers and SQLite's DDL reader take any string, quotes and parentheses unbalanced,
//! multi-byte characters and backslashes included.

use proptest::prelude::*;
use retort_core::Dialect;
use retort_schema::{
    normalize_default, normalize_expression, normalize_type, parse_sqlite_create_index,
    parse_sqlite_create_table, same_expression,
};

/// Text made mostly of the characters SQL readers care about.
fn sql_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("("),
            Just(")"),
            Just(","),
            Just("'"),
            Just("\""),
            Just("`"),
            Just("["),
            Just("]"),
            Just("\\"),
            Just("--"),
            Just("/*"),
            Just("*/"),
            Just("\n"),
            Just(" "),
            Just("CHECK"),
            Just("AS"),
            Just("CONSTRAINT"),
            Just("ON"),
            Just("WHERE"),
            Just("DESC"),
            Just("COLLATE"),
            Just("é"),
            Just("x"),
            Just("1.5"),
            Just("int(11)"),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn readers_take_any_text(text in sql_like(), other in ".{0,30}") {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let _ = normalize_type(dialect, &text);
            let _ = normalize_default(dialect, &text);
            let _ = normalize_expression(dialect, &other);
            let _ = same_expression(dialect, &text, &other);
        }
        let _ = parse_sqlite_create_table(&format!("CREATE TABLE t ({text})"));
        let _ = parse_sqlite_create_table(&other);
        let _ = parse_sqlite_create_index(&format!("CREATE INDEX i ON t ({text}) WHERE {other}"));
    }

    #[test]
    fn normalising_twice_changes_nothing(text in sql_like()) {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let once = normalize_expression(dialect, &text);
            prop_assert!(same_expression(dialect, &once, &text));
            let type_once = normalize_type(dialect, &text);
            prop_assert_eq!(normalize_type(dialect, &type_once), type_once);
        }
    }
}
