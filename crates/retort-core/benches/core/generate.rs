//! Generated migration sets for the benches: a linear chain, and a branchy graph with several
//! bases, branch labels, a branch point and a merge every 20 revisions, and depends_on edges
//! between lines.

use std::fmt::Write as _;

use retort_core::SourceFile;

/// The shape of a generated graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One base, one head, every revision the child of the one before.
    Linear,
    /// `LINES` bases, each labelled `lineN`, each line made of blocks of 20 revisions: a branch
    /// point, a side chain of 6 and a main chain of 12 beside it, and the merge of the two.
    /// One side-chain start in 50 declares a label of its own (`featureN`), and one main-chain
    /// revision in 100 of every line but the first depends on the revision at the same place
    /// in the line before.
    Branchy,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Linear => "linear",
            Shape::Branchy => "branchy",
        }
    }
}

/// Bases (and so heads) of the branchy shape.
pub const LINES: usize = 4;
/// Revisions per branch-and-merge block of the branchy shape.
const BLOCK: usize = 20;
const SIDE: usize = 6;

/// One generated revision, before it is written as a file.
#[derive(Debug, Clone)]
pub struct Generated {
    pub id: String,
    pub down: Vec<usize>,
    pub depends_on: Vec<usize>,
    pub labels: Vec<String>,
}

/// A generated migration set, in file-name order.
pub struct Graph {
    pub revisions: Vec<Generated>,
    pub files: Vec<SourceFile>,
    /// Where a walk of three steps up (`<rev>+3`, `<rev>-3`) stays on one unbranched line.
    pub middle: usize,
}

impl Graph {
    pub fn new(shape: Shape, size: usize) -> Graph {
        let revisions = match shape {
            Shape::Linear => linear(size),
            Shape::Branchy => branchy(size),
        };
        let files = revisions.iter().enumerate().map(|(index, revision)| file(&revisions, index, revision)).collect();
        // A main-chain revision in the middle of a block, half-way through the first line.
        let middle = match shape {
            Shape::Linear => size / 2,
            Shape::Branchy => (size / LINES / 2 / BLOCK) * BLOCK + SIDE + 2,
        };
        Graph { revisions, files, middle }
    }

    pub fn id(&self, index: usize) -> &str {
        &self.revisions[index].id
    }
}

/// 12 lowercase hex characters, as retort and Alembic generate them; deterministic.
fn revision_id(index: usize) -> String {
    let mut state = (index as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    state = (state ^ (state >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    state = (state ^ (state >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    state ^= state >> 31;
    format!("{:012x}", state & 0xffff_ffff_ffff)
}

fn linear(size: usize) -> Vec<Generated> {
    (0..size)
        .map(|index| Generated {
            id: revision_id(index),
            down: if index == 0 { Vec::new() } else { vec![index - 1] },
            depends_on: Vec::new(),
            labels: Vec::new(),
        })
        .collect()
}

fn branchy(size: usize) -> Vec<Generated> {
    let per_line = size / LINES;
    let mut revisions: Vec<Generated> = Vec::with_capacity(size);
    let mut feature = 0;
    for line in 0..LINES {
        let start = revisions.len();
        let length = if line == LINES - 1 { size - start } else { per_line };
        // Whole blocks end in a merge; what is left after the last one is a plain tail.
        let blocks_end = ((length.max(1) - 1) / BLOCK) * BLOCK;
        let (mut tip, mut side_tip) = (start, start);
        for offset in 0..length {
            let index = revisions.len();
            let position = offset % BLOCK;
            let mut labels = Vec::new();
            let down = if offset == 0 {
                labels.push(format!("line{line}"));
                Vec::new()
            } else if offset > blocks_end {
                vec![tip]
            } else if position == 0 {
                vec![tip, side_tip]
            } else if position == 1 {
                if (offset / BLOCK) % 50 == 25 {
                    labels.push(format!("feature{feature}"));
                    feature += 1;
                }
                vec![tip]
            } else if position <= SIDE {
                vec![side_tip]
            } else {
                vec![tip]
            };
            let mut depends_on = Vec::new();
            if line > 0 && offset % 100 == SIDE + 3 && offset < per_line {
                depends_on.push(start - per_line + offset);
            }
            revisions.push(Generated { id: revision_id(index), down, depends_on, labels });
            if offset > 0 && offset <= blocks_end && (1..=SIDE).contains(&position) {
                side_tip = index;
            } else {
                tip = index;
            }
        }
    }
    revisions
}

fn file(revisions: &[Generated], index: usize, revision: &Generated) -> SourceFile {
    let names = |indices: &[usize]| indices.iter().map(|&other| revisions[other].id.as_str()).collect::<Vec<_>>().join(", ");
    let mut text = String::with_capacity(400);
    let _ = writeln!(text, "-- revision: {}", revision.id);
    let _ = writeln!(text, "-- down_revision: {}", names(&revision.down));
    if !revision.depends_on.is_empty() {
        let _ = writeln!(text, "-- depends_on: {}", names(&revision.depends_on));
    }
    if !revision.labels.is_empty() {
        let _ = writeln!(text, "-- branch_labels: {}", revision.labels.join(", "));
    }
    let _ = writeln!(text, "-- message: create table t{index}");
    let _ = writeln!(text, "-- created: 2026-01-01T00:00:00Z");
    let _ = writeln!(text);
    let _ = writeln!(text, "-- upgrade");
    let _ = writeln!(text, "CREATE TABLE t{index} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);");
    let _ = writeln!(text);
    let _ = writeln!(text, "-- downgrade");
    let _ = writeln!(text, "DROP TABLE t{index};");
    SourceFile { path: format!("versions/{index:06}_{}_create_t{index}.sql", revision.id), bytes: text.into_bytes() }
}
