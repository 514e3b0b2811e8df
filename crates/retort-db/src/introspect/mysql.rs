//! Reading a MySQL or MariaDB schema from `information_schema`: the connection's database only.
//!
//! Unique keys are indexes here (MySQL has no other kind), the primary key is the index named
//! `PRIMARY`, and foreign keys that point into another database keep that database's name.
//! MariaDB's `JSON` is `LONGTEXT` with a `json_valid` check; it is read back as `json`.
//! MySQL 8 reports literal defaults without quotes; they are quoted here so that both servers
//! give the same model. Table options (engine, character set, collation) are not read.

use std::collections::BTreeMap;

use retort_core::Dialect;
use retort_schema::{
    CheckConstraint, Column, ForeignKey, Generated, Identity, Index, IndexKey, ObjectName,
    PrimaryKey, ReferentialAction, Schema, Table, normalize_default, normalize_expression,
    normalize_type, quote_literal, same_expression,
};
use sqlx::mysql::MySqlConnection;

use super::ReadOptions;
use super::error::{IntrospectError, query_failed};

const DIALECT: Dialect = Dialect::Mysql;

type ColumnRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
);
type IndexRow = (
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
);
type ForeignKeyRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// The schema of the connection's database.
pub(super) async fn read_schema(
    connection: &mut MySqlConnection,
    options: &ReadOptions,
) -> Result<Schema, IntrospectError> {
    let version: String = sqlx::query_scalar("SELECT CAST(VERSION() AS CHAR)")
        .fetch_one(&mut *connection)
        .await
        .map_err(query_failed("reading the server version"))?;
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("listing the tables"))?;
    let mut tables: BTreeMap<String, Table> = names
        .into_iter()
        .filter(|name| !options.is_excluded(name))
        .map(|name| (name.clone(), Table::new(ObjectName::new(name))))
        .collect();
    read_columns(connection, mariadb, &mut tables).await?;
    read_indexes(connection, &mut tables).await?;
    read_foreign_keys(connection, &mut tables).await?;
    read_checks(connection, mariadb, &mut tables).await?;
    let mut schema = Schema::empty(DIALECT);
    for mut table in tables.into_values() {
        recognise_json_columns(&mut table);
        schema.insert_table(table);
    }
    Ok(schema)
}

async fn read_columns(
    connection: &mut MySqlConnection,
    mariadb: bool,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), IntrospectError> {
    let rows: Vec<ColumnRow> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), \
           CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), CAST(EXTRA AS CHAR), \
           CAST(GENERATION_EXPRESSION AS CHAR), CAST(DATA_TYPE AS CHAR) \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the columns of the tables"))?;
    for (table_name, name, column_type, nullable, default, extra, generation, data_type) in rows {
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let extra_lower = extra.to_ascii_lowercase();
        let mut column = Column::new(name, normalize_type(DIALECT, &column_type));
        column.nullable = nullable.eq_ignore_ascii_case("YES");
        if extra_lower.contains("auto_increment") {
            column.identity = Some(Identity::AutoIncrement);
        }
        if let Some(position) = extra_lower.find("on update ") {
            column.on_update = Some(extra[position + "on update ".len()..].trim().to_owned());
        }
        match generation.filter(|text| !text.is_empty()) {
            Some(expression)
                if extra_lower.contains("generated")
                    && !extra_lower.contains("default_generated") =>
            {
                column.generated = Some(Generated {
                    expression: normalize_expression(DIALECT, &expression),
                    stored: extra_lower.contains("stored") || extra_lower.contains("persistent"),
                });
            }
            _ => {
                column.default = default.and_then(|text| {
                    let text = if mariadb {
                        text
                    } else {
                        mysql8_default(&text, &data_type, &extra_lower)
                    };
                    normalize_default(DIALECT, &text)
                });
            }
        }
        table.columns.push(column);
    }
    Ok(())
}

/// MySQL 8 spells a literal default without quotes and an expression without parentheses (and
/// says `DEFAULT_GENERATED`); this spells them as MariaDB and as DDL do.
fn mysql8_default(text: &str, data_type: &str, extra: &str) -> String {
    const NUMERIC: [&str; 12] = [
        "tinyint",
        "smallint",
        "mediumint",
        "int",
        "integer",
        "bigint",
        "decimal",
        "numeric",
        "float",
        "double",
        "bit",
        "year",
    ];
    if extra.contains("default_generated") {
        let upper = text.to_ascii_uppercase();
        return if upper.starts_with("CURRENT_TIMESTAMP") || upper.starts_with("NOW(") {
            text.to_owned()
        } else {
            format!("({text})")
        };
    }
    if NUMERIC.contains(&data_type.to_ascii_lowercase().as_str()) {
        text.to_owned()
    } else {
        quote_literal(text)
    }
}

async fn read_indexes(
    connection: &mut MySqlConnection,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), IntrospectError> {
    let rows: Vec<IndexRow> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS SIGNED), \
           CAST(COLUMN_NAME AS CHAR), CAST(COLLATION AS CHAR), CAST(SUB_PART AS SIGNED), CAST(INDEX_TYPE AS CHAR) \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the indexes of the tables"))?;
    for (table_name, index_name, non_unique, column, collation, prefix, index_type) in rows {
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let Some(column) = column else {
            // A functional key (MySQL 8): its expression is not read.
            continue;
        };
        if index_name == "PRIMARY" {
            table
                .primary_key
                .get_or_insert_with(|| PrimaryKey {
                    name: None,
                    columns: Vec::new(),
                })
                .columns
                .push(column);
            continue;
        }
        let mut key = IndexKey::column(column);
        key.descending = collation.as_deref() == Some("D");
        key.prefix_length = prefix.and_then(|length| u32::try_from(length).ok());
        match table
            .indexes
            .iter_mut()
            .find(|index| index.name == index_name)
        {
            Some(index) => index.keys.push(key),
            None => table.indexes.push(Index {
                name: index_name,
                unique: non_unique == 0,
                keys: vec![key],
                predicate: None,
                method: matches!(index_type.as_str(), "FULLTEXT" | "SPATIAL").then_some(index_type),
            }),
        }
    }
    Ok(())
}

