//! The revision map: one database's revisions on a petgraph graph, with Alembic's notions of
//! heads, bases, branch points, merge points, branch labels and normalised dependencies.
//!
//! This is Alembic's `RevisionMap._revision_map` (alembic/script/revision.py): the map is built
//! once, eagerly, and every later question (targets, plans, history) is answered from it. Edges
//! point from a revision to its parents (`Down`) and to its dependencies (`Dep`); a dependency
//! is "normalised" when no proper ancestor of the revision already declares it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use petgraph::Direction as EdgeDirection;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::error::RevisionError;
use crate::history::HistoryRange;
use crate::plan::Plan;
use crate::revision::{Revision, validate_revision_id};

/// A set of revision indices, one bit per revision.
pub(crate) type RevSet = fixedbitset::FixedBitSet;

/// One database's revision graph, built from its revisions in load (file-name) order.
#[derive(Debug, Clone)]
pub struct RevisionMap {
    /// Revisions in map order: the order they were given, which callers make file-name order.
    pub(crate) revisions: Vec<Revision>,
    /// The derived lists of every revision, see [`NodeRef`].
    lists: NodeLists,
    /// Revision ids and branch labels, each to the revision it names.
    pub(crate) keys: HashMap<String, usize, KeyHasher>,
    /// Edges from a revision to its parents and dependencies.
    pub(crate) graph: DiGraph<(), Edge>,
    pub(crate) heads: Vec<usize>,
    pub(crate) real_heads: Vec<usize>,
    pub(crate) bases: Vec<usize>,
    pub(crate) label_names: Vec<String>,
    /// The branch labels of every revision, after propagation.
    labels: LabelSets,
}

/// The derived facts of one revision, borrowed from the map ([`RevisionMap::node`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRef<'map> {
    /// `_versioned_down_revisions`: parents in declared order.
    pub(crate) down: &'map [usize],
    /// `_normalized_down_revisions`: parents, then the normalised dependencies, deduplicated.
    pub(crate) normalized_down: &'map [usize],
    /// Whether any dependency survived normalisation.
    pub(crate) has_normalized_deps: bool,
    /// `nextrev`: children naming this revision in down_revision, map order.
    pub(crate) nextrev: &'map [usize],
    /// `_all_nextrev`: children naming it in down_revision or depends_on, map order.
    pub(crate) all_nextrev: &'map [usize],
}

/// Every revision's lists, each kind stored end to end in one allocation: a `Vec` per list
/// per revision was most of the map's memory at 100k revisions.
#[derive(Debug, Clone, Default)]
struct NodeLists {
    down: IndexLists,
    /// `_resolved_dependencies`: depends_on through the key space, declared order.
    resolved_deps: IndexLists,
    /// Only the revisions with a normalised dependency; the others' are their `down`.
    normalized_down: HashMap<usize, Vec<usize>, KeyHasher>,
    /// The revisions with a key in `normalized_down`.
    has_normalized_deps: RevSet,
    nextrev: IndexLists,
    all_nextrev: IndexLists,
}

/// One list of revision indices per revision, stored end to end.
#[derive(Debug, Clone, Default)]
struct IndexLists {
    /// Where each revision's list ends in `items`.
    ends: Vec<u32>,
    items: Vec<usize>,
}

impl IndexLists {
    fn with_capacity(lists: usize, items: usize) -> IndexLists {
        IndexLists { ends: Vec::with_capacity(lists), items: Vec::with_capacity(items) }
    }

    fn get(&self, index: usize) -> &[usize] {
        let start = match index {
            0 => 0,
            _ => self.ends[index - 1] as usize,
        };
        &self.items[start..self.ends[index] as usize]
    }

