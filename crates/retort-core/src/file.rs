//! The migration file format: `-- key: value` headers, then `-- upgrade` and `-- downgrade`
//! sections, optionally per dialect. Parsing reports every problem with file, line and what was
//! expected, and never panics; checksums are taken over normalised content.
//!
//! The rules `parse` enforces:
//!
//! - Encoding: the bytes must be UTF-8 (else [`ParseErrorKind::NotUtf8`] with the byte offset,
//!   and the line, of the first bad byte). A leading BOM is skipped; CRLF line endings are
//!   accepted and read as LF.
//! - Header: the lines before the first section marker. Each non-blank one is
//!   `-- key: value`, with `key` made of `[a-z_]` and whitespace around key and value trimmed.
//!   The keys are `revision` (required), `down_revision` (required by `MigrationSet::load`; an
//!   empty value or `none` makes a base), `depends_on`, `branch_labels`,
//!   `message` (default empty), `created` (verbatim) and `transaction` (`true` or `false`,
//!   default `true`). An unknown key (with a suggestion when it is a near typo), a repeated
//!   key, or any other non-blank line is an error.
//! - Lists: `down_revision`, `depends_on` and `branch_labels` are comma-separated; empty or
//!   `none`/`None` means no entries. Empty entries (`a,,b`, a trailing comma) and repeated
//!   entries are errors. `down_revision` entries are revision ids (several make a merge).
//!   A `depends_on` entry `db:rev` (exactly one `:`, `db` of `[A-Za-z0-9_]`) depends on another
//!   database; any other entry is a same-database revision id or branch label. Branch labels
//!   have no whitespace and none of `@ , :`.
//! - Sections: a line that is, once trimmed, `-- upgrade` or `-- downgrade`, optionally followed
//!   by one dialect word: `sqlite`, `postgres` (or `postgresql`), `mysql` (or `mariadb`). An
//!   unknown word there is an error; a marker line with more words is SQL, as is any other
//!   comment. A section's body is its lines up to the next marker, verbatim but for leading and
//!   trailing blank lines. A section given twice is an error.
//! - At least one upgrade section (plain or per dialect) is required. Without any downgrade
//!   section the migration is irreversible (`downgrade: None`).
//! - Checksum: hex SHA-256 of the normalised text (BOM skipped, every line's trailing
//!   whitespace, `\r` included, stripped, the file's leading and trailing blank lines dropped,
//!   lines joined with `\n`). Re-saving with CRLF or trailing spaces keeps it; any other edit
//!   changes it.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::RevisionError;
use crate::revision::{Revision, validate_revision_id};

