//! Offline SQL (`--sql`): the script a plan would run, version-table changes included, rendered
//! without connecting to anything.
//!
//! The shape follows Alembic's offline mode (`MigrationContext.run_migrations` with
//! `transaction_per_migration`), each statement followed by a blank line:
//!
//! ```text
//! BEGIN;                                   -- transactional-DDL dialects, transactional steps
//! CREATE TABLE retort_version (...);       -- before the first step, when starting from no rows
//! -- Running upgrade <from> -> <to>        -- `downgrade`, or `stamp_revision` for a stamp
//! <the migration's SQL>
//! INSERT / UPDATE / DELETE on retort_version
//! COMMIT;
//! ```
//!
//! retort runs one transaction per migration where DDL is transactional (SQLite, PostgreSQL), so
//! each transactional step is wrapped in `BEGIN;` … `COMMIT;` there; MySQL commits DDL
//! implicitly and gets no wrapping, and a `transaction: false` step is never wrapped. Unlike
//! Alembic, `RETURNING` is not added to the version `INSERT`, and downgrading to base drops
//! nothing (Alembic ≥ 1.18 does not either).
//!
//! With a PostgreSQL `schema` option ([`render_offline_in_schema`]) the script first creates the
//! schema and sets the `search_path` as the online backend does, and names the version table
//! with its schema.
//!
//! The history table is not written in offline mode: the script records no run, so a database
//! migrated with it shows the revisions in its version table but nothing in `history --verbose`.

use retort_core::{Action, Dialect, Step, VersionChange};

use crate::sql_text::{create_version_table_in, qualified_name, quote_identifier, quote_literal};

/// A step and its SQL, for rendering.
#[derive(Debug, Clone, Copy)]
pub struct OfflineStep<'a> {
    pub step: &'a Step,
    /// The migration's SQL for the dialect; `None` for a stamp.
    pub sql: Option<&'a str>,
    /// False for a `transaction: false` migration: never wrapped in `BEGIN;` … `COMMIT;`.
    pub transactional: bool,
}