    /// Appends the next revision's list.
    fn push(&mut self, list: impl IntoIterator<Item = usize>) {
        self.items.extend(list);
        self.ends.push(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
    }

    /// The reverse lists: for each of `count` revisions, the revisions whose list (in `lists`)
    /// names it, in increasing order; `keep` chooses the entries that count.
    fn reversed(lists: &IndexLists, count: usize, keep: impl Fn(usize, usize) -> bool) -> IndexLists {
        let mut counts = vec![0u32; count];
        for child in 0..lists.ends.len() {
            for &parent in lists.get(child) {
                if keep(child, parent) {
                    counts[parent] += 1;
                }
            }
        }
        let mut ends = Vec::with_capacity(count);
        let mut total = 0u32;
        for &parent_count in &counts {
            total += parent_count;
            ends.push(total);
        }
        // Filled back to front from each list's end, so every list ends up in increasing order.
        let mut items = vec![0usize; total as usize];
        let mut next = ends.clone();
        for child in (0..lists.ends.len()).rev() {
            for &parent in lists.get(child).iter().rev() {
                if keep(child, parent) {
                    next[parent] -= 1;
                    items[next[parent] as usize] = child;
                }
            }
        }
        IndexLists { ends, items }
    }
}

/// Each revision's branch labels as one of few distinct sets: whole lines share their labels, so
/// a set per revision would repeat the same few sets thousands of times.
#[derive(Debug, Clone)]
struct LabelSets {
    /// Distinct sets of indices into `label_names`, sorted; set 0 is the empty set.
    sets: Vec<Vec<usize>>,
    /// The set of each revision.
    of_revision: Vec<u32>,
}

/// A fast hasher for the map's keys (revision ids and labels, and indices): SipHash's
/// protection against chosen collisions is not needed for the ids of one's own migration files.
pub(crate) type KeyHasher = BuildHasherDefault<FxHasher>;

/// The Fx hash (rustc's): one multiply and rotate per word.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add_word(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add_word(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add_word(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add_word(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add_word(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add_word(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add_word(value as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// The kind of an edge from a revision to a revision it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// The target is a parent (down_revision).
    Down,
    /// The target is a dependency; `normalized` when no proper ancestor declares it too.
    Dep { normalized: bool },
}

/// Which edges a traversal follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Parents only (`_versioned_down_revisions`).
    Ancestors,
    /// Parents and normalised dependencies (`_normalized_down_revisions`).
    AncestorsWithDeps,
    /// Parents and every resolved dependency (`_all_down_revisions`).
    AncestorsAllDeps,
    /// Children through down_revision only (`nextrev`).
    Descendants,
    /// Children through down_revision or depends_on (`_all_nextrev`).
    DescendantsWithDeps,
}

/// What the map knows about one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionInfo<'a> {
    pub revision: &'a Revision,
    /// Branch labels after propagation (declared ones and those inherited), sorted.
    pub labels: Vec<&'a str>,
    /// Revisions naming this one in `down_revision`, in map order.
    pub children: Vec<&'a str>,
    /// No revision names it in `down_revision` (a "versioned head").
    pub is_head: bool,
    /// No revision names it in `down_revision` or `depends_on`.
    pub is_real_head: bool,
    pub is_base: bool,
    pub is_branch_point: bool,
    pub is_merge_point: bool,
}

impl RevisionMap {
    /// Builds the map, checking ids, labels, references and cycles.
    pub fn new(revisions: Vec<Revision>) -> Result<Self, RevisionError> {
        RevisionMap::build(revisions, true)
    }

    /// [`RevisionMap::new`] for revisions read from migration files, whose ids the parser has
    /// already validated.
    pub(crate) fn from_parsed(revisions: Vec<Revision>) -> Result<Self, RevisionError> {
        RevisionMap::build(revisions, false)
    }

