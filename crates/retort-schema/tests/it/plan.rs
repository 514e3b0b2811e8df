//! Planning DDL from two schemas, per dialect: what runs, in which order, what SQLite does
//! with `ALTER TABLE` and what it rebuilds, the warnings, and that the downgrade is the plan
//! the other way round.

use retort_core::Dialect;
use retort_schema::{ObjectName, ReferentialAction, Schema, migration_script, plan, render_script};

use crate::build::{optional, required, schema, sql, table};

fn users(dialect: Dialect, extra: &[&str]) -> Schema {
    let mut users = table("users")
        .column(required("id", "INTEGER"))
        .key(None, &["id"]);
    for column in extra {
        users = users.column(optional(column, "TEXT"));
    }
    schema(dialect, vec![users])
}

#[test]
fn sqlite_adds_and_drops_plain_columns_with_alter() {
    let before = users(Dialect::Sqlite, &["old"]);
    let after = users(Dialect::Sqlite, &["new"]);
    let script = migration_script(&before, &after);
    assert_eq!(
        render_script(&script.upgrade),
        "ALTER TABLE users ADD COLUMN new TEXT;\n\n\
         -- WARNING: data loss: column users.old is dropped\n\
         ALTER TABLE users DROP COLUMN old;\n"
    );
    assert_eq!(
        sql(&script.downgrade),
        [
            "ALTER TABLE users ADD COLUMN old TEXT",
            "ALTER TABLE users DROP COLUMN new"
        ]
    );
}

#[test]
fn sqlite_rebuilds_what_alter_cannot_do() {
    let before = users(Dialect::Sqlite, &["name"]);
    let mut after = users(Dialect::Sqlite, &["name"]);
    if let Some(users) = after.tables.get_mut(&ObjectName::new("users")) {
        users.columns.push(required("email", "TEXT"));
        users.indexes.push(retort_schema::Index {
            name: "users_email".to_owned(),
            unique: true,
            keys: vec![retort_schema::IndexKey::column("email")],
            predicate: Some("email IS NOT NULL".to_owned()),
            method: None,
        });
    }
    let upgrade = render_script(&plan(&before, &after));
    assert_eq!(
        upgrade,
        "\
-- rebuild table users (SQLite cannot ALTER this): add column users.email TEXT
-- WARNING: users.email is NOT NULL without a default: the copy fails when users has rows
CREATE TABLE _retort_new_users (
    id INTEGER NOT NULL,
    name TEXT,
    email TEXT NOT NULL,
    PRIMARY KEY (id)
);

INSERT INTO _retort_new_users (id, name) SELECT id, name FROM users;
DROP TABLE users;
ALTER TABLE _retort_new_users RENAME TO users;
CREATE UNIQUE INDEX users_email ON users (email) WHERE email IS NOT NULL;
"
    );
}

#[test]
fn postgres_alters_columns_piece_by_piece() {
    let mut before_email = required("email", "character varying(100)");
    before_email.default = Some("''::character varying".to_owned());
    let before = schema(Dialect::Postgres, vec![table("users").column(before_email)]);
    let mut after_email = optional("email", "text");
    after_email.default = Some("'none'::text".to_owned());
    let after = schema(Dialect::Postgres, vec![table("users").column(after_email)]);
    assert_eq!(
        sql(&plan(&before, &after)),
        [
            "ALTER TABLE users ALTER COLUMN email DROP DEFAULT",
            "ALTER TABLE users ALTER COLUMN email TYPE text USING email::text",
            "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'none'::text",
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
        ]
    );
}

#[test]
fn mysql_modifies_columns_and_orders_keys_around_foreign_keys() {
    let before = schema(
        Dialect::Mysql,
        vec![
            table("orgs")
                .column(required("id", "int"))
                .key(None, &["id"]),
            table("users")
                .column(required("id", "int"))
                .column(optional("org_id", "int"))
                .key(None, &["id"])
                .index("users_org_fk", &["org_id"])
                .references(
                    Some("users_org_fk"),
                    &["org_id"],
                    "orgs",
                    ReferentialAction::Restrict,
                ),
        ],
    );
    let after = schema(
        Dialect::Mysql,
        vec![
            table("orgs")
                .column(required("id", "int"))
                .key(None, &["id"]),
            table("users")
                .column(required("id", "int"))
                .column(required("org_id", "bigint"))
                .key(None, &["id"])
                .index("users_org", &["org_id"])
                .references(
                    Some("users_org"),
                    &["org_id"],
                    "orgs",
                    ReferentialAction::Cascade,
                ),
        ],
    );
    assert_eq!(
        sql(&plan(&before, &after)),
        [
            "ALTER TABLE users DROP FOREIGN KEY users_org_fk",
            "DROP INDEX users_org_fk ON users",
            "ALTER TABLE users MODIFY COLUMN org_id bigint NOT NULL",
            "CREATE INDEX users_org ON users (org_id)",
            "ALTER TABLE users ADD CONSTRAINT users_org FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE ON UPDATE NO ACTION",
        ]
    );
}

