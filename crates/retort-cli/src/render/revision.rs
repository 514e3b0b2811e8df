//! Alembic's revision lines and verbose blocks (`Script.cmd_format`, `Script.log_entry`).

use retort_core::MigrationSet;

/// Which parts of a one-line revision entry to show (Alembic's `_head_only` flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct LineParts {
    /// `(label, …)` after the id.
    pub branch_labels: bool,
    /// `, message` at the end.
    pub message: bool,
    /// `parents [(depends_on)] -> ` before the id.
    pub parents: bool,
    /// `(branchpoint)`, `(mergepoint)`.
    pub tree_indicators: bool,
    /// `(head)`, `(effective head)`, `(current)`.
    pub head_indicators: bool,
}

impl LineParts {
    /// `current`: heads and tree indicators, no labels.
    pub const CURRENT: LineParts = LineParts {
        branch_labels: false,
        message: false,
        parents: false,
        tree_indicators: true,
        head_indicators: true,
    };
    /// `heads`: labels and head indicators.
    pub const HEADS: LineParts = LineParts {
        branch_labels: true,
        message: false,
        parents: false,
        tree_indicators: false,
        head_indicators: true,
    };
    /// `history`: everything.
    pub const HISTORY: LineParts = LineParts {
        branch_labels: true,
        message: true,
        parents: true,
        tree_indicators: true,
        head_indicators: true,
    };
    /// `branches`, the branch point's own line.
    pub const BRANCH_POINT: LineParts = LineParts {
        branch_labels: true,
        message: false,
        parents: false,
        tree_indicators: true,
        head_indicators: true,
    };
}

/// Marks that come from the database rather than the graph.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    /// The revision is a row of the version table (`history -i`).
    pub current: bool,
    /// The file changed after it was applied.
    pub edited: bool,
}

/// One line for a revision, as Alembic's `Script.cmd_format(verbose=False, …)` prints it:
/// `[parents [(deps)] -> ]id[ (labels)][ (head)][ (effective head)][ (current)][ (branchpoint)][ (mergepoint)][, message]`,
/// plus retort's ` (edited)`.
pub fn revision_line(set: &MigrationSet, id: &str, parts: LineParts, marks: Marks) -> String {
    let Some(info) = set.map().info(id) else {
        return id.to_owned();
    };
    let mut text = String::new();
    if parts.parents {
        text.push_str(&format_parents(&info.revision.down_revisions));
        let dependencies = declared_dependencies(set, id);
        if !dependencies.is_empty() {
            text.push_str(&format!(" ({})", dependencies.join(", ")));
        }
        text.push_str(" -> ");
    }
    text.push_str(id);
    if parts.branch_labels && !info.labels.is_empty() {
        text.push_str(&format!(" ({})", info.labels.join(", ")));
    }
    if parts.head_indicators || parts.tree_indicators {
        if info.is_real_head {
            text.push_str(" (head)");
        }
        if info.is_head && !info.is_real_head {
            text.push_str(" (effective head)");
        }
        if marks.current {
            text.push_str(" (current)");
        }
    }
    if parts.tree_indicators {
        if info.is_branch_point {
            text.push_str(" (branchpoint)");
        }
        if info.is_merge_point {
            text.push_str(" (mergepoint)");
        }
    }
    if marks.edited {
        text.push_str(" (edited)");
    }
    if parts.message {
        text.push_str(&format!(", {}", message_of(set, id)));
    }
    text
}

/// The verbose block of Alembic's `Script.log_entry`, without the trailing blank line that
/// printing it adds:
///
/// ```text
/// Rev: <id>[ (head)][ (branchpoint)][ (mergepoint)][ (current)]
/// Merges: <parents> | Parent: <parents or <base>>
/// [Also depends on: <declared depends_on, db:rev included>]
/// [Branches into: <children>]
/// [Branch names: <labels>]
/// Path: <file>
///
///     <message>
/// ```
pub fn log_entry(set: &MigrationSet, id: &str, marks: Marks) -> String {
    let Some(info) = set.map().info(id) else {
        return format!("Rev: {id}\n");
    };
    let mut entry = format!("Rev: {id}");
    for (shown, mark) in [
        (info.is_head, " (head)"),
        (info.is_branch_point, " (branchpoint)"),
        (info.is_merge_point, " (mergepoint)"),
        (marks.current, " (current)"),
        (marks.edited, " (edited)"),
    ] {
        if shown {
            entry.push_str(mark);
        }
    }
    entry.push('\n');
    let parents = format_parents(&info.revision.down_revisions);
    if info.is_merge_point {
        entry.push_str(&format!("Merges: {parents}\n"));
    } else {
        entry.push_str(&format!("Parent: {parents}\n"));
    }
    let dependencies = declared_dependencies(set, id);
    if !dependencies.is_empty() {
        entry.push_str(&format!("Also depends on: {}\n", dependencies.join(", ")));
    }
    if info.is_branch_point {
        entry.push_str(&format!("Branches into: {}\n", info.children.join(", ")));
    }
    if !info.labels.is_empty() {
        entry.push_str(&format!("Branch names: {}\n", info.labels.join(", ")));
    }
    let path = set
        .migration(id)
        .map(|migration| migration.path.as_str())
        .unwrap_or_default();
    entry.push_str(&format!("Path: {path}\n"));
    let message: Vec<String> = message_of(set, id)
        .lines()
        .map(|line| format!("    {line}"))
        .collect();
    entry.push_str(&format!("\n{}\n", message.join("\n")));
    entry
}

/// `a, b` or `<base>`.
fn format_parents(down_revisions: &[String]) -> String {
    if down_revisions.is_empty() {
        "<base>".to_owned()
    } else {
        down_revisions.join(", ")
    }
}

/// The `depends_on` entries as the file declares them: same-database ones, then `db:rev`.
fn declared_dependencies(set: &MigrationSet, id: &str) -> Vec<String> {
    let Some(migration) = set.migration(id) else {
        return Vec::new();
    };
    let mut dependencies = migration.revision.depends_on.clone();
    dependencies.extend(
        migration
            .external_depends_on
            .iter()
            .map(|external| format!("{}:{}", external.database, external.revision)),
    );
    dependencies
}

fn message_of<'a>(set: &'a MigrationSet, id: &str) -> &'a str {
    set.migration(id)
        .map(|migration| migration.message.as_str())
        .unwrap_or_default()
}