    fn build(revisions: Vec<Revision>, validate_ids: bool) -> Result<Self, RevisionError> {
        let mut keys: HashMap<String, usize, KeyHasher> = HashMap::with_capacity_and_hasher(revisions.len(), KeyHasher::default());
        for (index, revision) in revisions.iter().enumerate() {
            if revision.down_revisions.contains(&revision.id) {
                return Err(RevisionError::SelfLoop { id: revision.id.clone() });
            }
            if revision.depends_on.contains(&revision.id) {
                return Err(RevisionError::DependencySelfLoop { id: revision.id.clone() });
            }
            if validate_ids {
                validate_revision_id(&revision.id)?;
            }
            if keys.insert(revision.id.clone(), index).is_some() {
                return Err(RevisionError::DuplicateRevision { id: revision.id.clone() });
            }
        }
        let mut label_names: Vec<String> = Vec::new();
        // (revision, label) for every declared label, in declaration order.
        let mut declared_labels: Vec<(usize, usize)> = Vec::new();
        for (index, revision) in revisions.iter().enumerate() {
            for label in &revision.branch_labels {
                if let Some(&other) = keys.get(label) {
                    return Err(RevisionError::DuplicateBranchLabel {
                        label: label.clone(),
                        revision: revision.id.clone(),
                        other: revisions[other].id.clone(),
                    });
                }
                keys.insert(label.clone(), index);
                declared_labels.push((index, label_names.len()));
                label_names.push(label.clone());
            }
        }

        let count = revisions.len();
        let mut down = IndexLists::with_capacity(count, count);
        let mut resolved_deps = IndexLists::with_capacity(count, 0);
        let mut parents: Vec<usize> = Vec::new();
        for (index, revision) in revisions.iter().enumerate() {
            let mut dependencies: Vec<usize> = Vec::with_capacity(revision.depends_on.len());
            for dependency in &revision.depends_on {
                let Some(&target) = keys.get(dependency) else {
                    return Err(RevisionError::MissingDependency {
                        revision: revision.id.clone(),
                        missing: dependency.clone(),
                    });
                };
                dependencies.push(target);
            }
            resolved_deps.push(dependencies);
            parents.clear();
            let previous = index.checked_sub(1);
            for down_revision in &revision.down_revisions {
                let by_key = || keys.get(down_revision).copied();
                let target = match previous.filter(|&previous| revisions[previous].id == *down_revision) {
                    // Files in order usually name the file before them: no hash lookup needed
                    // (ids are unique, so it is the revision the key names).
                    Some(previous) => previous,
                    // A key that is a label, not this id, names no revision here.
                    None => match by_key() {
                        Some(target) if revisions[target].id == *down_revision => target,
                        _ => {
                            return Err(RevisionError::MissingDownRevision {
                                revision: revision.id.clone(),
                                missing: down_revision.clone(),
                            });
                        }
                    },
                };
                if !parents.contains(&target) {
                    parents.push(target);
                }
            }
            down.push(parents.iter().copied());
        }
        // Children lists, in map order because children are visited in map order. A child
        // naming a parent both in down_revision and depends_on is listed once.
        let nextrev = IndexLists::reversed(&down, count, |_, _| true);
        let mut all_down = IndexLists::with_capacity(count, down.items.len() + resolved_deps.items.len());
        for index in 0..count {
            parents.clear();
            parents.extend_from_slice(down.get(index));
            for &dependency in resolved_deps.get(index) {
                if !parents.contains(&dependency) {
                    parents.push(dependency);
                }
            }
            all_down.push(parents.iter().copied());
        }
        let all_nextrev = IndexLists::reversed(&all_down, count, |_, _| true);
        drop(all_down);

        let mut graph: DiGraph<(), Edge> = DiGraph::with_capacity(count, count);
        for _ in 0..count {
            graph.add_node(());
        }
        for index in 0..count {
            for &parent in down.get(index) {
                graph.add_edge(NodeIndex::new(index), NodeIndex::new(parent), Edge::Down);
            }
        }

        let mut map = RevisionMap {
            revisions,
            lists: NodeLists {
                down,
                resolved_deps,
                normalized_down: HashMap::default(),
                has_normalized_deps: RevSet::with_capacity(count),
                nextrev,
                all_nextrev,
            },
            keys,
            graph,
            heads: Vec::new(),
            real_heads: Vec::new(),
            bases: Vec::new(),
            label_names,
            labels: LabelSets { sets: vec![Vec::new()], of_revision: vec![0; count] },
        };
        map.normalize_dependencies();
        map.heads = (0..map.len()).filter(|&index| map.nextrev(index).is_empty()).collect();
        map.real_heads = (0..map.len()).filter(|&index| map.all_nextrev(index).is_empty()).collect();
        map.bases = (0..map.len()).filter(|&index| map.down(index).is_empty()).collect();
        map.detect_cycles()?;
        map.propagate_branch_labels(&declared_labels);
        Ok(map)
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    /// True when the map has no revisions.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// Revision ids in map order.
    pub fn ids(&self) -> Vec<&str> {
        self.revisions.iter().map(|revision| revision.id.as_str()).collect()
    }

    /// The revision with exactly this id.
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.index_of(id).map(|index| &self.revisions[index])
    }

