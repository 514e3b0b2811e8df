//! How a [`Difference`] reads in a drift report or a rebuild comment: the change that makes the
//! first schema like the second, in a few words (`add column users.email TEXT`,
//! `alter column users.name: null -> not null`).

use std::fmt;

use crate::compare::Difference;
use crate::model::{Column, ForeignKey, Generated, Identity, ObjectName, PrimaryKey};

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::NamespaceAdded(name) => write!(f, "add schema {name}"),
            Difference::NamespaceRemoved(name) => write!(f, "drop schema {name}"),
            Difference::EnumAdded { name, labels } => {
                write!(f, "add enum {name} ({})", labels.join(", "))
            }
            Difference::EnumRemoved { name, .. } => write!(f, "drop enum {name}"),
            Difference::EnumChanged { name, from, to } => {
                write!(
                    f,
                    "change enum {name}: ({}) -> ({})",
                    from.join(", "),
                    to.join(", ")
                )
            }
            Difference::TableAdded(table) => write!(f, "add table {}", table.name),
            Difference::TableRemoved(table) => write!(f, "drop table {} (data loss)", table.name),
            Difference::ColumnAdded { table, column } => {
                write!(f, "add column {table}.{} {}", column.name, column.data_type)
            }
            Difference::ColumnRemoved { table, column } => {
                write!(f, "drop column {table}.{} (data loss)", column.name)
            }
            Difference::ColumnChanged { table, from, to } => {
                write!(
                    f,
                    "alter column {table}.{}: {}",
                    to.name,
                    describe_column_change(from, to)
                )
            }
            Difference::PrimaryKeyChanged { table, from, to } => write!(
                f,
                "change the primary key of {table}: {} -> {}",
                describe_key(from.as_ref()),
                describe_key(to.as_ref())
            ),
            Difference::UniqueAdded { table, constraint } => {
                write!(
                    f,
                    "add unique ({}) on {table}",
                    constraint.columns.join(", ")
                )
            }
            Difference::UniqueRemoved { table, constraint } => {
                write!(
                    f,
                    "drop unique ({}) on {table}",
                    constraint.columns.join(", ")
                )
            }
            Difference::IndexAdded { table, index } => {
                write!(f, "add index {} on {table}", index.name)
            }
            Difference::IndexRemoved { table, index } => {
                write!(f, "drop index {} on {table}", index.name)
            }
            Difference::IndexChanged { table, to, .. } => {
                write!(f, "change index {} on {table}", to.name)
            }
            Difference::ForeignKeyAdded { table, foreign_key } => {
                write!(
                    f,
                    "add foreign key {}",
                    describe_foreign_key(table, foreign_key)
                )
            }
            Difference::ForeignKeyRemoved { table, foreign_key } => {
                write!(
                    f,
                    "drop foreign key {}",
                    describe_foreign_key(table, foreign_key)
                )
            }
            Difference::CheckAdded { table, check } => {
                write!(f, "add check on {table}: {}", check.expression)
            }
            Difference::CheckRemoved { table, check } => {
                write!(f, "drop check on {table}: {}", check.expression)
            }
            Difference::OptionsChanged { table, from, to } => write!(
                f,
                "change the options of {table}: {} -> {}",
                from.as_deref().unwrap_or("none"),
                to.as_deref().unwrap_or("none")
            ),
        }
    }
}

fn describe_column_change(from: &Column, to: &Column) -> String {
    let mut parts = Vec::new();
    if from.data_type != to.data_type {
        parts.push(format!("type {} -> {}", from.data_type, to.data_type));
    }
    if from.nullable != to.nullable {
        parts.push(
            if to.nullable {
                "not null -> null"
            } else {
                "null -> not null"
            }
            .to_owned(),
        );
    }
    let shown = |text: &Option<String>| text.clone().unwrap_or_else(|| "none".to_owned());
    if from.default != to.default {
        parts.push(format!(
            "default {} -> {}",
            shown(&from.default),
            shown(&to.default)
        ));
    }
    if from.identity != to.identity {
        let identity =
            |value: Option<Identity>| value.map_or("none".to_owned(), |value| value.to_string());
        parts.push(format!(
            "{} -> {}",
            identity(from.identity),
            identity(to.identity)
        ));
    }
    if from.generated != to.generated {
        let generated = |value: &Option<Generated>| {
            value.as_ref().map_or("not generated".to_owned(), |value| {
                format!("generated as ({})", value.expression)
            })
        };
        parts.push(format!(
            "{} -> {}",
            generated(&from.generated),
            generated(&to.generated)
        ));
    }
    if from.on_update != to.on_update {
        parts.push(format!(
            "on update {} -> {}",
            shown(&from.on_update),
            shown(&to.on_update)
        ));
    }
    if parts.is_empty() {
        parts.push("spelling of its default or expression".to_owned());
    }
    parts.join(", ")
}

fn describe_key(key: Option<&PrimaryKey>) -> String {
    key.map_or("none".to_owned(), |key| {
        format!("({})", key.columns.join(", "))
    })
}

fn describe_foreign_key(table: &ObjectName, foreign_key: &ForeignKey) -> String {
    format!(
        "{table} ({}) -> {} ({})",
        foreign_key.columns.join(", "),
        foreign_key.referenced_table,
        foreign_key.referenced_columns.join(", ")
    )
}