#[test]
fn cycles_are_created_then_tied_and_untied_then_dropped() {
    let pair = schema(
        Dialect::Postgres,
        vec![
            table("a")
                .column(required("id", "integer"))
                .column(optional("b_id", "integer"))
                .key(None, &["id"])
                .references(
                    Some("a_b_fkey"),
                    &["b_id"],
                    "b",
                    ReferentialAction::NoAction,
                ),
            table("b")
                .column(required("id", "integer"))
                .column(optional("a_id", "integer"))
                .key(None, &["id"])
                .references(
                    Some("b_a_fkey"),
                    &["a_id"],
                    "a",
                    ReferentialAction::NoAction,
                ),
        ],
    );
    let empty = Schema::empty(Dialect::Postgres);
    let script = migration_script(&empty, &pair);
    let upgrade = sql(&script.upgrade);
    assert!(
        upgrade[0].starts_with("CREATE TABLE a (") && !upgrade[0].contains("FOREIGN KEY"),
        "{upgrade:?}"
    );
    assert!(
        upgrade[1].starts_with("CREATE TABLE b (")
            && upgrade[1].contains("CONSTRAINT b_a_fkey FOREIGN KEY"),
        "{upgrade:?}"
    );
    assert_eq!(
        upgrade[2],
        "ALTER TABLE a ADD CONSTRAINT a_b_fkey FOREIGN KEY (b_id) REFERENCES b (id)"
    );
    assert_eq!(
        sql(&script.downgrade),
        [
            "ALTER TABLE a DROP CONSTRAINT a_b_fkey",
            "DROP TABLE b",
            "DROP TABLE a"
        ]
    );
}

#[test]
fn adding_a_required_column_without_a_default_is_flagged() {
    let before = users(Dialect::Postgres, &[]);
    let mut after = users(Dialect::Postgres, &[]);
    if let Some(users) = after.tables.get_mut(&ObjectName::new("users")) {
        users.columns.push(required("email", "text"));
    }
    assert_eq!(
        render_script(&plan(&before, &after)),
        "-- WARNING: users.email is NOT NULL without a default: this fails when users has rows\n\
         ALTER TABLE users ADD COLUMN email text NOT NULL;\n"
    );
}

#[test]
fn postgres_schemas_and_enums_come_first_and_go_last() {
    let mut after = users(Dialect::Postgres, &[]);
    after.namespaces.insert("billing".to_owned());
    after.enums.insert(
        ObjectName::qualified("billing", "state"),
        vec!["open".to_owned(), "paid".to_owned()],
    );
    if let Some(users) = after.tables.get_mut(&ObjectName::new("users")) {
        users.columns.push(optional("state", "billing.state"));
    }
    let script = migration_script(&users(Dialect::Postgres, &[]), &after);
    assert_eq!(
        sql(&script.upgrade),
        [
            "CREATE SCHEMA billing",
            "CREATE TYPE billing.state AS ENUM ('open', 'paid')",
            "ALTER TABLE users ADD COLUMN state billing.state",
        ]
    );
    assert_eq!(
        sql(&script.downgrade),
        [
            "ALTER TABLE users DROP COLUMN state",
            "DROP TYPE billing.state",
            "DROP SCHEMA billing"
        ]
    );
}

#[test]
fn nothing_to_do_is_an_empty_script() {
    let same = users(Dialect::Mysql, &["name"]);
    let script = migration_script(&same, &same);
    assert!(script.is_empty() && script.upgrade.is_empty() && script.downgrade.is_empty());
    assert_eq!(render_script(&script.upgrade), "");
}

#[test]
fn making_a_column_required_is_flagged() {
    let before = users(Dialect::Mysql, &["name"]);
    let mut after = users(Dialect::Mysql, &[]);
    if let Some(users) = after.tables.get_mut(&ObjectName::new("users")) {
        users.columns.push(required("name", "TEXT"));
    }
    assert_eq!(
        render_script(&plan(&before, &after)),
        "-- WARNING: users.name becomes NOT NULL: rows where it is NULL make this fail\n\
         ALTER TABLE users MODIFY COLUMN name TEXT NOT NULL;\n"
    );
}