    /// Everything the map knows about a revision.
    pub fn info(&self, id: &str) -> Option<RevisionInfo<'_>> {
        let index = self.index_of(id)?;
        let node = self.node(index);
        Some(RevisionInfo {
            revision: &self.revisions[index],
            labels: self.labels_of(index),
            children: node.nextrev.iter().map(|&child| self.id(child)).collect(),
            is_head: node.nextrev.is_empty(),
            is_real_head: node.all_nextrev.is_empty(),
            is_base: node.down.is_empty(),
            is_branch_point: node.nextrev.len() > 1,
            is_merge_point: node.down.len() > 1,
        })
    }

    /// Versioned heads (named by nobody in down_revision), map order.
    pub fn heads(&self) -> Vec<&str> {
        self.heads.iter().map(|&index| self.id(index)).collect()
    }

    /// Real heads (named by nobody in down_revision or depends_on), map order.
    pub fn real_heads(&self) -> Vec<&str> {
        self.real_heads.iter().map(|&index| self.id(index)).collect()
    }

    /// Bases (no down_revision), map order.
    pub fn bases(&self) -> Vec<&str> {
        self.bases.iter().map(|&index| self.id(index)).collect()
    }

    /// Branch points (several children through down_revision), map order.
    pub fn branch_points(&self) -> Vec<&str> {
        (0..self.len()).filter(|&index| self.nextrev(index).len() > 1).map(|index| self.id(index)).collect()
    }

    /// Alembic's `get_revisions`: `heads`, `head`, `label@head`, ids, unique prefixes, labels,
    /// and `-N` / `label@-N` walked down from the real heads. `base` resolves to nothing.
    pub fn resolve(&self, spec: &str) -> Result<Vec<String>, RevisionError> {
        Ok(self.names(&self.get_revision_indices(spec)?))
    }

    /// Alembic's `get_revision`: at most one revision (several heads are an error); `None` is base.
    pub fn resolve_one(&self, spec: &str) -> Result<Option<String>, RevisionError> {
        Ok(self.get_revision(spec)?.map(|index| self.id(index).to_owned()))
    }

    /// Checks that every version row names a known revision.
    pub fn check_rows(&self, rows: &[String]) -> Result<(), RevisionError> {
        self.row_indices(rows).map(|_| ())
    }

    /// The rows plus the heads they imply through depends_on (Alembic's `get_all_current`),
    /// in map order.
    pub fn current(&self, rows: &[String]) -> Result<Vec<String>, RevisionError> {
        let current = self.all_current(&self.row_indices(rows)?);
        Ok(current.into_iter().map(|index| self.id(index).to_owned()).collect())
    }

    /// Every revision applied when the version table holds `rows`: the rows and their ancestors
    /// with dependencies, in map order.
    pub fn applied(&self, rows: &[String]) -> Result<Vec<String>, RevisionError> {
        let indices = self.row_indices(rows)?;
        let applied = self.related(indices.iter().copied(), Walk::AncestorsWithDeps);
        Ok(applied.ones().map(|index| self.id(index).to_owned()).collect())
    }

    /// The upgrade plan from `rows` to `target` (any upgrade target form).
    pub fn upgrade(&self, rows: &[String], target: &str) -> Result<Plan, RevisionError> {
        crate::planner::upgrade(self, rows, target)
    }

    /// The downgrade plan from `rows` to `target` (any downgrade target form).
    pub fn downgrade(&self, rows: &[String], target: &str) -> Result<Plan, RevisionError> {
        crate::planner::downgrade(self, rows, target)
    }

    /// The stamp plan from `rows` to `targets`; `purge` first deletes every row.
    pub fn stamp(&self, rows: &[String], targets: &[&str], purge: bool) -> Result<Plan, RevisionError> {
        crate::stamp::stamp(self, rows, targets, purge)
    }

    /// Revisions of a history range, newest first (Alembic's `walk_revisions`).
    pub fn history(&self, range: &HistoryRange, rows: &[String]) -> Result<Vec<&str>, RevisionError> {
        crate::history::history(self, range, rows)
    }
}

