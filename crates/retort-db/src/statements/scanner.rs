//! The lexical layer of the splitter: SQL text into tokens, with quotes, comments and dollar
//! quotes recognised per dialect, so that a `;` inside any of them never ends a statement.
//!
//! Only what decides statement boundaries is distinguished; everything else (numbers, operators)
//! is an opaque [`TokenKind::Other`]. Unterminated quotes and comments run to the end of the
//! text: the server reports the syntax error, the splitter never does.

use retort_core::Dialect;

/// What a token is, as far as statement boundaries care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A bare identifier or keyword.
    Word,
    /// A string literal, quoted identifier or dollar-quoted body: opaque.
    Quoted,
    /// `--`, `#` (MySQL) or `/* */`: not part of any statement's significant text.
    Comment,
    /// MySQL's `/*! ... */` and `/*+ ... */`: comments the server executes, so significant.
    ExecutableComment,
    Semicolon,
    OpenParen,
    CloseParen,
    Comma,
    /// A `:` that is not part of `:=` or `::` (a MySQL block label).
    Colon,
    /// Anything else: numbers, operators, punctuation.
    Other,
}

/// One token: its kind and its byte range in the text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Token {
    /// Whether the token belongs to a statement's text (comments and whitespace do not).
    pub(super) fn is_significant(&self) -> bool {
        self.kind != TokenKind::Comment
    }
}

/// Every token of `sql`, whitespace skipped.
pub(super) fn tokenize(dialect: Dialect, sql: &str) -> Vec<Token> {
    let mut scanner = Scanner {
        dialect,
        text: sql,
        bytes: sql.as_bytes(),
        position: 0,
    };
    let mut tokens = Vec::new();
    while let Some(token) = scanner.next_token() {
        tokens.push(token);
    }
    tokens
}

struct Scanner<'a> {
    dialect: Dialect,
    text: &'a str,
    bytes: &'a [u8],
    position: usize,
}