/// The SQL dialects retort runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    /// The name used in section markers (`-- upgrade postgres`) and in config.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        }
    }

    /// The dialect a section-marker word names, aliases (`postgresql`, `mariadb`) included.
    pub fn from_marker_word(word: &str) -> Option<Dialect> {
        match word {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            _ => None,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dependency on a revision of another database: `depends_on: tool_registry:77ab01c9e4d2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalDependency {
    pub database: String,
    pub revision: String,
}

/// The SQL of one direction: a plain section and dialect-specific ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    /// The plain `-- upgrade` section, serving every dialect without its own.
    pub default: Option<String>,
    /// `-- upgrade postgres` and friends.
    pub dialects: BTreeMap<Dialect, String>,
}

impl Sections {
    /// The SQL for `dialect`: its own section, else the plain one.
    pub fn for_dialect(&self, dialect: Dialect) -> Option<&str> {
        self.dialects
            .get(&dialect)
            .or(self.default.as_ref())
            .map(String::as_str)
    }
}

/// One parsed migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The graph data: id, down_revisions, same-database depends_on, branch labels.
    pub revision: Revision,
    /// Cross-database dependencies (`db:rev` entries of `depends_on`).
    pub external_depends_on: Vec<ExternalDependency>,
    /// The `message` header (empty when absent).
    pub message: String,
    /// The `created` header, verbatim.
    pub created: Option<String>,
    /// `transaction: false` runs the migration outside a transaction.
    pub transaction: bool,
    /// The upgrade SQL.
    pub upgrade: Sections,
    /// The downgrade SQL; `None` when the file has no downgrade section (irreversible).
    pub downgrade: Option<Sections>,
    /// Hex SHA-256 over the normalised content.
    pub checksum: String,
    /// The path the file was read from, as given to the parser (for messages).
    pub path: String,
    /// The 1-based line of each header key, for messages that point into the file.
    pub header_lines: HeaderLines,
}

/// The 1-based line of each header key a file gives, for messages that point into the file.
///
/// One number per key of [`HEADER_KEYS`], kept inline: a map of small strings per file was the
/// largest part of a loaded migration's memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderLines {
    /// By position in [`HEADER_KEYS`]; 0 when the file does not give the key.
    lines: [u32; HEADER_KEYS.len()],
}

impl HeaderLines {
    /// The line of `key`, when the file gives it.
    pub fn get(&self, key: &str) -> Option<usize> {
        let position = HEADER_KEYS.iter().position(|known| *known == key)?;
        let line = self.lines[position];
        (line > 0).then_some(line as usize)
    }

    /// Whether the file gives `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The keys the file gives with their lines, keys in alphabetical order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        let mut keys = HEADER_KEYS;
        keys.sort_unstable();
        keys.into_iter().filter_map(|key| Some((key, self.get(key)?)))
    }

    /// Records the line of a key of [`HEADER_KEYS`].
    fn insert(&mut self, key: &str, line: usize) {
        if let Some(position) = HEADER_KEYS.iter().position(|known| *known == key) {
            self.lines[position] = u32::try_from(line).unwrap_or(u32::MAX);
        }
    }
}

/// Why a migration has no SQL to run in some direction for some dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingSql {
    /// The file has no downgrade section at all.
    Irreversible,
    /// The file has sections for that direction, but none plain and none for the dialect.
    NoSectionForDialect,
}

impl Migration {
    /// The SQL to run for `direction` on `dialect`: the dialect's own section, else the plain one.
    pub fn sql(&self, direction: crate::plan::Direction, dialect: Dialect) -> Result<&str, MissingSql> {
        let sections = match direction {
            crate::plan::Direction::Up => &self.upgrade,
            crate::plan::Direction::Down => self.downgrade.as_ref().ok_or(MissingSql::Irreversible)?,
        };
        sections.for_dialect(dialect).ok_or(MissingSql::NoSectionForDialect)
    }

    /// The line of a header key, or 1 when the file does not have it.
    pub fn line_of(&self, key: &str) -> usize {
        self.header_lines.get(key).unwrap_or(1)
    }
}

/// A problem in a migration file: where it is and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {kind}")]
pub struct ParseError {
    pub path: String,
    pub line: usize,
    pub kind: ParseErrorKind,
}

