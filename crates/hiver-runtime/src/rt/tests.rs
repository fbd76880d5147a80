//! The executor on both drivers: tasks and their handles, wakes from other threads, the
//! timer wheel in the loop, and TCP through `net`.
//!
//! Every case runs on a fresh runtime on its own thread, bounded in time: a lost wake fails
//! the test instead of hanging it.

use std::{
    cell::{Cell, RefCell},
    future::{pending, poll_fn},
    io::{Read, Write},
    net::SocketAddr,
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc::{self, RecvTimeoutError},
    },
    task::{Poll, Waker},
    thread,
    time::{Duration, Instant},
};

use bytes::{Bytes, BytesMut};

use super::{JoinHandle, Runtime};
use crate::{
    Driver,
    net::{TcpListener, TcpStream, advance},
    spawn,
    time::{sleep, timeout},
};

/// How long one case may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(30);

/// One `#[test]` per driver for each `fn(Driver)`: `<case>::io_uring` and `<case>::epoll`.
macro_rules! both_drivers {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[test]
            fn io_uring() {
                super::$case(crate::Driver::IoUring)
            }
            #[test]
            fn epoll() {
                super::$case(crate::Driver::Epoll)
            }
        }
    )*};
}

both_drivers! {
    spawned_tasks_return_their_output,
    dropping_a_handle_cancels_the_task,
    a_handle_dropped_outside_block_on_still_cancels_its_task,
    a_handle_dropped_in_another_runtime_cancels_only_its_own_task,
    a_task_that_drops_its_own_handle_is_dropped_after_its_poll,
    a_stale_waker_does_not_poll_the_task_that_reuses_its_slot,
    wakes_in_one_turn_queue_a_task_once,
    a_detached_task_runs_to_completion,
    block_on_returns_while_detached_tasks_are_pending,
    wakes_from_another_thread_reach_a_runtime_blocked_in_its_driver,
    an_idle_runtime_sleeps_in_its_driver,
    a_task_that_keeps_waking_itself_starves_neither_timers_nor_sockets,
    timers_fire_in_deadline_order_and_never_early,
    tcp_round_trip,
    tcp_reads_a_large_upload_arriving_in_many_pieces,
    tcp_write_all_to_a_slow_reader,
    tcp_write_of_more_pieces_than_one_send_takes,
    tcp_read_is_cancel_safe,
    tcp_end_of_stream_right_behind_the_data_is_seen,
    tcp_write_cancelled_in_flight_leaves_the_runtime_usable,
    tcp_write_to_a_reset_peer_errors,
    tcp_connections_served_concurrently_by_spawned_tasks,
    tcp_connect_reaches_a_listener_on_the_same_runtime,
    tcp_connect_to_a_closed_port_is_refused,
    a_stream_nobody_reads_holds_a_bounded_share_of_the_ring,
    reads_go_on_without_spinning_when_the_ring_runs_dry,
    tcp_send_file_reaches_a_slow_reader_whole,
    tcp_send_file_past_the_end_of_the_file_errors,
    tcp_a_head_sent_with_more_leaves_with_what_follows_it,
    a_listener_nobody_accepts_from_leaves_connections_in_the_backlog,
    file_reads_at_offsets_append_and_stop_at_the_end,
    a_file_read_that_fails_returns_the_buffer_unchanged,
    file_reads_dropped_in_flight_leave_the_runtime_usable,
}

// ---- helpers ----

/// Runs `test` on a fresh runtime on `driver`, on a thread of its own, failing the test if
/// it takes longer than `LIMIT` and passing a panic on.
fn on(driver: Driver, test: impl FnOnce(Runtime) + Send + 'static) {
    on_config(driver, 0, test);
}

/// Like `on`, with io_uring's provided-buffer ring cut to `buffers` (0: the default;
/// epoll has no ring).
fn on_config(driver: Driver, buffers: u16, test: impl FnOnce(Runtime) + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let cfg = crate::driver::DriverConfig {
            forced: Some(driver),
            ring_buffers: buffers,
            ..Default::default()
        };
        let rt = Runtime::with_config(&cfg)
            .unwrap_or_else(|e| panic!("{driver} runtime could not be set up: {e}"));
        assert_eq!(rt.driver(), driver);
        test(rt);
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(LIMIT) {
        Ok(()) => worker.join().expect("finished"),
        Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("the case hung on {driver} (over {LIMIT:?})"),
    }
}

/// Gives every other ready task one turn.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Sets its flag when dropped: shows that a task's future (or output) was dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn flag() -> Rc<Cell<bool>> {
    Rc::new(Cell::new(false))
}

/// The runtime thread's CPU time so far, where the kernel reports it.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// A client that writes `len` pattern bytes at once and closes (a thread; its writes
/// block while the server does not read).
fn upload(addr: SocketAddr, len: usize) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut s = connect(addr);
        s.write_all(&pattern_bytes(len)).unwrap();
    })
}

