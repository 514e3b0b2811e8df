//! Comparing schemas: what counts as the same object, what is a difference, and how a
//! difference reads in a drift report.

use retort_core::Dialect;
use retort_schema::{Difference, ReferentialAction, compare};

use crate::build::{optional, required, schema, table};

fn described(differences: &[Difference]) -> Vec<String> {
    differences.iter().map(ToString::to_string).collect()
}

#[test]
fn constraints_match_by_what_they_are_not_by_name() {
    let named = |prefix: &str| {
        schema(
            Dialect::Postgres,
            vec![
                table("users")
                    .column(required("id", "integer"))
                    .column(optional("email", "text"))
                    .column(optional("org_id", "integer"))
                    .key(Some(&format!("{prefix}_pkey")), &["id"])
                    .unique(Some(&format!("{prefix}_email_key")), &["email"])
                    .references(
                        Some(&format!("{prefix}_org_fkey")),
                        &["org_id"],
                        "orgs",
                        ReferentialAction::Cascade,
                    )
                    .check(Some(&format!("{prefix}_check")), "length(email) > 3"),
            ],
        )
    };
    assert_eq!(compare(&named("users"), &named("people")), Vec::new());
}

#[test]
fn expressions_match_whatever_their_spelling() {
    let with_check = |dialect, expression: &str, default: &str| {
        let mut column = optional("price", "numeric");
        column.default = Some(default.to_owned());
        schema(
            dialect,
            vec![table("items").column(column).check(None, expression)],
        )
    };
    let written = with_check(Dialect::Mysql, "`price` > 0", "(1 + 1)");
    let read = with_check(Dialect::Mysql, "((PRICE>0))", "(1+1)");
    assert_eq!(compare(&written, &read), Vec::new());
    let other = with_check(Dialect::Mysql, "price >= 0", "(1+1)");
    assert_eq!(
        described(&compare(&written, &other)),
        [
            "drop check on items: `price` > 0",
            "add check on items: price >= 0"
        ]
    );
}

#[test]
fn renames_are_not_guessed() {
    let before = schema(
        Dialect::Sqlite,
        vec![table("users").column(optional("name", "TEXT"))],
    );
    let after = schema(
        Dialect::Sqlite,
        vec![table("users").column(optional("full_name", "TEXT"))],
    );
    assert_eq!(
        described(&compare(&before, &after)),
        [
            "add column users.full_name TEXT",
            "drop column users.name (data loss)"
        ]
    );
    let renamed_table = schema(
        Dialect::Sqlite,
        vec![table("people").column(optional("name", "TEXT"))],
    );
    assert_eq!(
        described(&compare(&before, &renamed_table)),
        ["drop table users (data loss)", "add table people"]
    );
}

#[test]
fn column_changes_say_what_changed() {
    let mut email = required("email", "character varying(100)");
    email.default = Some("''::character varying".to_owned());
    let before = schema(Dialect::Postgres, vec![table("users").column(email)]);
    let after = schema(
        Dialect::Postgres,
        vec![table("users").column(optional("email", "character varying(255)"))],
    );
    assert_eq!(
        described(&compare(&before, &after)),
        [
            "alter column users.email: type character varying(100) -> character varying(255), \
             not null -> null, default ''::character varying -> none"
        ]
    );
}

#[test]
fn every_kind_of_table_change_is_found() {
    let before = schema(
        Dialect::Postgres,
        vec![
            table("orgs")
                .column(required("id", "integer"))
                .key(None, &["id"]),
            table("users")
                .column(required("id", "integer"))
                .column(optional("org_id", "integer"))
                .key(Some("users_pkey"), &["id"])
                .index("users_org", &["org_id"]),
        ],
    );
    let after = schema(
        Dialect::Postgres,
        vec![
            table("orgs")
                .column(required("id", "integer"))
                .key(None, &["id"]),
            table("users")
                .column(required("id", "integer"))
                .column(optional("org_id", "integer"))
                .key(Some("users_pkey"), &["id", "org_id"])
                .unique(Some("users_org_key"), &["org_id"])
                .index("users_org", &["org_id", "id"])
                .references(None, &["org_id"], "orgs", ReferentialAction::SetNull),
        ],
    );
    assert_eq!(
        described(&compare(&before, &after)),
        [
            "change the primary key of users: (id) -> (id, org_id)",
            "add unique (org_id) on users",
            "change index users_org on users",
            "add foreign key users (org_id) -> orgs (id)",
        ]
    );
    assert!(compare(&after, &after).is_empty());
}
