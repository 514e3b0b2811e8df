//! Foreign-key order: tables are created after the tables they reference and dropped before
//! them. A cycle of references has no such order; it is broken by leaving some foreign keys
//! out of `CREATE TABLE` and adding them once every table of the cycle exists (dropping them
//! first, the other way round).

use std::collections::BTreeSet;

use crate::model::{ObjectName, Table};

/// Tables in creation order, and the foreign keys (table, index into its `foreign_keys`) that
/// point forward in that order and so must be added after the tables, or dropped before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CreationOrder<'a> {
    pub(crate) tables: Vec<&'a Table>,
    pub(crate) deferred: BTreeSet<(ObjectName, usize)>,
}

/// Orders `tables` so that each comes after the tables of the set it references; ties and
/// cycles are broken by name, so the order is stable.
pub(crate) fn creation_order<'a>(tables: &[&'a Table]) -> CreationOrder<'a> {
    let names: BTreeSet<&ObjectName> = tables.iter().map(|table| &table.name).collect();
    let mut remaining: Vec<&'a Table> = tables.to_vec();
    remaining.sort_by(|left, right| left.name.cmp(&right.name));
    let mut placed: BTreeSet<ObjectName> = BTreeSet::new();
    let mut order = Vec::new();
    let mut deferred = BTreeSet::new();
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|table| {
            table.foreign_keys.iter().all(|foreign_key| {
                let target = &foreign_key.referenced_table;
                target == &table.name || !names.contains(target) || placed.contains(target)
            })
        });
        // In a cycle, the first by name goes now and its forward references wait.
        let index = ready.unwrap_or(0);
        let table = remaining.remove(index);
        for (position, foreign_key) in table.foreign_keys.iter().enumerate() {
            let target = &foreign_key.referenced_table;
            if target != &table.name && names.contains(target) && !placed.contains(target) {
                deferred.insert((table.name.clone(), position));
            }
        }
        placed.insert(table.name.clone());
        order.push(table);
    }
    CreationOrder {
        tables: order,
        deferred,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ForeignKey, ReferentialAction};

    fn table(name: &str, references: &[&str]) -> Table {
        let mut table = Table::new(ObjectName::new(name));
        for target in references {
            table.foreign_keys.push(ForeignKey {
                name: None,
                columns: vec![format!("{target}_id")],
                referenced_table: ObjectName::new(*target),
                referenced_columns: vec!["id".to_owned()],
                on_update: ReferentialAction::NoAction,
                on_delete: ReferentialAction::NoAction,
            });
        }
        table
    }

    fn names(order: &CreationOrder<'_>) -> Vec<String> {
        order
            .tables
            .iter()
            .map(|table| table.name.name.clone())
            .collect()
    }

    #[test]
    fn referenced_tables_come_first() {
        let tables = [
            table("a", &["c"]),
            table("b", &[]),
            table("c", &["b", "outside"]),
            table("d", &["d"]),
        ];
        let references: Vec<&Table> = tables.iter().collect();
        let order = creation_order(&references);
        assert_eq!(names(&order), ["b", "c", "a", "d"]);
        assert!(order.deferred.is_empty());
    }

    #[test]
    fn cycles_defer_the_forward_references() {
        let tables = [table("x", &["y"]), table("y", &["x"])];
        let references: Vec<&Table> = tables.iter().collect();
        let order = creation_order(&references);
        assert_eq!(names(&order), ["x", "y"]);
        assert_eq!(order.deferred, BTreeSet::from([(ObjectName::new("x"), 0)]));
    }
}
