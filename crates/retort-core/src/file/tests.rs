//! Tests of the migration file parser: one per rule and per error kind, with exact lines.

use crate::error::RevisionError;
use crate::file::{Dialect, ExternalDependency, Migration, ParseError, ParseErrorKind, parse};

/// A complete, valid migration file: the example of the design document.
const EXAMPLE: &str = "\
-- revision: 3f1c2a9b7d10
-- down_revision: 9a0e44c1b2f3
-- depends_on: tool_registry:77ab01c9e4d2, 1a2b3c4d5e6f
-- branch_labels: auth
-- message: create users
-- created: 2026-11-21T10:00:00Z
-- transaction: true

-- upgrade
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);

-- downgrade
DROP TABLE users;
";

/// Parses `text`, failing the test with the parser's message when it is rejected.
fn parse_ok(text: &str) -> Migration {
    match parse("versions/test.sql", text.as_bytes()) {
        Ok(migration) => migration,
        Err(error) => panic!("expected a migration, got: {error}"),
    }
}

/// Parses `bytes`, failing the test when they are accepted.
fn parse_err_bytes(bytes: &[u8]) -> ParseError {
    match parse("versions/test.sql", bytes) {
        Ok(migration) => panic!("expected an error, got: {migration:?}"),
        Err(error) => error,
    }
}

/// Checks that `text` is rejected on `expected_line` with `expected_kind`, and that the message
/// names the file and line.
fn check_error(text: &str, expected_line: usize, expected_kind: ParseErrorKind) {
    let error = parse_err_bytes(text.as_bytes());
    assert_eq!(
        (error.line, &error.kind),
        (expected_line, &expected_kind),
        "message: {error}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("versions/test.sql:{expected_line}: ")),
        "message: {message}"
    );
    assert!(
        !message.ends_with('.'),
        "message ends with a period: {message}"
    );
}

/// A file with the given header lines and a plain upgrade section.
fn with_header(header_lines: &str) -> String {
    format!("{header_lines}\n\n-- upgrade\nSELECT 1;\n")
}

