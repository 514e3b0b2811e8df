//! The schema model: what introspection reads from a database and what the diff compares.
//!
//! One model serves every dialect; a field that only one engine has (PostgreSQL enums and
//! schemas, MySQL's `ON UPDATE`) stays empty elsewhere. Text that the engine hands back in its
//! own words (types, defaults, check and index expressions) is kept as text, normalised per
//! dialect by `crate::normalize` so that the same schema read twice compares equal.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use retort_core::Dialect;

/// Everything retort models of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub dialect: Dialect,
    /// PostgreSQL schemas besides the default one and `public`.
    pub namespaces: BTreeSet<String>,
    /// PostgreSQL enum types and their labels, in order.
    pub enums: BTreeMap<ObjectName, Vec<String>>,
    pub tables: BTreeMap<ObjectName, Table>,
}

impl Schema {
    /// A schema with nothing in it.
    pub fn empty(dialect: Dialect) -> Schema {
        Schema {
            dialect,
            namespaces: BTreeSet::new(),
            enums: BTreeMap::new(),
            tables: BTreeMap::new(),
        }
    }

    /// Whether the schema holds no table, enum or namespace.
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && self.enums.is_empty() && self.tables.is_empty()
    }

    /// Adds `table`, keyed by its name.
    pub fn insert_table(&mut self, table: Table) {
        self.tables.insert(table.name.clone(), table);
    }
}

/// A table's or type's name: `schema` is `None` in the default schema (the search path's first
/// on PostgreSQL, the connection's database on MySQL, `main` on SQLite).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectName {
    pub schema: Option<String>,
    pub name: String,
}

impl ObjectName {
    /// A name in the default schema.
    pub fn new(name: impl Into<String>) -> ObjectName {
        ObjectName {
            schema: None,
            name: name.into(),
        }
    }

    /// A name in `schema`.
    pub fn qualified(schema: impl Into<String>, name: impl Into<String>) -> ObjectName {
        ObjectName {
            schema: Some(schema.into()),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// One table with its columns (in order), keys, indexes and constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: ObjectName,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub unique_constraints: Vec<UniqueConstraint>,
    /// Indexes that back no constraint. MySQL unique keys are indexes here.
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<CheckConstraint>,
    /// What follows the column list, as SQLite spells it (`WITHOUT ROWID`, `STRICT`); `None`
    /// elsewhere, where table options are not read.
    pub options: Option<String>,
}

impl Table {
    /// A table with no columns, keys or constraints yet.
    pub fn new(name: ObjectName) -> Table {
        Table {
            name,
            columns: Vec::new(),
            primary_key: None,
            unique_constraints: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            options: None,
        }
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// The index called `name`.
    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|index| index.name == name)
    }

    /// Whether a key, index or constraint of this table names `column`.
    pub fn column_is_constrained(&self, column: &str) -> bool {
        let named = |columns: &[String]| columns.iter().any(|name| name == column);
        self.primary_key
            .as_ref()
            .is_some_and(|key| named(&key.columns))
            || self
                .unique_constraints
                .iter()
                .any(|unique| named(&unique.columns))
            || self
                .foreign_keys
                .iter()
                .any(|foreign_key| named(&foreign_key.columns))
            || self.indexes.iter().any(|index| index.mentions(column))
            || self
                .checks
                .iter()
                .any(|check| crate::normalize::mentions_word(&check.expression, column))
    }
}

/// One column. `data_type` and `default` are normalised text in the table's dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub nullable: bool,
    /// The default as an SQL expression; `None` for none (or `DEFAULT NULL`).
    pub default: Option<String>,
    pub identity: Option<Identity>,
    pub generated: Option<Generated>,
    /// MySQL's `ON UPDATE CURRENT_TIMESTAMP` clause.
    pub on_update: Option<String>,
}

impl Column {
    /// A nullable column of `data_type` with nothing else.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            default: None,
            identity: None,
            generated: None,
            on_update: None,
        }
    }
}

