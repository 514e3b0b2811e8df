//! Identifier resolution: Alembic's `_resolve_revision_number`, `get_revisions`,
//! `get_revision`, `_revision_for_ident`, `filter_for_lineage` and `_walk`.
//!
//! Revision ids and branch labels share one key space. A partial id matches the keys longer
//! than three characters that start with it; `head` means the one versioned head, `heads` the
//! real heads; `label@x` narrows `x` to the label's line.

use crate::error::RevisionError;
use crate::graph::{RevSet, RevisionMap, Walk};

/// Where a walk starts or ends (Alembic passes `None`, `"base"` or a revision around).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// Below every base: walking up from here reaches the bases (Alembic's `None`).
    BelowBases,
    /// One step below a base, reached by walking down (Alembic's `"base"`).
    Base,
    /// A revision.
    Revision(usize),
}

impl Position {
    pub(crate) fn revision(self) -> Option<usize> {
        match self {
            Position::Revision(index) => Some(index),
            Position::BelowBases | Position::Base => None,
        }
    }
}

/// What a symbol resolves to before ids are looked up.
struct Symbol<'s> {
    /// Identifiers to look up (revision ids, partial ids, labels or a negative number).
    idents: Vec<String>,
    label: Option<&'s str>,
}

impl RevisionMap {
    /// Alembic's `_resolve_revision_number`: splits `label@` off at the first `@` and expands
    /// `heads`, `head` and `base`.
    fn resolve_symbol<'s>(&self, spec: &'s str) -> Result<Symbol<'s>, RevisionError> {
        let (label, ident) = match spec.split_once('@') {
            Some((label, ident)) => (Some(label), ident),
            None => (None, spec),
        };
        let idents = match ident {
            "heads" => match label {
                Some(label) => {
                    let heads = self.filter_for_lineage(&self.heads, label, false)?;
                    heads.into_iter().map(|index| self.id(index).to_owned()).collect()
                }
                None => self.real_heads.iter().map(|&index| self.id(index).to_owned()).collect(),
            },
            "head" => self.current_head(label)?.map(|index| vec![self.id(index).to_owned()]).unwrap_or_default(),
            "base" | "" => Vec::new(),
            other => vec![other.to_owned()],
        };
        Ok(Symbol { idents, label })
    }

    /// Alembic's `get_current_head`: the one versioned head (of the label's line).
    fn current_head(&self, label: Option<&str>) -> Result<Option<usize>, RevisionError> {
        let heads = match label {
            Some(label) => self.filter_for_lineage(&self.heads, label, false)?,
            None => self.heads.clone(),
        };
        if heads.len() > 1 {
            return Err(RevisionError::MultipleHeads {
                argument: label.map_or_else(|| "head".to_owned(), |label| format!("{label}@head")),
                heads: heads.iter().map(|&index| self.id(index).to_owned()).collect(),
            });
        }
        Ok(heads.first().copied())
    }

    /// Alembic's `get_revisions` for one identifier: several revisions for `heads`, none for
    /// `base`, and for `-N` (or `label@-N`) the result of walking N down from each real head.
    pub(crate) fn get_revisions(&self, spec: &str) -> Result<Vec<Position>, RevisionError> {
        let symbol = self.resolve_symbol(spec)?;
        if let [ident] = symbol.idents.as_slice()
            && let Some(steps) = parse_python_int(ident).filter(|steps| *steps < 0) {
                let heads: Vec<usize> = self
                    .real_heads
                    .iter()
                    .copied()
                    .filter(|&head| symbol.label.is_none_or(|label| self.has_label(head, label)))
                    .collect();
                let mut walked = Vec::with_capacity(heads.len());
                for head in heads {
                    walked.push(self.walk(Position::Revision(head), steps, None, true)?.unwrap_or(Position::BelowBases));
                }
                return Ok(walked);
            }
        let mut resolved = Vec::with_capacity(symbol.idents.len());
        for ident in &symbol.idents {
            resolved.push(match self.revision_for_ident(ident, symbol.label)? {
                Some(index) => Position::Revision(index),
                None => Position::BelowBases,
            });
        }
        Ok(resolved)
    }

    /// `get_revisions` over the revisions only: a `base` among the results is dropped.
    pub(crate) fn get_revision_indices(&self, spec: &str) -> Result<Vec<usize>, RevisionError> {
        Ok(self.get_revisions(spec)?.into_iter().filter_map(Position::revision).collect())
    }

    /// Alembic's `get_revision`: at most one revision; `None` is base.
    pub(crate) fn get_revision(&self, spec: &str) -> Result<Option<usize>, RevisionError> {
        let symbol = self.resolve_symbol(spec)?;
        if symbol.idents.len() > 1 {
            return Err(RevisionError::MultipleHeads { argument: spec.to_owned(), heads: symbol.idents });
        }
        match symbol.idents.first() {
            Some(ident) => self.revision_for_ident(ident, symbol.label),
            None => {
                // `label@base` still checks that the label exists.
                if let Some(label) = symbol.label.filter(|label| !label.is_empty()) {
                    self.resolve_branch(label)?;
                }
                Ok(None)
            }
        }
    }

    /// Alembic's `_resolve_branch`: a label or revision id exactly, else a partial id.
    pub(crate) fn resolve_branch(&self, label: &str) -> Result<usize, RevisionError> {
        if let Some(&index) = self.keys.get(label) {
            return Ok(index);
        }
        match self.revision_for_ident(label, None) {
            Ok(Some(index)) => Ok(index),
            Ok(None) | Err(_) => Err(RevisionError::UnknownBranch { label: label.to_owned() }),
        }
    }

    /// Alembic's `_revision_for_ident`: exact key, else a unique partial match among keys longer
    /// than three characters; with a label, the result must share its line.
    pub(crate) fn revision_for_ident(&self, ident: &str, label: Option<&str>) -> Result<Option<usize>, RevisionError> {
        let label = label.filter(|label| !label.is_empty());
        let branch = label.map(|label| self.resolve_branch(label)).transpose()?;
        if ident.is_empty() {
            return Ok(None);
        }
        let found = match self.keys.get(ident) {
            Some(&index) => index,
            None => {
                let mut candidates: Vec<(&str, usize)> = self
                    .keys_in_map_order()
                    .filter(|(key, _)| key.chars().count() > 3 && key.starts_with(ident))
                    .collect();
                if let Some(branch) = branch {
                    let lineage = self.lineage_set(&[branch], false);
                    candidates.retain(|(_, index)| lineage.contains(*index));
                }
                match candidates.as_slice() {
                    [] => return Err(RevisionError::UnknownRevision { id: ident.to_owned() }),
                    [(_, index)] => *index,
                    several => {
                        return Err(RevisionError::AmbiguousPrefix {
                            prefix: ident.to_owned(),
                            candidates: several.iter().map(|(key, _)| (*key).to_owned()).collect(),
                        });
                    }
                }
            }
        };
        if let (Some(branch), Some(label)) = (branch, label)
            && !self.lineage_set(&[branch], false).contains(found) {
                return Err(RevisionError::NotBranchMember { revision: self.id(found).to_owned(), label: label.to_owned() });
            }
        Ok(Some(found))
    }

    /// Every revision that shares a line with any of `against`: their ancestors and descendants
    /// (through down_revision, or with dependencies too), themselves included.
    pub(crate) fn lineage_set(&self, against: &[usize], with_deps: bool) -> RevSet {
        let (up, down) =
            if with_deps { (Walk::AncestorsWithDeps, Walk::DescendantsWithDeps) } else { (Walk::Ancestors, Walk::Descendants) };
        let mut set = self.related(against.iter().copied(), up);
        set.union_with(&self.related(against.iter().copied(), down));
        set
    }

    /// Alembic's `filter_for_lineage`: the targets that share a line with what `check_against`
    /// names (a label, an id, `label@rev`, `heads`…). An empty check keeps every target.
    pub(crate) fn filter_for_lineage(&self, targets: &[usize], check_against: &str, with_deps: bool) -> Result<Vec<usize>, RevisionError> {
        let symbol = self.resolve_symbol(check_against)?;
        let mut against: Vec<usize> = Vec::new();
        for share in symbol.label.into_iter().map(str::to_owned).chain(symbol.idents) {
            if let Some(index) = self.revision_for_ident(&share, None)? {
                against.push(index);
            }
        }
        if against.is_empty() {
            return Ok(targets.to_vec());
        }
        let lineage = self.lineage_set(&against, with_deps);
        Ok(targets.iter().copied().filter(|&index| lineage.contains(index)).collect())
    }

    /// Alembic's `_walk`: `steps` up (positive) or down (negative) through down_revision only.
    /// Going past the graph's end gives `None` when `no_overwalk`, else stops where it is.
    pub(crate) fn walk(&self, start: Position, steps: i64, label: Option<&str>, no_overwalk: bool) -> Result<Option<Position>, RevisionError> {
        let mut current = start;
        for _ in 0..steps.unsigned_abs() {
            let candidates: Vec<Position> = if steps > 0 {
                let up: Vec<usize> = match current {
                    Position::BelowBases | Position::Base => self.bases.clone(),
                    Position::Revision(index) => self.nextrev(index).to_vec(),
                };
                let up = match label {
                    Some(label) => self.filter_for_lineage(&up, label, false)?,
                    None => up,
                };
                up.into_iter().map(Position::Revision).collect()
            } else {
                match current {
                    Position::Base => Vec::new(),
                    Position::BelowBases => self.heads.iter().copied().map(Position::Revision).collect(),
                    Position::Revision(index) if self.down(index).is_empty() => vec![Position::Base],
                    Position::Revision(index) => self.down(index).iter().copied().map(Position::Revision).collect(),
                }
            };
            match candidates.as_slice() {
                [] => return Ok(if no_overwalk { None } else { Some(current) }),
                [next] => current = *next,
                several => {
                    return Err(RevisionError::AmbiguousWalk {
                        from: match current {
                            Position::Revision(index) => self.id(index).to_owned(),
                            Position::BelowBases | Position::Base => "base".to_owned(),
                        },
                        count: several.len(),
                        what: if steps > 0 { "children" } else { "parents" },
                    });
                }
            }
        }
        Ok(Some(current))
    }
}

/// Python's `int(text)` for the forms a target can take: optional surrounding whitespace, an
/// optional sign, ASCII digits (underscores between digits allowed, as Python does).
pub(crate) fn parse_python_int(text: &str) -> Option<i64> {
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.as_bytes().first()? {
        b'-' => (true, &trimmed[1..]),
        b'+' => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    if !digits.bytes().all(|byte| byte.is_ascii_digit() || byte == b'_') {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}