/// Renders the script for `steps` in `dialect`. `start_rows_empty` says the plan starts from no
/// version rows, so the version table is created before the first step (as Alembic does).
pub fn render_offline(
    dialect: Dialect,
    version_table: &str,
    start_rows_empty: bool,
    steps: &[OfflineStep<'_>],
) -> String {
    render_offline_in_schema(dialect, None, version_table, start_rows_empty, steps)
}

/// [`render_offline`] for a PostgreSQL database with a `schema` option: the version table is
/// qualified with the schema (as Alembic's `version_table_schema` does), and the script starts
/// by creating the schema and putting it first in the `search_path`, as the online backend does.
pub fn render_offline_in_schema(
    dialect: Dialect,
    schema: Option<&str>,
    version_table: &str,
    start_rows_empty: bool,
    steps: &[OfflineStep<'_>],
) -> String {
    let quoted_table = qualified_name(dialect, schema, version_table);
    let mut script = String::new();
    if let Some(schema) = schema.filter(|_| !steps.is_empty()) {
        let quoted_schema = quote_identifier(dialect, schema);
        push_statement(
            &mut script,
            &format!("CREATE SCHEMA IF NOT EXISTS {quoted_schema};"),
        );
        let search_path = if schema == "public" {
            quoted_schema
        } else {
            format!("{quoted_schema}, public")
        };
        push_statement(&mut script, &format!("SET search_path TO {search_path};"));
    }
    for (step_index, offline_step) in steps.iter().enumerate() {
        let wrap_in_transaction =
            offline_step.transactional && dialect_has_transactional_ddl(dialect);
        if wrap_in_transaction {
            push_statement(&mut script, "BEGIN;");
        }
        if step_index == 0 && start_rows_empty {
            let ddl = create_version_table_in(dialect, schema, version_table, false, true);
            push_statement(&mut script, &format!("{ddl};"));
        }
        push_statement(&mut script, &running_comment(offline_step.step));
        if let Some(terminated) = offline_step.sql.and_then(terminated_sql) {
            push_statement(&mut script, &terminated);
        }
        for change in &offline_step.step.version_changes {
            push_statement(&mut script, &version_statement(&quoted_table, change));
        }
        if wrap_in_transaction {
            push_statement(&mut script, "COMMIT;");
        }
    }
    script
}

/// Whether DDL can be rolled back on `dialect`: SQLite and PostgreSQL yes, MySQL no.
pub(crate) fn dialect_has_transactional_ddl(dialect: Dialect) -> bool {
    match dialect {
        Dialect::Sqlite | Dialect::Postgres => true,
        Dialect::Mysql => false,
    }
}

/// `-- Running upgrade a -> b`, with Alembic's spacing when a side is empty.
fn running_comment(step: &Step) -> String {
    let kind = match step.action {
        Action::Upgrade(_) => "upgrade",
        Action::Downgrade(_) => "downgrade",
        Action::Stamp(_) => "stamp_revision",
    };
    format!(
        "-- Running {kind} {} -> {}",
        step.from.join(", "),
        step.to.join(", ")
    )
}

fn version_statement(quoted_table: &str, change: &VersionChange) -> String {
    match change {
        VersionChange::Insert(revision) => {
            format!(
                "INSERT INTO {quoted_table} (version_num) VALUES ({});",
                quote_literal(revision)
            )
        }
        VersionChange::Update { from, to } => format!(
            "UPDATE {quoted_table} SET version_num={} WHERE {quoted_table}.version_num = {};",
            quote_literal(to),
            quote_literal(from)
        ),
        VersionChange::Delete(revision) => format!(
            "DELETE FROM {quoted_table} WHERE {quoted_table}.version_num = {};",
            quote_literal(revision)
        ),
    }
}

fn push_statement(script: &mut String, statement: &str) {
    script.push_str(statement);
    script.push_str("\n\n");
}

/// The migration's SQL without surrounding blank lines, its last statement terminated with `;`
/// so that the version statement after it stays separate; `None` when there is nothing at all.
///
/// The last line that is neither blank nor a `--` comment gets the `;`; when it holds a trailing
/// `--` comment the `;` goes on a line of its own after it. SQL that is only comments is kept
/// as it is (it says something to the reader, as the place of a Rust migration does).
fn terminated_sql(sql: &str) -> Option<String> {
    let lines: Vec<&str> = sql.trim().lines().map(str::trim_end).collect();
    let Some(last_content) = lines.iter().rposition(|line| {
        let trimmed = line.trim_start();
        !trimmed.is_empty() && !trimmed.starts_with("--")
    }) else {
        return (!lines.is_empty()).then(|| lines.join("\n"));
    };
    let mut output_lines: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
    let content_line = &mut output_lines[last_content];
    if !content_line.ends_with(';') {
        if content_line.contains("--") {
            output_lines.insert(last_content + 1, ";".to_owned());
        } else {
            content_line.push(';');
        }
    }
    Some(output_lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use retort_core::Direction;

    use super::*;

    fn ids(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    fn step(
        action: Action,
        from: &[&str],
        to: &[&str],
        version_changes: Vec<VersionChange>,
    ) -> Step {
        Step {
            action,
            from: ids(from),
            to: ids(to),
            version_changes,
            rows_after: ids(to),
        }
    }

    fn upgrade(revision: &str, from: &[&str], version_changes: Vec<VersionChange>) -> Step {
        step(
            Action::Upgrade(revision.to_owned()),
            from,
            &[revision],
            version_changes,
        )
    }

    fn insert(revision: &str) -> VersionChange {
        VersionChange::Insert(revision.to_owned())
    }

    fn update(from: &str, to: &str) -> VersionChange {
        VersionChange::Update {
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    fn delete(revision: &str) -> VersionChange {
        VersionChange::Delete(revision.to_owned())
    }

    fn transactional<'a>(step: &'a Step, sql: Option<&'a str>) -> OfflineStep<'a> {
        OfflineStep {
            step,
            sql,
            transactional: true,
        }
    }

    #[test]
    fn upgrade_from_empty_creates_the_version_table_then_updates() {
        let first = upgrade("a1", &[], vec![insert("a1")]);
        let second = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
        let script = render_offline(
            Dialect::Sqlite,
            "retort_version",
            true,
            &[
                transactional(
                    &first,
                    Some("CREATE TABLE users (id INTEGER PRIMARY KEY)\n"),
                ),
                transactional(
                    &second,
                    Some("\nALTER TABLE users ADD COLUMN email TEXT;\n\n"),
                ),
            ],
        );
        let expected = "\
BEGIN;

CREATE TABLE retort_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1

CREATE TABLE users (id INTEGER PRIMARY KEY);

INSERT INTO retort_version (version_num) VALUES ('a1');

COMMIT;

BEGIN;

-- Running upgrade a1 -> b2

ALTER TABLE users ADD COLUMN email TEXT;

UPDATE retort_version SET version_num='b2' WHERE retort_version.version_num = 'a1';

COMMIT;

";
        assert_eq!(script, expected);
    }

    #[test]
    fn merge_deletes_then_updates() {
        let merge = step(
            Action::Upgrade("m3".to_owned()),
            &["b1", "c1"],
            &["m3"],
            vec![delete("b1"), update("c1", "m3")],
        );
        let script = render_offline(
            Dialect::Postgres,
            "retort_version",
            false,
            &[transactional(&merge, None)],
        );
        let expected = "\
BEGIN;

-- Running upgrade b1, c1 -> m3

DELETE FROM retort_version WHERE retort_version.version_num = 'b1';

UPDATE retort_version SET version_num='m3' WHERE retort_version.version_num = 'c1';

COMMIT;

";
        assert_eq!(script, expected);
    }

    #[test]
    fn downgrade_to_base_deletes_the_row_and_drops_nothing() {
        let down = step(
            Action::Downgrade("a1".to_owned()),
            &["a1"],
            &[],
            vec![delete("a1")],
        );
        let script = render_offline(
            Dialect::Sqlite,
            "retort_version",
            false,
            &[transactional(&down, Some("DROP TABLE users;"))],
        );
        let expected = "\
BEGIN;

-- Running downgrade a1 -> 

DROP TABLE users;

DELETE FROM retort_version WHERE retort_version.version_num = 'a1';

COMMIT;

";
        assert_eq!(script, expected);
    }

    #[test]
    fn stamp_only_changes_rows_and_quotes_ids() {
        let stamp = step(
            Action::Stamp(Direction::Up),
            &[],
            &["it's"],
            vec![insert("it's")],
        );
        let script = render_offline(
            Dialect::Postgres,
            "alembic_version",
            true,
            &[transactional(&stamp, None)],
        );
        let expected = "\
BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running stamp_revision  -> it's

INSERT INTO alembic_version (version_num) VALUES ('it''s');

COMMIT;

";
        assert_eq!(script, expected);
    }

    #[test]
    fn mysql_gets_no_transactions_and_postgres_does() {
        let first = upgrade("a1", &[], vec![insert("a1")]);
        let steps = [transactional(&first, Some("CREATE TABLE t (id INT)"))];
        let mysql = render_offline(Dialect::Mysql, "retort_version", true, &steps);
        let expected_mysql = "\
CREATE TABLE retort_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1

CREATE TABLE t (id INT);

INSERT INTO retort_version (version_num) VALUES ('a1');

";
        assert_eq!(mysql, expected_mysql);
        let postgres = render_offline(Dialect::Postgres, "retort_version", true, &steps);
        assert_eq!(postgres, format!("BEGIN;\n\n{expected_mysql}COMMIT;\n\n"));
    }

    #[test]
    fn non_transactional_step_is_never_wrapped() {
        let concurrent = upgrade("b2", &["a1"], vec![update("a1", "b2")]);
        let script = render_offline(
            Dialect::Postgres,
            "retort_version",
            false,
            &[OfflineStep {
                step: &concurrent,
                sql: Some(
                    "CREATE INDEX CONCURRENTLY users_email ON users (email) -- hot table\n-- done",
                ),
                transactional: false,
            }],
        );
        let expected = "\
-- Running upgrade a1 -> b2

CREATE INDEX CONCURRENTLY users_email ON users (email) -- hot table
;
-- done

UPDATE retort_version SET version_num='b2' WHERE retort_version.version_num = 'a1';

";
        assert_eq!(script, expected);
    }

    #[test]
    fn a_schema_qualifies_the_version_table_and_leads_the_search_path() {
        let first = upgrade("a1", &[], vec![insert("a1")]);
        let script = render_offline_in_schema(
            Dialect::Postgres,
            Some("App"),
            "retort_version",
            true,
            &[transactional(&first, Some("CREATE TABLE t (id INT)"))],
        );
        let expected = "\
CREATE SCHEMA IF NOT EXISTS \"App\";

SET search_path TO \"App\", public;

BEGIN;

CREATE TABLE \"App\".retort_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1

CREATE TABLE t (id INT);

INSERT INTO \"App\".retort_version (version_num) VALUES ('a1');

COMMIT;

";
        assert_eq!(script, expected);
        assert_eq!(
            render_offline_in_schema(Dialect::Postgres, Some("App"), "retort_version", true, &[]),
            ""
        );
    }

    #[test]
    fn unusual_table_names_are_quoted_per_dialect() {
        let first = upgrade("a1", &[], vec![insert("a1")]);
        let steps = [transactional(&first, Some("   \n-- nothing to do\n"))];
        let mysql = render_offline(Dialect::Mysql, "schema version", false, &steps);
        assert_eq!(
            mysql,
            "-- Running upgrade  -> a1\n\n-- nothing to do\n\nINSERT INTO `schema version` (version_num) VALUES ('a1');\n\n"
        );
    }
}
