//! `pin_threads(true)`: each render thread runs on one CPU of the allowed set, round-robin.
//! Checked from outside through /proc (Linux), by the threads' names. This file holds one
//! test so that no other pool's `hiver-render-*` threads exist in the process meanwhile.
#![cfg(target_os = "linux")]

use std::path::PathBuf;

use hiver_ssr::pool::RenderPool;
use serde_json::json;

/// Parses the kernel's list format, e.g. `0-3,8`.
fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((lo, hi)) => {
                let lo: usize = lo.parse().expect("the kernel writes numbers");
                let hi: usize = hi.parse().expect("the kernel writes numbers");
                cpus.extend(lo..=hi);
            }
            None => cpus.push(part.parse().expect("the kernel writes numbers")),
        }
    }
    cpus
}

fn cpus_allowed(status_path: &str) -> Vec<usize> {
    let status = std::fs::read_to_string(status_path).expect("status is readable");
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("Linux status has Cpus_allowed_list");
    parse_cpu_list(list)
}

/// (thread name, allowed CPUs) of every thread of this process named `hiver-render-*`.
fn render_threads() -> Vec<(String, Vec<usize>)> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("/proc is mounted") {
        let path = task.expect("task entry").path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue; // the thread exited meanwhile
        };
        let name = comm.trim().to_owned();
        if name.starts_with("hiver-render-") {
            let status = path.join("status");
            found.push((name, cpus_allowed(status.to_str().expect("utf-8 path"))));
        }
    }
    found.sort();
    found
}

fn two_thread_pool(pin: bool) -> RenderPool {
    let bundle = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic.js");
    RenderPool::builder()
        .threads(2)
        .pin_threads(pin)
        .build_file(bundle)
        .expect("basic.js loads")
}

#[test]
fn render_threads_are_pinned_round_robin_only_when_asked() {
    // Read on this (unpinned) test thread, as the builder does.
    let allowed = cpus_allowed("/proc/thread-self/status");
    assert!(!allowed.is_empty());

    // Default: the threads keep the whole allowed set. Dropping the pool joins them.
    let unpinned = two_thread_pool(false);
    let threads = render_threads();
    assert_eq!(threads.len(), 2, "{threads:?}");
    for (name, cpus) in &threads {
        assert_eq!(cpus, &allowed, "{name} is unpinned");
    }
    drop(unpinned);
    // Dropping joins the threads, but the kernel wakes a joiner (clearing the thread id)
    // a moment before it drops the task from /proc: give it a bounded moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !render_threads().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(render_threads().is_empty(), "{:?}", render_threads());

    let pool = two_thread_pool(true);
    let threads = render_threads();
    assert_eq!(threads.len(), 2, "{threads:?}");
    for (index, (name, cpus)) in threads.iter().enumerate() {
        assert_eq!(name, &format!("hiver-render-{index}"));
        assert_eq!(cpus, &[allowed[index % allowed.len()]], "{name}");
    }
    if allowed.len() >= 2 {
        assert_ne!(
            threads[0].1, threads[1].1,
            "two CPUs allowed: threads differ"
        );
    }
    // Pinned threads still render.
    let page = pool
        .render_blocking("/missing", &json!({}))
        .expect("renders");
    assert_eq!(
        (page.result.status, page.result.html.as_str()),
        (404, "no route /missing")
    );
}
