//! Comparing two schemas into a list of [`Difference`]s: what must change to go from one to the
//! other, object by object, readable on its own (this is the drift report) and the input of the
//! DDL planner.
//!
//! Objects are matched by what they are rather than by name where engines name them for you:
//! tables, columns, enums and indexes by name; primary keys, unique constraints, foreign keys
//! and checks by their columns and expressions, so a constraint the engine named differently in
//! two databases is still the same constraint. Renames are never guessed: a renamed column is a
//! column dropped and a column added.

use retort_core::Dialect;

use crate::model::{
    CheckConstraint, Column, ForeignKey, Index, IndexKey, IndexTarget, ObjectName, PrimaryKey,
    Schema, Table, UniqueConstraint,
};
use crate::normalize::same_expression;

/// One thing that differs between two schemas, as the change that makes the first like the
/// second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    NamespaceAdded(String),
    NamespaceRemoved(String),
    EnumAdded {
        name: ObjectName,
        labels: Vec<String>,
    },
    EnumRemoved {
        name: ObjectName,
        labels: Vec<String>,
    },
    EnumChanged {
        name: ObjectName,
        from: Vec<String>,
        to: Vec<String>,
    },
    TableAdded(Table),
    TableRemoved(Table),
    ColumnAdded {
        table: ObjectName,
        column: Column,
    },
    ColumnRemoved {
        table: ObjectName,
        column: Column,
    },
    ColumnChanged {
        table: ObjectName,
        from: Column,
        to: Column,
    },
    PrimaryKeyChanged {
        table: ObjectName,
        from: Option<PrimaryKey>,
        to: Option<PrimaryKey>,
    },
    UniqueAdded {
        table: ObjectName,
        constraint: UniqueConstraint,
    },
    UniqueRemoved {
        table: ObjectName,
        constraint: UniqueConstraint,
    },
    IndexAdded {
        table: ObjectName,
        index: Index,
    },
    IndexRemoved {
        table: ObjectName,
        index: Index,
    },
    IndexChanged {
        table: ObjectName,
        from: Index,
        to: Index,
    },
    ForeignKeyAdded {
        table: ObjectName,
        foreign_key: ForeignKey,
    },
    ForeignKeyRemoved {
        table: ObjectName,
        foreign_key: ForeignKey,
    },
    CheckAdded {
        table: ObjectName,
        check: CheckConstraint,
    },
    CheckRemoved {
        table: ObjectName,
        check: CheckConstraint,
    },
    OptionsChanged {
        table: ObjectName,
        from: Option<String>,
        to: Option<String>,
    },
}

impl Difference {
    /// The table the difference is inside of, for differences within a table.
    pub fn table(&self) -> Option<&ObjectName> {
        match self {
            Difference::ColumnAdded { table, .. }
            | Difference::ColumnRemoved { table, .. }
            | Difference::ColumnChanged { table, .. }
            | Difference::PrimaryKeyChanged { table, .. }
            | Difference::UniqueAdded { table, .. }
            | Difference::UniqueRemoved { table, .. }
            | Difference::IndexAdded { table, .. }
            | Difference::IndexRemoved { table, .. }
            | Difference::IndexChanged { table, .. }
            | Difference::ForeignKeyAdded { table, .. }
            | Difference::ForeignKeyRemoved { table, .. }
            | Difference::CheckAdded { table, .. }
            | Difference::CheckRemoved { table, .. }
            | Difference::OptionsChanged { table, .. } => Some(table),
            _ => None,
        }
    }

    /// Whether applying it loses data: a dropped table or column.
    pub fn loses_data(&self) -> bool {
        matches!(
            self,
            Difference::TableRemoved(_) | Difference::ColumnRemoved { .. }
        )
    }
}

