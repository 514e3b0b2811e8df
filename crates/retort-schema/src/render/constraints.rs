//! `CREATE TABLE` with its keys and constraints, indexes, and the `ALTER TABLE` statements that
//! add and drop keys and constraints on PostgreSQL and MySQL (SQLite rebuilds the table
//! instead, see `sqlite.rs`).

use std::collections::BTreeSet;

use retort_core::Dialect;

use super::{Statement, column_definition, needs_parentheses};
use crate::model::{
    CheckConstraint, ForeignKey, Identity, Index, IndexKey, IndexTarget, ObjectName, PrimaryKey,
    ReferentialAction, Table, UniqueConstraint,
};
use crate::quote::{quote_columns, quote_identifier, quote_object};

/// `CREATE TABLE` for `table` under the name `create_as`, without the foreign keys whose
/// positions are in `skip_foreign_keys`, followed (outside MySQL, where they are part of the
/// table) by its indexes.
pub(crate) fn create_table(
    dialect: Dialect,
    table: &Table,
    create_as: &ObjectName,
    skip_foreign_keys: &BTreeSet<usize>,
) -> Vec<Statement> {
    let inline_key = sqlite_inline_key(dialect, table);
    let mut lines: Vec<String> = table
        .columns
        .iter()
        .map(|column| column_definition(dialect, column, inline_key == Some(column.name.as_str())))
        .collect();
    if let Some(key) = &table.primary_key
        && inline_key.is_none()
    {
        lines.push(format!(
            "{}PRIMARY KEY ({})",
            constraint_prefix(dialect, key.name.as_deref()),
            quote_columns(dialect, &key.columns)
        ));
    }
    for unique in &table.unique_constraints {
        lines.push(unique_clause(dialect, unique));
    }
    if dialect == Dialect::Mysql {
        for index in &table.indexes {
            lines.push(mysql_index_clause(index));
        }
    }
    for (position, foreign_key) in table.foreign_keys.iter().enumerate() {
        if !skip_foreign_keys.contains(&position) {
            lines.push(foreign_key_clause(dialect, foreign_key));
        }
    }
    for check in &table.checks {
        lines.push(check_clause(dialect, check));
    }
    let body = lines
        .iter()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join(",\n");
    let options = table
        .options
        .as_ref()
        .map(|options| format!(" {options}"))
        .unwrap_or_default();
    let mut statements = vec![Statement::new(format!(
        "CREATE TABLE {} (\n{body}\n){options}",
        quote_object(dialect, create_as)
    ))];
    if dialect != Dialect::Mysql {
        statements.extend(
            table
                .indexes
                .iter()
                .map(|index| create_index(dialect, &table.name, index)),
        );
    }
    statements
}

/// `CREATE [UNIQUE] INDEX name ON table (keys) [WHERE …]`.
pub(crate) fn create_index(dialect: Dialect, table: &ObjectName, index: &Index) -> Statement {
    let mut kind = String::new();
    if index.unique {
        kind.push_str("UNIQUE ");
    }
    let mut using = String::new();
    match (dialect, &index.method) {
        (Dialect::Mysql, Some(method)) => kind = format!("{method} "),
        (Dialect::Postgres, Some(method)) => using = format!(" USING {method}"),
        _ => {}
    }
    let mut sql = format!(
        "CREATE {kind}INDEX {} ON {}{using} ({})",
        quote_identifier(dialect, &index.name),
        quote_object(dialect, table),
        index_keys(dialect, &index.keys)
    );
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    Statement::new(sql)
}

/// `DROP INDEX`, in the dialect's form (PostgreSQL indexes live in their table's schema, MySQL's
/// belong to their table).
pub(crate) fn drop_index(dialect: Dialect, table: &ObjectName, index: &Index) -> Statement {
    let name = quote_identifier(dialect, &index.name);
    Statement::new(match dialect {
        Dialect::Mysql => format!("DROP INDEX {name} ON {}", quote_object(dialect, table)),
        Dialect::Postgres => match &table.schema {
            Some(schema) => format!("DROP INDEX {}.{name}", quote_identifier(dialect, schema)),
            None => format!("DROP INDEX {name}"),
        },
        Dialect::Sqlite => format!("DROP INDEX {name}"),
    })
}

pub(crate) fn add_primary_key(dialect: Dialect, table: &ObjectName, key: &PrimaryKey) -> Statement {
    Statement::new(format!(
        "ALTER TABLE {} ADD {}PRIMARY KEY ({})",
        quote_object(dialect, table),
        constraint_prefix(dialect, key.name.as_deref()),
        quote_columns(dialect, &key.columns)
    ))
}

pub(crate) fn drop_primary_key(
    dialect: Dialect,
    table: &ObjectName,
    key: &PrimaryKey,
) -> Statement {
    match (dialect, &key.name) {
        (Dialect::Mysql, _) => Statement::new(format!(
            "ALTER TABLE {} DROP PRIMARY KEY",
            quote_object(dialect, table)
        )),
        (_, Some(name)) => drop_constraint(dialect, table, name),
        (_, None) => unnamed(table, "primary key"),
    }
}

pub(crate) fn add_unique(
    dialect: Dialect,
    table: &ObjectName,
    unique: &UniqueConstraint,
) -> Statement {
    Statement::new(format!(
        "ALTER TABLE {} ADD {}",
        quote_object(dialect, table),
        unique_clause(dialect, unique)
    ))
}