/// What is wrong in a migration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    #[error("file is not valid UTF-8 (first bad byte at offset {offset}); save it as UTF-8")]
    NotUtf8 { offset: usize },
    #[error(
        "expected a header line '-- key: value' (key of lowercase letters and '_') or a section marker '-- upgrade', found '{found}'"
    )]
    MalformedHeaderLine { found: String },
    #[error(
        "unknown header key '{key}'{}known keys: {}",
        did_you_mean(*suggestion),
        HEADER_KEYS.join(", ")
    )]
    UnknownHeaderKey {
        key: String,
        suggestion: Option<&'static str>,
    },
    #[error("duplicate header key '{key}'; first given on line {first_line}")]
    DuplicateHeaderKey {
        key: &'static str,
        first_line: usize,
    },
    #[error(
        "missing required header key '{key}'; expected a line '-- {key}: ...' before the first section{}",
        if *key == "down_revision" { " (leave the value empty for a base revision)" } else { "" }
    )]
    MissingHeaderKey { key: &'static str },
    #[error("{key}: {error}")]
    InvalidRevisionId {
        key: &'static str,
        error: Box<RevisionError>,
    },
    #[error("empty entry in {key} '{value}'; expected comma-separated entries, none of them empty")]
    EmptyListEntry { key: &'static str, value: String },
    #[error("'{entry}' is listed more than once in {key}")]
    DuplicateListEntry { key: &'static str, entry: String },
    #[error(
        "invalid database name '{database}' in depends_on entry '{entry}'; expected letters, digits and '_'"
    )]
    InvalidDatabaseName { entry: String, database: String },
    #[error(
        "invalid depends_on entry '{entry}'; expected a revision id, a branch label or 'database:revision'"
    )]
    InvalidDependency { entry: String },
    #[error("invalid branch label '{label}'; expected a name without whitespace or any of '@ , :'")]
    InvalidBranchLabel { label: String },
    #[error("invalid transaction value '{value}'; expected 'true' or 'false'")]
    InvalidTransaction { value: String },
    #[error(
        "unknown dialect '{word}' in section marker '-- {direction} {word}'{}expected one of: {}",
        did_you_mean(*suggestion),
        DIALECT_WORDS.join(", ")
    )]
    UnknownDialect {
        direction: &'static str,
        word: String,
        suggestion: Option<&'static str>,
    },
    #[error("duplicate section '-- {section}'; first given on line {first_line}")]
    DuplicateSection { section: String, first_line: usize },
    #[error(
        "expected a '-- upgrade' section, found {}",
        if *found_downgrade { "only downgrade sections" } else { "none" }
    )]
    MissingUpgradeSection { found_downgrade: bool },
}

/// The header keys a migration file may have, in their conventional order.
pub const HEADER_KEYS: [&str; 7] = [
    "revision",
    "down_revision",
    "depends_on",
    "branch_labels",
    "message",
    "created",
    "transaction",
];

/// The words a section marker accepts after `-- upgrade` or `-- downgrade`.
pub const DIALECT_WORDS: [&str; 5] = ["sqlite", "postgres", "postgresql", "mysql", "mariadb"];

/// Parses one migration file. `path` is only used in messages and stored in the result.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Migration, ParseError> {
    let error_at = |line: usize, kind: ParseErrorKind| ParseError {
        path: path.to_owned(),
        line,
        kind,
    };
    let text = decode(bytes).map_err(|(line, kind)| error_at(line, kind))?;
    let mut parser = Parser::new(text);
    // The checksum is taken in the same pass over the lines.
    let mut checksum = ChecksumHasher::default();
    let mut line_start = 0;
    for (line_index, raw_line) in text.split('\n').enumerate() {
        let line_number = line_index + 1;
        checksum.line(if line_index == 0 { raw_line.strip_prefix('\u{feff}').unwrap_or(raw_line) } else { raw_line });
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        parser
            .feed(line_number, line_start, line)
            .map_err(|(line, kind)| error_at(line, kind))?;
        line_start += raw_line.len() + 1;
    }
    parser
        .finish(path, checksum.finish())
        .map_err(|(line, kind)| error_at(line, kind))
}

/// The hex SHA-256 of `text` once normalised: CRLF read as LF, every line's trailing whitespace
/// stripped, the leading and trailing blank lines dropped, lines joined with `\n`.
pub fn normalised_checksum(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut checksum = ChecksumHasher::default();
    for line in text.split('\n') {
        checksum.line(line);
    }
    checksum.finish()
}

/// [`normalised_checksum`] fed one line at a time.
#[derive(Default)]
struct ChecksumHasher {
    hasher: Sha256,
    started: bool,
    /// Blank lines are held back until a line with content follows, so leading and trailing
    /// blank lines never reach the hash.
    held_blank_lines: usize,
}

impl ChecksumHasher {
    /// Adds a line, without its `\n`.
    fn line(&mut self, line: &str) {
        let line = line.trim_end();
        if line.is_empty() {
            self.held_blank_lines += usize::from(self.started);
            return;
        }
        if self.started {
            for _ in 0..=self.held_blank_lines {
                self.hasher.update(b"\n");
            }
        }
        self.hasher.update(line.as_bytes());
        self.started = true;
        self.held_blank_lines = 0;
    }

