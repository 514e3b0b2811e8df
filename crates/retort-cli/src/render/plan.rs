//! The global plan of `retort plan` as text (steps by wave), Graphviz dot, or Mermaid.
//!
//! Edges in dot and Mermaid point from a step to the steps that wait for it; waits across
//! databases are dashed and say why.

use retort_orchestrator::{PlannedStep, RunPlan, WaitReason};

use crate::render::{aligned, format_rows};

/// The plan for people: what each database goes from and to, then every step by wave, with
/// what it waits for in other databases.
pub fn plan_text(plan: &RunPlan, title: &str) -> String {
    let n_steps = plan.steps.len();
    let mut text = if n_steps == 0 {
        format!("{title}: nothing to do\n\n")
    } else {
        format!(
            "{title}: {n_steps} {} in {} {}, {} {}\n\n",
            plural(n_steps, "step", "steps"),
            plan.databases.len(),
            plural(plan.databases.len(), "database", "databases"),
            plan.waves,
            plural(plan.waves, "wave", "waves"),
        )
    };
    let mut databases = vec![vec![
        "database".to_owned(),
        "from".to_owned(),
        "to".to_owned(),
        "steps".to_owned(),
    ]];
    databases.extend(plan.databases.iter().map(|database| {
        vec![
            database.database.clone(),
            format_rows(&database.from),
            format_rows(&database.to),
            database.steps.to_string(),
        ]
    }));
    text.push_str(&aligned(&databases));
    if n_steps == 0 {
        return text;
    }
    let mut steps = vec![vec![
        "wave".to_owned(),
        "database".to_owned(),
        "step".to_owned(),
        "message".to_owned(),
        "waits for".to_owned(),
    ]];
    steps.extend(plan.steps.iter().map(|step| {
        let waits: Vec<String> = step
            .waits_for
            .iter()
            .filter(|wait| wait.because != WaitReason::PlanOrder)
            .map(|wait| wait.step.to_string())
            .collect();
        vec![
            step.wave.to_string(),
            step.database.clone(),
            format!("{} {}", step.direction, step.revision),
            step.message.clone(),
            waits.join(", "),
        ]
    }));
    text.push('\n');
    text.push_str(&aligned(&steps));
    text
}

/// The plan as a Graphviz digraph: one cluster per database.
pub fn plan_dot(plan: &RunPlan) -> String {
    let mut text = String::from("digraph retort_plan {\n  rankdir=LR;\n  node [shape=box];\n");
    for database in &plan.databases {
        text.push_str(&format!(
            "  subgraph \"cluster_{}\" {{\n    label=\"{}\";\n",
            dot_escape(&database.database),
            dot_escape(&database.database)
        ));
        for step in plan
            .steps
            .iter()
            .filter(|step| step.database == database.database)
        {
            text.push_str(&format!(
                "    \"{}\" [label=\"{}\"];\n",
                dot_escape(&node_name(step)),
                dot_escape(&node_label(step, "\n"))
            ));
        }
        text.push_str("  }\n");
    }
    for step in &plan.steps {
        for wait in &step.waits_for {
            let edge = format!(
                "  \"{}\" -> \"{}\"",
                dot_escape(&wait.step.to_string()),
                dot_escape(&node_name(step))
            );
            match reason_label(&wait.because) {
                None => text.push_str(&format!("{edge};\n")),
                Some(label) => text.push_str(&format!(
                    "{edge} [style=dashed, label=\"{}\"];\n",
                    dot_escape(label)
                )),
            }
        }
    }
    text.push_str("}\n");
    text
}

/// The plan as a Mermaid flowchart: one subgraph per database.
pub fn plan_mermaid(plan: &RunPlan) -> String {
    let id_of = |name: &str| {
        plan.steps
            .iter()
            .position(|step| node_name(step) == name)
            .map(|position| format!("s{position}"))
    };
    let mut text = String::from("flowchart LR\n");
    for (database_idx, database) in plan.databases.iter().enumerate() {
        text.push_str(&format!(
            "  subgraph d{database_idx} [\"{}\"]\n",
            mermaid_escape(&database.database)
        ));
        for (position, step) in plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, step)| step.database == database.database)
        {
            text.push_str(&format!(
                "    s{position}[\"{}\"]\n",
                mermaid_escape(&node_label(step, "<br/>"))
            ));
        }
        text.push_str("  end\n");
    }
    for (position, step) in plan.steps.iter().enumerate() {
        for wait in &step.waits_for {
            let Some(from) = id_of(&wait.step.to_string()) else {
                continue;
            };
            match reason_label(&wait.because) {
                None => text.push_str(&format!("  {from} --> s{position}\n")),
                Some(label) => text.push_str(&format!(
                    "  {from} -.->|{}| s{position}\n",
                    mermaid_escape(label)
                )),
            }
        }
    }
    text
}

/// `database:revision`, unique within a plan.
fn node_name(step: &PlannedStep) -> String {
    format!("{}:{}", step.database, step.revision)
}

/// `upgrade <rev>` and the message on a second line.
fn node_label(step: &PlannedStep, line_break: &str) -> String {
    if step.message.is_empty() {
        format!("{} {}", step.direction, step.revision)
    } else {
        format!(
            "{} {}{line_break}{}",
            step.direction, step.revision, step.message
        )
    }
}

/// What a dashed edge says; plan order needs no label.
fn reason_label(reason: &WaitReason) -> Option<&'static str> {
    match reason {
        WaitReason::PlanOrder => None,
        WaitReason::DependsOn { .. } => Some("depends_on"),
        WaitReason::ConfigAfter { .. } => Some("after"),
    }
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}
