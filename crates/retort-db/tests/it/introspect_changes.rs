//! One test per kind of change autogenerate makes, on every engine it applies to: the database
//! starts as `before` (with rows), the generated upgrade makes it `after` and the generated
//! downgrade makes it `before` again, each checked by reading the database back; rows survive
//! wherever their columns do, SQLite's table rebuilds included.

use retort_schema::{migration_script, render_script};

use crate::engines::{Engine, TestDatabase, matrix_test};
use crate::introspect::{assert_alike, live_schema, run_migration, scratch_schema};

/// The generated upgrade and downgrade between `before` and `after`, checked both ways on
/// `database`; `rows` is run after `before` to give the tables data.
async fn check_change(
    database: &TestDatabase,
    before: &str,
    after: &str,
    rows: &str,
) -> (String, String) {
    let from = scratch_schema(database, before).await;
    let to = scratch_schema(database, after).await;
    run_migration(database, "before", before).await;
    if !rows.is_empty() {
        database.inspect().await.execute(rows).await;
    }
    assert_alike(&live_schema(database).await, &from, "the starting schema");
    let script = migration_script(&from, &to);
    assert!(
        !script.is_empty(),
        "no difference found between\n{before}\nand\n{after}"
    );
    let upgrade = render_script(&script.upgrade);
    let downgrade = render_script(&script.downgrade);
    run_migration(database, "up", &upgrade).await;
    assert_alike(
        &live_schema(database).await,
        &to,
        &format!("after the upgrade:\n{upgrade}"),
    );
    run_migration(database, "down", &downgrade).await;
    assert_alike(
        &live_schema(database).await,
        &from,
        &format!("after the downgrade:\n{downgrade}"),
    );
    (upgrade, downgrade)
}

async fn strings(database: &TestDatabase, query: &str) -> Vec<String> {
    database.inspect().await.strings(query).await
}

async fn count(database: &TestDatabase, query: &str) -> i64 {
    database.inspect().await.integer(query).await
}

matrix_test!(
    async fn columns_are_added_changed_and_dropped(database) {
        let integer = if database.engine == Engine::Mysql { "INT" } else { "INTEGER" };
        let before = format!(
            "CREATE TABLE items (id {integer} NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, note TEXT, legacy TEXT);"
        );
        let after = format!(
            "CREATE TABLE items (id {integer} NOT NULL PRIMARY KEY, name VARCHAR(100) DEFAULT 'unnamed', \
             note TEXT NOT NULL DEFAULT 'none', added {integer});"
        );
        let rows = "INSERT INTO items (id, name, note, legacy) VALUES (1, 'first', 'kept', 'lost');";
        let (upgrade, downgrade) = check_change(&database, &before, &after, rows).await;
        assert!(upgrade.contains("-- WARNING: data loss: column items.legacy is dropped"), "{upgrade}");
        assert!(downgrade.contains("-- WARNING: data loss: column items.added is dropped"), "{downgrade}");
        if database.engine == Engine::Sqlite {
            assert!(upgrade.contains("-- rebuild table items (SQLite cannot ALTER this)"), "{upgrade}");
        }
        assert_eq!(strings(&database, "SELECT name FROM items").await, ["first"]);
        assert_eq!(strings(&database, "SELECT note FROM items").await, ["kept"]);
    }
);

matrix_test!(
    async fn plain_columns_need_no_rebuild(database) {
        let before = "CREATE TABLE items (id INT NOT NULL PRIMARY KEY, old_note TEXT);";
        let after = "CREATE TABLE items (id INT NOT NULL PRIMARY KEY, note VARCHAR(20) NOT NULL DEFAULT 'x');";
        let (upgrade, _) = check_change(&database, before, after, "INSERT INTO items (id) VALUES (7);").await;
        assert!(!upgrade.contains("rebuild"), "{upgrade}");
        // Renames are not guessed: the old column goes, a new one comes.
        assert!(upgrade.contains("DROP COLUMN old_note"), "{upgrade}");
        assert!(upgrade.contains("ADD COLUMN note"), "{upgrade}");
        assert_eq!(count(&database, "SELECT COUNT(*) FROM items WHERE id = 7").await, 1);
    }
);