fn listener() -> (TcpListener, SocketAddr) {
    let std = std::net::TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
    let listener = TcpListener::from_std(std).expect("listener registered");
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A blocking client socket whose reads and writes cannot hang the test.
fn connect(addr: SocketAddr) -> std::net::TcpStream {
    let s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Byte `i` of the test streams: a pattern that a lost, repeated or reordered piece breaks.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

fn pattern_bytes(len: usize) -> Vec<u8> {
    (0..len).map(pattern).collect()
}

/// Reads until `buf` holds at least `len` bytes; panics at end of stream.
async fn read_at_least(stream: &mut TcpStream, buf: &mut BytesMut, len: usize) {
    while buf.len() < len {
        let n = stream.read(buf).await.expect("read");
        assert_ne!(n, 0, "end of stream after {} of {len} bytes", buf.len());
    }
}

/// Reads to end of stream; returns how many reads returned data.
async fn read_to_end(stream: &mut TcpStream, buf: &mut BytesMut) -> usize {
    let mut reads = 0;
    while stream.read(buf).await.expect("read") > 0 {
        reads += 1;
    }
    reads
}

/// Joins a client thread from inside `block_on` without blocking the runtime.
async fn join<T: Send + 'static>(client: thread::JoinHandle<T>) -> T {
    while !client.is_finished() {
        sleep(Duration::from_millis(1)).await;
    }
    client
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

// ---- tasks and handles ----

fn spawned_tasks_return_their_output(driver: Driver) {
    on(driver, |rt| {
        let got = rt.block_on(async {
            let a = spawn(async { 1 });
            let b = spawn(async {
                yield_now().await;
                String::from("two")
            });
            let nested = spawn(async { spawn(async { 3u8 }).await + 1 });
            assert!(!a.is_finished(), "a task runs only once the spawner yields");
            yield_now().await;
            assert!(a.is_finished());
            (a.await, b.await, nested.await)
        });
        assert_eq!(got, (1, String::from("two"), 4));

        // More tasks than one turn polls (`BUDGET`), each yielding once: the slab grows,
        // slots are reused, and every output reaches its own handle.
        let sum = rt.block_on(async {
            let handles: Vec<_> = (0..5_000u64)
                .map(|i| {
                    spawn(async move {
                        yield_now().await;
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            let again: Vec<_> = (0..100u64).map(|i| spawn(async move { i * 2 })).collect();
            for (i, h) in (0..).zip(again) {
                assert_eq!(h.await, i * 2);
            }
            sum
        });
        assert_eq!(sum, (0..5_000).sum::<u64>());
    });
}

fn dropping_a_handle_cancels_the_task(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            // Started and waiting: dropping the handle drops its future at once.
            let dropped = flag();
            let resumed = flag();
            let handle = spawn({
                let guard = DropFlag(dropped.clone());
                let resumed = resumed.clone();
                async move {
                    let _guard = guard;
                    sleep(Duration::from_millis(20)).await;
                    resumed.set(true);
                }
            });
            yield_now().await;
            assert!(!dropped.get());
            drop(handle);
            assert!(dropped.get(), "the cancelled task's future was not dropped");
            // Its timer, if it ever fires, wakes nothing that runs.
            sleep(Duration::from_millis(40)).await;
            assert!(!resumed.get(), "a cancelled task ran on");

            // Cancelled before its first poll: it never runs.
            let ran = flag();
            let handle = spawn({
                let ran = ran.clone();
                async move { ran.set(true) }
            });
            drop(handle);
            yield_now().await;
            yield_now().await;
            assert!(!ran.get());

            // The handle of a finished task: dropping it changes nothing.
            let handle = spawn(async { 5 });
            yield_now().await;
            assert!(handle.is_finished());
            drop(handle);

            // Dropped from inside another task.
            let dropped = flag();
            let victim = spawn({
                let guard = DropFlag(dropped.clone());
                async move {
                    let _guard = guard;
                    pending::<()>().await;
                }
            });
            spawn(async move {
                yield_now().await;
                drop(victim);
            })
            .await;
            assert!(dropped.get());
        });
    });
}

fn a_handle_dropped_outside_block_on_still_cancels_its_task(driver: Driver) {
    on(driver, |rt| {
        let dropped = flag();
        let polls = Rc::new(Cell::new(0));
        #[expect(
            clippy::async_yields_async,
            reason = "the handle leaves block_on unawaited"
        )]
        let handle = rt.block_on({
            let guard = DropFlag(dropped.clone());
            let polls = polls.clone();
            async move {
                spawn(async move {
                    let _guard = guard;
                    loop {
                        polls.set(polls.get() + 1);
                        yield_now().await;
                    }
                })
            }
        });
        drop(handle);
        assert!(
            dropped.get(),
            "a handle dropped between two block_ons did not cancel"
        );
        rt.block_on(async {
            for _ in 0..3 {
                yield_now().await;
            }
        });
        assert_eq!(polls.get(), 0, "the cancelled task was polled");
    });
}

fn a_handle_dropped_in_another_runtime_cancels_only_its_own_task(driver: Driver) {
    on(driver, move |rt| {
        // Both runtimes' first task sits in slot 0, generation 1: the same task id.
        let other = Runtime::with_driver(driver).unwrap();
        let ours = flag();
        #[expect(
            clippy::async_yields_async,
            reason = "the handle leaves block_on unawaited"
        )]
        let handle = rt.block_on({
            let guard = DropFlag(ours.clone());
            async move {
                spawn(async move {
                    let _guard = guard;
                    pending::<()>().await;
                })
            }
        });
        let theirs = flag();
        other.block_on({
            let guard = DropFlag(theirs.clone());
            async move {
                let local = spawn(async move {
                    let _guard = guard;
                    pending::<()>().await;
                });
                yield_now().await;
                drop(handle);
                yield_now().await;
                local.detach();
            }
        });
        assert!(ours.get(), "the handle did not cancel its own task");
        assert!(
            !theirs.get(),
            "the handle cancelled the other runtime's task"
        );
    });
}

fn a_task_that_drops_its_own_handle_is_dropped_after_its_poll(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            for finish in [false, true] {
                let own: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
                let dropped = flag();
                let ran_on = flag();
                let handle = spawn({
                    let own = own.clone();
                    let guard = DropFlag(dropped.clone());
                    let ran_on = ran_on.clone();
                    async move {
                        let _guard = guard;
                        yield_now().await;
                        // Cancels this very task while it is being polled: its future is
                        // dropped only when this poll returns.
                        drop(own.borrow_mut().take());
                        ran_on.set(true);
                        if !finish {
                            pending::<()>().await;
                        }
                    }
                });
                *own.borrow_mut() = Some(handle);
                for _ in 0..3 {
                    yield_now().await;
                }
                assert!(ran_on.get());
                assert!(dropped.get(), "finish={finish}");
            }
            // Its slot was freed once, not twice: two new tasks get two slots.
            let (a, b) = (spawn(async { 'a' }), spawn(async { 'b' }));
            yield_now().await;
            assert_eq!((a.await, b.await), ('a', 'b'));
        });
    });
}