    fn finish(self) -> String {
        hex_lower(&self.hasher.finalize())
    }
}

/// Lowercase hex, as `hex::encode` writes it.
fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The UTF-8 byte-order mark that `parse` skips.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes the file, skipping a BOM; a failure is reported with its line and byte offset.
fn decode(bytes: &[u8]) -> Result<&str, (usize, ParseErrorKind)> {
    let (bom_length, content) = match bytes.strip_prefix(BOM) {
        Some(rest) => (BOM.len(), rest),
        None => (0, bytes),
    };
    std::str::from_utf8(content).map_err(|utf8_error| {
        let offset = bom_length + utf8_error.valid_up_to();
        let line = 1 + bytes
            .iter()
            .take(offset)
            .filter(|byte| **byte == b'\n')
            .count();
        (line, ParseErrorKind::NotUtf8 { offset })
    })
}

/// Which way a section runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SectionDirection {
    Upgrade,
    Downgrade,
}

impl SectionDirection {
    /// The word of the section marker.
    fn name(self) -> &'static str {
        match self {
            SectionDirection::Upgrade => "upgrade",
            SectionDirection::Downgrade => "downgrade",
        }
    }
}

/// A section marker: its direction and, for a dialect-specific section, the dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SectionKey {
    direction: SectionDirection,
    dialect: Option<Dialect>,
}

impl fmt::Display for SectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.dialect {
            Some(dialect) => write!(f, "{} {dialect}", self.direction.name()),
            None => f.write_str(self.direction.name()),
        }
    }
}

/// Reads a line as a section marker: `Ok(None)` when it is not one.
fn section_marker(line: &str) -> Result<Option<SectionKey>, ParseErrorKind> {
    // Most lines are SQL: only a line whose first word is `--` can be a marker.
    if !line.trim_start().starts_with("--") {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let (Some("--"), Some(direction), dialect_word, None) = (words.next(), words.next(), words.next(), words.next()) else {
        return Ok(None);
    };
    let direction = match direction {
        "upgrade" => SectionDirection::Upgrade,
        "downgrade" => SectionDirection::Downgrade,
        _ => return Ok(None),
    };
    let dialect = match dialect_word {
        None => None,
        Some(word) => match Dialect::from_marker_word(word) {
            Some(dialect) => Some(dialect),
            None => {
                return Err(ParseErrorKind::UnknownDialect {
                    direction: direction.name(),
                    word: word.to_owned(),
                    suggestion: closest(word, &DIALECT_WORDS),
                });
            }
        },
    };
    Ok(Some(SectionKey { direction, dialect }))
}

/// The header values read so far.
#[derive(Debug, Default)]
struct Header {
    revision: Option<String>,
    down_revisions: Vec<String>,
    depends_on: Vec<String>,
    external_depends_on: Vec<ExternalDependency>,
    branch_labels: Vec<String>,
    message: String,
    created: Option<String>,
    transaction: Option<bool>,
    /// The line of each key given.
    key_lines: HeaderLines,
    /// The last non-blank header line, 0 when there is none.
    last_line: usize,
}

/// The section being read: its marker, and where its content lines are in the text.
#[derive(Debug)]
struct OpenSection {
    key: SectionKey,
    /// From the start of the first non-blank body line to the end of the last one (its `\r`
    /// excluded): the body is this slice of the text, blank lines around it dropped.
    content: Option<(usize, usize)>,
}

/// The line of each section marker seen so far, one slot per direction and dialect.
#[derive(Debug, Default)]
struct SectionLines {
    /// By [`SectionLines::slot`]; 0 when the section has not been seen.
    lines: [usize; 8],
}

impl SectionLines {
    fn slot(key: SectionKey) -> usize {
        let dialect = match key.dialect {
            None => 0,
            Some(Dialect::Sqlite) => 1,
            Some(Dialect::Postgres) => 2,
            Some(Dialect::Mysql) => 3,
        };
        let direction = match key.direction {
            SectionDirection::Upgrade => 0,
            SectionDirection::Downgrade => 4,
        };
        direction + dialect
    }

    fn get(&self, key: SectionKey) -> Option<usize> {
        let line = self.lines[Self::slot(key)];
        (line > 0).then_some(line)
    }

    fn insert(&mut self, key: SectionKey, line: usize) {
        self.lines[Self::slot(key)] = line;
    }

    fn has_upgrade(&self) -> bool {
        self.lines[..4].iter().any(|&line| line > 0)
    }

    fn is_empty(&self) -> bool {
        self.lines.iter().all(|&line| line == 0)
    }
}

/// The parse state, fed one line at a time.
#[derive(Debug)]
struct Parser<'text> {
    /// The whole file, BOM skipped, that section bodies are cut from.
    text: &'text str,
    header: Header,
    /// `None` while still in the header.
    open_section: Option<OpenSection>,
    /// Sections closed so far, with the line of their marker.
    section_lines: SectionLines,
    upgrade: Sections,
    downgrade: Option<Sections>,
}