matrix_test!(
    async fn indexes_uniques_and_checks_change(database) {
        let before = "CREATE TABLE accounts (id INT NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL, org INT, \
                      CONSTRAINT org_positive CHECK (org > 0));\n\
                      CREATE INDEX accounts_org ON accounts (org);\n\
                      CREATE INDEX accounts_email ON accounts (email);";
        let after = "CREATE TABLE accounts (id INT NOT NULL PRIMARY KEY, email VARCHAR(100) NOT NULL, org INT, \
                     CONSTRAINT email_unique UNIQUE (email), CONSTRAINT org_small CHECK (org < 1000));\n\
                     CREATE INDEX accounts_org ON accounts (org, email);";
        let rows = "INSERT INTO accounts (id, email, org) VALUES (1, 'a@example.com', 5);";
        let (upgrade, _) = check_change(&database, before, after, rows).await;
        // A rebuild drops the old table's indexes with it; elsewhere they are dropped by name.
        if database.engine != Engine::Sqlite {
            assert!(upgrade.contains("DROP INDEX accounts_email"), "{upgrade}");
        }
        assert_eq!(strings(&database, "SELECT email FROM accounts").await, ["a@example.com"]);
    }
);

matrix_test!(
    async fn foreign_keys_and_new_tables_come_in_order(database) {
        let before = "CREATE TABLE parents (id INT NOT NULL PRIMARY KEY);\n\
                      CREATE TABLE children (id INT NOT NULL PRIMARY KEY, parent_id INT);";
        let after = "CREATE TABLE parents (id INT NOT NULL PRIMARY KEY);\n\
                     CREATE TABLE children (id INT NOT NULL PRIMARY KEY, parent_id INT, \
                       CONSTRAINT children_parent FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE);\n\
                     CREATE TABLE toys (id INT NOT NULL PRIMARY KEY, child_id INT NOT NULL, \
                       CONSTRAINT toys_child FOREIGN KEY (child_id) REFERENCES children (id));\n\
                     CREATE TABLE boxes (id INT NOT NULL PRIMARY KEY, toy_id INT REFERENCES toys (id));";
        let rows = "INSERT INTO parents (id) VALUES (1); INSERT INTO children (id, parent_id) VALUES (10, 1);";
        let (upgrade, downgrade) = check_change(&database, before, after, rows).await;
        let position = |sql: &str, needle: &str| sql.find(needle).unwrap_or_else(|| panic!("{needle} not in\n{sql}"));
        assert!(position(&upgrade, "CREATE TABLE toys") < position(&upgrade, "CREATE TABLE boxes"), "{upgrade}");
        assert!(position(&downgrade, "DROP TABLE boxes") < position(&downgrade, "DROP TABLE toys"), "{downgrade}");
        assert_eq!(count(&database, "SELECT COUNT(*) FROM children WHERE parent_id = 1").await, 1);
    }
);

matrix_test!(
    async fn primary_keys_change(database) {
        let before = "CREATE TABLE pairs (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a));";
        let after = "CREATE TABLE pairs (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b));";
        check_change(&database, before, after, "INSERT INTO pairs (a, b) VALUES (1, 2);").await;
        assert_eq!(count(&database, "SELECT COUNT(*) FROM pairs WHERE b = 2").await, 1);
    }
);

matrix_test!(
    async fn tables_are_created_and_dropped(database) {
        let before = "CREATE TABLE keep (id INT NOT NULL PRIMARY KEY);\nCREATE TABLE gone (id INT NOT NULL PRIMARY KEY);";
        let after = "CREATE TABLE keep (id INT NOT NULL PRIMARY KEY);\nCREATE TABLE fresh (id INT NOT NULL PRIMARY KEY, label VARCHAR(10));";
        let (upgrade, downgrade) = check_change(&database, before, after, "").await;
        assert!(upgrade.contains("-- WARNING: data loss: table gone and its rows are dropped\nDROP TABLE gone;"), "{upgrade}");
        assert!(downgrade.contains("DROP TABLE fresh;"), "{downgrade}");
    }
);