fn a_stale_waker_does_not_poll_the_task_that_reuses_its_slot(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let stale: Rc<RefCell<Option<Waker>>> = Rc::default();
            let first = spawn({
                let stale = stale.clone();
                poll_fn(move |cx| {
                    *stale.borrow_mut() = Some(cx.waker().clone());
                    Poll::<()>::Pending
                })
            });
            yield_now().await;
            drop(first);

            let polls = Rc::new(Cell::new(0));
            let second = spawn({
                let polls = polls.clone();
                poll_fn(move |_| {
                    polls.set(polls.get() + 1);
                    Poll::<()>::Pending
                })
            });
            yield_now().await;
            assert_eq!(polls.get(), 1);
            let stale = stale
                .borrow_mut()
                .take()
                .expect("the first task was polled");
            stale.wake_by_ref();
            yield_now().await;
            yield_now().await;
            assert_eq!(polls.get(), 1, "a stale waker polled the slot's new task");
            // From another thread too.
            thread::spawn(move || stale.wake()).join().unwrap();
            sleep(Duration::from_millis(5)).await;
            assert_eq!(polls.get(), 1);
            drop(second);
        });
    });
}

fn wakes_in_one_turn_queue_a_task_once(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let polls = Rc::new(Cell::new(0));
            let task = spawn({
                let polls = polls.clone();
                poll_fn(move |cx| {
                    polls.set(polls.get() + 1);
                    if polls.get() > 1 {
                        return Poll::Ready(());
                    }
                    for _ in 0..10 {
                        cx.waker().wake_by_ref();
                    }
                    // By value too: an owned waker's `wake` takes the same path.
                    let owned = cx.waker().clone();
                    owned.wake();
                    Poll::Pending
                })
            });
            task.await;
            assert_eq!(polls.get(), 2);
        });
    });
}

fn a_detached_task_runs_to_completion(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let done = flag();
            let output_dropped = flag();
            spawn({
                let done = done.clone();
                let output = DropFlag(output_dropped.clone());
                async move {
                    sleep(Duration::from_millis(5)).await;
                    yield_now().await;
                    done.set(true);
                    output
                }
            })
            .detach();
            let start = Instant::now();
            while !done.get() {
                sleep(Duration::from_millis(1)).await;
                assert!(start.elapsed() < Duration::from_secs(5));
            }
            yield_now().await;
            assert!(output_dropped.get(), "a detached task's output is dropped");
        });
    });
}

fn block_on_returns_while_detached_tasks_are_pending(driver: Driver) {
    on(driver, |rt| {
        // A task waiting on a timer when `block_on`'s future completes.
        let stage = Rc::new(Cell::new(0));
        rt.block_on({
            let stage = stage.clone();
            async move {
                spawn(async move {
                    stage.set(1);
                    sleep(Duration::from_millis(20)).await;
                    stage.set(2);
                })
                .detach();
                yield_now().await;
            }
        });
        assert_eq!(stage.get(), 1);
        // Nothing runs between two `block_on`s, not even a task whose timer is due.
        thread::sleep(Duration::from_millis(30));
        assert_eq!(stage.get(), 1);
        rt.block_on(async {
            let start = Instant::now();
            while stage.get() != 2 {
                sleep(Duration::from_millis(1)).await;
                assert!(start.elapsed() < Duration::from_secs(5));
            }
        });

        // Spawned and never polled: it runs in the next `block_on` that yields.
        let ran = flag();
        rt.block_on({
            let ran = ran.clone();
            async move { spawn(async move { ran.set(true) }).detach() }
        });
        assert!(!ran.get());
        rt.block_on(yield_now());
        assert!(ran.get());

        // Dropping the runtime drops the tasks still pending, I/O objects included.
        let dropped = flag();
        rt.block_on({
            let guard = DropFlag(dropped.clone());
            async move {
                let (listener, addr) = listener();
                let client = connect(addr);
                let (stream, _) = listener.accept().await.unwrap();
                spawn(async move {
                    let _guard = guard;
                    let _held = (listener, stream, client);
                    pending::<()>().await;
                })
                .detach();
                yield_now().await;
            }
        });
        assert!(!dropped.get());
        // Pending tasks that hold each other's handles: dropping one cancels the other
        // while the runtime is being torn down.
        let (first, second) = (flag(), flag());
        rt.block_on({
            let (first, second) = (DropFlag(first.clone()), DropFlag(second.clone()));
            async move {
                let inner = spawn(async move {
                    let _guard = first;
                    pending::<()>().await;
                });
                spawn(async move {
                    let _guard = second;
                    let _inner = inner;
                    pending::<()>().await;
                })
                .detach();
                yield_now().await;
            }
        });
        drop(rt);
        assert!(dropped.get());
        assert!(first.get() && second.get());
    });
}

// ---- wakes and the driver ----

