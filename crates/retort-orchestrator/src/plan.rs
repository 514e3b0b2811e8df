//! `retort plan`: the global plan of a run without running it. The databases are read without
//! creating anything, every up-front check of a run is made, and the DAG is built as the run
//! would build it; the result lists every step with what it waits for.

use retort_core::Plan;

use crate::checks::{Access, prepare_databases};
use crate::dag::{StepGraph, StepId};
use crate::error::{RunError, StepRef, WaitReason};
use crate::request::{DatabaseTarget, RunRequest};
use crate::runner::prepared_inputs;
use crate::worker::{step_direction_name, step_migration};

/// The global plan of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunPlan {
    /// Every database of the run, in name order.
    pub databases: Vec<DatabasePlan>,
    /// Every step, in the order of a run with unlimited jobs and equal steps: by wave, then by
    /// database name.
    pub steps: Vec<PlannedStep>,
    /// The number of waves: the longest chain of steps that must run one after another (the
    /// critical path, counted in steps).
    pub waves: usize,
}

/// One database's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DatabasePlan {
    pub database: String,
    /// The version rows now.
    pub from: Vec<String>,
    /// The version rows once the plan has run.
    pub to: Vec<String>,
    pub steps: usize,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedStep {
    pub database: String,
    /// 1-based position in the database's plan.
    pub index: usize,
    /// The migration's id, or for a stamp what it stamps.
    pub revision: String,
    /// `upgrade`, `downgrade` or `stamp`.
    pub direction: String,
    pub message: String,
    /// The migration file, when the step runs one.
    pub path: Option<String>,
    /// The wave the step runs in with unlimited jobs and equal steps (1-based): steps of one
    /// wave can run at the same time.
    pub wave: usize,
    /// The steps it waits for, and why.
    pub waits_for: Vec<Wait>,
}

/// A step that another waits for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Wait {
    pub step: StepRef,
    pub because: WaitReason,
}

/// Plans `request` without changing anything: reads every database (a database that does not
/// exist reads as empty and is not created), makes every check a run makes, and builds the DAG.
pub async fn plan(request: &RunRequest) -> Result<RunPlan, RunError> {
    let prepared = prepare_databases(request, Access::ReadOnly).await?;
    let graph = StepGraph::new(&prepared_inputs(&prepared), request.command.order_direction())?;
    let databases = prepared
        .iter()
        .map(|database| DatabasePlan {
            database: database.target.name.clone(),
            from: database.plan.start_rows.clone(),
            to: database.plan.end_rows().to_vec(),
            steps: database.plan.steps.len(),
        })
        .collect();
    let mut order: Vec<StepId> = (0..graph.len()).collect();
    order.sort_by(|left, right| {
        graph
            .wave(*left)
            .cmp(&graph.wave(*right))
            .then_with(|| graph.database_name(graph.database_of(*left)).cmp(graph.database_name(graph.database_of(*right))))
            .then(left.cmp(right))
    });
    let steps = order
        .into_iter()
        .map(|step| {
            let database = &prepared[graph.database_of(step)];
            planned_step(&graph, step, &database.target, &database.plan)
        })
        .collect();
    let waves = (0..graph.len()).map(|step| graph.wave(step)).max().unwrap_or(0);
    Ok(RunPlan { databases, steps, waves })
}

fn planned_step(graph: &StepGraph, step: StepId, target: &DatabaseTarget, plan: &Plan) -> PlannedStep {
    let position = graph.index_in_database(step);
    let step_ref = graph.step_ref(step);
    let (message, path, direction) = match plan.steps.get(position) {
        Some(plan_step) => {
            let migration = step_migration(target, plan_step);
            (
                migration.map(|migration| migration.message.clone()).unwrap_or_default(),
                migration.filter(|_| plan_step.revision().is_some()).map(|migration| migration.path.clone()),
                step_direction_name(plan_step).to_owned(),
            )
        }
        None => (String::new(), None, String::new()),
    };
    PlannedStep {
        database: step_ref.database,
        index: position + 1,
        revision: step_ref.revision,
        direction,
        message,
        path,
        wave: graph.wave(step),
        waits_for: graph
            .waits(step)
            .into_iter()
            .map(|(waited, because)| Wait { step: graph.step_ref(waited), because })
            .collect(),
    }
}
