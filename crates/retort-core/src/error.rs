//! Errors of the revision graph: building it, resolving targets, and planning.
//!
//! Messages follow Alembic's wording where Alembic has one, with the detail Alembic's command
//! line drops (the candidates of an ambiguous prefix, the branch a revision is not a member of).

/// A problem with a database's revision graph or with a target given against it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevisionError {
    #[error(
        "invalid revision identifier '{id}'{}; ids are 1 to 32 characters without whitespace, commas or any of '@ - + :'",
        if bad_chars.is_empty() { String::new() } else { format!(": character(s) '{}' not allowed", bad_chars.iter().map(char::to_string).collect::<Vec<_>>().join("', '")) }
    )]
    InvalidId { id: String, bad_chars: Vec<char> },
    #[error("revision {id} is present more than once")]
    DuplicateRevision { id: String },
    #[error("branch name '{label}' in revision {revision} already used by revision {other}")]
    DuplicateBranchLabel { label: String, revision: String, other: String },
    #[error("revision {missing} referenced from revision {revision} as a down_revision is not present; add its file, or correct the down_revision")]
    MissingDownRevision { revision: String, missing: String },
    #[error("revision {missing} referenced from revision {revision} in depends_on is not present; add its file, or correct the depends_on")]
    MissingDependency { revision: String, missing: String },
    #[error("self-loop is detected in revisions ({id})")]
    SelfLoop { id: String },
    #[error("dependency self-loop is detected in revisions ({id})")]
    DependencySelfLoop { id: String },
    #[error("cycle is detected in revisions ({}); change a down_revision to break it", ids.join(", "))]
    Cycle { ids: Vec<String> },
    #[error("dependency cycle is detected in revisions ({}); change a depends_on or down_revision to break it", ids.join(", "))]
    DependencyCycle { ids: Vec<String> },

    #[error("no such revision or branch '{id}'{}", if id.chars().count() < 4 { "; please ensure at least four characters are present for partial revision identifier matches" } else { "" })]
    UnknownRevision { id: String },
    #[error("multiple revisions start with '{prefix}': {}; use more characters", candidates.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", "))]
    AmbiguousPrefix { prefix: String, candidates: Vec<String> },
    #[error("no such branch: '{label}'")]
    UnknownBranch { label: String },
    #[error("revision {revision} is not a member of branch '{label}'")]
    NotBranchMember { revision: String, label: String },
    #[error(
        "multiple head revisions are present for given argument '{argument}' ({}); please specify a specific target revision, '<branchname>@{argument}' to narrow to a specific head, or 'heads' for all heads",
        heads.join(", ")
    )]
    MultipleHeads { argument: String, heads: Vec<String> },
    #[error("can't locate revision identified by '{revision}', recorded in the version table; add the missing file, or use 'stamp --purge' to reset the table")]
    UnknownRow { revision: String },

    #[error("empty target; name a revision, or use 'heads' or 'base'")]
    EmptyTarget,
    #[error("relative revision {relative} didn't produce {steps} migrations")]
    RelativeOutOfRange { relative: String, steps: i64 },
    #[error("walked too far: {relative} goes past the {end} of the graph")]
    WalkedTooFar { relative: String, end: &'static str },
    #[error("ambiguous walk from {from}: it has {count} {what}; name a revision or use 'label@' to pick a branch")]
    AmbiguousWalk { from: String, count: usize, what: &'static str },
    #[error("ambiguous upgrade from multiple current revisions ({}); name a target or use 'label@+N'", current.join(", "))]
    AmbiguousUpgrade { current: Vec<String> },
    #[error("downgrade {relative} from multiple current revisions ({}) is ambiguous; use 'label@{relative}' or name a revision", current.join(", "))]
    AmbiguousDowngrade { relative: String, current: Vec<String> },
    #[error("no current revision is on branch '{label}' (current: {})", if current.is_empty() { "base".to_owned() } else { current.join(", ") })]
    NoCurrentOnBranch { label: String, current: Vec<String> },
    #[error("requested revision {revision} overlaps with other requested revisions {}", others.join(", "))]
    Overlap { revision: String, others: Vec<String> },
    #[error("destination {destination} is not a valid {direction} target from current head(s) ({})", if current.is_empty() { "base".to_owned() } else { current.join(", ") })]
    NotValidTarget { destination: String, direction: &'static str, current: Vec<String> },
    #[error("revision {lower} is not an ancestor of revision {upper}")]
    NotAnAncestor { lower: String, upper: String },
    #[error("range revision not allowed here: '{range}'; ranges 'start:end' only work with --sql and history -r")]
    RangeNotAllowed { range: String },
    #[error("requested range {start}:{end} does not refer to ancestor/descendant revisions along the same branch")]
    HistoryRangeNotAncestor { start: String, end: String },
    #[error("history range requires [start]:[end], [start]:, or :[end], got '{range}'")]
    BadHistoryRange { range: String },
    #[error("stamping several revisions that relate to the same current revision {row} is not supported: {}; stamp them one at a time", dests.join(", "))]
    StampOverlap { row: String, dests: Vec<String> },
    #[error("cannot compute the version-table change for revision {revision}: {detail}; the version table is in a state upgrade and downgrade do not produce, use 'stamp' to set it")]
    InconsistentRows { revision: String, detail: String },
}