#[test]
fn parses_the_example_of_the_design() {
    let migration = parse_ok(EXAMPLE);
    assert_eq!(migration.revision.id, "3f1c2a9b7d10");
    assert_eq!(migration.revision.down_revisions, ["9a0e44c1b2f3"]);
    assert_eq!(migration.revision.depends_on, ["1a2b3c4d5e6f"]);
    assert_eq!(migration.revision.branch_labels, ["auth"]);
    assert_eq!(
        migration.external_depends_on,
        [ExternalDependency {
            database: "tool_registry".to_owned(),
            revision: "77ab01c9e4d2".to_owned()
        }]
    );
    assert_eq!(migration.message, "create users");
    assert_eq!(migration.created.as_deref(), Some("2026-11-21T10:00:00Z"));
    assert!(migration.transaction);
    assert_eq!(
        migration.upgrade.default.as_deref(),
        Some("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);")
    );
    assert!(migration.upgrade.dialects.is_empty());
    let downgrade = migration.downgrade.unwrap_or_default();
    assert_eq!(downgrade.default.as_deref(), Some("DROP TABLE users;"));
    assert_eq!(migration.path, "versions/test.sql");
    assert_eq!(migration.checksum.len(), 64);
    assert!(
        migration
            .checksum
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn header_lines_record_the_line_of_every_key_present() {
    let migration = parse_ok("\n-- revision: abc\n\n-- message: hello\n-- upgrade\nSELECT 1;\n");
    let lines: Vec<(&str, usize)> = migration.header_lines.iter().collect();
    assert_eq!(lines, [("message", 4), ("revision", 2)]);
    assert_eq!(migration.line_of("message"), 4);
    assert_eq!(migration.line_of("down_revision"), 1);
}

#[test]
fn defaults_apply_when_optional_keys_are_absent() {
    let migration = parse_ok(&with_header("-- revision: abc"));
    assert!(migration.revision.down_revisions.is_empty());
    assert!(migration.revision.depends_on.is_empty());
    assert!(migration.revision.branch_labels.is_empty());
    assert!(migration.external_depends_on.is_empty());
    assert_eq!(migration.message, "");
    assert_eq!(migration.created, None);
    assert!(migration.transaction);
}

#[test]
fn whitespace_around_keys_and_values_is_trimmed() {
    let migration = parse_ok(&with_header(
        "  --   revision  :   abc   \n--message:  two  words ",
    ));
    assert_eq!(migration.revision.id, "abc");
    assert_eq!(migration.message, "two  words");
}

#[test]
fn values_may_contain_colons() {
    let migration = parse_ok(&with_header(
        "-- revision: abc\n-- message: fix: users table",
    ));
    assert_eq!(migration.message, "fix: users table");
}

#[test]
fn malformed_header_line_is_an_error() {
    check_error(
        &with_header("-- revision: abc\n-- this migration creates users"),
        2,
        ParseErrorKind::MalformedHeaderLine {
            found: "-- this migration creates users".to_owned(),
        },
    );
    check_error(
        &with_header("-- revision: abc\nCREATE TABLE t (id INT);"),
        2,
        ParseErrorKind::MalformedHeaderLine {
            found: "CREATE TABLE t (id INT);".to_owned(),
        },
    );
    check_error(
        &with_header("-- Revision: abc"),
        1,
        ParseErrorKind::MalformedHeaderLine {
            found: "-- Revision: abc".to_owned(),
        },
    );
}

#[test]
fn unknown_key_is_an_error_with_a_suggestion_for_near_typos() {
    let text = with_header("-- revision: abc\n-- down_revison: def");
    check_error(
        &text,
        2,
        ParseErrorKind::UnknownHeaderKey {
            key: "down_revison".to_owned(),
            suggestion: Some("down_revision"),
        },
    );
    assert_eq!(
        parse_err_bytes(text.as_bytes()).to_string(),
        "versions/test.sql:2: unknown header key 'down_revison'; did you mean 'down_revision'? \
         known keys: revision, down_revision, depends_on, branch_labels, message, created, transaction"
    );
    check_error(
        &with_header("-- revision: abc\n-- author: me"),
        2,
        ParseErrorKind::UnknownHeaderKey {
            key: "author".to_owned(),
            suggestion: None,
        },
    );
}

#[test]
fn duplicate_key_is_an_error_naming_the_first_line() {
    check_error(
        &with_header("-- revision: abc\n-- message: one\n\n-- message: two"),
        4,
        ParseErrorKind::DuplicateHeaderKey {
            key: "message",
            first_line: 2,
        },
    );
}

#[test]
fn missing_revision_is_an_error_on_line_1() {
    check_error(
        "-- message: no id\n\n-- upgrade\nSELECT 1;\n",
        1,
        ParseErrorKind::MissingHeaderKey { key: "revision" },
    );
    check_error("", 1, ParseErrorKind::MissingHeaderKey { key: "revision" });
}

#[test]
fn bad_id_characters_are_an_error_carrying_the_revision_error() {
    check_error(
        &with_header("-- revision: abc-def"),
        1,
        ParseErrorKind::InvalidRevisionId {
            key: "revision",
            error: Box::new(RevisionError::InvalidId {
                id: "abc-def".to_owned(),
                bad_chars: vec!['-'],
            }),
        },
    );
    check_error(
        &with_header("-- revision: abc\n-- down_revision: a@b"),
        2,
        ParseErrorKind::InvalidRevisionId {
            key: "down_revision",
            error: Box::new(RevisionError::InvalidId {
                id: "a@b".to_owned(),
                bad_chars: vec!['@'],
            }),
        },
    );
    check_error(
        &with_header("-- revision:"),
        1,
        ParseErrorKind::InvalidRevisionId {
            key: "revision",
            error: Box::new(RevisionError::InvalidId {
                id: String::new(),
                bad_chars: Vec::new(),
            }),
        },
    );
    let message = parse_err_bytes(with_header("-- revision: abc-def").as_bytes()).to_string();
    assert!(
        message.starts_with("versions/test.sql:1: revision: invalid revision identifier 'abc-def'"),
        "{message}"
    );
}

#[test]
fn bad_transaction_value_is_an_error_naming_the_value() {
    check_error(
        &with_header("-- revision: abc\n-- transaction: yes"),
        2,
        ParseErrorKind::InvalidTransaction {
            value: "yes".to_owned(),
        },
    );
    let migration = parse_ok(&with_header("-- revision: abc\n-- transaction: false"));
    assert!(!migration.transaction);
}

#[test]
fn down_revision_none_or_empty_is_a_base() {
    for value in ["", "none", "None"] {
        let migration = parse_ok(&with_header(&format!(
            "-- revision: abc\n-- down_revision: {value}"
        )));
        assert!(
            migration.revision.down_revisions.is_empty(),
            "value {value:?}"
        );
    }
}

#[test]
fn merge_has_two_parents_in_declared_order() {
    let migration = parse_ok(&with_header(
        "-- revision: abc\n-- down_revision: f00d, beef",
    ));
    assert_eq!(migration.revision.down_revisions, ["f00d", "beef"]);
}

#[test]
fn duplicate_list_entry_is_an_error() {
    check_error(
        &with_header("-- revision: abc\n-- down_revision: f00d, f00d"),
        2,
        ParseErrorKind::DuplicateListEntry {
            key: "down_revision",
            entry: "f00d".to_owned(),
        },
    );
}

#[test]
fn empty_list_entry_is_an_error() {
    check_error(
        &with_header("-- revision: abc\n-- down_revision: a,,b"),
        2,
        ParseErrorKind::EmptyListEntry {
            key: "down_revision",
            value: "a,,b".to_owned(),
        },
    );
    check_error(
        &with_header("-- revision: abc\n-- depends_on: a,"),
        2,
        ParseErrorKind::EmptyListEntry {
            key: "depends_on",
            value: "a,".to_owned(),
        },
    );
    check_error(
        &with_header("-- revision: abc\n-- branch_labels: , auth"),
        2,
        ParseErrorKind::EmptyListEntry {
            key: "branch_labels",
            value: ", auth".to_owned(),
        },
    );
}

#[test]
fn depends_on_splits_external_and_local_entries() {
    let migration = parse_ok(&with_header(
        "-- revision: abc\n-- depends_on: auth, tool_registry:77ab, f00d, app2:x1",
    ));
    assert_eq!(migration.revision.depends_on, ["auth", "f00d"]);
    assert_eq!(
        migration.external_depends_on,
        [
            ExternalDependency {
                database: "tool_registry".to_owned(),
                revision: "77ab".to_owned()
            },
            ExternalDependency {
                database: "app2".to_owned(),
                revision: "x1".to_owned()
            },
        ]
    );
}

#[test]
fn depends_on_rejects_bad_entries() {
    check_error(
        &with_header("-- revision: abc\n-- depends_on: tool-registry:77ab"),
        2,
        ParseErrorKind::InvalidDatabaseName {
            entry: "tool-registry:77ab".to_owned(),
            database: "tool-registry".to_owned(),
        },
    );
    for entry in [":77ab", "tool_registry:", "a:b:c", "auth@head", "two words"] {
        check_error(
            &with_header(&format!("-- revision: abc\n-- depends_on: {entry}")),
            2,
            ParseErrorKind::InvalidDependency {
                entry: entry.to_owned(),
            },
        );
    }
}

#[test]
fn branch_labels_are_validated() {
    let migration = parse_ok(&with_header(
        "-- revision: abc\n-- branch_labels: auth, billing-v2",
    ));
    assert_eq!(migration.revision.branch_labels, ["auth", "billing-v2"]);
    check_error(
        &with_header("-- revision: abc\n-- branch_labels: auth@v2"),
        2,
        ParseErrorKind::InvalidBranchLabel {
            label: "auth@v2".to_owned(),
        },
    );
}

#[test]
fn dialect_sections_fall_back_to_the_plain_one() {
    let migration = parse_ok(
        "-- revision: abc\n\
         -- upgrade\nCREATE TABLE t (id INTEGER);\n\
         -- upgrade postgresql\nCREATE TABLE t (id SERIAL);\n\
         -- upgrade mariadb\nCREATE TABLE t (id INT AUTO_INCREMENT);\n\
         -- downgrade sqlite\nDROP TABLE t;\n",
    );
    assert_eq!(
        migration.upgrade.for_dialect(Dialect::Sqlite),
        Some("CREATE TABLE t (id INTEGER);")
    );
    assert_eq!(
        migration.upgrade.for_dialect(Dialect::Postgres),
        Some("CREATE TABLE t (id SERIAL);")
    );
    assert_eq!(
        migration.upgrade.for_dialect(Dialect::Mysql),
        Some("CREATE TABLE t (id INT AUTO_INCREMENT);")
    );
    let downgrade = migration.downgrade.unwrap_or_default();
    assert_eq!(downgrade.default, None);
    assert_eq!(
        downgrade.for_dialect(Dialect::Sqlite),
        Some("DROP TABLE t;")
    );
    assert_eq!(downgrade.for_dialect(Dialect::Postgres), None);
}

#[test]
fn a_dialect_only_upgrade_is_enough() {
    let migration = parse_ok("-- revision: abc\n-- upgrade postgres\nCREATE EXTENSION vector;\n");
    assert_eq!(migration.upgrade.default, None);
    assert_eq!(
        migration.upgrade.for_dialect(Dialect::Postgres),
        Some("CREATE EXTENSION vector;")
    );
    assert_eq!(migration.upgrade.for_dialect(Dialect::Sqlite), None);
}

#[test]
fn unknown_dialect_is_an_error_listing_the_valid_ones() {
    let text = "-- revision: abc\n-- upgrade\nSELECT 1;\n-- downgrade postgre\nSELECT 2;\n";
    check_error(
        text,
        4,
        ParseErrorKind::UnknownDialect {
            direction: "downgrade",
            word: "postgre".to_owned(),
            suggestion: Some("postgres"),
        },
    );
    assert_eq!(
        parse_err_bytes(text.as_bytes()).to_string(),
        "versions/test.sql:4: unknown dialect 'postgre' in section marker '-- downgrade postgre'; \
         did you mean 'postgres'? expected one of: sqlite, postgres, postgresql, mysql, mariadb"
    );
}

#[test]
fn duplicate_section_is_an_error_naming_the_first_line() {
    check_error(
        "-- revision: abc\n-- upgrade\nSELECT 1;\n-- upgrade\nSELECT 2;\n",
        4,
        ParseErrorKind::DuplicateSection {
            section: "upgrade".to_owned(),
            first_line: 2,
        },
    );
    check_error(
        "-- revision: abc\n-- upgrade postgres\nSELECT 1;\n\n-- upgrade postgresql\nSELECT 2;\n",
        5,
        ParseErrorKind::DuplicateSection {
            section: "upgrade postgres".to_owned(),
            first_line: 2,
        },
    );
}

#[test]
fn no_upgrade_section_is_an_error_after_the_header() {
    check_error(
        "-- revision: abc\n-- message: m\n\n\n-- downgrade\nDROP TABLE t;\n",
        3,
        ParseErrorKind::MissingUpgradeSection {
            found_downgrade: true,
        },
    );
    check_error(
        "-- revision: abc\n",
        2,
        ParseErrorKind::MissingUpgradeSection {
            found_downgrade: false,
        },
    );
}

#[test]
fn no_downgrade_section_is_irreversible() {
    let migration = parse_ok(&with_header("-- revision: abc"));
    assert_eq!(migration.downgrade, None);
}

#[test]
fn other_comments_inside_sections_are_sql() {
    let migration = parse_ok(
        "-- revision: abc\n-- upgrade\n\n\n-- revision: not a header\n-- upgrade the users table\nSELECT 1;  \n\n   \n-- downgrade\n",
    );
    assert_eq!(
        migration.upgrade.default.as_deref(),
        Some("-- revision: not a header\n-- upgrade the users table\nSELECT 1;  ")
    );
    assert_eq!(
        migration.downgrade.unwrap_or_default().default.as_deref(),
        Some("")
    );
}

#[test]
fn not_utf8_reports_offset_and_line_of_the_first_bad_byte() {
    let mut bytes = b"-- revision: abc\n-- upgrade\nSELECT '".to_vec();
    let offset = bytes.len();
    bytes.extend_from_slice(b"\xff';\n");
    let error = parse_err_bytes(&bytes);
    assert_eq!(
        (error.line, error.kind),
        (3, ParseErrorKind::NotUtf8 { offset })
    );
}

#[test]
fn bom_is_skipped_and_counted_in_offsets() {
    let text = with_header("-- revision: abc");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    let with_bom = match parse("versions/test.sql", &bytes) {
        Ok(migration) => migration,
        Err(error) => panic!("expected a migration, got: {error}"),
    };
    assert_eq!(with_bom, parse_ok(&text));

    let error = parse_err_bytes(b"\xEF\xBB\xBF\n\xC3(");
    assert_eq!(
        (error.line, error.kind),
        (2, ParseErrorKind::NotUtf8 { offset: 4 })
    );
}

#[test]
fn crlf_line_endings_are_accepted() {
    let crlf = EXAMPLE.replace('\n', "\r\n");
    assert_eq!(parse_ok(&crlf), parse_ok(EXAMPLE));
}

#[test]
fn checksum_is_stable_under_crlf_and_trailing_whitespace() {
    let original = parse_ok(EXAMPLE).checksum;
    let resaved = format!("\r\n\n{}\r\n\r\n", EXAMPLE.replace('\n', "  \t\r\n"));
    assert_eq!(parse_ok(&resaved).checksum, original);
}

#[test]
fn checksum_changes_with_an_sql_edit() {
    let original = parse_ok(EXAMPLE).checksum;
    let edited = EXAMPLE.replace("DROP TABLE users;", "DROP TABLE IF EXISTS users;");
    assert_ne!(parse_ok(&edited).checksum, original);
    let reindented = EXAMPLE.replace("DROP TABLE users;", "  DROP TABLE users;");
    assert_ne!(parse_ok(&reindented).checksum, original);
}

/// The checksum hashes lines as they come; it must equal the hash of the normalised text
/// built in one piece (the definition in the module doc).
#[test]
fn streamed_checksum_equals_the_checksum_of_the_joined_text() {
    fn joined(text: &str) -> String {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
        let first = lines.iter().position(|line| !line.is_empty());
        let last = lines.iter().rposition(|line| !line.is_empty());
        let content = match (first, last) {
            (Some(first), Some(last)) => lines[first..=last].join("\n"),
            _ => String::new(),
        };
        format!("{:x}", sha2::Sha256::digest(content.as_bytes()))
    }
    use sha2::Digest as _;
    for text in [
        "",
        "\n\n",
        "a",
        "\u{feff}a\r\n\r\n b \t\r\n\n\nc  \n\n",
        "\n \n-- revision: x\n\n\n-- upgrade\nSELECT 1;   \n\t\n",
        "x\n\ny\n\n\nz",
        " \u{3000}lead\n",
    ] {
        assert_eq!(super::normalised_checksum(text), joined(text), "{text:?}");
    }
}
