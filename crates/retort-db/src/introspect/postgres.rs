//! Reading a PostgreSQL schema from the catalog (`pg_class`, `pg_attribute`, `pg_constraint`,
//! `pg_index`, `pg_type`), with the server's own printers (`format_type`, `pg_get_expr`,
//! `pg_get_constraintdef`, `pg_get_indexdef`) for types and expressions, so that both sides of a
//! comparison are spelled by the same deparser.
//!
//! Every schema but the system ones is read; objects that belong to an extension are left out.
//! Names in the default schema (the configured one, else `public`) are unqualified, as they are
//! in migrations. `serial` columns are recognised by their owned sequence and read without
//! their `nextval` default; partitions and `INCLUDE` columns of indexes are not read.

use std::collections::BTreeMap;

use retort_core::Dialect;
use retort_schema::{
    CheckConstraint, Column, ForeignKey, Generated, Identity, Index, IndexKey, IndexTarget,
    ObjectName, PrimaryKey, ReferentialAction, Schema, Table, UniqueConstraint, normalize_default,
    normalize_expression, normalize_type,
};
use sqlx::postgres::PgConnection;

use super::ReadOptions;
use super::error::{IntrospectError, query_failed};

const DIALECT: Dialect = Dialect::Postgres;

/// Leaves out what an extension created.
const NOT_FROM_EXTENSION: &str = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} \
     AND d.classid = '{catalog}'::regclass AND d.deptype = 'e')";

/// Leaves out the system schemas.
const USER_SCHEMA: &str =
    "{schema} NOT IN ('pg_catalog', 'information_schema') AND {schema} NOT LIKE 'pg\\_%'";

type ColumnRow = (
    i64,
    i16,
    String,
    String,
    bool,
    Option<String>,
    String,
    String,
    bool,
);
type ConstraintRow = (
    i64,
    String,
    String,
    String,
    Vec<String>,
    Option<String>,
    Option<String>,
    Vec<String>,
    String,
    String,
);
type IndexRow = (
    i64,
    String,
    bool,
    String,
    Option<String>,
    Vec<i16>,
    Vec<i16>,
    Vec<String>,
);

/// The schema of the connected database.
pub(super) async fn read_schema(
    connection: &mut PgConnection,
    options: &ReadOptions,
) -> Result<Schema, IntrospectError> {
    let default_schema = options.default_schema.as_deref().unwrap_or("public");
    let in_default = |schema: String, name: String| {
        if schema == default_schema {
            ObjectName::new(name)
        } else {
            ObjectName::qualified(schema, name)
        }
    };
    let mut schema = Schema::empty(DIALECT);

    let namespaces: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text FROM pg_namespace n WHERE {} AND n.nspname <> 'public' AND {} ORDER BY 1",
        USER_SCHEMA.replace("{schema}", "n.nspname"),
        NOT_FROM_EXTENSION.replace("{oid}", "n.oid").replace("{catalog}", "pg_namespace")
    )))
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("listing the schemas"))?;
    schema.namespaces = namespaces
        .into_iter()
        .filter(|name| name != default_schema)
        .collect();

    let enums: Vec<(String, String, Vec<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.nspname::text, t.typname::text, \
           ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype = 'e' AND {} ORDER BY 1, 2",
        NOT_FROM_EXTENSION.replace("{oid}", "t.oid").replace("{catalog}", "pg_type")
    )))
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the enum types"))?;
    for (namespace, name, labels) in enums {
        schema.enums.insert(in_default(namespace, name), labels);
    }

    let relations: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {} AND {} ORDER BY 2, 3",
        USER_SCHEMA.replace("{schema}", "n.nspname"),
        NOT_FROM_EXTENSION
            .replace("{oid}", "c.oid")
            .replace("{catalog}", "pg_class")
    )))
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("listing the tables"))?;
    let mut tables: BTreeMap<i64, Table> = BTreeMap::new();
    for (oid, namespace, name) in relations {
        if namespace == default_schema && options.is_excluded(&name) {
            continue;
        }
        tables.insert(oid, Table::new(in_default(namespace, name)));
    }
    let oids: Vec<i64> = tables.keys().copied().collect();
    let column_names = read_columns(connection, &oids, &mut tables).await?;
    read_constraints(connection, &oids, &mut tables, &in_default).await?;
    read_indexes(connection, &oids, &mut tables, &column_names).await?;
    for table in tables.into_values() {
        schema.insert_table(table);
    }
    Ok(schema)
}

/// Reads the columns into `tables`; returns each table's column names by number, for indexes.
async fn read_columns(
    connection: &mut PgConnection,
    oids: &[i64],
    tables: &mut BTreeMap<i64, Table>,
) -> Result<BTreeMap<(i64, i16), String>, IntrospectError> {
    let rows: Vec<ColumnRow> = sqlx::query_as(
        "SELECT a.attrelid::int8, a.attnum, a.attname::text, format_type(a.atttypid, a.atttypmod), \
           a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, \
           pg_get_serial_sequence(a.attrelid::regclass::text, a.attname::text) IS NOT NULL \
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = ANY($1::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
    )
    .bind(oids)
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the columns of the tables"))?;
    let mut names = BTreeMap::new();
    for (oid, number, name, data_type, not_null, default, identity, generated, owns_sequence) in
        rows
    {
        let Some(table) = tables.get_mut(&oid) else {
            continue;
        };
        names.insert((oid, number), name.clone());
        let mut column = Column::new(name, normalize_type(DIALECT, &data_type));
        column.nullable = !not_null;
        column.identity = match identity.as_str() {
            "a" => Some(Identity::Always),
            "d" => Some(Identity::ByDefault),
            _ => None,
        };
        let default = default
            .as_deref()
            .and_then(|text| normalize_default(DIALECT, text));
        if generated == "s" {
            column.generated = default.map(|expression| Generated {
                expression: normalize_expression(DIALECT, &expression),
                stored: true,
            });
        } else if owns_sequence
            && column.identity.is_none()
            && default
                .as_deref()
                .is_some_and(|text| text.starts_with("nextval("))
        {
            column.identity = Some(Identity::Serial);
        } else {
            column.default = default;
        }
        table.columns.push(column);
    }
    Ok(names)
}

