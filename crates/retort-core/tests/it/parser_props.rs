//! Property tests of the migration file parser: no input makes it panic, every error points at a
//! line of the file, and CRLF line endings parse exactly as LF ones.

use proptest::prelude::*;
use proptest::sample::Index;

use retort_core::file::parse;

/// A valid migration file, the starting point of the mutation tests.
const VALID_LINES: [&str; 14] = [
    "-- revision: 3f1c2a9b7d10",
    "-- down_revision: 9a0e44c1b2f3, 0b1c",
    "-- depends_on: tool_registry:77ab01c9e4d2, 1a2b3c4d5e6f",
    "-- branch_labels: auth",
    "-- message: create users",
    "-- created: 2026-11-21T10:00:00Z",
    "-- transaction: true",
    "",
    "-- upgrade",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
    "-- upgrade postgres",
    "CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT NOT NULL);",
    "-- downgrade",
    "DROP TABLE users;",
];

/// The path given to the parser in every case.
const PATH: &str = "versions/prop.sql";

/// One line, biased towards what the parser treats specially.
fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&VALID_LINES[..]).prop_map(str::to_owned),
        prop::sample::select(
            &[
                "-- upgrade",
                "-- downgrade",
                "-- upgrade sqlite",
                "-- downgrade mariadb",
                "-- upgrade postgre",
                "-- upgrade the table",
                "-- revision:",
                "-- down_revision: none",
                "-- down_revision: a,,b",
                "-- depends_on: :x, a:b:c",
                "-- transaction: maybe",
                "-- revison: abc",
                "--",
                "-- :",
                "\u{feff}",
                "   ",
                "é",
            ][..]
        )
        .prop_map(str::to_owned),
        ("[a-z_]{0,16}", "\\PC{0,24}").prop_map(|(key, value)| format!("-- {key}: {value}")),
        ("(up|down)grade", "( [a-z]{0,12}){0,3}")
            .prop_map(|(direction, rest)| format!("-- {direction}{rest}")),
        "\\PC{0,40}",
        any::<String>(),
    ]
}

/// One edit of a file's lines.
#[derive(Debug, Clone)]
enum Mutation {
    Insert(Index, String),
    Delete(Index),
    Replace(Index, String),
}

/// One insertion, deletion or replacement of a line, at any position.
fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), line_strategy()).prop_map(|(index, line)| Mutation::Insert(index, line)),
        any::<Index>().prop_map(Mutation::Delete),
        (any::<Index>(), line_strategy()).prop_map(|(index, line)| Mutation::Replace(index, line)),
    ]
}

/// Applies `mutations` to the valid file's lines, in order.
fn mutate(mutations: &[Mutation]) -> Vec<String> {
    let mut lines: Vec<String> = VALID_LINES.iter().map(|line| (*line).to_owned()).collect();
    for mutation in mutations {
        match mutation {
            Mutation::Insert(index, line) => {
                let position = index.index(lines.len() + 1);
                lines.insert(position, line.clone());
            }
            Mutation::Delete(index) if !lines.is_empty() => {
                let position = index.index(lines.len());
                lines.remove(position);
            }
            Mutation::Replace(index, line) if !lines.is_empty() => {
                let position = index.index(lines.len());
                if let Some(slot) = lines.get_mut(position) {
                    slot.clone_from(line);
                }
            }
            Mutation::Delete(_) | Mutation::Replace(..) => {}
        }
    }
    lines
}

/// Parses `bytes` and checks what holds for every input: no panic (a panic fails the case), a
/// well-formed checksum on success, and an error that points at a line of the file.
fn check_parse(bytes: &[u8]) -> Result<(), TestCaseError> {
    let line_count = bytes.split(|byte| *byte == b'\n').count();
    match parse(PATH, bytes) {
        Ok(migration) => {
            prop_assert_eq!(migration.checksum.len(), 64);
            prop_assert!(!migration.revision.id.is_empty());
            prop_assert!(
                migration.upgrade.default.is_some() || !migration.upgrade.dialects.is_empty()
            );
        }
        Err(error) => {
            prop_assert!(
                error.line >= 1 && error.line <= line_count + 1,
                "line {} of {}",
                error.line,
                line_count
            );
            let message = error.to_string();
            let prefix = format!("{PATH}:{}: ", error.line);
            prop_assert!(message.starts_with(&prefix), "message: {}", message);
            prop_assert!(!message.ends_with('.'), "message: {}", message);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_parse(&bytes)?;
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in prop::collection::vec(line_strategy(), 0..24)) {
        check_parse(lines.join("\n").as_bytes())?;
    }

    #[test]
    fn mutations_of_a_valid_file_never_panic(mutations in prop::collection::vec(mutation_strategy(), 0..8)) {
        let text = mutate(&mutations).join("\n");
        check_parse(text.as_bytes())?;
    }

    #[test]
    fn crlf_parses_exactly_as_lf(mutations in prop::collection::vec(mutation_strategy(), 0..8)) {
        let text = mutate(&mutations).join("\n");
        prop_assume!(!text.contains('\r'));
        let crlf = text.replace('\n', "\r\n");
        prop_assert_eq!(parse(PATH, crlf.as_bytes()), parse(PATH, text.as_bytes()));
    }
}

#[test]
fn the_unmutated_file_is_valid() {
    let text = mutate(&[]).join("\n");
    assert!(
        parse(PATH, text.as_bytes()).is_ok(),
        "{:?}",
        parse(PATH, text.as_bytes())
    );
}
