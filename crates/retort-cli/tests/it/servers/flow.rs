//! The everyday flow on every engine: upgrade, current, history, downgrade -1, stamp, a second
//! upgrade, downgrade base and offline SQL, checked in the database itself; dialect-specific
//! sections picked for the engine, and a plain section for the others.

use super::{Engine, EngineProject, Migration, UrlSource, matrix_test};

/// `users1 -> items2 -> orders3`; `items2` has a section per dialect, `orders3` a plain section
/// and a SQLite one.
fn write_migrations(project: &EngineProject) {
    project.migration(
        "1_users1.sql",
        &Migration {
            revision: "users1",
            message: "create users",
            body: "-- upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n\
                   -- downgrade\nDROP TABLE users;\n",
            ..Migration::default()
        },
    );
    project.migration(
        "2_items2.sql",
        &Migration {
            revision: "items2",
            down_revision: "users1",
            message: "create items",
            body: "-- upgrade postgres\nCREATE TABLE items_postgres (id INTEGER PRIMARY KEY);\n\n\
                   -- upgrade mysql\nCREATE TABLE items_mysql (id INTEGER PRIMARY KEY);\n\n\
                   -- upgrade sqlite\nCREATE TABLE items_sqlite (id INTEGER PRIMARY KEY);\n\n\
                   -- downgrade postgres\nDROP TABLE items_postgres;\n\n\
                   -- downgrade mysql\nDROP TABLE items_mysql;\n\n\
                   -- downgrade sqlite\nDROP TABLE items_sqlite;\n",
            ..Migration::default()
        },
    );
    project.migration(
        "3_orders3.sql",
        &Migration {
            revision: "orders3",
            down_revision: "items2",
            message: "create orders",
            body: "-- upgrade\nCREATE TABLE orders_plain (id INTEGER PRIMARY KEY);\n\n\
                   -- upgrade sqlite\nCREATE TABLE orders_sqlite (id INTEGER PRIMARY KEY);\n\n\
                   -- downgrade\nDROP TABLE orders_plain;\n\n\
                   -- downgrade sqlite\nDROP TABLE orders_sqlite;\n",
            ..Migration::default()
        },
    );
}

/// The tables `items2` and `orders3` create on `engine`.
fn engine_tables(engine: Engine) -> (String, &'static str) {
    let items = format!("items_{}", engine.dialect());
    let orders = if engine == Engine::Sqlite {
        "orders_sqlite"
    } else {
        "orders_plain"
    };
    (items, orders)
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    names.sort();
    names
}

matrix_test!(
    fn upgrade_current_history_downgrade_stamp_and_offline(project) {
        let mut project = project;
        // The URL comes from the application's own variable, as `url_env` names it.
        project.set_url_source(UrlSource::UrlEnv);
        write_migrations(&project);
        let database = &project.database;
        let (items, orders) = engine_tables(project.engine);

        project.retort(&["upgrade"]).success();
        assert_eq!(
            database.tables(),
            sorted(&["users", &items, orders]),
            "each dialect-specific section, else the plain one"
        );
        assert_eq!(database.version_rows(), ["orders3"]);
        assert_eq!(
            database.history(),
            [
                "users1 upgrade applied",
                "items2 upgrade applied",
                "orders3 upgrade applied"
            ]
        );
        assert_eq!(project.retort(&["current"]).success(), "orders3 (head)\n");
        assert_eq!(
            project.retort(&["history", "-i"]).success(),
            "items2 -> orders3 (head) (current), create orders\n\
             users1 -> items2, create items\n\
             <base> -> users1, create users\n"
        );

        project.retort(&["downgrade", "-1"]).success();
        assert_eq!(database.tables(), sorted(&["users", &items]));
        assert_eq!(database.version_rows(), ["items2"]);
        assert_eq!(project.retort(&["current"]).success(), "items2\n");

        // Stamping moves the version table and nothing else.
        project.retort(&["stamp", "head"]).success();
        assert_eq!(database.version_rows(), ["orders3"]);
        assert_eq!(database.tables(), sorted(&["users", &items]));
        project.retort(&["stamp", "items2"]).success();
        assert_eq!(database.version_rows(), ["items2"]);

        project.retort(&["upgrade"]).success();
        assert_eq!(database.tables(), sorted(&["users", &items, orders]));
        assert_eq!(database.version_rows(), ["orders3"]);

        project.retort(&["downgrade", "base"]).success();
        assert_eq!(database.tables(), Vec::<String>::new());
        assert_eq!(database.version_rows(), Vec::<String>::new());
        assert_eq!(
            database.history(),
            [
                "users1 upgrade applied",
                "items2 upgrade applied",
                "orders3 upgrade applied",
                "orders3 downgrade applied",
                "orders3 stamp applied",
                "items2 stamp applied",
                "orders3 upgrade applied",
                "orders3 downgrade applied",
                "items2 downgrade applied",
                "users1 downgrade applied",
            ]
        );

        // Offline SQL in the engine's dialect, version-table statements included; the database
        // is not touched.
        let upgrade_sql = project.retort(&["upgrade", "--sql", "users1:head"]);
        let upgrade_sql = upgrade_sql.success();
        assert!(
            upgrade_sql.contains(&format!("CREATE TABLE {items} (id INTEGER PRIMARY KEY);"))
                && upgrade_sql.contains(&format!("CREATE TABLE {orders} (id INTEGER PRIMARY KEY);"))
                && upgrade_sql.contains(
                    "UPDATE retort_version SET version_num='items2' WHERE retort_version.version_num = 'users1';"
                )
                && upgrade_sql.contains(
                    "UPDATE retort_version SET version_num='orders3' WHERE retort_version.version_num = 'items2';"
                ),
            "{upgrade_sql}"
        );
        for other in [Engine::Sqlite, Engine::Postgres, Engine::Mysql] {
            if other != project.engine {
                assert!(
                    !upgrade_sql.contains(&format!("items_{}", other.dialect())),
                    "another dialect's section:\n{upgrade_sql}"
                );
            }
        }
        let downgrade_sql = project.retort(&["downgrade", "--sql", "orders3:base"]);
        let downgrade_sql = downgrade_sql.success();
        assert!(
            downgrade_sql.contains(&format!("DROP TABLE {items};"))
                && downgrade_sql.contains(
                    "DELETE FROM retort_version WHERE retort_version.version_num = 'users1';"
                ),
            "{downgrade_sql}"
        );
        assert_eq!(database.version_rows(), Vec::<String>::new());
        assert_eq!(database.tables(), Vec::<String>::new());
    }
);