async fn read_foreign_keys(
    connection: &mut MySqlConnection,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), IntrospectError> {
    let rows: Vec<ForeignKeyRow> = sqlx::query_as(
        "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), \
           CAST(k.REFERENCED_TABLE_SCHEMA AS CHAR), CAST(k.REFERENCED_TABLE_NAME AS CHAR), \
           CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.UPDATE_RULE AS CHAR), CAST(r.DELETE_RULE AS CHAR) \
         FROM information_schema.KEY_COLUMN_USAGE k \
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
          AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
    )
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the foreign keys of the tables"))?;
    let database: Option<String> = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
        .fetch_one(&mut *connection)
        .await
        .map_err(query_failed("reading the database name"))?;
    // NO ACTION is RESTRICT in MySQL: one spelling, so that both compare equal.
    let action = |rule: &str| match ReferentialAction::parse(rule) {
        Some(ReferentialAction::NoAction) | None => ReferentialAction::Restrict,
        Some(action) => action,
    };
    for (
        table_name,
        name,
        column,
        referenced_schema,
        referenced_table,
        referenced_column,
        on_update,
        on_delete,
    ) in rows
    {
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let referenced = if Some(&referenced_schema) == database.as_ref() {
            ObjectName::new(referenced_table)
        } else {
            ObjectName::qualified(referenced_schema, referenced_table)
        };
        match table
            .foreign_keys
            .iter_mut()
            .find(|key| key.name.as_deref() == Some(name.as_str()))
        {
            Some(key) => {
                key.columns.push(column);
                key.referenced_columns.push(referenced_column);
            }
            None => table.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns: vec![column],
                referenced_table: referenced,
                referenced_columns: vec![referenced_column],
                on_update: action(&on_update),
                on_delete: action(&on_delete),
            }),
        }
    }
    Ok(())
}

async fn read_checks(
    connection: &mut MySqlConnection,
    mariadb: bool,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), IntrospectError> {
    // MariaDB names checks per table, MySQL per database: join on the table where there is one.
    let same_table = if mariadb {
        " AND c.TABLE_NAME = t.TABLE_NAME"
    } else {
        ""
    };
    let rows: Vec<(String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(t.CONSTRAINT_NAME AS CHAR), CAST(c.CHECK_CLAUSE AS CHAR) \
         FROM information_schema.TABLE_CONSTRAINTS t \
         JOIN information_schema.CHECK_CONSTRAINTS c \
           ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME{same_table} \
         WHERE t.TABLE_SCHEMA = DATABASE() AND t.CONSTRAINT_TYPE = 'CHECK' \
         ORDER BY t.TABLE_NAME, t.CONSTRAINT_NAME"
    )))
    .fetch_all(&mut *connection)
    .await
    .map_err(query_failed("reading the check constraints of the tables"))?;
    for (table_name, name, clause) in rows {
        if let Some(table) = tables.get_mut(&table_name) {
            table.checks.push(CheckConstraint {
                name: Some(name),
                expression: normalize_expression(DIALECT, &clause),
            });
        }
    }
    Ok(())
}

/// MariaDB's `JSON` column is `LONGTEXT` with `CHECK (json_valid(column))`: read it as `json`.
fn recognise_json_columns(table: &mut Table) {
    let mut json_columns = Vec::new();
    table.checks.retain(|check| {
        let column = table.columns.iter().find(|column| {
            column.data_type == "longtext"
                && same_expression(
                    DIALECT,
                    &check.expression,
                    &format!("json_valid(`{}`)", column.name),
                )
        });
        match column {
            Some(column) => {
                json_columns.push(column.name.clone());
                false
            }
            None => true,
        }
    });
    for column in &mut table.columns {
        if json_columns.contains(&column.name) {
            column.data_type = "json".to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql8_defaults_are_spelled_as_ddl() {
        assert_eq!(mysql8_default("abc", "varchar", ""), "'abc'");
        assert_eq!(mysql8_default("0", "int", ""), "0");
        assert_eq!(
            mysql8_default("CURRENT_TIMESTAMP", "timestamp", "default_generated"),
            "CURRENT_TIMESTAMP"
        );
        assert_eq!(
            mysql8_default("rand() * 10", "double", "default_generated"),
            "(rand() * 10)"
        );
    }

    #[test]
    fn mariadb_json_is_read_as_json() {
        let mut table = Table::new(ObjectName::new("t"));
        table.columns.push(Column::new("data", "longtext"));
        table.columns.push(Column::new("note", "longtext"));
        table.checks.push(CheckConstraint {
            name: Some("data".to_owned()),
            expression: "json_valid(`data`)".to_owned(),
        });
        table.checks.push(CheckConstraint {
            name: Some("c".to_owned()),
            expression: "`note` <> ''".to_owned(),
        });
        recognise_json_columns(&mut table);
        assert_eq!(table.columns[0].data_type, "json");
        assert_eq!(table.columns[1].data_type, "longtext");
        assert_eq!(table.checks.len(), 1);
    }
}
