//! DDL text for one object at a time, per dialect: column definitions, `CREATE TABLE`,
//! indexes, constraints, `ALTER TABLE` pieces. `crate::plan` decides which of these run and in
//! what order; the engine-specific parts live in `postgres.rs` and `sqlite.rs` (MySQL's
//! one, `MODIFY COLUMN`, is in `columns.rs`).

mod columns;
mod constraints;
pub(crate) mod postgres;
pub(crate) mod sqlite;

pub(crate) use columns::{column_definition, mysql_modify_column, needs_parentheses};
pub(crate) use constraints::{
    add_check, add_foreign_key, add_primary_key, add_unique, create_index, create_table,
    drop_check, drop_foreign_key, drop_index, drop_primary_key, drop_unique,
};

use std::fmt;

/// One statement of a migration, with the comments that go before it. A statement with no SQL
/// is a comment only (something retort cannot do for you, explained).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub comments: Vec<String>,
    pub sql: String,
}

impl Statement {
    pub(crate) fn new(sql: impl Into<String>) -> Statement {
        Statement {
            comments: Vec::new(),
            sql: sql.into(),
        }
    }

    pub(crate) fn with_comment(mut self, comment: impl Into<String>) -> Statement {
        self.comments.push(comment.into());
        self
    }

    /// A comment with no SQL.
    pub(crate) fn note(comment: impl Into<String>) -> Statement {
        Statement::new("").with_comment(comment)
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for comment in &self.comments {
            writeln!(f, "-- {comment}")?;
        }
        if !self.sql.is_empty() {
            writeln!(f, "{};", self.sql)?;
        }
        Ok(())
    }
}

/// The statements as a script: one after another, with a blank line around those that span
/// several lines or carry comments.
pub fn render_script(statements: &[Statement]) -> String {
    let mut script = String::new();
    let mut previous_was_block = false;
    for (position, statement) in statements.iter().enumerate() {
        let block = !statement.comments.is_empty() || statement.sql.contains('\n');
        if position > 0 && (block || previous_was_block) {
            script.push('\n');
        }
        script.push_str(&statement.to_string());
        previous_was_block = block;
    }
    script
}

/// The warning put before a change that makes a nullable column `NOT NULL`.
pub(crate) fn nulls_refused(
    table: &crate::model::ObjectName,
    from: &crate::model::Column,
    to: &crate::model::Column,
) -> Option<String> {
    (from.nullable && !to.nullable).then(|| {
        format!(
            "WARNING: {table}.{} becomes NOT NULL: rows where it is NULL make this fail",
            to.name
        )
    })
}

/// The warning put before a statement that deletes data.
pub(crate) fn data_loss(what: impl fmt::Display) -> String {
    format!("WARNING: data loss: {what}")
}
