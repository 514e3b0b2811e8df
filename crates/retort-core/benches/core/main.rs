//! Criterion benches of retort-core on generated graphs of 1k, 10k and 100k revisions: loading
//! (parse and build), heads, relative targets, whole upgrade and downgrade plans, and history.
//!
//! `cargo bench -p retort-core --bench core`; `RETORT_BENCH_SIZES=1000,10000` narrows the sizes.
//! `bench/core_report.py` turns criterion's estimates into the table of `docs/BENCHMARKS.md`.

mod generate;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use retort_core::{HistoryRange, MigrationSet};

use crate::generate::{Graph, Shape};

const DEFAULT_SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn sizes() -> Vec<usize> {
    match std::env::var("RETORT_BENCH_SIZES") {
        Ok(text) => text.split(',').filter_map(|size| size.trim().parse().ok()).collect(),
        Err(_) => DEFAULT_SIZES.to_vec(),
    }
}

/// A size's graph, loaded once for the benches that start from a loaded set.
struct Fixture {
    size: usize,
    graph: Graph,
    set: MigrationSet,
    heads: Vec<String>,
}

fn fixtures(shape: Shape) -> Vec<Fixture> {
    sizes()
        .into_iter()
        .map(|size| {
            let graph = Graph::new(shape, size);
            let set = match MigrationSet::load(graph.files.clone()) {
                Ok(set) => set,
                Err(errors) => panic!("generated {} graph of {size} does not load: {errors:?}", shape.name()),
            };
            let heads = set.map().heads().into_iter().map(str::to_owned).collect();
            Fixture { size, graph, set, heads }
        })
        .collect()
}

/// Short measurements: ten samples, and less time for the big sizes, so the whole run stays
/// within a few minutes.
fn measurement_time(size: usize) -> Duration {
    if size >= 100_000 { Duration::from_secs(3) } else { Duration::from_secs(1) }
}

fn bench_shape(criterion: &mut Criterion, shape: Shape) {
    let fixtures = fixtures(shape);
    let mut bench = |operation: &str, run: &dyn Fn(&Fixture, &mut criterion::Bencher<'_>)| {
        let mut group = criterion.benchmark_group(format!("{}/{operation}", shape.name()));
        group.sample_size(10).warm_up_time(Duration::from_millis(500));
        for fixture in &fixtures {
            group.measurement_time(measurement_time(fixture.size));
            group.throughput(Throughput::Elements(fixture.size as u64));
            group.bench_function(BenchmarkId::from_parameter(fixture.size), |bencher| run(fixture, bencher));
        }
        group.finish();
    };

    bench("load", &|fixture, bencher| {
        bencher.iter_batched(
            || fixture.graph.files.clone(),
            |files| MigrationSet::load(files).map(|set| set.map().len()).map_err(|errors| errors.len()),
            BatchSize::LargeInput,
        );
    });
    bench("heads", &|fixture, bencher| {
        bencher.iter(|| black_box(fixture.set.map()).heads().len());
    });
    if shape == Shape::Linear {
        // `head-500` from the revision just below it: resolution and a one-step plan.
        bench("head-500", &|fixture, bencher| {
            let rows = vec![fixture.graph.id(fixture.size - 502).to_owned()];
            bencher.iter(|| fixture.set.map().upgrade(black_box(&rows), "head-500").map(|plan| plan.steps.len()));
        });
    }
    // `<prefix>+3` from the revision the prefix names: a unique 8-character prefix, three steps.
    bench("prefix+3", &|fixture, bencher| {
        let rows = vec![fixture.graph.id(fixture.graph.middle).to_owned()];
        let target = format!("{}+3", &rows[0][..8]);
        bencher.iter(|| fixture.set.map().upgrade(black_box(&rows), &target).map(|plan| plan.steps.len()));
    });
    // `<rev>-3` from the revision just below it: a one-step plan.
    bench("rev-3", &|fixture, bencher| {
        let middle = fixture.graph.middle;
        let rows = vec![fixture.graph.id(middle - 1).to_owned()];
        let target = format!("{}-3", fixture.graph.id(middle + 3));
        bencher.iter(|| fixture.set.map().upgrade(black_box(&rows), &target).map(|plan| plan.steps.len()));
    });
    bench("upgrade-base-heads", &|fixture, bencher| {
        bencher.iter(|| fixture.set.map().upgrade(black_box(&[]), "heads").map(|plan| plan.steps.len()));
    });
    bench("downgrade-heads-base", &|fixture, bencher| {
        bencher.iter(|| fixture.set.map().downgrade(black_box(&fixture.heads), "base").map(|plan| plan.steps.len()));
    });
    bench("history", &|fixture, bencher| {
        let range = HistoryRange::default();
        bencher.iter(|| fixture.set.map().history(black_box(&range), &[]).map(|walk| walk.len()));
    });
}

fn linear(criterion: &mut Criterion) {
    bench_shape(criterion, Shape::Linear);
}

fn branchy(criterion: &mut Criterion) {
    bench_shape(criterion, Shape::Branchy);
}

criterion_group!(benches, linear, branchy);
criterion_main!(benches);