impl<'text> Parser<'text> {
    fn new(text: &'text str) -> Parser<'text> {
        Parser {
            text,
            header: Header::default(),
            open_section: None,
            section_lines: SectionLines::default(),
            upgrade: Sections::default(),
            downgrade: None,
        }
    }

    /// Reads one line (without its line ending), which starts at byte `line_start` of the text.
    /// An error comes with the line it belongs on.
    fn feed(
        &mut self,
        line_number: usize,
        line_start: usize,
        line: &'text str,
    ) -> Result<(), (usize, ParseErrorKind)> {
        let at_this_line = |kind| (line_number, kind);
        if let Some(key) = section_marker(line).map_err(at_this_line)? {
            if let Some(first_line) = self.section_lines.get(key) {
                return Err(at_this_line(ParseErrorKind::DuplicateSection {
                    section: key.to_string(),
                    first_line,
                }));
            }
            if self.open_section.is_none() {
                self.check_required_header().map_err(|kind| (1, kind))?;
            }
            self.close_section();
            self.section_lines.insert(key, line_number);
            self.open_section = Some(OpenSection { key, content: None });
            return Ok(());
        }
        match &mut self.open_section {
            Some(open_section) => {
                if !line.trim().is_empty() {
                    let line_end = line_start + line.len();
                    let first_start = open_section.content.map_or(line_start, |(start, _)| start);
                    open_section.content = Some((first_start, line_end));
                }
            }
            None if line.trim().is_empty() => {}
            None => {
                self.header
                    .read_line(line_number, line)
                    .map_err(at_this_line)?;
                self.header.last_line = line_number;
            }
        }
        Ok(())
    }

    /// Checks the whole file once every line is read, and builds the migration.
    fn finish(
        mut self,
        path: &str,
        checksum: String,
    ) -> Result<Migration, (usize, ParseErrorKind)> {
        if self.open_section.is_none() {
            self.check_required_header().map_err(|kind| (1, kind))?;
        }
        self.close_section();
        let has_upgrade = self.section_lines.has_upgrade();
        if !has_upgrade {
            let found_downgrade = !self.section_lines.is_empty();
            return Err((
                self.header.last_line + 1,
                ParseErrorKind::MissingUpgradeSection { found_downgrade },
            ));
        }
        let header = self.header;
        let id = header.revision.unwrap_or_default();
        Ok(Migration {
            revision: Revision {
                id,
                down_revisions: header.down_revisions,
                depends_on: header.depends_on,
                branch_labels: header.branch_labels,
            },
            external_depends_on: header.external_depends_on,
            message: header.message,
            created: header.created,
            transaction: header.transaction.unwrap_or(true),
            upgrade: self.upgrade,
            downgrade: self.downgrade,
            checksum,
            path: path.to_owned(),
            header_lines: header.key_lines,
        })
    }

    /// The header is over: the required keys must be there. The error belongs on line 1.
    fn check_required_header(&self) -> Result<(), ParseErrorKind> {
        if self.header.revision.is_none() {
            return Err(ParseErrorKind::MissingHeaderKey { key: "revision" });
        }
        Ok(())
    }

    /// Stores the open section's body, trimmed of leading and trailing blank lines.
    fn close_section(&mut self) {
        let Some(OpenSection { key, content }) = self.open_section.take() else {
            return;
        };
        let body = match content {
            Some((start, end)) => body_text(self.text.get(start..end).unwrap_or_default()),
            None => String::new(),
        };
        let sections = match key.direction {
            SectionDirection::Upgrade => &mut self.upgrade,
            SectionDirection::Downgrade => self.downgrade.get_or_insert_with(Sections::default),
        };
        match key.dialect {
            Some(dialect) => {
                sections.dialects.insert(dialect, body);
            }
            None => sections.default = Some(body),
        }
    }
}

/// A section body as the lines from its first to its last content line joined with `\n`: the
/// text itself, unless some of those lines end in `\r\n`.
fn body_text(lines: &str) -> String {
    if !lines.contains('\r') {
        return lines.to_owned();
    }
    let mut body = String::with_capacity(lines.len());
    let mut pieces = lines.split('\n').peekable();
    while let Some(piece) = pieces.next() {
        // The last line's `\r` is already outside `lines`; any other `\r` stays.
        match pieces.peek() {
            Some(_) => {
                body.push_str(piece.strip_suffix('\r').unwrap_or(piece));
                body.push('\n');
            }
            None => body.push_str(piece),
        }
    }
    body
}

impl Header {
    /// Reads one non-blank header line, which must be `-- key: value` with a known, new key.
    fn read_line(&mut self, line_number: usize, line: &str) -> Result<(), ParseErrorKind> {
        let malformed = || ParseErrorKind::MalformedHeaderLine {
            found: shorten(line.trim()),
        };
        let (raw_key, value) = line
            .trim()
            .strip_prefix("--")
            .and_then(|rest| rest.split_once(':'))
            .ok_or_else(malformed)?;
        let raw_key = raw_key.trim();
        let value = value.trim();
        if raw_key.is_empty() || !raw_key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(malformed());
        }
        let Some(key) = HEADER_KEYS.iter().copied().find(|known| *known == raw_key) else {
            return Err(ParseErrorKind::UnknownHeaderKey {
                key: raw_key.to_owned(),
                suggestion: closest(raw_key, &HEADER_KEYS),
            });
        };
        if let Some(first_line) = self.key_lines.get(key) {
            return Err(ParseErrorKind::DuplicateHeaderKey { key, first_line });
        }
        self.read_value(key, value)?;
        self.key_lines.insert(key, line_number);
        Ok(())
    }

