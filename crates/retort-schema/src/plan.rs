//! From two schemas to the ordered DDL that turns the first into the second.
//!
//! The order, chosen so that every statement finds what it needs and nothing it must not:
//!
//! 1. new schemas, new enums, enum changes;
//! 2. on tables that stay: foreign keys, then checks, unique constraints, indexes and primary
//!    keys that go away or change;
//! 3. new tables, each after the tables it references (foreign keys in a cycle wait for step 6);
//! 4. on tables that stay: columns added, changed and dropped (on SQLite, a table rebuild when
//!    `ALTER TABLE` cannot do it);
//! 5. on tables that stay: primary keys, unique constraints, checks and indexes that are new or
//!    changed;
//! 6. foreign keys that are new, or that waited for their table;
//! 7. tables that go away, each before the tables it references;
//! 8. enums and schemas that go away.
//!
//! The downgrade is the same plan from the second schema to the first.

use std::collections::{BTreeMap, BTreeSet};

use retort_core::Dialect;

use crate::compare::{Difference, compare};
use crate::model::{ObjectName, Schema, Table};
use crate::order::creation_order;
use crate::quote::{quote_identifier, quote_object};
use crate::render::{self, Statement, data_loss, postgres, sqlite};

/// A generated migration: its differences and the DDL both ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationScript {
    /// What differs, as the changes the upgrade makes.
    pub differences: Vec<Difference>,
    pub upgrade: Vec<Statement>,
    pub downgrade: Vec<Statement>,
}

