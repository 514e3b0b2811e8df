//! Text for people, built without printing; the printer writes what these return.
//!
//! - `revision.rs`: Alembic's revision lines and verbose blocks;
//! - `events.rs`: the plain line per run event and the summary table a run ends with;
//! - `plan.rs`: the global plan as text, Graphviz dot or Mermaid;
//! - `table.rs`: aligned columns, for the summary and `status`.

mod events;
mod plan;
mod revision;
mod table;

pub use events::{EventLine, PlainEvents, format_rows, summary_table};
pub use plan::{plan_dot, plan_mermaid, plan_text};
pub use revision::{LineParts, Marks, log_entry, revision_line};
pub use table::aligned;