    /// Validates and stores the value of a known key.
    fn read_value(&mut self, key: &'static str, value: &str) -> Result<(), ParseErrorKind> {
        let invalid_id = |error| ParseErrorKind::InvalidRevisionId {
            key,
            error: Box::new(error),
        };
        match key {
            "revision" => {
                validate_revision_id(value).map_err(invalid_id)?;
                self.revision = Some(value.to_owned());
            }
            "down_revision" => {
                for entry in split_list(key, value)? {
                    validate_revision_id(entry).map_err(invalid_id)?;
                    self.down_revisions.push(entry.to_owned());
                }
            }
            "depends_on" => {
                for entry in split_list(key, value)? {
                    match read_dependency(entry)? {
                        Dependency::Local => self.depends_on.push(entry.to_owned()),
                        Dependency::External(external) => self.external_depends_on.push(external),
                    }
                }
            }
            "branch_labels" => {
                for entry in split_list(key, value)? {
                    if !is_valid_label(entry) {
                        return Err(ParseErrorKind::InvalidBranchLabel {
                            label: entry.to_owned(),
                        });
                    }
                    self.branch_labels.push(entry.to_owned());
                }
            }
            "message" => self.message = value.to_owned(),
            "created" => self.created = (!value.is_empty()).then(|| value.to_owned()),
            "transaction" => {
                self.transaction = Some(match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ParseErrorKind::InvalidTransaction {
                            value: value.to_owned(),
                        });
                    }
                });
            }
            _ => {}
        }
        Ok(())
    }
}