fn wakes_from_another_thread_reach_a_runtime_blocked_in_its_driver(driver: Driver) {
    on(driver, |rt| {
        // `block_on`'s own future, then a spawned task, each woken only by another thread
        // while the runtime has no timer, no I/O and nothing else to run. Some rounds wake
        // at once (racing the runtime on its way into the driver), some after it is asleep.
        for round in 0..40u64 {
            let delay = Duration::from_millis(if round % 8 == 0 { 20 } else { 0 });
            let ready = Arc::new(AtomicBool::new(false));
            let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
            let waking = {
                let ready = ready.clone();
                thread::spawn(move || {
                    let waker = waker_rx.recv().unwrap();
                    thread::sleep(delay);
                    ready.store(true, Ordering::Release);
                    waker.wake();
                })
            };
            let wait = move || {
                let mut tx = Some(waker_tx);
                poll_fn(move |cx| {
                    if ready.load(Ordering::Acquire) {
                        return Poll::Ready(());
                    }
                    if let Some(tx) = tx.take() {
                        tx.send(cx.waker().clone()).unwrap();
                    }
                    Poll::Pending
                })
            };
            let start = Instant::now();
            if round % 2 == 0 {
                rt.block_on(wait());
            } else {
                rt.block_on(async { spawn(wait()).await });
            }
            assert!(start.elapsed() >= delay);
            waking.join().unwrap();
        }

        // A waker that outlives its runtime: waking it from any thread is harmless.
        let waker = rt.block_on(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
        let task_waker = rt.block_on(async {
            let handle = spawn(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
            handle.await
        });
        drop(rt);
        waker.wake_by_ref();
        thread::spawn(move || {
            waker.wake();
            task_waker.wake();
        })
        .join()
        .unwrap();
    });
}

fn an_idle_runtime_sleeps_in_its_driver(driver: Driver) {
    on(driver, |rt| {
        // Waiting for a timer, then for a wake from another thread with no timer at all,
        // with a listener waiting for connections and a connection waiting for data: the
        // thread blocks in the driver instead of spinning.
        let (_client, waiting) = rt.block_on(async {
            let (listener, addr) = listener();
            let client = connect(addr);
            let (mut stream, _) = listener.accept().await.unwrap();
            let waiting = spawn(async move {
                let mut buf = BytesMut::new();
                let _ = stream.read(&mut buf).await;
                let _ = listener.accept().await;
                unreachable!("nothing arrives while the runtime idles");
            });
            yield_now().await;
            (client, waiting)
        });
        let Some(before) = thread_cpu_time() else {
            return;
        };
        let start = Instant::now();
        rt.block_on(sleep(Duration::from_millis(200)));
        let (tx, rx) = mpsc::channel::<Waker>();
        let ready = Arc::new(AtomicBool::new(false));
        let waking = {
            let ready = ready.clone();
            thread::spawn(move || {
                let waker = rx.recv().unwrap();
                thread::sleep(Duration::from_millis(200));
                ready.store(true, Ordering::Release);
                waker.wake();
            })
        };
        rt.block_on(poll_fn(|cx| {
            if ready.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            let _ = tx.send(cx.waker().clone());
            Poll::Pending
        }));
        waking.join().unwrap();
        let idle = start.elapsed();
        let busy = thread_cpu_time().unwrap() - before;
        drop(waiting);
        assert!(idle >= Duration::from_millis(400), "{idle:?}");
        assert!(
            busy < Duration::from_millis(100),
            "the runtime used {busy:?} of CPU in {idle:?} of waiting"
        );
    });
}

fn a_task_that_keeps_waking_itself_starves_neither_timers_nor_sockets(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let spins = Rc::new(Cell::new(0u64));
            let spinner = spawn({
                let spins = spins.clone();
                async move {
                    loop {
                        spins.set(spins.get() + 1);
                        yield_now().await;
                    }
                }
            });
            let start = Instant::now();
            sleep(Duration::from_millis(20)).await;
            assert!(start.elapsed() < Duration::from_secs(2));

            let (listener, addr) = listener();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                s.write_all(b"ping").unwrap();
                let mut back = [0; 4];
                s.read_exact(&mut back).unwrap();
                back
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = BytesMut::new();
            read_at_least(&mut stream, &mut buf, 4).await;
            stream.write_all(buf.split().freeze()).await.unwrap();
            assert_eq!(&join(client).await, b"ping");
            assert!(spins.get() > 10, "the spinning task did not run meanwhile");
            drop(spinner);
        });
    });
}

fn timers_fire_in_deadline_order_and_never_early(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let order = Rc::new(RefCell::new(Vec::new()));
            let start = Instant::now();
            let handles: Vec<_> = [50u64, 10, 40, 0, 20, 30, 10, 1]
                .into_iter()
                .map(|ms| {
                    let order = order.clone();
                    spawn(async move {
                        let deadline = start + Duration::from_millis(ms);
                        crate::time::sleep_until(deadline).await;
                        assert!(Instant::now() >= deadline, "{ms} ms timer fired early");
                        order.borrow_mut().push(ms);
                    })
                })
                .collect();
            for h in handles {
                h.await;
            }
            assert_eq!(*order.borrow(), [0, 1, 10, 10, 20, 30, 40, 50]);
            assert!(start.elapsed() < Duration::from_secs(2));

            let before = Instant::now();
            assert!(
                timeout(Duration::from_millis(15), pending::<()>())
                    .await
                    .is_err()
            );
            assert!(before.elapsed() >= Duration::from_millis(15));
        });
    });
}

// ---- TCP ----

fn tcp_round_trip(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            const REPLY: &[u8] = b"pong!\n";
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                let local = s.local_addr().unwrap();
                s.write_all(b"ping").unwrap();
                let mut got = [0; REPLY.len()];
                s.read_exact(&mut got).unwrap();
                assert_eq!(&got, REPLY);
                local
            });
            let (mut stream, peer) = listener.accept().await.unwrap();
            assert_eq!(stream.peer_addr(), peer);
            assert_eq!(stream.local_addr().unwrap(), addr);
            stream.set_nodelay(true).unwrap();

            let mut buf = BytesMut::from(&b"kept:"[..]);
            read_at_least(&mut stream, &mut buf, 9).await;
            assert_eq!(&buf[..], b"kept:ping", "reads append");

            let mut pieces = vec![
                Bytes::from_static(b"p"),
                Bytes::new(),
                Bytes::from_static(b"on"),
                Bytes::from(vec![b'g']),
                Bytes::from_static(b"!\n"),
            ];
            while pieces.iter().any(|p| !p.is_empty()) {
                let (res, back) = stream.write_vectored(pieces).await;
                let n = res.unwrap();
                assert!(n > 0);
                pieces = back;
                advance(&mut pieces, n);
            }

            // The client closes once it has the reply: end of stream, and it stays ended.
            assert_eq!(join(client).await, peer);
            buf.clear();
            assert_eq!(stream.read(&mut buf).await.unwrap(), 0);
            assert_eq!(stream.read(&mut buf).await.unwrap(), 0);
            assert!(buf.is_empty());
        });
    });
}

