//! History ranges (`-r start:end`) and the walk `history` lists.

use crate::error::RevisionError;

/// A parsed `history -r` range; `None` ends default to base and heads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryRange {
    pub start: Option<String>,
    pub end: Option<String>,
}

impl HistoryRange {
    /// Parses `start:end`, `start:` or `:end`.
    pub fn parse(range: &str) -> Result<Self, RevisionError> {
        let Some((start, end)) = range.split_once(':') else {
            return Err(RevisionError::BadHistoryRange { range: range.to_owned() });
        };
        if end.contains(':') {
            return Err(RevisionError::BadHistoryRange { range: range.to_owned() });
        }
        let part = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(HistoryRange { start: part(start), end: part(end) })
    }
}

use crate::graph::{RevisionMap, Walk};
use crate::resolve::Position;

/// Alembic's `walk_revisions(start, end)` as `history -r start:end` uses it: the revisions
/// between the two ends, both included, newest first. `current` at either end means the rows.
pub(crate) fn history<'m>(map: &'m RevisionMap, range: &HistoryRange, rows: &[String]) -> Result<Vec<&'m str>, RevisionError> {
    let row_indices = map.row_indices(rows)?;
    let start = range.start.as_deref().unwrap_or("base");
    let end = range.end.as_deref().unwrap_or("heads");
    let from_rows = |spec: &str| spec == "current" && !row_indices.is_empty();
    let start_spec = if start == "current" && row_indices.is_empty() { "base" } else { start };
    let end_spec = if end == "current" && row_indices.is_empty() { "heads" } else { end };

    // The lower end as revisions; a relative lower end that walks off the graph clamps.
    let mut lower: Vec<usize> = if from_rows(start) {
        row_indices.clone()
    } else {
        let positions = map.get_revisions(start_spec)?;
        if positions.first().is_some_and(|position| position.revision().is_none()) {
            Vec::new()
        } else {
            positions.into_iter().filter_map(Position::revision).collect()
        }
    };
    let targets: Vec<usize> = if from_rows(end) { row_indices.clone() } else { map.parse_upgrade_target(&lower, end_spec, false)? };
    let targets = match start_spec.split_once('@') {
        Some((branch, _)) if !from_rows(start) => {
            let label = match map.get_revision(branch)? {
                Some(index) if map.id(index) == branch => match map.labels_of(index).as_slice() {
                    [one] => (*one).to_owned(),
                    _ => branch.to_owned(),
                },
                _ => branch.to_owned(),
            };
            targets.into_iter().filter(|&target| map.has_label(target, &label)).collect()
        }
        _ => targets,
    };
    let mut required = map.ancestors_checked(&targets)?;
    for &target in &targets {
        required.insert(target);
    }
    if lower.iter().any(|&revision| !required.contains(revision)) {
        return Err(RevisionError::HistoryRangeNotAncestor { start: start.to_owned(), end: end.to_owned() });
    }
    lower.dedup();
    let mut applied = map.ancestors_checked(&lower)?;
    for &revision in &lower {
        applied.insert(revision);
    }
    let mut needs = required;
    needs.difference_with(&applied);
    for &revision in &lower {
        needs.insert(revision);
    }
    if !lower.is_empty() {
        needs.intersect_with(&map.related(lower.iter().copied(), Walk::Descendants));
    }
    // A lower end reached from the upper end only through depends_on leaves revisions the
    // walk cannot reach (Alembic fails an assertion): the range is not along one branch.
    let order = map
        .topological_sort(&needs, &targets)
        .map_err(|_| RevisionError::HistoryRangeNotAncestor { start: start.to_owned(), end: end.to_owned() })?;
    Ok(order.into_iter().map(|index| map.id(index)).collect())
}
