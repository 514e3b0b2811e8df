//! Upgrade and downgrade targets: Alembic's `_parse_upgrade_target` and
//! `_parse_downgrade_target`, including every relative form (`+N`, `-N`, `head-N`, `base+N`,
//! `<rev>+N`, `label@+N`, `label@-N`).
//!
//! Alembic matches relative targets with the regex `(?:(.+?)@)?(\w+)?((?:\+|-)\d+)` anchored at
//! the start only, so `+1xyz` means `+1`. retort requires the whole target to match and treats
//! anything else as an absolute identifier, so trailing text is an error ("no such revision"),
//! never silently ignored.

use crate::error::RevisionError;
use crate::graph::{RevisionMap, Walk};
use crate::resolve::Position;

/// A relative target: `[label@][symbol](+|-)N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relative<'t> {
    pub(crate) label: Option<&'t str>,
    pub(crate) symbol: Option<&'t str>,
    /// The signed number as typed (`+2`, `-1`), for messages.
    pub(crate) relative: &'t str,
    pub(crate) steps: i64,
}

/// Parses a relative target; `None` means the target is absolute.
pub(crate) fn parse_relative(target: &str) -> Option<Relative<'_>> {
    // The optional `label@` group is tried first, with the shortest label, as the regex does.
    for (at, _) in target.match_indices('@') {
        if at == 0 {
            continue;
        }
        if let Some((symbol, relative, steps)) = parse_symbol_and_number(&target[at + 1..]) {
            return Some(Relative { label: Some(&target[..at]), symbol, relative, steps });
        }
    }
    let (symbol, relative, steps) = parse_symbol_and_number(target)?;
    Some(Relative { label: None, symbol, relative, steps })
}

/// `(\w+)?((?:\+|-)\d+)` matching the whole text.
fn parse_symbol_and_number(text: &str) -> Option<(Option<&str>, &str, i64)> {
    let symbol_end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    let (symbol, rest) = text.split_at(symbol_end);
    let sign = rest.chars().next().filter(|c| *c == '+' || *c == '-')?;
    let digits = &rest[1..];
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let magnitude: i64 = digits.parse().ok()?;
    let steps = if sign == '-' { -magnitude } else { magnitude };
    Some(((!symbol.is_empty()).then_some(symbol), rest, steps))
}

impl RevisionMap {
    /// Alembic's `_parse_upgrade_target`: the revisions an upgrade must reach.
    pub(crate) fn parse_upgrade_target(&self, rows: &[usize], target: &str, no_overwalk: bool) -> Result<Vec<usize>, RevisionError> {
        let Some(relative) = parse_relative(target) else {
            let mut targets = Vec::new();
            for position in self.get_revisions(target)? {
                match position {
                    Position::Revision(index) => targets.push(index),
                    Position::BelowBases | Position::Base => {
                        return Err(RevisionError::WalkedTooFar { relative: target.to_owned(), end: "base" });
                    }
                }
            }
            return Ok(targets);
        };
        let too_few = || RevisionError::RelativeOutOfRange { relative: relative.relative.to_owned(), steps: relative.steps.abs() };
        if relative.steps > 0 {
            let Some(symbol) = relative.symbol else {
                let start = self.upgrade_start(rows, relative.label)?;
                return match self.walk(start, relative.steps, relative.label, no_overwalk)? {
                    Some(Position::Revision(index)) => Ok(vec![index]),
                    _ => Err(too_few()),
                };
            };
            let start = self.get_revision(symbol)?.map_or(Position::BelowBases, Position::Revision);
            return match self.walk(start, relative.steps, relative.label, no_overwalk)? {
                Some(Position::Revision(index)) => Ok(vec![index]),
                _ => Err(RevisionError::WalkedTooFar { relative: target.to_owned(), end: "head" }),
            };
        }
        let Some(symbol) = relative.symbol else {
            return Err(RevisionError::RelativeOutOfRange { relative: relative.steps.to_string(), steps: relative.steps.abs() });
        };
        let start = match relative.label {
            None => self.get_revision(symbol)?,
            Some(label) => self.get_revision(&format!("{label}@{symbol}"))?,
        };
        let start = start.map_or(Position::BelowBases, Position::Revision);
        match self.walk(start, relative.steps, None, no_overwalk)? {
            Some(Position::Revision(index)) => Ok(vec![index]),
            _ => Err(RevisionError::WalkedTooFar { relative: target.to_owned(), end: "base" }),
        }
    }