fn tcp_connect_reaches_a_listener_on_the_same_runtime(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            // The server side is a task of the same runtime: the connect must not block it.
            let server = crate::spawn(async move {
                let (mut stream, peer) = listener.accept().await.unwrap();
                let mut buf = BytesMut::new();
                read_at_least(&mut stream, &mut buf, 5).await;
                assert_eq!(&buf[..], b"hello");
                stream.write_all(&b"world"[..]).await.unwrap();
                peer
            });
            let mut client = TcpStream::connect(addr).await.unwrap();
            assert_eq!(client.peer_addr(), addr);
            client.write_all(&b"hello"[..]).await.unwrap();
            let mut buf = BytesMut::new();
            read_at_least(&mut client, &mut buf, 5).await;
            assert_eq!(&buf[..], b"world");
            assert_eq!(server.await, client.local_addr().unwrap());
        });
    });
}

fn tcp_connect_to_a_closed_port_is_refused(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            // A port that was just free: bound, then closed.
            let addr = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let err = TcpStream::connect(addr).await.expect_err("refused");
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        });
    });
}

fn a_stream_nobody_reads_holds_a_bounded_share_of_the_ring(driver: Driver) {
    // The default ring (128 buffers of 4 KiB) and 8 MiB towards a stream that is not read
    // for a while, paced in 64 KiB writes: without a per-stream cap it would take every
    // buffer. (The cap cannot bound one burst: a receive takes all the socket holds at
    // that moment; pacing keeps each burst small.)
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            const LEN: usize = 8 << 20;
            const PIECE: usize = 64 << 10;
            let (tx, rx) = mpsc::channel::<()>();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                rx.recv().unwrap();
                let data = pattern_bytes(LEN);
                for piece in data.chunks(PIECE) {
                    s.write_all(piece).unwrap();
                    thread::sleep(Duration::from_millis(2));
                }
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            tx.send(()).unwrap();
            sleep(Duration::from_millis(600)).await;
            if let Some(free) = crate::rt::current().driver.ring_free_buffers() {
                // Half the ring: the cap (16) and the bursts that pass it leave far more
                // free; without the cap the stream takes every buffer.
                assert!(free >= 64, "one unread stream left {free} of 128 buffers");
            }
            // Once read, everything arrives, in order: the paused receive lost nothing.
            let mut buf = BytesMut::new();
            read_to_end(&mut stream, &mut buf).await;
            assert_eq!(buf.len(), LEN);
            assert!(buf.iter().enumerate().all(|(i, &b)| b == pattern(i)));
            join(client).await;
        });
    });
}

fn reads_go_on_without_spinning_when_the_ring_runs_dry(driver: Driver) {
    // Two buffers, and a first stream that takes both and is not read: the second stream
    // has no buffer left and must be read straight from its socket.
    on_config(driver, 2, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            const LEN: usize = 256 * 1024;
            let hog_client = upload(addr, LEN);
            let (mut hog, _) = listener.accept().await.unwrap();
            sleep(Duration::from_millis(100)).await;
            if let Some(free) = crate::rt::current().driver.ring_free_buffers() {
                assert_eq!(free, 0, "the first stream holds every buffer");
            }
            let (tx, rx) = mpsc::channel::<()>();
            let second = thread::spawn(move || {
                let mut s = connect(addr);
                // Connected, but silent for a while: the server waits for it.
                rx.recv().unwrap();
                s.write_all(b"ping").unwrap();
                let mut got = [0; 4];
                s.read_exact(&mut got).unwrap();
                assert_eq!(&got, b"pong");
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let reader = spawn(async move {
                let mut buf = BytesMut::new();
                read_at_least(&mut stream, &mut buf, 4).await;
                assert_eq!(&buf[..], b"ping");
                stream.write_all(&b"pong"[..]).await.unwrap();
                stream
            });
            // While that stream waits, the worker sleeps rather than spinning on ENOBUFS.
            let before = thread_cpu_time();
            sleep(Duration::from_millis(200)).await;
            if let (Some(before), Some(after)) = (before, thread_cpu_time()) {
                let busy = after - before;
                assert!(
                    busy < Duration::from_millis(60),
                    "{busy:?} of CPU in 200 ms of waiting"
                );
            }
            tx.send(()).unwrap();
            let _stream = reader.await;
            join(second).await;
            let mut buf = BytesMut::new();
            read_to_end(&mut hog, &mut buf).await;
            assert_eq!(buf.len(), LEN);
            assert!(buf.iter().enumerate().all(|(i, &b)| b == pattern(i)));
            join(hog_client).await;
        });
    });
}

fn a_listener_nobody_accepts_from_leaves_connections_in_the_backlog(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            // Armed: the multishot accept (io_uring) is running before the clients come.
            let _ = crate::time::timeout(Duration::from_millis(10), listener.accept()).await;
            // Two waves that fit the listen backlog (128) together. A multishot accept takes
            // what arrives in a burst at once, so the first wave (past the cap of 64) is held
            // in part or whole; then the accept stops, and the second wave waits in the
            // kernel's backlog. Without the cap all 128 would be held.
            const WAVES: [usize; 2] = [80, 48];
            let wave = move |n: usize| {
                thread::spawn(move || (0..n).map(|_| connect(addr)).collect::<Vec<_>>())
            };
            let mut clients = Vec::new();
            for n in WAVES {
                clients.push(join(wave(n)).await);
                sleep(Duration::from_millis(100)).await;
            }
            if let Some(waiting) = listener.accepted_waiting() {
                assert!(
                    waiting <= WAVES[0],
                    "{waiting} accepted connections held, of 128"
                );
            }
            // Every one of them is still accepted, in time.
            for _ in 0..WAVES.iter().sum() {
                listener.accept().await.unwrap();
            }
            drop(clients);
        });
    });
}