// Crate-internal helpers shared by resolution, planning and stamping.
impl RevisionMap {
    pub(crate) fn id(&self, index: usize) -> &str {
        &self.revisions[index].id
    }

    /// The derived lists of revision `index`.
    pub(crate) fn node(&self, index: usize) -> NodeRef<'_> {
        NodeRef {
            down: self.lists.down.get(index),
            normalized_down: self.normalized_down(index),
            has_normalized_deps: self.lists.has_normalized_deps.contains(index),
            nextrev: self.lists.nextrev.get(index),
            all_nextrev: self.lists.all_nextrev.get(index),
        }
    }

    /// [`NodeRef::down`] alone, for loops that need only it.
    pub(crate) fn down(&self, index: usize) -> &[usize] {
        self.lists.down.get(index)
    }

    /// [`NodeRef::nextrev`] alone.
    pub(crate) fn nextrev(&self, index: usize) -> &[usize] {
        self.lists.nextrev.get(index)
    }

    /// [`NodeRef::all_nextrev`] alone.
    pub(crate) fn all_nextrev(&self, index: usize) -> &[usize] {
        self.lists.all_nextrev.get(index)
    }

    /// [`NodeRef::normalized_down`] alone.
    pub(crate) fn normalized_down(&self, index: usize) -> &[usize] {
        if !self.lists.has_normalized_deps.contains(index) {
            return self.lists.down.get(index);
        }
        self.lists.normalized_down.get(&index).map_or(&[], Vec::as_slice)
    }

    /// The keys in Alembic's map order: revision ids in map order, then branch labels in the
    /// order they are declared, each with the revision it names.
    pub(crate) fn keys_in_map_order(&self) -> impl Iterator<Item = (&str, usize)> {
        let ids = self.revisions.iter().enumerate().map(|(index, revision)| (revision.id.as_str(), index));
        let labels = self.label_names.iter().filter_map(|label| Some((label.as_str(), *self.keys.get(label)?)));
        ids.chain(labels)
    }

    pub(crate) fn index_of(&self, id: &str) -> Option<usize> {
        self.keys.get(id).copied().filter(|&index| self.revisions[index].id == id)
    }

    pub(crate) fn labels_of(&self, index: usize) -> Vec<&str> {
        let set = &self.labels.sets[self.labels.of_revision[index] as usize];
        let mut labels: Vec<&str> = set.iter().map(|&label| self.label_names[label].as_str()).collect();
        labels.sort_unstable();
        labels
    }

    pub(crate) fn has_label(&self, index: usize, label: &str) -> bool {
        let set = &self.labels.sets[self.labels.of_revision[index] as usize];
        set.iter().any(|&candidate| self.label_names[candidate] == label)
    }

    /// The version rows as revision indices; a row no file has is an error.
    pub(crate) fn row_indices(&self, rows: &[String]) -> Result<Vec<usize>, RevisionError> {
        rows.iter()
            .map(|row| self.index_of(row).ok_or_else(|| RevisionError::UnknownRow { revision: row.clone() }))
            .collect()
    }

    pub(crate) fn empty_set(&self) -> RevSet {
        RevSet::with_capacity(self.len())
    }

    /// Every revision reachable from `starts` (included) along `walk`.
    pub(crate) fn related(&self, starts: impl IntoIterator<Item = usize>, walk: Walk) -> RevSet {
        let mut seen = self.empty_set();
        let mut stack: Vec<usize> = starts.into_iter().collect();
        while let Some(index) = stack.pop() {
            if seen.put(index) {
                continue;
            }
            self.for_each_neighbour(index, walk, |next| {
                if !seen.contains(next) {
                    stack.push(next);
                }
            });
        }
        seen
    }

    /// Calls `visit` with each revision one edge away from `index` along `walk`.
    pub(crate) fn for_each_neighbour(&self, index: usize, walk: Walk, mut visit: impl FnMut(usize)) {
        let node = NodeIndex::new(index);
        match walk {
            Walk::Ancestors => self.lists.down.get(index).iter().for_each(|&parent| visit(parent)),
            Walk::AncestorsWithDeps => self.normalized_down(index).iter().for_each(|&parent| visit(parent)),
            Walk::AncestorsAllDeps => {
                for edge in self.graph.edges_directed(node, EdgeDirection::Outgoing) {
                    visit(edge.target().index());
                }
            }
            Walk::Descendants => self.lists.nextrev.get(index).iter().for_each(|&child| visit(child)),
            Walk::DescendantsWithDeps => {
                for edge in self.graph.edges_directed(node, EdgeDirection::Incoming) {
                    visit(edge.source().index());
                }
            }
        }
    }

    /// Alembic's `_get_all_current`: the rows, their ancestors with dependencies, reduced to
    /// those with no descendant (through down_revision) in the set; map order.
    pub(crate) fn all_current(&self, rows: &[usize]) -> Vec<usize> {
        // The set is closed under ancestry, so a revision has a descendant in it exactly when
        // one of its children is in it.
        let top = self.related(rows.iter().copied(), Walk::AncestorsWithDeps);
        top.ones().filter(|&index| !self.lists.nextrev.get(index).iter().any(|&child| top.contains(child))).collect()
    }

    /// Computes `_normalized_resolved_dependencies`: a revision's dependencies minus those any
    /// proper ancestor (through down_revision) already declares. Kept in declared order.
    ///
    /// A dependency only one revision declares is always kept, so only the targets several
    /// revisions declare are looked at: one walk over the descendants of all their declarers
    /// finds the declarers that have another one below them. Walking every ancestor of each
    /// revision with a dependency made this quadratic.
    fn normalize_dependencies(&mut self) {
        let count = self.len();
        // For each dependency target, the revisions declaring it (each once), in map order.
        let mut declarers: HashMap<usize, Vec<usize>, KeyHasher> = HashMap::default();
        for index in 0..count {
            for (position, &dependency) in self.lists.resolved_deps.get(index).iter().enumerate() {
                if !self.lists.resolved_deps.get(index)[..position].contains(&dependency) {
                    declarers.entry(dependency).or_default().push(index);
                }
            }
        }
        // (revision, dependency) pairs declared by a proper ancestor of the revision too.
        let mut inherited: Vec<(usize, usize)> = Vec::new();
        let mut seen_in_walk: Vec<u32> = Vec::new();
        let mut walk = 0u32;
        let mut targets: Vec<(&usize, &Vec<usize>)> = declarers.iter().filter(|(_, declaring)| declaring.len() > 1).collect();
        targets.sort_unstable();
        for (&dependency, declaring) in targets {
            if seen_in_walk.is_empty() {
                seen_in_walk = vec![0; count];
            }
            walk += 1;
            // Every proper descendant (through down_revision) of a declarer.
            let mut stack: Vec<usize> = declaring.iter().flat_map(|&declarer| self.lists.nextrev.get(declarer)).copied().collect();
            while let Some(current) = stack.pop() {
                if seen_in_walk[current] == walk {
                    continue;
                }
                seen_in_walk[current] = walk;
                stack.extend(self.lists.nextrev.get(current).iter().copied().filter(|&child| seen_in_walk[child] != walk));
            }
            inherited.extend(declaring.iter().filter(|&&declarer| seen_in_walk[declarer] == walk).map(|&declarer| (declarer, dependency)));
        }
        inherited.sort_unstable();
        for index in 0..count {
            let resolved = self.lists.resolved_deps.get(index);
            if resolved.is_empty() {
                continue;
            }
            let mut remaining: Vec<usize> = Vec::new();
            for &dependency in resolved {
                if !remaining.contains(&dependency) && inherited.binary_search(&(index, dependency)).is_err() {
                    remaining.push(dependency);
                }
            }
            for &dependency in resolved {
                let normalized = remaining.contains(&dependency);
                self.graph.add_edge(NodeIndex::new(index), NodeIndex::new(dependency), Edge::Dep { normalized });
            }
            if remaining.is_empty() {
                continue;
            }
            let mut normalized_down = self.lists.down.get(index).to_vec();
            for &dependency in &remaining {
                if !normalized_down.contains(&dependency) {
                    normalized_down.push(dependency);
                }
            }
            self.lists.normalized_down.insert(index, normalized_down);
            self.lists.has_normalized_deps.insert(index);
        }
    }

    /// Alembic's `_detect_cycles`, then a strongly-connected-components pass that also finds the
    /// cycles Alembic's reachability test misses (a loop reachable from both a head and a base).
    fn detect_cycles(&self) -> Result<(), RevisionError> {
        if self.is_empty() {
            return Ok(());
        }
        let all_ids = || self.ids().into_iter().map(str::to_owned).collect::<Vec<_>>();
        if self.heads.is_empty() || self.bases.is_empty() {
            return Err(RevisionError::Cycle { ids: all_ids() });
        }
        let reachable = |from_heads: RevSet, from_bases: RevSet| -> Vec<String> {
            let mut missing: Vec<String> = (0..self.len())
                .filter(|&index| !(from_heads.contains(index) && from_bases.contains(index)))
                .map(|index| self.id(index).to_owned())
                .collect();
            missing.sort();
            missing
        };
        let missing = reachable(
            self.related(self.heads.iter().copied(), Walk::Ancestors),
            self.related(self.bases.iter().copied(), Walk::Descendants),
        );
        if !missing.is_empty() {
            return Err(RevisionError::Cycle { ids: missing });
        }
        let real_bases: Vec<usize> = (0..self.len())
            .filter(|&index| self.down(index).is_empty() && self.revisions[index].depends_on.is_empty())
            .collect();
        if self.real_heads.is_empty() || real_bases.is_empty() {
            return Err(RevisionError::DependencyCycle { ids: all_ids() });
        }
        let missing = reachable(
            self.related(self.real_heads.iter().copied(), Walk::AncestorsAllDeps),
            self.related(real_bases.iter().copied(), Walk::DescendantsWithDeps),
        );
        if !missing.is_empty() {
            return Err(RevisionError::DependencyCycle { ids: missing });
        }
        // Alembic's reachability tests miss a loop that is reachable from both a head and a base;
        // the strongly connected components catch every remaining cycle.
        for component in tarjan_scc(&self.graph) {
            if component.len() > 1 {
                let only_down = component.iter().all(|node| {
                    self.graph
                        .edges_directed(*node, EdgeDirection::Outgoing)
                        .filter(|edge| component.contains(&edge.target()))
                        .all(|edge| *edge.weight() == Edge::Down)
                });
                let mut ids: Vec<String> = component.iter().map(|node| self.id(node.index()).to_owned()).collect();
                ids.sort();
                return Err(if only_down { RevisionError::Cycle { ids } } else { RevisionError::DependencyCycle { ids } });
            }
        }
        Ok(())
    }

    /// Alembic's `_add_branches`: a label names every descendant of the revision declaring it
    /// and, while the line is unbranched, the stem below it. `declared` lists (revision, label)
    /// in map order.
    fn propagate_branch_labels(&mut self, declared: &[(usize, usize)]) {
        if declared.is_empty() {
            return;
        }
        let mut sets = LabelSetsBuilder::new(std::mem::take(&mut self.labels.sets));
        let of_revision = &mut self.labels.of_revision;
        for &(index, label) in declared {
            of_revision[index] = sets.with_label(of_revision[index], label);
        }
        let mut labelled: Vec<usize> = declared.iter().map(|&(index, _)| index).collect();
        labelled.dedup();
        let mut seen_in_walk: Vec<u32> = vec![0; self.revisions.len()];
        for (walk, &index) in (1u32..).zip(&labelled) {
            // The labels the revision has now, inherited ones included, as Alembic reads them.
            let labels = of_revision[index];
            // The descendants in Alembic's traversal order; the walk down starts at the last one.
            let mut stack = vec![index];
            let mut last = index;
            while let Some(current) = stack.pop() {
                if seen_in_walk[current] == walk {
                    continue;
                }
                seen_in_walk[current] = walk;
                of_revision[current] = sets.union(of_revision[current], labels);
                stack.extend(self.lists.nextrev.get(current).iter().copied());
                last = current;
            }
            let mut parent = last;
            loop {
                let down = self.lists.down.get(parent);
                if self.lists.all_nextrev.get(parent).len() > 1 || down.len() > 1 {
                    break;
                }
                of_revision[parent] = sets.union(of_revision[parent], labels);
                match down.first() {
                    Some(&down) => parent = down,
                    None => break,
                }
            }
        }
        self.labels.sets = sets.sets;
    }
}

