//! Reading a SQLite schema: tables from `sqlite_master`, columns, indexes and foreign keys from
//! the pragmas, and what the pragmas do not say (checks, generated columns, `AUTOINCREMENT`,
//! index expressions and `WHERE`) from the stored `CREATE` statements.

use retort_core::Dialect;
use retort_schema::{
    Column, ForeignKey, Identity, Index, IndexKey, ObjectName, PrimaryKey, ReferentialAction,
    Schema, Table, UniqueConstraint, normalize_default, normalize_type, parse_sqlite_create_index,
    parse_sqlite_create_table,
};
use sqlx::sqlite::SqliteConnection;

use super::ReadOptions;
use super::error::{IntrospectError, query_failed};

const DIALECT: Dialect = Dialect::Sqlite;

/// One row of `pragma_table_xinfo`.
type ColumnRow = (i64, String, String, i64, Option<String>, i64, i64);

/// The schema of the `main` database.
pub(super) async fn read_schema(
    connection: &mut SqliteConnection,
    options: &ReadOptions,
) -> Result<Schema, IntrospectError> {
    let tables: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("listing the tables"))?;
    let mut schema = Schema::empty(DIALECT);
    for (name, sql) in tables {
        if options.is_excluded(&name) {
            continue;
        }
        let table = read_table(connection, &name, sql.as_deref().unwrap_or_default()).await?;
        schema.insert_table(table);
    }
    Ok(schema)
}

async fn read_table(
    connection: &mut SqliteConnection,
    name: &str,
    sql: &str,
) -> Result<Table, IntrospectError> {
    let details = parse_sqlite_create_table(sql);
    let rows: Vec<ColumnRow> = sqlx::query_as(
        "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
    )
    .bind(name)
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed(format!("reading the columns of {name}")))?;
    let mut table = Table::new(ObjectName::new(name));
    let mut key_columns: Vec<(i64, String)> = Vec::new();
    for (_cid, column_name, declared_type, not_null, default, key_position, hidden) in rows {
        let mut column = Column::new(column_name.clone(), normalize_type(DIALECT, &declared_type));
        column.nullable = not_null == 0;
        column.default = default
            .as_deref()
            .and_then(|text| normalize_default(DIALECT, text));
        if matches!(hidden, 2 | 3) {
            column.generated = details
                .generated_columns
                .iter()
                .find(|(generated_name, _)| generated_name.eq_ignore_ascii_case(&column_name))
                .map(|(_, generated)| generated.clone());
            column.default = None;
        }
        if details
            .autoincrement_columns
            .iter()
            .any(|autoincrement| autoincrement.eq_ignore_ascii_case(&column_name))
        {
            column.identity = Some(Identity::AutoIncrement);
        }
        if key_position > 0 {
            key_columns.push((key_position, column_name));
        }
        table.columns.push(column);
    }
    key_columns.sort();
    if !key_columns.is_empty() {
        table.primary_key = Some(PrimaryKey {
            name: None,
            columns: key_columns.into_iter().map(|(_, column)| column).collect(),
        });
    }
    table.checks = details.checks;
    table.options = details.options;
    read_indexes(connection, &mut table).await?;
    read_foreign_keys(connection, &mut table).await?;
    Ok(table)
}

async fn read_indexes(
    connection: &mut SqliteConnection,
    table: &mut Table,
) -> Result<(), IntrospectError> {
    let name = table.name.name.clone();
    let indexes: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list(?1) ORDER BY name")
            .bind(&name)
            .fetch_all(&mut *connection)
            .await
            .map_err(query_failed(format!("listing the indexes of {name}")))?;
    for (index_name, unique, origin) in indexes {
        if origin == "pk" {
            continue;
        }
        let columns: Vec<(Option<String>, i64)> = sqlx::query_as(
            "SELECT name, \"desc\" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
        )
        .bind(&index_name)
        .fetch_all(&mut *connection)
        .await
        .map_err(query_failed(format!("reading the index {index_name}")))?;
        if origin == "u" {
            table.unique_constraints.push(UniqueConstraint {
                name: None,
                columns: columns
                    .into_iter()
                    .filter_map(|(column, _)| column)
                    .collect(),
            });
            continue;
        }
        let sql: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1")
                .bind(&index_name)
                .fetch_optional(&mut *connection)
                .await
                .map_err(query_failed(format!("reading the index {index_name}")))?
                .flatten();
        let parsed = sql.as_deref().and_then(parse_sqlite_create_index);
        let (keys, predicate) = match parsed {
            Some(details) if details.keys.len() == columns.len() => {
                (details.keys, details.predicate)
            }
            _ => (
                columns
                    .into_iter()
                    .filter_map(|(column, descending)| {
                        let mut key = IndexKey::column(column?);
                        key.descending = descending != 0;
                        Some(key)
                    })
                    .collect(),
                None,
            ),
        };
        table.indexes.push(Index {
            name: index_name,
            unique: unique != 0,
            keys,
            predicate,
            method: None,
        });
    }
    Ok(())
}

async fn read_foreign_keys(
    connection: &mut SqliteConnection,
    table: &mut Table,
) -> Result<(), IntrospectError> {
    let name = table.name.name.clone();
    let rows: Vec<(i64, String, String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id DESC, seq",
    )
    .bind(&name)
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed(format!("reading the foreign keys of {name}")))?;
    let mut current: Option<(i64, ForeignKey)> = None;
    let mut keys = Vec::new();
    for (id, referenced, from, to, on_update, on_delete) in rows {
        if current
            .as_ref()
            .is_none_or(|(current_id, _)| *current_id != id)
        {
            keys.extend(current.take().map(|(_, key)| key));
            current = Some((
                id,
                ForeignKey {
                    name: None,
                    columns: Vec::new(),
                    referenced_table: ObjectName::new(referenced),
                    referenced_columns: Vec::new(),
                    on_update: ReferentialAction::parse(&on_update)
                        .unwrap_or(ReferentialAction::NoAction),
                    on_delete: ReferentialAction::parse(&on_delete)
                        .unwrap_or(ReferentialAction::NoAction),
                },
            ));
        }
        if let Some((_, key)) = current.as_mut() {
            key.columns.push(from);
            key.referenced_columns.extend(to);
        }
    }
    keys.extend(current.map(|(_, key)| key));
    for key in &mut keys {
        // `REFERENCES t` without columns names t's primary key.
        if key.referenced_columns.is_empty() {
            key.referenced_columns = primary_key_of(connection, &key.referenced_table.name).await?;
        }
    }
    table.foreign_keys = keys;
    Ok(())
}

async fn primary_key_of(
    connection: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<String>, IntrospectError> {
    sqlx::query_scalar("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")
        .bind(table)
        .fetch_all(&mut *connection)
        .await
        .map_err(query_failed(format!("reading the primary key of {table}")))
}
