//! SQLite's `ALTER TABLE` adds a column (with limits), drops a column (with limits), and
//! renames; everything else is done by rebuilding the table, as Alembic's batch mode and
//! SQLite's own documentation do: create the new table under a temporary name, copy the rows
//! of the columns both have, drop the old table, rename the new one, and create its indexes.
//!
//! The copy runs inside the migration's transaction. retort runs SQLite migrations with
//! foreign-key enforcement off (as Alembic does), so dropping the old table neither cascades
//! nor fails on rows that reference it; the references resolve to the new table once it has
//! the old name.

use std::collections::BTreeSet;

use retort_core::Dialect;

use super::{Statement, column_definition, create_table, data_loss, needs_parentheses};
use crate::compare::Difference;
use crate::model::{Column, ObjectName, Table};
use crate::quote::{quote_columns, quote_identifier, quote_object};

const DIALECT: Dialect = Dialect::Sqlite;

/// Whether SQLite's `ALTER TABLE` can make every difference of one table (indexes aside): only
/// adding plain columns and dropping columns no key, index or constraint uses.
pub(crate) fn can_alter(from: &Table, to: &Table, differences: &[&Difference]) -> bool {
    differences.iter().all(|difference| match difference {
        Difference::ColumnAdded { column, .. } => can_add_column(to, column),
        Difference::ColumnRemoved { column, .. } => {
            !from.column_is_constrained(&column.name) && column.generated.is_none()
        }
        Difference::IndexAdded { .. }
        | Difference::IndexRemoved { .. }
        | Difference::IndexChanged { .. } => true,
        _ => false,
    })
}

/// `ALTER TABLE … ADD COLUMN`.
pub(crate) fn add_column(table: &ObjectName, column: &Column) -> Statement {
    Statement::new(format!(
        "ALTER TABLE {} ADD COLUMN {}",
        quote_object(DIALECT, table),
        column_definition(DIALECT, column, false)
    ))
}

/// The statements that rebuild `from` as `to`, keeping the rows of the columns both have.
pub(crate) fn rebuild_table(
    from: &Table,
    to: &Table,
    differences: &[&Difference],
) -> Vec<Statement> {
    let temporary = ObjectName {
        schema: to.name.schema.clone(),
        name: format!("_retort_new_{}", to.name.name),
    };
    let reasons: Vec<String> = differences
        .iter()
        .filter(|difference| {
            !matches!(
                difference,
                Difference::IndexAdded { .. }
                    | Difference::IndexRemoved { .. }
                    | Difference::IndexChanged { .. }
            )
        })
        .map(ToString::to_string)
        .collect();
    let mut create = create_table(DIALECT, to, &temporary, &BTreeSet::new());
    let indexes = create.split_off(1);
    let mut statements = Vec::new();
    let Some(mut create_new) = create.pop() else {
        return statements;
    };
    create_new.comments.push(format!(
        "rebuild table {} (SQLite cannot ALTER this): {}",
        to.name,
        reasons.join("; ")
    ));
    for column in &from.columns {
        if to.column(&column.name).is_none() && column.generated.is_none() {
            create_new.comments.push(data_loss(format!(
                "column {}.{} is dropped",
                to.name, column.name
            )));
        }
    }
    for column in &to.columns {
        if let Some(warning) = from
            .column(&column.name)
            .and_then(|old| super::nulls_refused(&to.name, old, column))
        {
            create_new.comments.push(warning);
        }
        let fills_itself =
            column.default.is_some() || column.identity.is_some() || column.generated.is_some();
        if from.column(&column.name).is_none() && !column.nullable && !fills_itself {
            create_new.comments.push(format!(
                "WARNING: {}.{} is NOT NULL without a default: the copy fails when {} has rows",
                to.name, column.name, to.name
            ));
        }
    }
    statements.push(create_new);
    let copied: Vec<String> = to
        .columns
        .iter()
        .filter(|column| column.generated.is_none())
        .filter(|column| {
            from.column(&column.name)
                .is_some_and(|old| old.generated.is_none())
        })
        .map(|column| column.name.clone())
        .collect();
    if !copied.is_empty() {
        let columns = quote_columns(DIALECT, &copied);
        statements.push(Statement::new(format!(
            "INSERT INTO {} ({columns}) SELECT {columns} FROM {}",
            quote_object(DIALECT, &temporary),
            quote_object(DIALECT, &from.name)
        )));
    }
    statements.push(Statement::new(format!(
        "DROP TABLE {}",
        quote_object(DIALECT, &from.name)
    )));
    statements.push(Statement::new(format!(
        "ALTER TABLE {} RENAME TO {}",
        quote_object(DIALECT, &temporary),
        quote_identifier(DIALECT, &to.name.name)
    )));
    statements.extend(indexes);
    statements
}

