//! The revision map: one database's revisions on a petgraph graph, with Alembic's notions of
//! heads, bases, branch points, merge points, branch labels and normalised dependencies.
//!
//! This is Alembic's `RevisionMap._revision_map` (alembic/script/revision.py): the map is built
//! once, eagerly, and every later question (targets, plans, history) is answered from it. Edges
//! point from a revision to its parents (`Down`) and to its dependencies (`Dep`); a dependency
//! is "normalised" when no proper ancestor of the revision already declares it.

use std::collections::{HashMap, HashSet};

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
    pub(crate) nodes: Vec<Node>,
    /// Revision ids and branch labels, each to the revision it names.
    pub(crate) keys: HashMap<String, usize>,
    /// Edges from a revision to its parents and dependencies.
    pub(crate) graph: DiGraph<(), Edge>,
    pub(crate) heads: Vec<usize>,
    pub(crate) real_heads: Vec<usize>,
    pub(crate) bases: Vec<usize>,
    pub(crate) label_names: Vec<String>,
}

/// The derived facts of one revision, by index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// `_versioned_down_revisions`: parents in declared order.
    pub(crate) down: Vec<usize>,
    /// `_resolved_dependencies`: depends_on through the key space, declared order.
    pub(crate) resolved_deps: Vec<usize>,
    /// `_normalized_down_revisions`: parents, then the normalised dependencies, deduplicated.
    pub(crate) normalized_down: Vec<usize>,
    /// Whether any dependency survived normalisation.
    pub(crate) has_normalized_deps: bool,
    /// `nextrev`: children naming this revision in down_revision, map order.
    pub(crate) nextrev: Vec<usize>,
    /// `_all_nextrev`: children naming it in down_revision or depends_on, map order.
    pub(crate) all_nextrev: Vec<usize>,
    /// Propagated branch labels, as indices into `label_names`, sorted.
    pub(crate) labels: Vec<usize>,
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
        let mut keys: HashMap<String, usize> = HashMap::with_capacity(revisions.len());
        for (index, revision) in revisions.iter().enumerate() {
            if revision.down_revisions.contains(&revision.id) {
                return Err(RevisionError::SelfLoop { id: revision.id.clone() });
            }
            if revision.depends_on.contains(&revision.id) {
                return Err(RevisionError::DependencySelfLoop { id: revision.id.clone() });
            }
            validate_revision_id(&revision.id)?;
            if keys.insert(revision.id.clone(), index).is_some() {
                return Err(RevisionError::DuplicateRevision { id: revision.id.clone() });
            }
        }
        let mut label_names: Vec<String> = Vec::new();
        let mut declared_labels: Vec<Vec<usize>> = vec![Vec::new(); revisions.len()];
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
                declared_labels[index].push(label_names.len());
                label_names.push(label.clone());
            }
        }

        let mut nodes: Vec<Node> = vec![Node::default(); revisions.len()];
        let mut graph: DiGraph<(), Edge> = DiGraph::with_capacity(revisions.len(), revisions.len());
        for _ in 0..revisions.len() {
            graph.add_node(());
        }
        for (index, revision) in revisions.iter().enumerate() {
            for dependency in &revision.depends_on {
                let Some(&target) = keys.get(dependency) else {
                    return Err(RevisionError::MissingDependency {
                        revision: revision.id.clone(),
                        missing: dependency.clone(),
                    });
                };
                nodes[index].resolved_deps.push(target);
            }
            for down in &revision.down_revisions {
                let target = match keys.get(down) {
                    Some(&target) if revisions[target].id == *down => target,
                    _ => {
                        return Err(RevisionError::MissingDownRevision {
                            revision: revision.id.clone(),
                            missing: down.clone(),
                        });
                    }
                };
                if !nodes[index].down.contains(&target) {
                    nodes[index].down.push(target);
                }
            }
        }
        // Children lists, in map order because children are visited in map order.
        for index in 0..revisions.len() {
            let mut all_down: Vec<usize> = nodes[index].down.clone();
            for &dependency in &nodes[index].resolved_deps {
                if !all_down.contains(&dependency) {
                    all_down.push(dependency);
                }
            }
            for parent in all_down {
                nodes[parent].all_nextrev.push(index);
                if nodes[index].down.contains(&parent) {
                    nodes[parent].nextrev.push(index);
                }
            }
            for &parent in &nodes[index].down {
                graph.add_edge(NodeIndex::new(index), NodeIndex::new(parent), Edge::Down);
            }
        }

        let mut map = RevisionMap {
            revisions,
            nodes,
            keys,
            graph,
            heads: Vec::new(),
            real_heads: Vec::new(),
            bases: Vec::new(),
            label_names,
        };
        map.normalize_dependencies();
        map.heads = (0..map.len()).filter(|&index| map.nodes[index].nextrev.is_empty()).collect();
        map.real_heads = (0..map.len()).filter(|&index| map.nodes[index].all_nextrev.is_empty()).collect();
        map.bases = (0..map.len()).filter(|&index| map.nodes[index].down.is_empty()).collect();
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
        let node = &self.nodes[index];
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
        (0..self.len()).filter(|&index| self.nodes[index].nextrev.len() > 1).map(|index| self.id(index)).collect()
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
        let mut labels: Vec<&str> = self.nodes[index].labels.iter().map(|&label| self.label_names[label].as_str()).collect();
        labels.sort_unstable();
        labels
    }

    pub(crate) fn has_label(&self, index: usize, label: &str) -> bool {
        self.nodes[index].labels.iter().any(|&candidate| self.label_names[candidate] == label)
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
            Walk::Ancestors => self.nodes[index].down.iter().for_each(|&parent| visit(parent)),
            Walk::AncestorsWithDeps => self.nodes[index].normalized_down.iter().for_each(|&parent| visit(parent)),
            Walk::AncestorsAllDeps => {
                for edge in self.graph.edges_directed(node, EdgeDirection::Outgoing) {
                    visit(edge.target().index());
                }
            }
            Walk::Descendants => self.nodes[index].nextrev.iter().for_each(|&child| visit(child)),
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
        top.ones().filter(|&index| !self.nodes[index].nextrev.iter().any(|&child| top.contains(child))).collect()
    }

    /// Computes `_normalized_resolved_dependencies`: a revision's dependencies minus those any
    /// proper ancestor (through down_revision) already declares. Kept in declared order.
    fn normalize_dependencies(&mut self) {
        for index in 0..self.len() {
            if self.nodes[index].resolved_deps.is_empty() {
                self.nodes[index].normalized_down = self.nodes[index].down.clone();
                continue;
            }
            let mut remaining: Vec<usize> = Vec::new();
            for &dependency in &self.nodes[index].resolved_deps {
                if !remaining.contains(&dependency) {
                    remaining.push(dependency);
                }
            }
            let ancestors = self.related(self.nodes[index].down.clone(), Walk::Ancestors);
            for ancestor in ancestors.ones() {
                if ancestor == index || remaining.is_empty() {
                    continue;
                }
                let declared = &self.nodes[ancestor].resolved_deps;
                remaining.retain(|dependency| !declared.contains(dependency));
            }
            let mut normalized_down = self.nodes[index].down.clone();
            for &dependency in &remaining {
                if !normalized_down.contains(&dependency) {
                    normalized_down.push(dependency);
                }
            }
            for &dependency in &self.nodes[index].resolved_deps.clone() {
                let normalized = remaining.contains(&dependency);
                self.graph.add_edge(NodeIndex::new(index), NodeIndex::new(dependency), Edge::Dep { normalized });
            }
            self.nodes[index].has_normalized_deps = !remaining.is_empty();
            self.nodes[index].normalized_down = normalized_down;
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
            .filter(|&index| self.nodes[index].down.is_empty() && self.revisions[index].depends_on.is_empty())
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
    /// and, while the line is unbranched, the stem below it.
    fn propagate_branch_labels(&mut self, declared_labels: &[Vec<usize>]) {
        for (index, declared) in declared_labels.iter().enumerate() {
            for &label in declared {
                insert_sorted(&mut self.nodes[index].labels, label);
            }
        }
        for index in 0..self.len() {
            if declared_labels[index].is_empty() {
                continue;
            }
            let labels = self.nodes[index].labels.clone();
            // The descendants in Alembic's traversal order; the walk down starts at the last one.
            let mut seen: HashSet<usize> = HashSet::new();
            let mut stack = vec![index];
            let mut last = index;
            while let Some(current) = stack.pop() {
                if !seen.insert(current) {
                    continue;
                }
                for &label in &labels {
                    insert_sorted(&mut self.nodes[current].labels, label);
                }
                stack.extend(self.nodes[current].nextrev.iter().copied());
                last = current;
            }
            let mut parent = last;
            loop {
                let node = &self.nodes[parent];
                if node.all_nextrev.len() > 1 || node.down.len() > 1 {
                    break;
                }
                for &label in &labels {
                    insert_sorted(&mut self.nodes[parent].labels, label);
                }
                match self.nodes[parent].down.first() {
                    Some(&down) => parent = down,
                    None => break,
                }
            }
        }
    }
}

fn insert_sorted(labels: &mut Vec<usize>, label: usize) {
    if let Err(position) = labels.binary_search(&label) {
        labels.insert(position, label);
    }
}
