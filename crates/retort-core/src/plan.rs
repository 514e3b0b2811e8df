//! Plans: the ordered steps an upgrade, downgrade or stamp runs, each with the version-table
//! row changes Alembic's `HeadMaintainer` makes for it.

/// Which way a step moves a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Towards the heads.
    Up,
    /// Towards the bases.
    Down,
}

/// What a step does besides changing version rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run the upgrade section of this revision.
    Upgrade(String),
    /// Run the downgrade section of this revision.
    Downgrade(String),
    /// Run nothing: only the version rows change.
    Stamp(Direction),
}

/// One change to the version table (`retort_version`, Alembic's `alembic_version` shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionChange {
    /// `INSERT INTO version (version_num) VALUES (id)`.
    Insert(String),
    /// `DELETE FROM version WHERE version_num = id`.
    Delete(String),
    /// `UPDATE version SET version_num = to WHERE version_num = from`.
    Update { from: String, to: String },
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The migration to run, or a stamp.
    pub action: Action,
    /// The revisions the step leaves, without dependencies (Alembic's `from_revisions_no_deps`).
    pub from: Vec<String>,
    /// The revisions the step reaches, without dependencies (Alembic's `to_revisions_no_deps`).
    pub to: Vec<String>,
    /// The version-table changes, in the order they must run.
    pub version_changes: Vec<VersionChange>,
    /// The version rows after this step, in row order.
    pub rows_after: Vec<String>,
}

impl Step {
    /// The revision whose migration this step runs, if it runs one.
    pub fn revision(&self) -> Option<&str> {
        match &self.action {
            Action::Upgrade(id) | Action::Downgrade(id) => Some(id),
            Action::Stamp(_) => None,
        }
    }

    /// The direction of the step.
    pub fn direction(&self) -> Direction {
        match &self.action {
            Action::Upgrade(_) => Direction::Up,
            Action::Downgrade(_) => Direction::Down,
            Action::Stamp(direction) => *direction,
        }
    }
}

/// The steps that take a database from `start_rows` to `end_rows`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The version rows the plan was made from, in row order.
    pub start_rows: Vec<String>,
    /// The steps, in the order they run.
    pub steps: Vec<Step>,
}

impl Plan {
    /// The version rows once every step has run.
    pub fn end_rows(&self) -> &[String] {
        self.steps.last().map_or(&self.start_rows, |step| &step.rows_after)
    }

    /// The revisions whose migrations run, in order.
    pub fn revisions(&self) -> Vec<&str> {
        self.steps.iter().filter_map(Step::revision).collect()
    }
}