    /// Where `+N` (or `label@+N`) walks up from: the one current revision on the line.
    fn upgrade_start(&self, rows: &[usize], label: Option<&str>) -> Result<Position, RevisionError> {
        let Some(label) = label else {
            return match rows {
                [] => Ok(Position::BelowBases),
                [row] => Ok(Position::Revision(*row)),
                several => Err(RevisionError::AmbiguousUpgrade { current: self.names(several) }),
            };
        };
        let mut start = self.filter_for_lineage(rows, label, false)?;
        if start.is_empty() {
            // The label's line is not at a current revision: backtrack to the tips of the
            // applied revisions that share its line.
            let applied = self.related(rows.iter().copied(), Walk::AncestorsWithDeps);
            let applied: Vec<usize> = applied.ones().collect();
            let active = self.filter_for_lineage(&applied, label, false)?;
            start = active
                .iter()
                .copied()
                .filter(|&candidate| !active.iter().any(|&other| self.normalized_down(other).contains(&candidate)))
                .collect();
        }
        match start.as_slice() {
            [] => Ok(Position::BelowBases),
            [one] => Ok(Position::Revision(*one)),
            several => Err(RevisionError::AmbiguousUpgrade { current: self.names(several) }),
        }
    }

    /// Alembic's `_parse_downgrade_target`: the label that narrows the downgrade, and the
    /// revision to stop at (`None` is base).
    pub(crate) fn parse_downgrade_target(&self, rows: &[usize], target: &str, no_overwalk: bool) -> Result<(Option<String>, Option<usize>), RevisionError> {
        let Some(relative) = parse_relative(target) else {
            let (label, symbol) = match target.rsplit_once('@') {
                Some((label, symbol)) if !label.is_empty() => (Some(label.to_owned()), symbol),
                Some((_, symbol)) => (None, symbol),
                None => (None, target),
            };
            return Ok((label, self.get_revision(symbol)?));
        };
        let label = relative.label.map(str::to_owned);
        if relative.steps >= 0 {
            let Some(symbol) = relative.symbol else {
                return Err(RevisionError::RelativeOutOfRange { relative: relative.relative.to_owned(), steps: relative.steps });
            };
            let start = self.get_revision(symbol)?.map_or(Position::BelowBases, Position::Revision);
            return match self.walk(start, relative.steps, relative.label, no_overwalk)? {
                Some(Position::Revision(index)) => Ok((label, Some(index))),
                _ => Err(RevisionError::WalkedTooFar { relative: target.to_owned(), end: "head" }),
            };
        }
        let from_current = relative.symbol.is_none();
        let (label, symbol) = match (relative.symbol, relative.label) {
            (Some(symbol), _) => (label, symbol.to_owned()),
            (None, Some(branch)) => {
                let mut on_branch = self.filter_for_lineage(rows, branch, false)?;
                if on_branch.is_empty() {
                    on_branch = self.filter_for_lineage(&self.all_current(rows), branch, false)?;
                }
                match on_branch.as_slice() {
                    [one] => (label, self.id(*one).to_owned()),
                    [] => {
                        return Err(RevisionError::NoCurrentOnBranch { label: branch.to_owned(), current: self.names(rows) });
                    }
                    several => {
                        return Err(RevisionError::AmbiguousDowngrade {
                            relative: target.to_owned(),
                            current: self.names(several),
                        });
                    }
                }
            }
            (None, None) => {
                let mut distinct: Vec<usize> = rows.to_vec();
                distinct.sort_unstable();
                distinct.dedup();
                match distinct.as_slice() {
                    [] => {
                        return Err(RevisionError::RelativeOutOfRange { relative: relative.relative.to_owned(), steps: -relative.steps });
                    }
                    // A single current revision narrows the downgrade to its own line.
                    [row] => (Some(self.id(*row).to_owned()), self.id(*row).to_owned()),
                    // Alembic warns and uses the first row the database returns; the database's
                    // row order is not defined, so retort asks which line to take down instead.
                    several => {
                        return Err(RevisionError::AmbiguousDowngrade { relative: target.to_owned(), current: self.names(several) });
                    }
                }
            }
        };
        let start = match &label {
            None => self.get_revision(&symbol)?,
            Some(label) => self.get_revision(&format!("{label}@{symbol}"))?,
        };
        let start = start.map_or(Position::BelowBases, Position::Revision);
        match self.walk(start, relative.steps, None, no_overwalk)? {
            Some(Position::Revision(index)) => Ok((label, Some(index))),
            Some(Position::Base | Position::BelowBases) => Ok((label, None)),
            None if from_current => Err(RevisionError::RelativeOutOfRange { relative: relative.relative.to_owned(), steps: -relative.steps }),
            None => Err(RevisionError::WalkedTooFar { relative: target.to_owned(), end: "base" }),
        }
    }

    pub(crate) fn names(&self, indices: &[usize]) -> Vec<String> {
        indices.iter().map(|&index| self.id(index).to_owned()).collect()
    }
}