/// A memfd holding `pattern_bytes(len)`.
fn pattern_file(len: usize) -> std::fs::File {
    let fd = rustix::fs::memfd_create("hiver-test", rustix::fs::MemfdFlags::CLOEXEC).unwrap();
    let mut file = std::fs::File::from(fd);
    file.write_all(&pattern_bytes(len)).unwrap();
    file
}

fn file_reads_at_offsets_append_and_stop_at_the_end(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            const LEN: usize = 300_000;
            let file = Arc::new(pattern_file(LEN));
            let want = pattern_bytes(LEN);
            // From an offset, into a buffer that already holds something: appended.
            let mut buf = b"head:".to_vec();
            let (n, back) = crate::fs::read_at(file.clone(), buf, 1000, 5000).await;
            assert_eq!(n.unwrap(), 5000);
            buf = back;
            assert_eq!(&buf[..5], b"head:");
            assert_eq!(&buf[5..], &want[1000..6000]);
            // The whole file, read after read, as a server streams one.
            let mut whole = Vec::new();
            let mut offset = 0;
            loop {
                let (n, back) = crate::fs::read_at(file.clone(), whole, offset, 64 << 10).await;
                whole = back;
                match n.unwrap() {
                    0 => break,
                    n => offset += n as u64,
                }
            }
            assert_eq!(whole.len(), LEN);
            assert!(
                whole[..] == want[..],
                "the file came back whole and in order"
            );
            // At and past the end: nothing, the buffer as it was.
            let (n, back) = crate::fs::read_at(file.clone(), Vec::new(), LEN as u64 + 7, 10).await;
            assert_eq!((n.unwrap(), back.len()), (0, 0));
            // Several reads of one file in flight at once, each at its own offset.
            let reads = (0..8u64).map(|i| {
                let file = file.clone();
                spawn(async move { crate::fs::read_at(file, Vec::new(), i * 1000, 1000).await })
            });
            let handles: Vec<_> = reads.collect();
            for (i, h) in handles.into_iter().enumerate() {
                let (n, buf) = h.await;
                assert_eq!(n.unwrap(), 1000);
                assert_eq!(&buf[..], &want[i * 1000..(i + 1) * 1000]);
            }
        });
    });
}

fn a_file_read_that_fails_returns_the_buffer_unchanged(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            // A directory cannot be read: EISDIR, whichever way the read goes.
            let dir = Arc::new(std::fs::File::open(std::env::temp_dir()).unwrap());
            let buf = b"kept".to_vec();
            let (res, back) = crate::fs::read_at(dir, buf, 0, 4096).await;
            assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EISDIR));
            assert_eq!(&back[..], b"kept");
        });
    });
}

fn file_reads_dropped_in_flight_leave_the_runtime_usable(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            const LEN: usize = 1 << 20;
            let file = Arc::new(pattern_file(LEN));
            for _ in 0..50 {
                // Polled once (submitted on io_uring), then dropped: the buffer and the
                // file must stay valid until the kernel is done with them.
                let mut read = std::pin::pin!(crate::fs::read_at(file.clone(), Vec::new(), 0, LEN));
                let _ = poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
            }
            let (n, buf) = crate::fs::read_at(file.clone(), Vec::new(), 0, LEN).await;
            assert_eq!(n.unwrap(), LEN);
            assert!(buf[..] == pattern_bytes(LEN)[..]);
        });
    });
}

fn tcp_send_file_reaches_a_slow_reader_whole(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            use std::os::fd::AsFd;
            const LEN: usize = 4 << 20;
            const FROM: usize = 1000;
            let file = pattern_file(LEN);
            let (listener, addr) = listener();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                let mut got = Vec::new();
                let mut piece = [0; 16 * 1024];
                loop {
                    // Slower than the socket: the sender meets a full socket many times.
                    thread::sleep(Duration::from_micros(200));
                    match s.read(&mut piece).unwrap() {
                        0 => break got,
                        n => got.extend_from_slice(&piece[..n]),
                    }
                }
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(&b"head:"[..]).await.unwrap();
            let mut sent = 0;
            while sent < LEN - FROM {
                let left = (LEN - FROM - sent) as u64;
                sent += stream
                    .send_file(file.as_fd(), (FROM + sent) as u64, left)
                    .await
                    .unwrap();
            }
            drop(stream);
            let got = join(client).await;
            assert_eq!(&got[..5], b"head:");
            assert_eq!(got.len(), 5 + LEN - FROM);
            assert!(
                got[5..]
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == pattern(FROM + i))
            );
        });
    });
}

/// What `write_vectored_more` sends arrives whole and in order with the `send_file` or the
/// plain write after it, with the connection still open. (The kernel releases a segment
/// held for more data after about 200 ms even without a push, so a missing push shows as
/// a delay, which this test does not time: the benchmark's requests per second do.)
fn tcp_a_head_sent_with_more_leaves_with_what_follows_it(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            use std::os::fd::AsFd;
            const LEN: usize = 90_000;
            let file = crate::fs::memory_file("test", &pattern_bytes(LEN)).unwrap();
            let (listener, addr) = listener();
            let (got_tx, got_rx) = mpsc::channel();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                for want in [5 + LEN, 5 + 4] {
                    let mut got = vec![0; want];
                    s.read_exact(&mut got).unwrap();
                    got_tx.send(got).unwrap();
                }
                let mut rest = Vec::new();
                s.read_to_end(&mut rest).unwrap();
                rest
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let (n, _) = stream
                .write_vectored_more(vec![Bytes::from_static(b"head:")])
                .await;
            assert_eq!(n.unwrap(), 5);
            let mut sent = 0;
            while sent < LEN {
                sent += stream
                    .send_file(file.as_fd(), sent as u64, (LEN - sent) as u64)
                    .await
                    .unwrap();
            }
            let (n, _) = stream
                .write_vectored_more(vec![Bytes::from_static(b"head:")])
                .await;
            assert_eq!(n.unwrap(), 5);
            stream.write_all(&b"tail"[..]).await.unwrap();
            let mut firsts = Vec::new();
            while firsts.len() < 2 {
                match got_rx.try_recv() {
                    Ok(got) => firsts.push(got),
                    Err(_) => crate::time::sleep(Duration::from_millis(1)).await,
                }
            }
            drop(stream);
            assert_eq!(&firsts[0][..5], b"head:");
            assert!(
                firsts[0][5..] == pattern_bytes(LEN)[..],
                "the file behind the head"
            );
            assert_eq!(&firsts[1][..], b"head:tail");
            assert!(join(client).await.is_empty());
        });
    });
}

