//! Building schemas by hand, tersely: `table("users").column(int("id")).key(&["id"])`.

use retort_core::Dialect;
use retort_schema::{
    CheckConstraint, Column, ForeignKey, Index, IndexKey, ObjectName, PrimaryKey,
    ReferentialAction, Schema, Table, UniqueConstraint,
};

/// A table under construction.
pub struct TableBuilder(pub Table);

pub fn table(name: &str) -> TableBuilder {
    TableBuilder(Table::new(ObjectName::new(name)))
}

/// A NOT NULL column of `data_type`.
pub fn required(name: &str, data_type: &str) -> Column {
    let mut column = Column::new(name, data_type);
    column.nullable = false;
    column
}

/// A nullable column of `data_type`.
pub fn optional(name: &str, data_type: &str) -> Column {
    Column::new(name, data_type)
}

fn names(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|column| (*column).to_owned()).collect()
}

impl TableBuilder {
    pub fn column(mut self, column: Column) -> TableBuilder {
        self.0.columns.push(column);
        self
    }

    pub fn key(mut self, name: Option<&str>, columns: &[&str]) -> TableBuilder {
        self.0.primary_key = Some(PrimaryKey {
            name: name.map(str::to_owned),
            columns: names(columns),
        });
        self
    }

    pub fn unique(mut self, name: Option<&str>, columns: &[&str]) -> TableBuilder {
        self.0.unique_constraints.push(UniqueConstraint {
            name: name.map(str::to_owned),
            columns: names(columns),
        });
        self
    }

    pub fn index(mut self, name: &str, columns: &[&str]) -> TableBuilder {
        self.0.indexes.push(Index {
            name: name.to_owned(),
            unique: false,
            keys: columns
                .iter()
                .map(|column| IndexKey::column(*column))
                .collect(),
            predicate: None,
            method: None,
        });
        self
    }

    pub fn references(
        mut self,
        name: Option<&str>,
        columns: &[&str],
        table: &str,
        on_delete: ReferentialAction,
    ) -> TableBuilder {
        self.0.foreign_keys.push(ForeignKey {
            name: name.map(str::to_owned),
            columns: names(columns),
            referenced_table: ObjectName::new(table),
            referenced_columns: names(&["id"]),
            on_update: ReferentialAction::NoAction,
            on_delete,
        });
        self
    }

    pub fn check(mut self, name: Option<&str>, expression: &str) -> TableBuilder {
        self.0.checks.push(CheckConstraint {
            name: name.map(str::to_owned),
            expression: expression.to_owned(),
        });
        self
    }
}

/// A schema of `dialect` with `tables`.
pub fn schema(dialect: Dialect, tables: Vec<TableBuilder>) -> Schema {
    let mut schema = Schema::empty(dialect);
    for TableBuilder(table) in tables {
        schema.insert_table(table);
    }
    schema
}

/// The statements' SQL, comments left out.
pub fn sql(statements: &[retort_schema::Statement]) -> Vec<String> {
    statements
        .iter()
        .filter(|statement| !statement.sql.is_empty())
        .map(|statement| statement.sql.clone())
        .collect()
}
