use retort_core::{Revision, RevisionMap};
#[test]
fn scratch() {
    let map = RevisionMap::new(vec![Revision::new("a", &[]), Revision::new("b", &["a"]), Revision::new("c", &["a"]), Revision::new("d", &["b"])]).unwrap();
    for (rows, targets) in [(vec!["a"], vec!["heads"]), (vec!["a"], vec!["d", "c"]), (vec!["b"], vec!["a", "d"]), (vec!["b"], vec!["d", "a"]), (vec!["d"], vec!["a", "b"]), (vec!["b", "c"], vec!["heads"])] {
        let rows: Vec<String> = rows.into_iter().map(String::from).collect();
        match map.stamp(&rows, &targets, false) {
            Ok(plan) => println!("{rows:?} {targets:?}: {:?}", plan.steps.iter().map(|s| (&s.from, &s.to, &s.version_changes, &s.rows_after)).collect::<Vec<_>>()),
            Err(e) => println!("{rows:?} {targets:?}: ERR {e}"),
        }
    }
}