/// What a `depends_on` entry names.
enum Dependency {
    /// A revision id or branch label of the same database.
    Local,
    /// A revision of another database.
    External(ExternalDependency),
}

/// Reads a `depends_on` entry: `db:rev` across databases, else a same-database id or label.
fn read_dependency(entry: &str) -> Result<Dependency, ParseErrorKind> {
    let invalid = || ParseErrorKind::InvalidDependency {
        entry: entry.to_owned(),
    };
    let Some((database, revision)) = entry.split_once(':') else {
        return if is_valid_label(entry) {
            Ok(Dependency::Local)
        } else {
            Err(invalid())
        };
    };
    if database.is_empty() || revision.is_empty() || !is_valid_label(revision) {
        return Err(invalid());
    }
    if !database
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ParseErrorKind::InvalidDatabaseName {
            entry: entry.to_owned(),
            database: database.to_owned(),
        });
    }
    Ok(Dependency::External(ExternalDependency {
        database: database.to_owned(),
        revision: revision.to_owned(),
    }))
}

/// Splits a comma-separated header value into trimmed entries. An empty value or `none`/`None`
/// is the empty list; empty and repeated entries are errors.
fn split_list<'value>(
    key: &'static str,
    value: &'value str,
) -> Result<Vec<&'value str>, ParseErrorKind> {
    if value.is_empty() || value == "none" || value == "None" {
        return Ok(Vec::new());
    }
    let mut entries: Vec<&str> = Vec::new();
    for entry in value.split(',').map(str::trim) {
        if entry.is_empty() {
            return Err(ParseErrorKind::EmptyListEntry {
                key,
                value: shorten(value),
            });
        }
        if entries.contains(&entry) {
            return Err(ParseErrorKind::DuplicateListEntry {
                key,
                entry: entry.to_owned(),
            });
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// Whether `name` can be a branch label (or a `depends_on` target): non-empty, without
/// whitespace or any of `@ , :`.
fn is_valid_label(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '@' | ',' | ':'))
}

/// The candidate closest to `word` by edit distance, when it is a near typo (distance 1 or 2).
fn closest(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    candidates
        .iter()
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The Levenshtein distance between two strings, counted in characters.
fn edit_distance(left: &str, right: &str) -> usize {
    let right_chars: Vec<char> = right.chars().collect();
    let mut previous_row: Vec<usize> = (0..=right_chars.len()).collect();
    for (left_index, left_char) in left.chars().enumerate() {
        let mut current_row = Vec::with_capacity(previous_row.len());
        current_row.push(left_index + 1);
        for (right_index, right_char) in right_chars.iter().enumerate() {
            let substitution = previous_row
                .get(right_index)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(usize::from(left_char != *right_char));
            let deletion = previous_row
                .get(right_index + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let insertion = current_row
                .last()
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            current_row.push(substitution.min(deletion).min(insertion));
        }
        previous_row = current_row;
    }
    previous_row.last().copied().unwrap_or(0)
}

/// The separator between an unknown name and the list of known ones, with the suggestion.
fn did_you_mean(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(known) => format!("; did you mean '{known}'? "),
        None => "; ".to_owned(),
    }
}

/// Cuts a quoted piece of user input to a readable length for messages.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    if text.chars().count() <= MAX_CHARS {
        return text.to_owned();
    }
    let mut shortened: String = text.chars().take(MAX_CHARS).collect();
    shortened.push('…');
    shortened
}

#[cfg(test)]
mod tests;