impl Scanner<'_> {
    fn next_token(&mut self) -> Option<Token> {
        self.skip_whitespace();
        let start = self.position;
        let first = *self.bytes.get(start)?;
        let second = self.bytes.get(start + 1).copied();
        let kind = match (first, second) {
            (b'-', Some(b'-')) if self.double_dash_starts_comment(start) => {
                self.skip_to_end_of_line();
                TokenKind::Comment
            }
            (b'#', _) if self.dialect == Dialect::Mysql => {
                self.skip_to_end_of_line();
                TokenKind::Comment
            }
            (b'/', Some(b'*')) => self.block_comment(start),
            (b'\'', _) => {
                let backslash_escapes = self.single_quote_has_backslash_escapes(start);
                self.quoted(b'\'', backslash_escapes)
            }
            (b'"', _) => {
                // A string in MySQL (with backslash escapes), an identifier elsewhere.
                self.quoted(b'"', self.dialect == Dialect::Mysql)
            }
            (b'`', _) => self.quoted(b'`', false),
            (b'[', _) if self.dialect == Dialect::Sqlite => {
                self.position += 1;
                self.skip_past(b"]");
                TokenKind::Quoted
            }
            (b'$', _) if self.dialect == Dialect::Postgres => self.dollar_quote_or_other(start),
            (b';', _) => self.single(TokenKind::Semicolon),
            (b'(', _) => self.single(TokenKind::OpenParen),
            (b')', _) => self.single(TokenKind::CloseParen),
            (b',', _) => self.single(TokenKind::Comma),
            (b':', Some(b'=' | b':')) => {
                self.position += 2;
                TokenKind::Other
            }
            (b':', _) => self.single(TokenKind::Colon),
            (byte, _) if is_identifier_start(byte) => {
                self.skip_identifier_characters();
                TokenKind::Word
            }
            (byte, _) if byte.is_ascii_digit() => {
                self.skip_identifier_characters();
                TokenKind::Other
            }
            _ => {
                self.position += self.character_length(start);
                TokenKind::Other
            }
        };
        Some(Token {
            kind,
            start,
            end: self.position,
        })
    }

    fn skip_whitespace(&mut self) {
        while self
            .bytes
            .get(self.position)
            .is_some_and(u8::is_ascii_whitespace)
        {
            self.position += 1;
        }
    }

    /// `--` starts a comment, except in MySQL when no whitespace or control character follows
    /// it (`1--1` is `1 - -1` there).
    fn double_dash_starts_comment(&self, start: usize) -> bool {
        if self.dialect != Dialect::Mysql {
            return true;
        }
        self.bytes
            .get(start + 2)
            .is_none_or(|byte| byte.is_ascii_whitespace() || byte.is_ascii_control())
    }

    fn skip_to_end_of_line(&mut self) {
        while self
            .bytes
            .get(self.position)
            .is_some_and(|byte| *byte != b'\n')
        {
            self.position += 1;
        }
    }

    /// `/* ... */`, nested in PostgreSQL; MySQL's `/*!` and `/*+` are executable.
    fn block_comment(&mut self, start: usize) -> TokenKind {
        let executable = self.dialect == Dialect::Mysql
            && matches!(self.bytes.get(start + 2), Some(b'!' | b'+'));
        let nests = self.dialect == Dialect::Postgres;
        self.position = start + 2;
        let mut depth = 1_usize;
        while self.position < self.bytes.len() {
            if self.bytes[self.position..].starts_with(b"*/") {
                self.position += 2;
                depth -= 1;
                if depth == 0 {
                    break;
                }
            } else if nests && self.bytes[self.position..].starts_with(b"/*") {
                self.position += 2;
                depth += 1;
            } else {
                self.position += 1;
            }
        }
        if executable {
            TokenKind::ExecutableComment
        } else {
            TokenKind::Comment
        }
    }

    /// A `'` string has backslash escapes in MySQL, and in PostgreSQL when written `E'...'`.
    fn single_quote_has_backslash_escapes(&self, start: usize) -> bool {
        match self.dialect {
            Dialect::Mysql => true,
            Dialect::Sqlite => false,
            Dialect::Postgres => {
                let before = start.checked_sub(1).and_then(|index| self.bytes.get(index));
                let before_that = start.checked_sub(2).and_then(|index| self.bytes.get(index));
                matches!(before, Some(b'e' | b'E'))
                    && before_that.is_none_or(|byte| !is_identifier_continue(*byte))
            }
        }
    }

    /// A run quoted by `quote`, a doubled quote standing for itself.
    fn quoted(&mut self, quote: u8, backslash_escapes: bool) -> TokenKind {
        self.position += 1;
        while let Some(&byte) = self.bytes.get(self.position) {
            if backslash_escapes && byte == b'\\' {
                self.position += 2;
            } else if byte == quote {
                if self.bytes.get(self.position + 1) == Some(&quote) {
                    self.position += 2;
                } else {
                    self.position += 1;
                    break;
                }
            } else {
                self.position += 1;
            }
        }
        self.position = self.position.min(self.bytes.len());
        TokenKind::Quoted
    }

    /// PostgreSQL's `$tag$ ... $tag$` (the tag may be empty); a `$` that opens none (`$1`, or
    /// inside an identifier) is an ordinary character.
    fn dollar_quote_or_other(&mut self, start: usize) -> TokenKind {
        let inside_identifier = start
            .checked_sub(1)
            .and_then(|index| self.bytes.get(index))
            .is_some_and(|byte| is_identifier_continue(*byte));
        let tag_end = self.bytes[start + 1..]
            .iter()
            .position(|byte| !is_identifier_continue(*byte) || *byte == b'$')
            .map(|offset| start + 1 + offset);
        let opens_quote = !inside_identifier
            && tag_end.is_some_and(|end| {
                self.bytes[end] == b'$'
                    && self
                        .bytes
                        .get(start + 1)
                        .is_none_or(|first| *first == b'$' || !first.is_ascii_digit())
            });
        let Some(tag_end) = tag_end.filter(|_| opens_quote) else {
            return self.single(TokenKind::Other);
        };
        let delimiter = &self.bytes[start..=tag_end];
        self.position = tag_end + 1;
        self.skip_past(delimiter);
        TokenKind::Quoted
    }

    /// Moves past the next occurrence of `terminator` from the current position, or to the end.
    fn skip_past(&mut self, terminator: &[u8]) {
        let search_from = self.position.min(self.bytes.len());
        self.position = self.bytes[search_from..]
            .windows(terminator.len())
            .position(|window| window == terminator)
            .map_or(self.bytes.len(), |offset| {
                search_from + offset + terminator.len()
            });
    }

    fn skip_identifier_characters(&mut self) {
        while self
            .bytes
            .get(self.position)
            .is_some_and(|byte| is_identifier_continue(*byte))
        {
            self.position += 1;
        }
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.position += 1;
        kind
    }

    /// The byte length of the character at `start` (1 for ASCII).
    fn character_length(&self, start: usize) -> usize {
        self.text[start..].chars().next().map_or(1, char::len_utf8)
    }
}

/// Letters, `_`, and any byte of a non-ASCII character (identifiers may hold those).
fn is_identifier_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || !byte.is_ascii()
}

fn is_identifier_continue(byte: u8) -> bool {
    is_identifier_start(byte) || byte.is_ascii_digit() || byte == b'$'
}
