//! `retort status [--format text|json]`: a table of every selected database: its current
//! revisions, its heads, how many migrations are pending, unexpected heads and edited files.
//! Reads only; creates no table and no file. Warnings (how to merge, what was edited) go to
//! stderr.

use crate::args::{RunFormat, StatusArgs};
use crate::commands::context::Context;
use crate::commands::overview::{DatabaseStatus, database_status, edited_warning, merge_hint};
use crate::exit::Outcome;
use crate::render::{aligned, format_rows};

pub async fn status(context: &Context<'_>, args: &StatusArgs) -> anyhow::Result<Outcome> {
    let mut statuses = Vec::new();
    for (database, set) in context.load_selected()? {
        statuses.push(database_status(context, database, &set).await?);
    }
    match args.format {
        RunFormat::Json => {
            let json = serde_json::json!({ "databases": statuses });
            context.printer.data(json);
        }
        RunFormat::Text => {
            context.printer.data_raw(&status_table(&statuses));
            for status in &statuses {
                if status.unexpected_heads {
                    context.printer.warning(merge_hint(
                        &status.database,
                        &status.heads,
                        status.expected_heads,
                    ));
                }
                for file in &status.edited {
                    context
                        .printer
                        .warning(edited_warning(&status.database, file));
                }
            }
        }
    }
    Ok(Outcome::Success)
}

/// `database  current  heads  pending  unexpected heads  edited files`, `-` for none.
fn status_table(statuses: &[DatabaseStatus]) -> String {
    let mut rows = vec![
        [
            "database",
            "current",
            "heads",
            "pending",
            "unexpected heads",
            "edited files",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for status in statuses {
        let unexpected = if status.unexpected_heads {
            format!("{} (expects {})", status.heads.len(), status.expected_heads)
        } else {
            "-".to_owned()
        };
        let edited: Vec<&str> = status
            .edited
            .iter()
            .map(|file| file.path.as_str())
            .collect();
        rows.push(vec![
            status.database.clone(),
            format_rows(&status.current),
            if status.heads.is_empty() {
                "-".to_owned()
            } else {
                status.heads.join(", ")
            },
            status.pending.len().to_string(),
            unexpected,
            if edited.is_empty() {
                "-".to_owned()
            } else {
                edited.join(", ")
            },
        ]);
    }
    aligned(&rows)
}