fn tcp_send_file_past_the_end_of_the_file_errors(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            use std::os::fd::AsFd;
            let file = pattern_file(100);
            let (listener, addr) = listener();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                let mut got = Vec::new();
                s.read_to_end(&mut got).unwrap();
                got
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            assert_eq!(stream.send_file(file.as_fd(), 0, 200).await.unwrap(), 100);
            let err = stream.send_file(file.as_fd(), 100, 100).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
            drop(stream);
            assert_eq!(
                join(client).await,
                pattern_bytes(100),
                "what the file had went out"
            );
        });
    });
}

fn tcp_reads_a_large_upload_arriving_in_many_pieces(driver: Driver) {
    const UPLOAD: usize = 1 << 20;
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                s.set_nodelay(true).unwrap();
                let data = pattern_bytes(UPLOAD);
                let mut sent = 0;
                for (i, size) in [1usize, 7, 100, 1460, 4096, 4097, 65_536, 3_000]
                    .into_iter()
                    .cycle()
                    .enumerate()
                {
                    if sent == UPLOAD {
                        break;
                    }
                    let end = (sent + size).min(UPLOAD);
                    s.write_all(&data[sent..end]).unwrap();
                    sent = end;
                    if i % 16 == 0 {
                        thread::sleep(Duration::from_millis(1));
                    }
                }
                s.shutdown(std::net::Shutdown::Write).unwrap();
                let mut reply = Vec::new();
                s.read_to_end(&mut reply).unwrap();
                reply
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = BytesMut::new();
            let reads = read_to_end(&mut stream, &mut buf).await;
            assert_eq!(buf.len(), UPLOAD);
            assert!(
                buf.iter().enumerate().all(|(i, &b)| b == pattern(i)),
                "the upload arrived altered"
            );
            assert!(reads > 1, "{reads} reads");
            stream
                .write_all(Bytes::from_static(b"got it"))
                .await
                .unwrap();
            drop(stream);
            assert_eq!(join(client).await, b"got it");
        });
    });
}

fn tcp_write_all_to_a_slow_reader(driver: Driver) {
    const DOWNLOAD: usize = 4 << 20;
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                let mut got = Vec::with_capacity(DOWNLOAD);
                let mut chunk = vec![0; 16 * 1024];
                let mut reads = 0u32;
                loop {
                    let n = s.read(&mut chunk).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&chunk[..n]);
                    reads += 1;
                    // Slow at first, so the socket buffers fill and the writer must wait.
                    if got.len() < DOWNLOAD / 2 {
                        thread::sleep(Duration::from_micros(500));
                    }
                }
                // Closing tells the server the data arrived.
                drop(s);
                (got, reads)
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let data = Bytes::from(pattern_bytes(DOWNLOAD));
            stream.write_all(data.clone()).await.unwrap();
            // The write side is shut; the read side still reports the client's close.
            stream.shutdown_write().unwrap();
            let mut buf = BytesMut::new();
            assert_eq!(stream.read(&mut buf).await.unwrap(), 0);
            let (got, reads) = join(client).await;
            assert_eq!(got.len(), DOWNLOAD);
            assert!(got == data, "the download arrived altered");
            assert!(reads > 1);
        });
    });
}

fn tcp_write_of_more_pieces_than_one_send_takes(driver: Driver) {
    // More pieces than one `sendmsg` takes on either driver (128 on epoll, 1024 on io_uring),
    // of uneven sizes, some empty.
    const PIECES: usize = 3_000;
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            let all = pattern_bytes(PIECES * 40);
            let mut pieces = Vec::with_capacity(PIECES);
            let mut at = 0;
            for i in 0..PIECES {
                let len = (i * 7) % 80;
                pieces.push(Bytes::copy_from_slice(&all[at..at + len]));
                at += len;
            }
            let total = at;
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                let mut got = Vec::new();
                s.read_to_end(&mut got).unwrap();
                got
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let back = stream.write_all_vectored(pieces).await.unwrap();
            assert!(back.is_empty());
            drop(stream);
            let got = join(client).await;
            assert_eq!(got.len(), total);
            assert!(got[..] == all[..total], "the pieces arrived altered");
        });
    });
}

fn tcp_read_is_cancel_safe(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            let (go_tx, go_rx) = mpsc::channel::<&'static [u8]>();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                while let Ok(msg) = go_rx.recv() {
                    s.write_all(msg).unwrap();
                }
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = BytesMut::new();

            // A read that times out with nothing to read, then data: the next read has it.
            for _ in 0..3 {
                let r = timeout(Duration::from_millis(10), stream.read(&mut buf)).await;
                assert!(r.is_err(), "{r:?}");
            }
            go_tx.send(b"late").unwrap();
            read_at_least(&mut stream, &mut buf, 4).await;
            assert_eq!(&buf[..], b"late");

            // Data that arrives while no read is pending waits for the next one.
            buf.clear();
            go_tx.send(b"queued").unwrap();
            sleep(Duration::from_millis(20)).await;
            read_at_least(&mut stream, &mut buf, 6).await;
            assert_eq!(&buf[..], b"queued");

            // A read cancelled just as data arrives loses none of it.
            buf.clear();
            for _ in 0..20 {
                go_tx.send(b"x").unwrap();
                let _ = timeout(Duration::from_micros(50), stream.read(&mut buf)).await;
            }
            read_at_least(&mut stream, &mut buf, 20).await;
            assert_eq!(&buf[..], &[b'x'; 20]);

            drop(go_tx);
            join(client).await;
            buf.clear();
            assert_eq!(read_to_end(&mut stream, &mut buf).await, 0);
        });
    });
}