pub(crate) fn drop_unique(
    dialect: Dialect,
    table: &ObjectName,
    unique: &UniqueConstraint,
) -> Statement {
    match &unique.name {
        Some(name) if dialect == Dialect::Mysql => Statement::new(format!(
            "DROP INDEX {} ON {}",
            quote_identifier(dialect, name),
            quote_object(dialect, table)
        )),
        Some(name) => drop_constraint(dialect, table, name),
        None => unnamed(table, "unique constraint"),
    }
}

pub(crate) fn add_foreign_key(
    dialect: Dialect,
    table: &ObjectName,
    foreign_key: &ForeignKey,
) -> Statement {
    Statement::new(format!(
        "ALTER TABLE {} ADD {}",
        quote_object(dialect, table),
        foreign_key_clause(dialect, foreign_key)
    ))
}

pub(crate) fn drop_foreign_key(
    dialect: Dialect,
    table: &ObjectName,
    foreign_key: &ForeignKey,
) -> Statement {
    match &foreign_key.name {
        Some(name) if dialect == Dialect::Mysql => Statement::new(format!(
            "ALTER TABLE {} DROP FOREIGN KEY {}",
            quote_object(dialect, table),
            quote_identifier(dialect, name)
        )),
        Some(name) => drop_constraint(dialect, table, name),
        None => unnamed(table, "foreign key"),
    }
}

pub(crate) fn add_check(
    dialect: Dialect,
    table: &ObjectName,
    check: &CheckConstraint,
) -> Statement {
    Statement::new(format!(
        "ALTER TABLE {} ADD {}",
        quote_object(dialect, table),
        check_clause(dialect, check)
    ))
}

pub(crate) fn drop_check(
    dialect: Dialect,
    table: &ObjectName,
    check: &CheckConstraint,
) -> Statement {
    match &check.name {
        Some(name) => drop_constraint(dialect, table, name),
        None => unnamed(table, "check constraint"),
    }
}

/// The single `INTEGER` column SQLite must declare as `PRIMARY KEY AUTOINCREMENT` in place.
fn sqlite_inline_key(dialect: Dialect, table: &Table) -> Option<&str> {
    let key = table.primary_key.as_ref()?;
    let [column] = key.columns.as_slice() else {
        return None;
    };
    let autoincrement = table
        .column(column)
        .is_some_and(|column| column.identity == Some(Identity::AutoIncrement));
    (dialect == Dialect::Sqlite && autoincrement).then_some(column.as_str())
}

fn constraint_prefix(dialect: Dialect, name: Option<&str>) -> String {
    match name {
        Some(name) if dialect != Dialect::Mysql => {
            format!("CONSTRAINT {} ", quote_identifier(dialect, name))
        }
        _ => String::new(),
    }
}

fn unique_clause(dialect: Dialect, unique: &UniqueConstraint) -> String {
    format!(
        "{}UNIQUE ({})",
        constraint_prefix(dialect, unique.name.as_deref()),
        quote_columns(dialect, &unique.columns)
    )
}

fn foreign_key_clause(dialect: Dialect, foreign_key: &ForeignKey) -> String {
    let prefix = match &foreign_key.name {
        Some(name) => format!("CONSTRAINT {} ", quote_identifier(dialect, name)),
        None => String::new(),
    };
    let mut clause = format!(
        "{prefix}FOREIGN KEY ({}) REFERENCES {} ({})",
        quote_columns(dialect, &foreign_key.columns),
        quote_object(dialect, &foreign_key.referenced_table),
        quote_columns(dialect, &foreign_key.referenced_columns)
    );
    let default = ReferentialAction::default_for(dialect);
    if foreign_key.on_delete != default {
        clause.push_str(&format!(" ON DELETE {}", foreign_key.on_delete.sql()));
    }
    if foreign_key.on_update != default {
        clause.push_str(&format!(" ON UPDATE {}", foreign_key.on_update.sql()));
    }
    clause
}

fn check_clause(dialect: Dialect, check: &CheckConstraint) -> String {
    let prefix = match &check.name {
        Some(name) => format!("CONSTRAINT {} ", quote_identifier(dialect, name)),
        None => String::new(),
    };
    format!("{prefix}CHECK ({})", check.expression)
}

fn mysql_index_clause(index: &Index) -> String {
    let kind = match (&index.method, index.unique) {
        (Some(method), _) => format!("{method} KEY"),
        (None, true) => "UNIQUE KEY".to_owned(),
        (None, false) => "KEY".to_owned(),
    };
    format!(
        "{kind} {} ({})",
        quote_identifier(Dialect::Mysql, &index.name),
        index_keys(Dialect::Mysql, &index.keys)
    )
}

fn index_keys(dialect: Dialect, keys: &[IndexKey]) -> String {
    keys.iter()
        .map(|key| {
            let mut text = match &key.target {
                IndexTarget::Column(column) => quote_identifier(dialect, column),
                IndexTarget::Expression(expression)
                    if needs_parentheses(expression, dialect != Dialect::Mysql) =>
                {
                    format!("({expression})")
                }
                IndexTarget::Expression(expression) => expression.clone(),
            };
            if let Some(length) = key.prefix_length {
                text.push_str(&format!("({length})"));
            }
            if key.descending {
                text.push_str(" DESC");
            }
            match key.nulls_first {
                Some(true) => text.push_str(" NULLS FIRST"),
                Some(false) => text.push_str(" NULLS LAST"),
                None => {}
            }
            text
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn drop_constraint(dialect: Dialect, table: &ObjectName, name: &str) -> Statement {
    Statement::new(format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        quote_object(dialect, table),
        quote_identifier(dialect, name)
    ))
}

fn unnamed(table: &ObjectName, what: &str) -> Statement {
    Statement::note(format!(
        "retort cannot drop the unnamed {what} of {table}: drop it by hand"
    ))
}
