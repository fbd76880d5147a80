//! The driver choice made outside the code: `HIVER_DRIVER` forcing a driver end to end, and
//! the io_uring → epoll fallback, proven where io_uring is refused the way containers refuse
//! it: a seccomp filter makes `io_uring_setup`, `io_uring_enter` and `io_uring_register` fail
//! with EPERM.
//!
//! Neither a seccomp filter nor (safely) the process-global environment can be undone, so
//! each case re-executes this test binary as a child that sets up one scenario and runs it;
//! the parent bounds the child in time and checks its exit status and output. The machine's
//! own settings are not touched.

#![cfg(target_os = "linux")]

mod common;

use std::{
    io::{ErrorKind, Read},
    process::{Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use common::*;
use hiver_runtime::{Builder, DRIVER_ENV, Driver, Runtime};
use seccompiler::{SeccompAction, SeccompFilter};

/// Names the scenario a child process runs; unset in the parent.
const CHILD_ENV: &str = "HIVER_FALLBACK_TEST_CHILD";
/// Printed by a child whose scenario passed, so a child that ran no test is caught.
const PASSED: &str = "fallback-child-passed";
/// A child that takes longer is killed and the case fails (a normal run takes milliseconds).
const CHILD_LIMIT: Duration = Duration::from_secs(10);

/// The io_uring syscalls. Their numbers are the same on every architecture seccompiler
/// supports (x86_64, aarch64, riscv64): they were added after Linux unified new syscall numbers.
const IO_URING_SYSCALLS: [i64; 3] = [
    425, // io_uring_setup
    426, // io_uring_enter
    427, // io_uring_register
];
const EPERM: u32 = 1;

#[test]
fn auto_mode_falls_back_to_epoll_when_io_uring_is_refused() {
    match child_scenario().as_deref() {
        Some("auto") => auto_falls_back(),
        Some(_) => {}
        None => {
            let out = run_child(
                "auto_mode_falls_back_to_epoll_when_io_uring_is_refused",
                "auto",
                None,
            );
            assert!(out.contains("driver=epoll"), "{out}");
            assert!(out.contains("echoed=through epoll"), "{out}");
        }
    }
}

#[test]
fn forced_io_uring_fails_listen_when_refused() {
    match child_scenario().as_deref() {
        Some("builder") => forced_uring_fails(Builder::new().driver(Driver::IoUring)),
        Some(_) => {}
        None => {
            let out = run_child("forced_io_uring_fails_listen_when_refused", "builder", None);
            assert_clear_refusal(&out);
        }
    }
}

#[test]
fn env_forced_io_uring_fails_listen_when_refused() {
    match child_scenario().as_deref() {
        Some("env") => forced_uring_fails(Builder::new()),
        Some(_) => {}
        None => {
            let out = run_child(
                "env_forced_io_uring_fails_listen_when_refused",
                "env",
                Some("uring"),
            );
            assert_clear_refusal(&out);
            assert!(out.contains(DRIVER_ENV), "{out}");
        }
    }
}

both_drivers! {
    env_forced_driver_serves => env_forced_driver_serves_uring, env_forced_driver_serves_epoll;
}

/// `HIVER_DRIVER` alone (no `Builder::driver`) picks the driver every worker runs, the handle
/// reports and the start-up log names, and that driver serves.
fn env_forced_driver_serves(driver: Driver) {
    let (test, value) = match driver {
        Driver::IoUring => ("env_forced_driver_serves_uring", "uring"),
        Driver::Epoll => ("env_forced_driver_serves_epoll", "epoll"),
    };
    match child_scenario().as_deref() {
        Some("env-driver") => serves_on_env_driver(driver),
        Some(_) => {}
        None => {
            let out = run_child(test, "env-driver", Some(value));
            assert!(
                out.contains(&format!("driver={driver} echoed=through {driver}")),
                "{out}"
            );
            assert_start_up_logged(&out, driver);
        }
    }
}

// ---- child side ----

fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Makes every io_uring syscall of this process, on every thread now and later, fail with EPERM.
fn refuse_io_uring() {
    let rules = IO_URING_SYSCALLS.iter().map(|&n| (n, vec![])).collect();
    let arch = std::env::consts::ARCH
        .try_into()
        .expect("seccompiler supports this architecture");
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(EPERM),
        arch,
    )
    .expect("a filter of unconditional rules is valid");
    let program: seccompiler::BpfProgram = filter.try_into().expect("the filter compiles");
    seccompiler::apply_filter_all_threads(&program).expect("seccomp filter installed");
}

fn auto_falls_back() {
    assert_eq!(
        std::env::var_os(DRIVER_ENV),
        None,
        "the child must run in auto mode"
    );
    refuse_io_uring();
    // The filter works: a ring cannot be created any more.
    let refused =
        Runtime::with_driver(Driver::IoUring).expect_err("io_uring is refused under the filter");
    assert_eq!(refused.kind(), ErrorKind::PermissionDenied, "{refused}");
    // And a runtime in auto mode quietly takes epoll.
    assert_eq!(
        Runtime::new().expect("epoll still works").driver(),
        Driver::Epoll
    );

    serve_and_echo(Driver::Epoll, "auto mode");
}

/// Starts two workers, checks every worker and the handle report `expected`, echoes one
/// message through it and prints the result line the parent reads.
fn serve_and_echo(expected: Driver, how: &str) {
    let server = Builder::new()
        .workers(2)
        .pin_workers(false)
        .listen("127.0.0.1:0", move |w| {
            assert_eq!(w.driver(), expected, "worker {}", w.index());
            echo
        })
        .unwrap_or_else(|e| panic!("{how}: {e}"));
    assert_eq!(server.driver(), expected);
    let msg = format!("through {expected}");
    let echoed = roundtrip(server.local_addr(), msg.as_bytes());
    assert_eq!(echoed, msg.as_bytes());
    stop(&server);
    println!(
        "driver={} echoed={}",
        server.driver(),
        String::from_utf8_lossy(&echoed)
    );
    println!("{PASSED}");
}

fn serves_on_env_driver(expected: Driver) {
    let forced = std::env::var(DRIVER_ENV).expect("the parent sets the driver variable");
    assert_eq!(
        forced.parse::<Driver>(),
        Ok(expected),
        "{DRIVER_ENV}={forced}"
    );
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::io::stdout)
        .init();
    serve_and_echo(expected, &format!("{DRIVER_ENV}={forced}"));
}

