//! A small SQL tokenizer for the text engines hand back (defaults, check and index expressions,
//! SQLite's `CREATE TABLE` statements): enough to compare expressions regardless of spacing and
//! case, and to find clauses at the right parenthesis depth. It never fails: text it does not
//! understand becomes one-character symbols.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A bare word: keyword or identifier.
    Word,
    /// `"x"`, `` `x` `` or `[x]`.
    QuotedIdentifier,
    /// `'x'`, with its quotes.
    String,
    Number,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// Any other character, one at a time.
    Symbol,
}

/// One token and where it is in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub(crate) kind: TokenKind,
    pub(crate) text: &'a str,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether whitespace or a comment came right before it.
    pub(crate) spaced: bool,
}

impl Token<'_> {
    /// Whether the token is the word `word`, in any case.
    pub(crate) fn is_word(&self, word: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(word)
    }

    /// A word or a quoted identifier, without its quotes.
    pub(crate) fn identifier(&self) -> Option<String> {
        match self.kind {
            TokenKind::Word => Some(self.text.to_owned()),
            TokenKind::QuotedIdentifier => Some(unquote_identifier(self.text)),
            _ => None,
        }
    }

    /// The form used to compare expressions: words and identifiers folded to lower case.
    pub(crate) fn key(&self) -> String {
        match self.kind {
            TokenKind::Word => self.text.to_ascii_lowercase(),
            TokenKind::QuotedIdentifier => unquote_identifier(self.text).to_ascii_lowercase(),
            _ => self.text.to_owned(),
        }
    }
}

/// The tokens of `text`; whitespace and comments are dropped (and mark the next token spaced).
/// `backslash_escapes` makes `\` escape the next character inside strings (MySQL).
pub(crate) fn tokenize(text: &str, backslash_escapes: bool) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut position = 0;
    let mut spaced = false;
    while position < bytes.len() {
        let byte = bytes[position];
        let start = position;
        let kind = match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                position += 1;
                spaced = true;
                continue;
            }
            b'-' if bytes.get(position + 1) == Some(&b'-') => {
                position = find_from(bytes, position, b"\n").map_or(bytes.len(), |end| end + 1);
                spaced = true;
                continue;
            }
            b'/' if bytes.get(position + 1) == Some(&b'*') => {
                position = find_from(bytes, position + 2, b"*/").map_or(bytes.len(), |end| end + 2);
                spaced = true;
                continue;
            }
            b'\'' => {
                position = quoted_end(bytes, position, b'\'', backslash_escapes);
                TokenKind::String
            }
            b'"' | b'`' => {
                position = quoted_end(bytes, position, byte, false);
                TokenKind::QuotedIdentifier
            }
            b'[' => {
                position = find_from(bytes, position, b"]").map_or(bytes.len(), |end| end + 1);
                TokenKind::QuotedIdentifier
            }
            b'(' => {
                position += 1;
                TokenKind::Open
            }
            b')' => {
                position += 1;
                TokenKind::Close
            }
            b',' => {
                position += 1;
                TokenKind::Comma
            }
            b'0'..=b'9' => {
                position = scan_while(bytes, position, |byte| {
                    byte.is_ascii_alphanumeric() || byte == b'.'
                });
                TokenKind::Number
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80 => {
                position = scan_while(bytes, position, |byte| {
                    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
                });
                TokenKind::Word
            }
            _ => {
                position += text[position..].chars().next().map_or(1, char::len_utf8);
                TokenKind::Symbol
            }
        };
        tokens.push(Token {
            kind,
            text: &text[start..position],
            start,
            end: position,
            spaced,
        });
        spaced = false;
    }
    tokens
}

/// The identifier inside `"x"`, `` `x` `` or `[x]`, with doubled quotes undone.
pub(crate) fn unquote_identifier(text: &str) -> String {
    let Some(first) = text.chars().next() else {
        return String::new();
    };
    let (close, doubled) = match first {
        '"' => ('"', "\"\""),
        '`' => ('`', "``"),
        '[' => (']', "]"),
        _ => return text.to_owned(),
    };
    let inner = text[1..].strip_suffix(close).unwrap_or(&text[1..]);
    if close == ']' {
        inner.to_owned()
    } else {
        inner.replace(doubled, &doubled[..1])
    }
}

/// The index of the token that closes the `(` at `open`, or `None` when unbalanced.
pub(crate) fn matching_close(tokens: &[Token<'_>], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        match token.kind {
            TokenKind::Open => depth += 1,
            TokenKind::Close => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// The text from token `first` to token `last` (inclusive), as written.
pub(crate) fn text_between<'a>(
    text: &'a str,
    tokens: &[Token<'_>],
    first: usize,
    last: usize,
) -> &'a str {
    match (tokens.get(first), tokens.get(last)) {
        (Some(first), Some(last)) if first.start <= last.end => &text[first.start..last.end],
        _ => "",
    }
}

/// The end of the quoted run starting at `start` (one past the closing quote; doubled quotes
/// stay inside), or the end of the text when it never closes.
fn quoted_end(bytes: &[u8], start: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut position = start + 1;
    while position < bytes.len() {
        let byte = bytes[position];
        if backslash_escapes && byte == b'\\' {
            position += 2;
            continue;
        }
        if byte == quote {
            if bytes.get(position + 1) == Some(&quote) {
                position += 2;
                continue;
            }
            return position + 1;
        }
        position += 1;
    }
    bytes.len()
}

fn find_from(bytes: &[u8], start: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(start..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|offset| start + offset)
}

fn scan_while(bytes: &[u8], start: usize, keep: impl Fn(u8) -> bool) -> usize {
    let mut position = start;
    while position < bytes.len() && keep(bytes[position]) {
        position += 1;
    }
    position
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokenize(text, false)
            .into_iter()
            .map(|token| (token.kind, token.text))
            .collect()
    }

    #[test]
    fn strings_identifiers_and_comments() {
        assert_eq!(
            kinds("a = 'it''s' -- note\n AND \"Q\"\"x\" /* c */ >= 1.5"),
            vec![
                (TokenKind::Word, "a"),
                (TokenKind::Symbol, "="),
                (TokenKind::String, "'it''s'"),
                (TokenKind::Word, "AND"),
                (TokenKind::QuotedIdentifier, "\"Q\"\"x\""),
                (TokenKind::Symbol, ">"),
                (TokenKind::Symbol, "="),
                (TokenKind::Number, "1.5"),
            ]
        );
        assert_eq!(unquote_identifier("\"Q\"\"x\""), "Q\"x");
        assert_eq!(unquote_identifier("`a``b`"), "a`b");
        assert_eq!(unquote_identifier("[x y]"), "x y");
    }

    #[test]
    fn backslash_escapes_only_when_asked() {
        assert_eq!(tokenize(r"'a\'b' c", true).len(), 2);
        assert_eq!(tokenize(r"'a\'b' c", false).len(), 3);
    }

    #[test]
    fn unbalanced_text_never_panics() {
        for text in ["'open", "\"open", "[open", "/* open", "(a", "a)", "é ü"] {
            let tokens = tokenize(text, true);
            let _ = matching_close(&tokens, 0);
        }
    }
}