matrix_test!(
    async fn sqlite_rebuilds_keep_rows_indexes_and_references(database) {
        if database.engine != Engine::Sqlite {
            return;
        }
        let before = "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);\n\
                      CREATE INDEX authors_name ON authors (name);\n\
                      CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors (id));";
        let after = "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '' CHECK (length(name) < 100), \
                       born INTEGER);\n\
                     CREATE INDEX authors_name ON authors (name);\n\
                     CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors (id)) STRICT;";
        let rows = "INSERT INTO authors (id, name) VALUES (1, 'Ursula'), (2, 'Italo');\n\
                    INSERT INTO books (id, author_id) VALUES (10, 2);";
        let (upgrade, downgrade) = check_change(&database, before, after, rows).await;
        assert!(upgrade.contains("INSERT INTO _retort_new_authors (id, name) SELECT id, name FROM authors;"), "{upgrade}");
        assert!(upgrade.contains("ALTER TABLE _retort_new_authors RENAME TO authors;"), "{upgrade}");
        assert!(downgrade.contains("-- WARNING: data loss: column authors.born is dropped"), "{downgrade}");
        assert_eq!(strings(&database, "SELECT name FROM authors ORDER BY id").await, ["Ursula", "Italo"]);
        let mut connection = database.inspect().await;
        assert_eq!(connection.integer("SELECT COUNT(*) FROM pragma_foreign_key_check").await, 0);
        assert_eq!(
            connection
                .strings("SELECT a.name FROM books b JOIN authors a ON a.id = b.author_id")
                .await,
            ["Italo"]
        );
    }
);

matrix_test!(
    async fn postgres_enums_gain_and_lose_labels(database) {
        if database.engine != Engine::Postgres {
            return;
        }
        let before = "CREATE TYPE mood AS ENUM ('happy', 'sad');\n\
                      CREATE TABLE people (id int PRIMARY KEY, mood mood NOT NULL DEFAULT 'happy');";
        let after = "CREATE SCHEMA archive;\n\
                     CREATE TYPE mood AS ENUM ('happy', 'meh', 'sad', 'angry');\n\
                     CREATE TABLE people (id int PRIMARY KEY, mood mood NOT NULL DEFAULT 'happy');\n\
                     CREATE TABLE archive.people (id int PRIMARY KEY);";
        let rows = "INSERT INTO people (id, mood) VALUES (1, 'sad');";
        let (upgrade, downgrade) = check_change(&database, before, after, rows).await;
        assert!(upgrade.contains("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad';"), "{upgrade}");
        assert!(upgrade.contains("ALTER TYPE mood ADD VALUE 'angry';"), "{upgrade}");
        assert!(downgrade.contains("ALTER TYPE mood RENAME TO mood__retort_old;"), "{downgrade}");
        assert!(downgrade.contains("DROP SCHEMA archive;"), "{downgrade}");
        assert_eq!(strings(&database, "SELECT mood::text FROM people").await, ["sad"]);
    }
);

matrix_test!(
    async fn postgres_partial_and_expression_indexes_change(database) {
        if database.engine != Engine::Postgres {
            return;
        }
        let before = "CREATE TABLE logins (id int PRIMARY KEY, email text, at timestamptz);\n\
                      CREATE INDEX logins_recent ON logins (at) WHERE email IS NOT NULL;";
        let after = "CREATE TABLE logins (id int PRIMARY KEY, email text, at timestamptz);\n\
                     CREATE INDEX logins_recent ON logins (at DESC) WHERE email IS NULL;\n\
                     CREATE UNIQUE INDEX logins_email ON logins (lower(email));";
        let (upgrade, _) = check_change(&database, before, after, "").await;
        assert!(upgrade.contains("CREATE UNIQUE INDEX logins_email ON logins (lower(email));"), "{upgrade}");
        assert!(upgrade.contains("DROP INDEX logins_recent;"), "{upgrade}");
    }
);