async fn read_constraints(
    connection: &mut PgConnection,
    oids: &[i64],
    tables: &mut BTreeMap<i64, Table>,
    in_default: &impl Fn(String, String) -> ObjectName,
) -> Result<(), IntrospectError> {
    let rows: Vec<ConstraintRow> = sqlx::query_as(
        "SELECT con.conrelid::int8, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid, true), \
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, position) \
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.position), \
           fn.nspname::text, fc.relname::text, \
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, position) \
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.position), \
           con.confupdtype::text, con.confdeltype::text \
         FROM pg_constraint con \
         LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
         LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
         WHERE con.conrelid = ANY($1::int8[]::oid[]) AND con.contype IN ('p', 'u', 'f', 'c') \
         ORDER BY con.conrelid, con.conname",
    )
    .bind(oids)
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the constraints of the tables"))?;
    for row in rows {
        let (
            oid,
            name,
            kind,
            definition,
            columns,
            referenced_schema,
            referenced_table,
            referenced_columns,
            on_update,
            on_delete,
        ) = row;
        let Some(table) = tables.get_mut(&oid) else {
            continue;
        };
        match kind.as_str() {
            "p" => {
                table.primary_key = Some(PrimaryKey {
                    name: Some(name),
                    columns,
                })
            }
            "u" => table.unique_constraints.push(UniqueConstraint {
                name: Some(name),
                columns,
            }),
            "f" => {
                let (Some(referenced_schema), Some(referenced_table)) =
                    (referenced_schema, referenced_table)
                else {
                    continue;
                };
                table.foreign_keys.push(ForeignKey {
                    name: Some(name),
                    columns,
                    referenced_table: in_default(referenced_schema, referenced_table),
                    referenced_columns,
                    on_update: ReferentialAction::parse(&on_update)
                        .unwrap_or(ReferentialAction::NoAction),
                    on_delete: ReferentialAction::parse(&on_delete)
                        .unwrap_or(ReferentialAction::NoAction),
                });
            }
            _ => {
                let expression = definition
                    .strip_prefix("CHECK ")
                    .unwrap_or(&definition)
                    .trim_end_matches(" NOT VALID")
                    .trim_end_matches(" NO INHERIT");
                table.checks.push(CheckConstraint {
                    name: Some(name),
                    expression: normalize_expression(DIALECT, expression),
                });
            }
        }
    }
    Ok(())
}

async fn read_indexes(
    connection: &mut PgConnection,
    oids: &[i64],
    tables: &mut BTreeMap<i64, Table>,
    column_names: &BTreeMap<(i64, i16), String>,
) -> Result<(), IntrospectError> {
    let rows: Vec<IndexRow> = sqlx::query_as(
        "SELECT i.indrelid::int8, ic.relname::text, i.indisunique, am.amname::text, \
           pg_get_expr(i.indpred, i.indrelid, true), \
           ARRAY(SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(n, position) ORDER BY k.position), \
           ARRAY(SELECT k.n FROM unnest(i.indoption::int2[]) WITH ORDINALITY AS k(n, position) ORDER BY k.position), \
           ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts::int4) AS k ORDER BY k) \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam \
         WHERE i.indrelid = ANY($1::int8[]::oid[]) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) \
         ORDER BY i.indrelid, ic.relname",
    )
    .bind(oids)
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the indexes of the tables"))?;
    for (oid, name, unique, method, predicate, numbers, options, definitions) in rows {
        let Some(table) = tables.get_mut(&oid) else {
            continue;
        };
        let keys = definitions
            .iter()
            .enumerate()
            .map(|(position, definition)| {
                let number = numbers.get(position).copied().unwrap_or(0);
                let option = options.get(position).copied().unwrap_or(0);
                let target = match column_names.get(&(oid, number)) {
                    Some(column) if number != 0 => IndexTarget::Column(column.clone()),
                    _ => IndexTarget::Expression(normalize_expression(DIALECT, definition)),
                };
                let descending = option & 1 != 0;
                let nulls_first = option & 2 != 0;
                IndexKey {
                    target,
                    descending,
                    // The default is NULLS LAST ascending and NULLS FIRST descending.
                    nulls_first: (nulls_first != descending).then_some(nulls_first),
                    prefix_length: None,
                }
            })
            .collect();
        table.indexes.push(Index {
            name,
            unique,
            keys,
            predicate: predicate.map(|text| normalize_expression(DIALECT, &text)),
            method: (method != "btree").then_some(method),
        });
    }
    Ok(())
}
