use std::time::{Duration, Instant};

use super::*;

/// Runs the future `make` builds on a fresh runtime on each driver, io_uring then epoll:
/// the loop fires the wheel and sleeps in the driver until the next expiry, and the two
/// drivers take that timeout differently.
fn block_on<F: Future>(make: impl Fn() -> F) {
    for driver in [crate::Driver::IoUring, crate::Driver::Epoll] {
        let rt = crate::Runtime::with_driver(driver).unwrap();
        rt.block_on(make());
    }
}

#[test]
fn sleep_waits_at_least_its_duration() {
    block_on(|| async {
        let start = Instant::now();
        sleep(Duration::from_millis(30)).await;
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(30), "{took:?}");
        assert!(took < Duration::from_millis(500), "{took:?}");
    });
}

#[test]
fn timeout_passes_value_or_elapses() {
    block_on(|| async {
        assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
        let start = Instant::now();
        let r = timeout(Duration::from_millis(20), sleep(Duration::from_secs(30))).await;
        assert_eq!(r, Err(Elapsed(())));
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
}

#[test]
fn many_sleeps_fire_in_deadline_order() {
    block_on(|| async {
        let order = Rc::new(std::cell::RefCell::new(Vec::new()));
        let handles: Vec<_> = [40u64, 10, 30, 20, 0]
            .into_iter()
            .map(|ms| {
                let order = order.clone();
                crate::spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    order.borrow_mut().push(ms);
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
        assert_eq!(*order.borrow(), vec![0, 10, 20, 30, 40]);
    });
}

#[test]
fn reset_moves_a_registered_sleep_both_ways() {
    block_on(|| async {
        let start = Instant::now();
        let mut s = sleep(Duration::from_secs(60));
        // Register it, then pull the deadline in: the driver must re-arm earlier.
        assert!(timeout(Duration::from_millis(5), &mut s).await.is_err());
        s.reset(Instant::now() + Duration::from_millis(20));
        (&mut s).await;
        assert!(start.elapsed() < Duration::from_secs(5));
        // Reuse after completion.
        s.reset(Instant::now() + Duration::from_millis(10));
        assert!(!s.is_elapsed());
        s.await;
    });
}

#[test]
fn dropped_sleep_cancels_its_timer() {
    block_on(|| async {
        let s = sleep(Duration::from_secs(60));
        assert!(timeout(Duration::from_millis(5), s).await.is_err());
        let timers = wheel_driver::Timers::current();
        assert_eq!(timers.pending(), 0);
    });
}

#[test]
fn works_again_on_a_second_runtime_on_the_same_thread() {
    block_on(|| sleep(Duration::from_millis(5)));
    let start = Instant::now();
    block_on(|| sleep(Duration::from_millis(5)));
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn reset_reuses_the_same_timer() {
    block_on(|| async {
        let mut s = sleep(Duration::from_secs(60));
        assert!(timeout(Duration::from_millis(2), &mut s).await.is_err());
        let timers = wheel_driver::Timers::current();
        let before = timers.pending();
        for i in 0..1_000u64 {
            s.reset(Instant::now() + Duration::from_secs(30 + i));
        }
        assert_eq!(timers.pending(), before);
        drop(s);
        assert_eq!(timers.pending(), before - 1);
    });
}

#[test]
fn thousands_of_sleeps_never_wake_early() {
    block_on(|| async {
        let handles: Vec<_> = (0..2_000u64)
            .map(|i| {
                crate::spawn(async move {
                    let deadline = Instant::now() + Duration::from_micros(i * 37 % 60_000);
                    sleep_until(deadline).await;
                    assert!(Instant::now() >= deadline);
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    });
}

#[test]
fn a_later_deadline_is_kept_although_the_timer_stays_put() {
    block_on(|| async {
        let mut s = sleep(Duration::from_millis(10));
        assert!(timeout(Duration::from_millis(2), &mut s).await.is_err());
        // Pushed later: the wheel entry still fires at ~10 ms, the sleep must not.
        let deadline = Instant::now() + Duration::from_millis(60);
        s.reset(deadline);
        assert!(timeout(Duration::from_millis(30), &mut s).await.is_err());
        (&mut s).await;
        assert!(Instant::now() >= deadline);
        let timers = wheel_driver::Timers::current();
        assert_eq!(timers.pending(), 0);
    });
}

#[test]
fn an_earlier_deadline_after_a_later_one_still_moves_the_timer() {
    block_on(|| async {
        let start = Instant::now();
        let mut s = sleep(Duration::from_secs(60));
        assert!(timeout(Duration::from_millis(2), &mut s).await.is_err());
        s.reset(Instant::now() + Duration::from_secs(120));
        s.reset(Instant::now() + Duration::from_millis(15));
        (&mut s).await;
        assert!(start.elapsed() < Duration::from_secs(5));
    });
}