/// How a column numbers its rows by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// PostgreSQL `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// PostgreSQL `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
    /// PostgreSQL `serial`, `bigserial`, `smallserial`: a sequence the column owns.
    Serial,
    /// MySQL `AUTO_INCREMENT`, SQLite `AUTOINCREMENT`.
    AutoIncrement,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Identity::Always => "identity always",
            Identity::ByDefault => "identity by default",
            Identity::Serial => "serial",
            Identity::AutoIncrement => "autoincrement",
        })
    }
}

/// A generated (computed) column's expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub expression: String,
    /// Stored, rather than computed when read (virtual).
    pub stored: bool,
}

/// The primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    /// `None` when the engine gives it no name (SQLite, MySQL's `PRIMARY`).
    pub name: Option<String>,
    pub columns: Vec<String>,
}

/// A `UNIQUE` constraint (PostgreSQL and SQLite; MySQL's are unique indexes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueConstraint {
    pub name: Option<String>,
    pub columns: Vec<String>,
}

/// An index that backs no constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub keys: Vec<IndexKey>,
    /// The `WHERE` of a partial index (PostgreSQL, SQLite).
    pub predicate: Option<String>,
    /// The access method when not the default: PostgreSQL `gin`, MySQL `FULLTEXT`.
    pub method: Option<String>,
}

impl Index {
    /// Whether a key of the index, or its predicate, names `column`.
    pub fn mentions(&self, column: &str) -> bool {
        self.keys.iter().any(|key| match &key.target {
            IndexTarget::Column(name) => name == column,
            IndexTarget::Expression(text) => crate::normalize::mentions_word(text, column),
        }) || self
            .predicate
            .as_deref()
            .is_some_and(|predicate| crate::normalize::mentions_word(predicate, column))
    }
}

/// One key of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    pub target: IndexTarget,
    pub descending: bool,
    /// PostgreSQL: `NULLS FIRST` (`Some(true)`) or `NULLS LAST` (`Some(false)`) when it is not
    /// the default of the key's direction.
    pub nulls_first: Option<bool>,
    /// MySQL: the indexed prefix length of a string column.
    pub prefix_length: Option<u32>,
}

impl IndexKey {
    /// An ascending key on `column`.
    pub fn column(column: impl Into<String>) -> IndexKey {
        IndexKey {
            target: IndexTarget::Column(column.into()),
            descending: false,
            nulls_first: None,
            prefix_length: None,
        }
    }
}

/// What an index key indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexTarget {
    Column(String),
    /// An expression, as the engine prints it.
    Expression(String),
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub referenced_table: ObjectName,
    pub referenced_columns: Vec<String>,
    pub on_update: ReferentialAction,
    pub on_delete: ReferentialAction,
}

/// What a foreign key does when the row it references changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReferentialAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    /// The action a rule such as `SET NULL` or PostgreSQL's `n` names.
    pub fn parse(rule: &str) -> Option<ReferentialAction> {
        match rule.trim().to_ascii_uppercase().as_str() {
            "NO ACTION" | "A" => Some(ReferentialAction::NoAction),
            "RESTRICT" | "R" => Some(ReferentialAction::Restrict),
            "CASCADE" | "C" => Some(ReferentialAction::Cascade),
            "SET NULL" | "N" => Some(ReferentialAction::SetNull),
            "SET DEFAULT" | "D" => Some(ReferentialAction::SetDefault),
            _ => None,
        }
    }

    /// The SQL words.
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }

    /// The action a foreign key without the clause gets in `dialect` (MySQL's `NO ACTION` is
    /// `RESTRICT`).
    pub fn default_for(dialect: Dialect) -> ReferentialAction {
        match dialect {
            Dialect::Mysql => ReferentialAction::Restrict,
            Dialect::Sqlite | Dialect::Postgres => ReferentialAction::NoAction,
        }
    }
}

/// A `CHECK` constraint; `expression` is without the `CHECK (…)` around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConstraint {
    pub name: Option<String>,
    pub expression: String,
}