/// SQLite's conditions on `ADD COLUMN`: no key or unique, no check or foreign key on the column,
/// not stored-generated, and when `NOT NULL` a default; the default a constant.
fn can_add_column(to: &Table, column: &Column) -> bool {
    let in_constraint = to
        .primary_key
        .as_ref()
        .is_some_and(|key| key.columns.contains(&column.name))
        || to
            .unique_constraints
            .iter()
            .any(|unique| unique.columns.contains(&column.name))
        || to
            .foreign_keys
            .iter()
            .any(|foreign_key| foreign_key.columns.contains(&column.name))
        || to
            .checks
            .iter()
            .any(|check| crate::normalize::mentions_word(&check.expression, &column.name));
    let stored = column
        .generated
        .as_ref()
        .is_some_and(|generated| generated.stored);
    let constant_default = column.default.as_deref().is_none_or(|default| {
        !needs_parentheses(default, false) && !default.to_ascii_uppercase().starts_with("CURRENT_")
    });
    let null_allowed = column.nullable || column.default.is_some() || column.generated.is_some();
    !in_constraint && !stored && constant_default && null_allowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PrimaryKey;

    fn users(extra: &[&str]) -> Table {
        let mut table = Table::new(ObjectName::new("users"));
        let mut id = Column::new("id", "INTEGER");
        id.nullable = false;
        table.columns.push(id);
        for name in extra {
            table.columns.push(Column::new(*name, "TEXT"));
        }
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec!["id".to_owned()],
        });
        table
    }

    #[test]
    fn a_rebuild_copies_the_common_columns() {
        let from = users(&["name", "old"]);
        let mut to = users(&["name", "new"]);
        to.columns[1].nullable = false;
        let changed = Difference::ColumnChanged {
            table: to.name.clone(),
            from: from.columns[1].clone(),
            to: to.columns[1].clone(),
        };
        let statements = rebuild_table(&from, &to, &[&changed]);
        let script = super::super::render_script(&statements);
        assert_eq!(
            script,
            "\
-- rebuild table users (SQLite cannot ALTER this): alter column users.name: null -> not null
-- WARNING: data loss: column users.old is dropped
-- WARNING: users.name becomes NOT NULL: rows where it is NULL make this fail
CREATE TABLE _retort_new_users (
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    new TEXT,
    PRIMARY KEY (id)
);

INSERT INTO _retort_new_users (id, name) SELECT id, name FROM users;
DROP TABLE users;
ALTER TABLE _retort_new_users RENAME TO users;
"
        );
    }

    #[test]
    fn plain_column_changes_use_alter() {
        let from = users(&["name"]);
        let to = users(&["email"]);
        let added = Difference::ColumnAdded {
            table: to.name.clone(),
            column: to.columns[1].clone(),
        };
        let removed = Difference::ColumnRemoved {
            table: to.name.clone(),
            column: from.columns[1].clone(),
        };
        assert!(can_alter(&from, &to, &[&added, &removed]));
        let mut required = to.columns[1].clone();
        required.nullable = false;
        let added_required = Difference::ColumnAdded {
            table: to.name.clone(),
            column: required.clone(),
        };
        let mut strict = to.clone();
        strict.columns[1] = required;
        assert!(!can_alter(&from, &strict, &[&added_required]));
        let key_removed = Difference::ColumnRemoved {
            table: to.name.clone(),
            column: from.columns[0].clone(),
        };
        assert!(!can_alter(&from, &to, &[&key_removed]));
    }
}
