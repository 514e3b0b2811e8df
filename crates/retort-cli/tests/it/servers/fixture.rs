//! The second example workspace, `tests/fixtures/shop` (issue 5): three databases of three
//! engines (`catalog` on SQLite, `orders` on PostgreSQL, `audit` on MariaDB), laid out as
//! `retort init` lays one out, with its own `retort.lock`. retort runs on a copy of it: the
//! locked upgrade, the check, the status, and the rollback of the upgrade.

use super::{Engine, TestDatabase};
use crate::common::TestProject;

#[test]
fn the_shop_workspace_upgrades_checks_and_rolls_back() {
    let (Some(orders), Some(audit)) = (
        TestDatabase::missing(Engine::Postgres),
        TestDatabase::missing(Engine::Mysql),
    ) else {
        return;
    };
    let project = TestProject::copy_of("tests/fixtures/shop");
    let variables = [
        ("ORDERS_DATABASE_URL", orders.url.as_str()),
        ("AUDIT_DATABASE_URL", audit.url.as_str()),
    ];
    let retort = |args: &[&str]| project.retort_with(project.root(), args, &variables);

    let upgrade = retort(&["upgrade", "--locked", "--format", "json"]);
    upgrade.success();
    let first = upgrade.stdout.lines().next().unwrap_or_default();
    let event: serde_json::Value = serde_json::from_str(first).expect("a JSON event");
    let run_id = event["run_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(project.version_rows("catalog"), ["c2b1c3d4e5f6"]);
    assert_eq!(orders.version_rows(), ["0b2c3d4e5f6a"]);
    assert_eq!(audit.version_rows(), ["a0d1e2f3a4b5"]);
    assert_eq!(audit.tables(), ["events"]);

    retort(&["check", "--locked"]).check(0, "", "3 databases are up to date\n");
    let status = retort(&["status"]);
    assert!(
        status
            .success()
            .contains("orders    0b2c3d4e5f6a  0b2c3d4e5f6a  0"),
        "{}",
        status.stdout
    );

    retort(&["downgrade", "--run", &run_id]).success();
    assert_eq!(project.version_rows("catalog"), Vec::<String>::new());
    assert_eq!(orders.version_rows(), Vec::<String>::new());
    assert_eq!(orders.tables(), Vec::<String>::new());
    assert_eq!(audit.tables(), Vec::<String>::new());
}