impl MigrationScript {
    /// Whether the two schemas are alike, so there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The migration from `from` to `to`, and back.
pub fn migration_script(from: &Schema, to: &Schema) -> MigrationScript {
    MigrationScript {
        differences: compare(from, to),
        upgrade: plan(from, to),
        downgrade: plan(to, from),
    }
}

/// The statements that turn `from` into `to`, in `to`'s dialect.
pub fn plan(from: &Schema, to: &Schema) -> Vec<Statement> {
    let dialect = to.dialect;
    let differences = compare(from, to);
    let mut by_table: BTreeMap<&ObjectName, Vec<&Difference>> = BTreeMap::new();
    for difference in &differences {
        if let Some(table) = difference.table() {
            by_table.entry(table).or_default().push(difference);
        }
    }
    let rebuilt: BTreeSet<&ObjectName> = if dialect == Dialect::Sqlite {
        by_table
            .iter()
            .filter(|(name, table_differences)| {
                match (from.tables.get(*name), to.tables.get(*name)) {
                    (Some(old), Some(new)) => !sqlite::can_alter(old, new, table_differences),
                    _ => false,
                }
            })
            .map(|(name, _)| *name)
            .collect()
    } else {
        BTreeSet::new()
    };
    let mut statements = Vec::new();

    // 1. Schemas and enums first: tables and columns use them.
    for difference in &differences {
        match difference {
            Difference::NamespaceAdded(name) => statements.push(Statement::new(format!(
                "CREATE SCHEMA {}",
                quote_identifier(dialect, name)
            ))),
            Difference::EnumAdded { name, labels } => {
                statements.push(postgres::create_enum(name, labels))
            }
            Difference::EnumChanged {
                name,
                from: old,
                to: new,
            } => {
                statements.extend(postgres::change_enum(name, old, new, from, to));
            }
            _ => {}
        }
    }

    // 2. What goes away on tables that stay, foreign keys first (MySQL's need their indexes).
    let altered = |name: &&ObjectName| !rebuilt.contains(name);
    for (table, table_differences) in by_table.iter().filter(|(name, _)| altered(name)) {
        for difference in table_differences {
            if let Difference::ForeignKeyRemoved { foreign_key, .. } = difference {
                statements.push(render::drop_foreign_key(dialect, table, foreign_key));
            }
        }
    }
    for (table, table_differences) in by_table.iter().filter(|(name, _)| altered(name)) {
        for difference in table_differences {
            match difference {
                Difference::CheckRemoved { check, .. } => {
                    statements.push(render::drop_check(dialect, table, check))
                }
                Difference::UniqueRemoved { constraint, .. } => {
                    statements.push(render::drop_unique(dialect, table, constraint));
                }
                Difference::IndexRemoved { index, .. }
                | Difference::IndexChanged { from: index, .. } => {
                    statements.push(render::drop_index(dialect, table, index));
                }
                Difference::PrimaryKeyChanged {
                    from: Some(key), ..
                } => {
                    statements.push(render::drop_primary_key(dialect, table, key));
                }
                _ => {}
            }
        }
    }

    // 3. New tables in foreign-key order.
    let added: Vec<&Table> = differences
        .iter()
        .filter_map(|difference| match difference {
            Difference::TableAdded(table) => Some(table),
            _ => None,
        })
        .collect();
    let creation = creation_order(&added);
    let deferred = if dialect == Dialect::Sqlite {
        BTreeSet::new()
    } else {
        creation.deferred.clone()
    };
    for table in &creation.tables {
        let skipped: BTreeSet<usize> = deferred
            .iter()
            .filter(|(name, _)| name == &table.name)
            .map(|(_, position)| *position)
            .collect();
        statements.extend(render::create_table(dialect, table, &table.name, &skipped));
    }

    // 4. Columns of tables that stay.
    for (table, table_differences) in &by_table {
        let (Some(old), Some(new)) = (from.tables.get(*table), to.tables.get(*table)) else {
            continue;
        };
        if rebuilt.contains(table) {
            statements.extend(sqlite::rebuild_table(old, new, table_differences));
            continue;
        }
        for difference in table_differences {
            match difference {
                Difference::ColumnAdded { column, .. } => {
                    statements.push(add_column(dialect, table, column))
                }
                Difference::ColumnChanged {
                    from: old_column,
                    to: new_column,
                    ..
                } => {
                    let mut altered = match dialect {
                        Dialect::Postgres => postgres::alter_column(table, old_column, new_column),
                        Dialect::Mysql => vec![render::mysql_modify_column(table, new_column)],
                        Dialect::Sqlite => Vec::new(),
                    };
                    if let (Some(first), Some(warning)) = (
                        altered.first_mut(),
                        render::nulls_refused(table, old_column, new_column),
                    ) {
                        first.comments.push(warning);
                    }
                    statements.extend(altered);
                }
                _ => {}
            }
        }
        for difference in table_differences {
            if let Difference::ColumnRemoved { column, .. } = difference {
                statements.push(
                    Statement::new(format!(
                        "ALTER TABLE {} DROP COLUMN {}",
                        quote_object(dialect, table),
                        quote_identifier(dialect, &column.name)
                    ))
                    .with_comment(data_loss(format!(
                        "column {table}.{} is dropped",
                        column.name
                    ))),
                );
            }
        }
    }

    // 5. What is new on tables that stay.
    for (table, table_differences) in by_table.iter().filter(|(name, _)| altered(name)) {
        for difference in table_differences {
            match difference {
                Difference::PrimaryKeyChanged { to: Some(key), .. } => {
                    statements.push(render::add_primary_key(dialect, table, key));
                }
                Difference::UniqueAdded { constraint, .. } => {
                    statements.push(render::add_unique(dialect, table, constraint))
                }
                Difference::CheckAdded { check, .. } => {
                    statements.push(render::add_check(dialect, table, check))
                }
                Difference::IndexAdded { index, .. }
                | Difference::IndexChanged { to: index, .. } => {
                    statements.push(render::create_index(dialect, table, index));
                }
                _ => {}
            }
        }
    }

    // 6. New foreign keys, and those of new tables that waited for a table of their cycle.
    for (table, table_differences) in by_table.iter().filter(|(name, _)| altered(name)) {
        for difference in table_differences {
            if let Difference::ForeignKeyAdded { foreign_key, .. } = difference {
                statements.push(render::add_foreign_key(dialect, table, foreign_key));
            }
        }
    }
    for (name, position) in &deferred {
        if let Some(foreign_key) = to
            .tables
            .get(name)
            .and_then(|table| table.foreign_keys.get(*position))
        {
            statements.push(render::add_foreign_key(dialect, name, foreign_key));
        }
    }

    // 7. Tables that go away, referencing tables first.
    let removed: Vec<&Table> = differences
        .iter()
        .filter_map(|difference| match difference {
            Difference::TableRemoved(table) => Some(table),
            _ => None,
        })
        .collect();
    let removal = creation_order(&removed);
    if dialect != Dialect::Sqlite {
        for (name, position) in &removal.deferred {
            if let Some(foreign_key) = from
                .tables
                .get(name)
                .and_then(|table| table.foreign_keys.get(*position))
            {
                statements.push(render::drop_foreign_key(dialect, name, foreign_key));
            }
        }
    }
    for table in removal.tables.iter().rev() {
        statements.push(
            Statement::new(format!("DROP TABLE {}", quote_object(dialect, &table.name)))
                .with_comment(data_loss(format!(
                    "table {} and its rows are dropped",
                    table.name
                ))),
        );
    }

    // 8. Enums and schemas that go away.
    for difference in &differences {
        if let Difference::EnumRemoved { name, .. } = difference {
            statements.push(postgres::drop_enum(name));
        }
    }
    for difference in &differences {
        if let Difference::NamespaceRemoved(name) = difference {
            statements.push(Statement::new(format!(
                "DROP SCHEMA {}",
                quote_identifier(dialect, name)
            )));
        }
    }
    statements
}

/// `ADD COLUMN`, warning when it cannot succeed on a table that has rows.
fn add_column(dialect: Dialect, table: &ObjectName, column: &crate::model::Column) -> Statement {
    let statement = if dialect == Dialect::Sqlite {
        sqlite::add_column(table, column)
    } else {
        Statement::new(format!(
            "ALTER TABLE {} ADD COLUMN {}",
            quote_object(dialect, table),
            render::column_definition(dialect, column, false)
        ))
    };
    let fills_itself =
        column.default.is_some() || column.identity.is_some() || column.generated.is_some();
    if column.nullable || fills_itself {
        statement
    } else {
        statement.with_comment(format!(
            "WARNING: {table}.{} is NOT NULL without a default: this fails when {table} has rows",
            column.name
        ))
    }
}