/// Interns label sets while labels propagate: `union` is memoised, since a walk applies the same
/// set to thousands of revisions that mostly share one set already.
struct LabelSetsBuilder {
    /// Distinct sorted sets; set 0 is the empty set.
    sets: Vec<Vec<usize>>,
    ids: HashMap<Vec<usize>, u32, KeyHasher>,
    unions: HashMap<(u32, u32), u32, KeyHasher>,
    /// The last union made: a walk meets the same one revision after revision.
    last_union: Option<((u32, u32), u32)>,
}

impl LabelSetsBuilder {
    fn new(sets: Vec<Vec<usize>>) -> LabelSetsBuilder {
        let ids = sets.iter().enumerate().map(|(id, set)| (set.clone(), u32::try_from(id).unwrap_or(u32::MAX))).collect();
        LabelSetsBuilder { sets, ids, unions: HashMap::default(), last_union: None }
    }

    fn intern(&mut self, set: Vec<usize>) -> u32 {
        if let Some(&id) = self.ids.get(&set) {
            return id;
        }
        let id = u32::try_from(self.sets.len()).unwrap_or(u32::MAX);
        self.sets.push(set.clone());
        self.ids.insert(set, id);
        id
    }

    fn with_label(&mut self, set: u32, label: usize) -> u32 {
        let mut labels = self.sets[set as usize].clone();
        if let Err(position) = labels.binary_search(&label) {
            labels.insert(position, label);
        }
        self.intern(labels)
    }

    fn union(&mut self, set: u32, other: u32) -> u32 {
        if set == other || other == 0 {
            return set;
        }
        if set == 0 {
            return other;
        }
        if let Some((key, id)) = self.last_union
            && key == (set, other)
        {
            return id;
        }
        if let Some(&id) = self.unions.get(&(set, other)) {
            self.last_union = Some(((set, other), id));
            return id;
        }
        let mut labels = self.sets[set as usize].clone();
        for &label in &self.sets[other as usize] {
            if let Err(position) = labels.binary_search(&label) {
                labels.insert(position, label);
            }
        }
        let id = self.intern(labels);
        self.unions.insert((set, other), id);
        self.last_union = Some(((set, other), id));
        id
    }
}