fn tcp_end_of_stream_right_behind_the_data_is_seen(driver: Driver) {
    // The client's last bytes and its FIN arrive together, and the driver has already
    // reported them (the runtime slept meanwhile) before the first read: that read returns
    // the data, short of the buffer's room, and the next must return end of stream, not
    // wait for an edge that already came.
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                s.write_all(b"last words").unwrap();
                s.shutdown(std::net::Shutdown::Write).unwrap();
                let mut reply = Vec::new();
                s.read_to_end(&mut reply).unwrap();
                reply
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            for round in 0..3 {
                sleep(Duration::from_millis(20)).await;
                let mut buf = BytesMut::with_capacity(4096);
                let outcome = timeout(Duration::from_secs(2), async {
                    read_to_end(&mut stream, &mut buf).await;
                })
                .await;
                assert!(
                    outcome.is_ok(),
                    "round {round}: no end of stream after {:?}",
                    String::from_utf8_lossy(&buf)
                );
                if round == 0 {
                    assert_eq!(&buf[..], b"last words");
                } else {
                    assert!(buf.is_empty());
                }
            }
            stream.write_all(Bytes::from_static(b"bye")).await.unwrap();
            drop(stream);
            assert_eq!(join(client).await, b"bye");
        });
    });
}

fn tcp_write_cancelled_in_flight_leaves_the_runtime_usable(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            // A client that reads nothing until told to: the write cannot finish.
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                go_rx.recv().unwrap();
                let mut got = Vec::new();
                s.read_to_end(&mut got).unwrap();
                got.len()
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let big = Bytes::from(vec![7u8; 32 << 20]);
            let r = timeout(Duration::from_millis(50), stream.write_all(big)).await;
            assert!(
                r.is_err(),
                "32 MiB fit into the socket buffers of a client not reading"
            );
            // The stream still works after the cancelled write, once the client reads.
            go_tx.send(()).unwrap();
            stream
                .write_all(Bytes::from_static(b"after"))
                .await
                .unwrap();
            drop(stream);
            let got = join(client).await;
            assert!(got >= 5, "{got}");

            // And so does the runtime: a fresh connection round-trips.
            let client = thread::spawn(move || {
                let mut s = connect(addr);
                s.write_all(b"again").unwrap();
                let mut back = [0; 5];
                s.read_exact(&mut back).unwrap();
                back
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = BytesMut::new();
            read_at_least(&mut stream, &mut buf, 5).await;
            stream.write_all(buf.freeze()).await.unwrap();
            assert_eq!(&join(client).await, b"again");
        });
    });
}

fn tcp_write_to_a_reset_peer_errors(driver: Driver) {
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            let (mut stream, _) = {
                let client = connect(addr);
                let accepted = listener.accept().await.unwrap();
                // Linger 0: the close sends a reset.
                socket2::SockRef::from(&client)
                    .set_linger(Some(Duration::ZERO))
                    .unwrap();
                drop(client);
                accepted
            };
            sleep(Duration::from_millis(10)).await;
            let mut err = None;
            for _ in 0..100 {
                if let Err(e) = stream.write_all(Bytes::from_static(b"anyone?")).await {
                    err = Some(e);
                    break;
                }
                sleep(Duration::from_millis(1)).await;
            }
            let err = err.expect("writes to a reset peer kept succeeding");
            assert!(
                matches!(
                    err.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "{err}"
            );
            let mut buf = BytesMut::new();
            match stream.read(&mut buf).await {
                Ok(0) => {}
                Ok(n) => panic!("read {n} bytes from a reset peer"),
                Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
            }
        });
    });
}

fn tcp_connections_served_concurrently_by_spawned_tasks(driver: Driver) {
    const CLIENTS: usize = 16;
    on(driver, |rt| {
        rt.block_on(async {
            let (listener, addr) = listener();
            let clients: Vec<_> = (0..CLIENTS)
                .map(|i| {
                    thread::spawn(move || {
                        let mut s = connect(addr);
                        let msg = format!("client {i:02}");
                        // In two writes, so the server sees at least one partial message.
                        s.write_all(&msg.as_bytes()[..3]).unwrap();
                        thread::sleep(Duration::from_millis(5));
                        s.write_all(&msg.as_bytes()[3..]).unwrap();
                        let mut back = vec![0; msg.len()];
                        s.read_exact(&mut back).unwrap();
                        assert_eq!(back, msg.as_bytes());
                    })
                })
                .collect();
            let mut served = Vec::new();
            for _ in 0..CLIENTS {
                let (mut stream, _) = listener.accept().await.unwrap();
                served.push(spawn(async move {
                    let mut buf = BytesMut::new();
                    read_at_least(&mut stream, &mut buf, 9).await;
                    stream.write_all(buf.freeze()).await.unwrap();
                    stream
                }));
            }
            let mut open = Vec::new();
            for s in served {
                open.push(s.await);
            }
            for c in clients {
                join(c).await;
            }
            drop(open);
        });
    });
}

// ---- misuse ----

#[test]
#[should_panic(expected = "no Hiver runtime runs on this thread")]
fn spawn_outside_a_runtime_panics() {
    drop(spawn(async {}));
}

#[test]
#[should_panic(expected = "inside a running Hiver runtime")]
fn block_on_is_not_reentrant() {
    let outer = Runtime::with_driver(Driver::Epoll).unwrap();
    let inner = Runtime::with_driver(Driver::Epoll).unwrap();
    outer.block_on(async { inner.block_on(async {}) });
}
