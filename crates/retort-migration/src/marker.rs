//! The marker that stands for a Rust migration in a `versions/*.sql` file: a section whose only
//! content is `-- rust: NAME`. retort-core sees a section holding a comment (so the graph, the
//! plans, the checksums and the disk/built-in comparison treat it as any other migration); the
//! orchestrator runs the registered implementation instead, and `--sql` says it cannot be
//! rendered.

/// What starts a marker line.
pub const MARKER_PREFIX: &str = "-- rust:";

/// The name a section's marker gives, when the section is a marker: one line
/// `-- rust: NAME` and nothing else but blank lines.
pub fn marker(sql: &str) -> Option<&str> {
    let mut lines = sql.lines().map(str::trim).filter(|line| !line.is_empty());
    let name = lines.next()?.strip_prefix(MARKER_PREFIX)?.trim();
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (valid && lines.next().is_none()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_one_line_and_nothing_else() {
        assert_eq!(marker("-- rust: backfill_names\n"), Some("backfill_names"));
        assert_eq!(marker("\n  -- rust:backfill  \n\n"), Some("backfill"));
        assert_eq!(marker("-- rust: backfill\nUPDATE t SET x = 1;"), None);
        assert_eq!(marker("-- rust: two words"), None);
        assert_eq!(marker("-- rust:"), None);
        assert_eq!(marker("UPDATE t SET x = 1;"), None);
        assert_eq!(marker(""), None);
    }
}