fn forced_uring_fails(builder: Builder) {
    refuse_io_uring();
    let started = Instant::now();
    let err = builder
        .workers(2)
        .pin_workers(false)
        .listen("127.0.0.1:0", |_| echo)
        .expect_err("listen must fail when forced io_uring is refused, not fall back");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    println!("error={err}");
    println!("{PASSED}");
}

// ---- parent side ----

/// Runs `test` in a child process in `scenario` mode, with `HIVER_DRIVER` set to `driver_env`
/// (or removed), and returns its stdout and stderr once it exited successfully.
fn run_child(test: &str, scenario: &str, driver_env: Option<&str>) -> String {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", test, "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, scenario)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match driver_env {
        Some(v) => cmd.env(DRIVER_ENV, v),
        None => cmd.env_remove(DRIVER_ENV),
    };
    let mut child = cmd.spawn().expect("child test process started");
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("child status readable") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // Only this child, by its own handle.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let out = format!(
        "--- child stdout ---\n{}\n--- child stderr ---\n{}",
        stdout.join().expect("stdout reader"),
        stderr.join().expect("stderr reader")
    );
    match status {
        None => panic!("child {scenario:?} did not finish within {CHILD_LIMIT:?}\n{out}"),
        Some(s) => assert!(s.success(), "child {scenario:?} failed: {s}\n{out}"),
    }
    assert!(
        out.contains(PASSED),
        "child {scenario:?} ran no scenario\n{out}"
    );
    out
}

/// Reads a child's pipe to its end on a thread, so a chatty child never blocks on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let mut bytes = Vec::new();
            let _ = p.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// The message says io_uring was asked for, that it could not be set up, and why.
fn assert_clear_refusal(out: &str) {
    // libtest may print the test's name on the same line first.
    let line = out
        .lines()
        .find_map(|l| l.split_once("error=").map(|(_, msg)| msg))
        .unwrap_or_else(|| panic!("child printed no error\n{out}"));
    assert!(line.contains("io_uring was requested"), "{line}");
    assert!(line.contains("could not be set up"), "{line}");
    assert!(line.contains("Operation not permitted"), "{line}");
}

/// Each of the child's two workers logged its start on `driver`, and so did `listen`.
fn assert_start_up_logged(out: &str, driver: Driver) {
    let field = format!("driver={driver}");
    let names_driver = |l: &&str| l.split_whitespace().any(|w| w == field);
    let workers: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("worker started"))
        .collect();
    assert_eq!(workers.len(), 2, "{out}");
    assert!(workers.iter().all(names_driver), "{out}");
    let listening = out.lines().find(|l| l.contains(" listening "));
    assert!(listening.as_ref().is_some_and(names_driver), "{out}");
}
