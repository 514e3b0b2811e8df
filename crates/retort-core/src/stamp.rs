//! Stamp: Alembic's `_stamp_revs`. It rewrites the version table without running any
//! migration, which is how an existing database is adopted (`stamp <baseline>`) or repaired.

use crate::error::RevisionError;
use crate::graph::{RevisionMap, Walk};
use crate::plan::{Action, Direction, Plan, Step, VersionChange};
use crate::resolve::Position;
use crate::rows::Rows;

/// The stamp plan from `rows` to `targets`; `purge` first deletes every row.
pub(crate) fn stamp(map: &RevisionMap, rows: &[String], targets: &[&str], purge: bool) -> Result<Plan, RevisionError> {
    for target in targets {
        if target.contains(':') {
            return Err(RevisionError::RangeNotAllowed { range: (*target).to_owned() });
        }
    }
    let mut steps: Vec<Step> = Vec::new();
    let row_indices = if purge {
        // Purging empties the table first, which also clears rows no file knows about.
        if !rows.is_empty() {
            steps.push(Step {
                action: Action::Stamp(Direction::Down),
                from: rows.to_vec(),
                to: Vec::new(),
                version_changes: rows.iter().map(|row| VersionChange::Delete(row.clone())).collect(),
                rows_after: Vec::new(),
            });
        }
        Vec::new()
    } else {
        map.row_indices(rows)?
    };
    let targets: Vec<&str> = if targets.is_empty() { vec!["base"] } else { targets.to_vec() };

    let mut filtered: Vec<usize> = Vec::new();
    for target in &targets {
        for row in map.filter_for_lineage(&row_indices, target, true)? {
            if !filtered.contains(&row) {
                filtered.push(row);
            }
        }
    }
    let mut destinations: Vec<Option<usize>> = Vec::new();
    for target in &targets {
        for position in map.get_revisions(target)? {
            let destination = match position {
                Position::Revision(index) => Some(index),
                Position::Base | Position::BelowBases => None,
            };
            // Naming a destination twice means it once (Alembic fails an assertion).
            if !destinations.contains(&destination) {
                destinations.push(destination);
            }
        }
    }
    if destinations.is_empty() {
        destinations.push(None);
    }

    let mut simulated = Rows::new(&row_indices);
    let mut claimed: Vec<(usize, usize)> = Vec::new();
    for destination in destinations {
        let Some(destination) = destination else {
            for &row in &filtered {
                if simulated.as_slice().contains(&row) {
                    steps.push(map.stamp_step(&mut simulated, &[row], None, Direction::Down, true)?);
                }
            }
            continue;
        };
        if filtered.contains(&destination) {
            continue;
        }
        let descendants = map.related([destination], Walk::DescendantsWithDeps);
        let ancestors = map.related([destination], Walk::AncestorsWithDeps);
        let direction = if filtered.iter().any(|&row| descendants.contains(row)) {
            Some(Direction::Down)
        } else if filtered.iter().any(|&row| ancestors.contains(row)) {
            Some(Direction::Up)
        } else {
            None
        };
        match direction {
            Some(direction) => {
                // Alembic moves every filtered row at once. Moving rows up a second time inserts
                // the new destination (the rows are gone already), but moving rows down that an
                // earlier destination took is undefined (Alembic fails with a KeyError).
                let taken = claimed.iter().find(|(row, _)| filtered.contains(row)).filter(|_| direction == Direction::Down);
                if let Some(&(row, other)) = taken {
                    return Err(RevisionError::StampOverlap {
                        row: map.id(row).to_owned(),
                        dests: vec![map.id(other).to_owned(), map.id(destination).to_owned()],
                    });
                }
                claimed.extend(filtered.iter().map(|&row| (row, destination)));
                steps.push(map.stamp_step(&mut simulated, &filtered, Some(destination), direction, false)?);
            }
            None => steps.push(map.stamp_step(&mut simulated, &[], Some(destination), Direction::Up, true)?),
        }
    }
    Ok(Plan { start_rows: rows.to_vec(), steps })
}