/// What must change to make `from` like `to`, in a stable order: namespaces, enums, removed and
/// added tables, then each table's own changes, tables by name.
pub fn compare(from: &Schema, to: &Schema) -> Vec<Difference> {
    let dialect = to.dialect;
    let mut differences = Vec::new();
    for namespace in to.namespaces.difference(&from.namespaces) {
        differences.push(Difference::NamespaceAdded(namespace.clone()));
    }
    for namespace in from.namespaces.difference(&to.namespaces) {
        differences.push(Difference::NamespaceRemoved(namespace.clone()));
    }
    for (name, labels) in &to.enums {
        match from.enums.get(name) {
            None => differences.push(Difference::EnumAdded {
                name: name.clone(),
                labels: labels.clone(),
            }),
            Some(old) if old != labels => differences.push(Difference::EnumChanged {
                name: name.clone(),
                from: old.clone(),
                to: labels.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, labels) in &from.enums {
        if !to.enums.contains_key(name) {
            differences.push(Difference::EnumRemoved {
                name: name.clone(),
                labels: labels.clone(),
            });
        }
    }
    for (name, table) in &from.tables {
        if !to.tables.contains_key(name) {
            differences.push(Difference::TableRemoved(table.clone()));
        }
    }
    for (name, table) in &to.tables {
        match from.tables.get(name) {
            None => differences.push(Difference::TableAdded(table.clone())),
            Some(old) => compare_tables(dialect, old, table, &mut differences),
        }
    }
    differences
}

fn compare_tables(dialect: Dialect, from: &Table, to: &Table, differences: &mut Vec<Difference>) {
    let table = &to.name;
    for column in &to.columns {
        match from.column(&column.name) {
            None => differences.push(Difference::ColumnAdded {
                table: table.clone(),
                column: column.clone(),
            }),
            Some(old) if !same_column(dialect, old, column) => {
                differences.push(Difference::ColumnChanged {
                    table: table.clone(),
                    from: old.clone(),
                    to: column.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for column in &from.columns {
        if to.column(&column.name).is_none() {
            differences.push(Difference::ColumnRemoved {
                table: table.clone(),
                column: column.clone(),
            });
        }
    }
    let key_columns = |key: &Option<PrimaryKey>| key.as_ref().map(|key| key.columns.clone());
    if key_columns(&from.primary_key) != key_columns(&to.primary_key) {
        differences.push(Difference::PrimaryKeyChanged {
            table: table.clone(),
            from: from.primary_key.clone(),
            to: to.primary_key.clone(),
        });
    }
    let same_unique =
        |left: &UniqueConstraint, right: &UniqueConstraint| left.columns == right.columns;
    for constraint in missing_from(
        &from.unique_constraints,
        &to.unique_constraints,
        same_unique,
    ) {
        differences.push(Difference::UniqueRemoved {
            table: table.clone(),
            constraint,
        });
    }
    for constraint in missing_from(
        &to.unique_constraints,
        &from.unique_constraints,
        same_unique,
    ) {
        differences.push(Difference::UniqueAdded {
            table: table.clone(),
            constraint,
        });
    }
    for index in &from.indexes {
        if to.index(&index.name).is_none() {
            differences.push(Difference::IndexRemoved {
                table: table.clone(),
                index: index.clone(),
            });
        }
    }
    for index in &to.indexes {
        match from.index(&index.name) {
            None => differences.push(Difference::IndexAdded {
                table: table.clone(),
                index: index.clone(),
            }),
            Some(old) if !same_index(dialect, old, index) => {
                differences.push(Difference::IndexChanged {
                    table: table.clone(),
                    from: old.clone(),
                    to: index.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for foreign_key in missing_from(&from.foreign_keys, &to.foreign_keys, same_foreign_key) {
        differences.push(Difference::ForeignKeyRemoved {
            table: table.clone(),
            foreign_key,
        });
    }
    for foreign_key in missing_from(&to.foreign_keys, &from.foreign_keys, same_foreign_key) {
        differences.push(Difference::ForeignKeyAdded {
            table: table.clone(),
            foreign_key,
        });
    }
    let same_check = |left: &CheckConstraint, right: &CheckConstraint| {
        same_expression(dialect, &left.expression, &right.expression)
    };
    for check in missing_from(&from.checks, &to.checks, same_check) {
        differences.push(Difference::CheckRemoved {
            table: table.clone(),
            check,
        });
    }
    for check in missing_from(&to.checks, &from.checks, same_check) {
        differences.push(Difference::CheckAdded {
            table: table.clone(),
            check,
        });
    }
    if from.options != to.options {
        differences.push(Difference::OptionsChanged {
            table: table.clone(),
            from: from.options.clone(),
            to: to.options.clone(),
        });
    }
}

/// The items of `items` that have no match in `others`, each match used once.
fn missing_from<T: Clone>(items: &[T], others: &[T], same: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut used = vec![false; others.len()];
    let mut missing = Vec::new();
    for item in items {
        let found = others
            .iter()
            .enumerate()
            .position(|(index, other)| !used[index] && same(item, other));
        match found {
            Some(index) => used[index] = true,
            None => missing.push(item.clone()),
        }
    }
    missing
}

/// Whether two columns of the same name are alike.
pub(crate) fn same_column(dialect: Dialect, left: &Column, right: &Column) -> bool {
    let same_text = |left: &Option<String>, right: &Option<String>| match (left, right) {
        (Some(left), Some(right)) => same_expression(dialect, left, right),
        (None, None) => true,
        _ => false,
    };
    let same_generated = match (&left.generated, &right.generated) {
        (Some(left), Some(right)) => {
            left.stored == right.stored
                && same_expression(dialect, &left.expression, &right.expression)
        }
        (None, None) => true,
        _ => false,
    };
    left.data_type == right.data_type
        && left.nullable == right.nullable
        && left.identity == right.identity
        && same_generated
        && same_text(&left.default, &right.default)
        && same_text(&left.on_update, &right.on_update)
}

fn same_index(dialect: Dialect, left: &Index, right: &Index) -> bool {
    let same_predicate = match (&left.predicate, &right.predicate) {
        (Some(left), Some(right)) => same_expression(dialect, left, right),
        (None, None) => true,
        _ => false,
    };
    left.unique == right.unique
        && left.method == right.method
        && same_predicate
        && left.keys.len() == right.keys.len()
        && left
            .keys
            .iter()
            .zip(&right.keys)
            .all(|(left, right)| same_key(dialect, left, right))
}

fn same_key(dialect: Dialect, left: &IndexKey, right: &IndexKey) -> bool {
    let same_target = match (&left.target, &right.target) {
        (IndexTarget::Column(left), IndexTarget::Column(right)) => left == right,
        (IndexTarget::Expression(left), IndexTarget::Expression(right)) => {
            same_expression(dialect, left, right)
        }
        _ => false,
    };
    same_target
        && left.descending == right.descending
        && left.nulls_first == right.nulls_first
        && left.prefix_length == right.prefix_length
}

fn same_foreign_key(left: &ForeignKey, right: &ForeignKey) -> bool {
    left.columns == right.columns
        && left.referenced_table == right.referenced_table
        && left.referenced_columns == right.referenced_columns
        && left.on_update == right.on_update
        && left.on_delete == right.on_delete
}
