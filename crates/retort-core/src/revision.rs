//! A revision as the graph sees it: an id, its parents, its same-database dependencies and labels.

use crate::error::RevisionError;

/// One node of a database's revision graph, as declared in its migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The revision id (12 hex characters when retort generates it; any Alembic id is accepted).
    pub id: String,
    /// The parents, in declared order; empty for a base, several for a merge point.
    pub down_revisions: Vec<String>,
    /// Same-database dependencies: revision ids or branch labels, exact, in declared order.
    pub depends_on: Vec<String>,
    /// The branch labels this revision declares.
    pub branch_labels: Vec<String>,
}

impl Revision {
    /// A revision with the given id and parents, and no dependencies or labels.
    pub fn new(id: impl Into<String>, down_revisions: &[&str]) -> Self {
        Revision {
            id: id.into(),
            down_revisions: down_revisions.iter().map(|s| (*s).to_owned()).collect(),
            depends_on: Vec::new(),
            branch_labels: Vec::new(),
        }
    }

    /// Adds same-database dependencies.
    #[must_use]
    pub fn with_depends_on(mut self, depends_on: &[&str]) -> Self {
        self.depends_on = depends_on.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Adds branch labels.
    #[must_use]
    pub fn with_branch_labels(mut self, labels: &[&str]) -> Self {
        self.branch_labels = labels.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// The bytes of the usual ids: ASCII letters, digits and `_`.
const PLAIN_ID_BYTES: [bool; 256] = {
    let mut plain = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        plain[byte] = (byte as u8).is_ascii_alphanumeric() || byte == b'_' as usize;
        byte += 1;
    }
    plain
};

/// Characters that carry the target syntax and so may not appear in a revision id.
pub const FORBIDDEN_ID_CHARS: [char; 4] = ['@', '-', '+', ':'];

/// Checks an id as Alembic's `verify_rev_id` does, and also rejects what retort's files and
/// version table cannot hold: empty ids, whitespace, commas, more than 32 characters.
pub fn validate_revision_id(id: &str) -> Result<(), RevisionError> {
    // The usual ids (hex, or letters, digits and `_`) are checked byte by byte, with a table
    // rather than a chain of comparisons (this runs for every id of every file loaded).
    if !id.is_empty() && id.len() <= 32 && id.bytes().all(|byte| PLAIN_ID_BYTES[usize::from(byte)]) {
        return Ok(());
    }
    let mut bad: Vec<char> = id
        .chars()
        .filter(|c| FORBIDDEN_ID_CHARS.contains(c) || c.is_whitespace() || *c == ',')
        .collect();
    bad.sort_unstable();
    bad.dedup();
    if id.is_empty() || !bad.is_empty() || id.chars().count() > 32 {
        return Err(RevisionError::InvalidId { id: id.to_owned(), bad_chars: bad });
    }
    Ok(())
}
