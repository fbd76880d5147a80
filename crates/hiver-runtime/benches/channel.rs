//! P2: the cross-core MPSC channel (`hiver_runtime::channel`).
//!
//! 1, 2 and 4 producer threads share `MESSAGES` sends; the receiver awaits them on a Hiver
//! runtime on the bench thread, as a worker awaits its control messages. Throughput is
//! messages per second through the whole channel. Each iteration includes spawning the
//! producer threads (tens of µs, about 1 % of an iteration); on a 2-core machine 2 and 4
//! producers oversubscribe the CPUs, which is part of what is measured.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hiver_runtime::{Runtime, channel::channel};

/// Messages per iteration, split evenly over the producers.
const MESSAGES: usize = 100_000;

/// Sends `MESSAGES` from `producers` threads and receives them all; returns the elapsed time.
fn round(rt: &Runtime, producers: usize) -> Duration {
    let (tx, mut rx) = channel::<u64>();
    let each = MESSAGES / producers;
    let start = Instant::now();
    thread::scope(|s| {
        for _ in 0..producers {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..each as u64 {
                    // Invariant: the receiver outlives the scope, so sends cannot fail.
                    tx.send(black_box(i)).expect("receiver alive");
                }
            });
        }
        drop(tx);
        let received = rt.block_on(async {
            let mut n = 0;
            while let Some(v) = rx.recv().await {
                black_box(v);
                n += 1;
            }
            n
        });
        assert_eq!(received, each * producers, "the channel lost messages");
    });
    start.elapsed()
}

fn mpsc(c: &mut Criterion) {
    // Invariant: the bench cannot run without a runtime; failing loudly is the right answer.
    let rt = Runtime::new().expect("Hiver runtime");
    let mut group = c.benchmark_group("channel_mpsc");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.sample_size(20);
    for producers in [1usize, 2, 4] {
        group.bench_function(BenchmarkId::new("producers", producers), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| round(&rt, producers)).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, mpsc);
criterion_main!(benches);
