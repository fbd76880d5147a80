//! P1: the hierarchical timer wheel (`hiver_runtime::timer::Wheel`).
//!
//! Schedule, cancel, reset and expire throughput with 10k and 1M pending timers. Deadlines
//! are spread over one minute of 1 ms ticks, the range of real connection timeouts. Each
//! iteration gets a fresh wheel from an untimed setup; results are dropped untimed.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main, measurement::WallTime,
};
use hiver_runtime::timer::{TimerKey, Wheel};

/// Deadlines fall in `1..=SPAN` ticks: one minute of milliseconds.
const SPAN: u64 = 60_000;

/// `n` deadlines from a fixed-seed splitmix64, so every run measures the same input.
fn deadlines(n: usize) -> Vec<u64> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            1 + (z ^ (z >> 31)) % SPAN
        })
        .collect()
}

fn filled(deadlines: &[u64]) -> (Wheel<usize>, Vec<TimerKey>) {
    let mut wheel = Wheel::with_capacity(deadlines.len());
    let keys = deadlines
        .iter()
        .enumerate()
        .map(|(i, &d)| wheel.insert(d, i))
        .collect();
    (wheel, keys)
}

/// Keys in an order unrelated to insertion (a stride coprime to `n`), as connections close.
fn scrambled(keys: &[TimerKey]) -> Vec<TimerKey> {
    let n = keys.len();
    let stride = 7919; // prime, and no bench size is a multiple of it
    (0..n).map(|i| keys[(i * stride) % n]).collect()
}

fn bench_size(group: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    let ds = deadlines(n);
    group.throughput(Throughput::Elements(n as u64));

    group.bench_with_input(BenchmarkId::new("schedule", n), &ds, |b, ds| {
        b.iter_batched(
            || Wheel::with_capacity(ds.len()),
            |mut wheel| {
                for (i, &d) in ds.iter().enumerate() {
                    black_box(wheel.insert(d, i));
                }
                wheel
            },
            BatchSize::PerIteration,
        )
    });

    group.bench_with_input(BenchmarkId::new("cancel", n), &ds, |b, ds| {
        b.iter_batched(
            || {
                let (wheel, keys) = filled(ds);
                (wheel, scrambled(&keys))
            },
            |(mut wheel, keys)| {
                for key in keys {
                    black_box(wheel.cancel(key));
                }
                wheel
            },
            BatchSize::PerIteration,
        )
    });

    // What a connection does on every phase change: move its one timer.
    group.bench_with_input(BenchmarkId::new("reset", n), &ds, |b, ds| {
        b.iter_batched(
            || {
                let (wheel, keys) = filled(ds);
                (wheel, scrambled(&keys))
            },
            |(mut wheel, keys)| {
                for (key, &d) in keys.iter().zip(ds.iter().rev()) {
                    black_box(wheel.reset(*key, d));
                }
                wheel
            },
            BatchSize::PerIteration,
        )
    });

    // As the wheel driver does: advance one tick at a time and drain what is due, so the
    // cost includes cascading timers down the levels.
    group.bench_with_input(BenchmarkId::new("expire", n), &ds, |b, ds| {
        b.iter_batched(
            || filled(ds).0,
            |mut wheel| {
                let mut fired = 0usize;
                for now in 1..=SPAN {
                    while let Some(v) = wheel.poll(now) {
                        fired += black_box(v) & 1;
                    }
                }
                assert!(wheel.is_empty(), "every deadline is within SPAN");
                (wheel, fired)
            },
            BatchSize::PerIteration,
        )
    });
}

fn timers(c: &mut Criterion) {
    let mut group = c.benchmark_group("timer_wheel");
    bench_size(&mut group, 10_000);
    // One iteration holds a million timers (tens of ms): few flat samples keep a run short.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(5));
    bench_size(&mut group, 1_000_000);
    group.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
