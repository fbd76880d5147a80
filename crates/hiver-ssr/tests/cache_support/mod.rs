//! Helpers shared by the cache_* tests: a manual clock, counted renders, and render futures
//! that complete from another thread (as the render pool's do).

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hiver_ssr::cache::{CacheKey, Destination, Page, PageCache};
use http::Method;

/// A clock tests move by hand.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<Instant>>);

impl ManualClock {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    pub fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// A cache whose ages follow `clock`.
pub fn cache_with(clock: &ManualClock) -> PageCache {
    let clock = clock.clone();
    PageCache::builder().clock(move || clock.now()).build()
}

pub fn key(path: &str) -> CacheKey {
    CacheKey::builder(&Method::GET, path).build().unwrap()
}

/// Counts render calls.
#[derive(Clone, Default)]
pub struct Renders(Arc<AtomicUsize>);

impl Renders {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// A render closure: each call counts, and yields `html` (plus the call number) after
    /// `delay`, completed from a separate thread.
    pub fn ok(
        &self,
        html: &'static str,
        delay: Duration,
    ) -> impl Fn(Destination<'_>) -> Pin<Box<dyn Future<Output = Result<Page, std::io::Error>>>> + 'static
    {
        self.with(
            move |n| Ok(Page::builder(format!("{html}#{n}")).tag("all").build()),
            delay,
        )
    }

    /// A render closure whose renders fail after `delay`.
    pub fn failing(
        &self,
        delay: Duration,
    ) -> impl Fn(Destination<'_>) -> Pin<Box<dyn Future<Output = Result<Page, std::io::Error>>>> + 'static
    {
        self.with(|_| Err(std::io::Error::other("render blew up")), delay)
    }

    pub fn with(
        &self,
        make: impl Fn(usize) -> Result<Page, std::io::Error> + Send + Sync + Copy + 'static,
        delay: Duration,
    ) -> impl Fn(Destination<'_>) -> Pin<Box<dyn Future<Output = Result<Page, std::io::Error>>>> + 'static
    {
        let counter = self.0.clone();
        move |_| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(from_thread(delay, move || make(n)))
                as Pin<Box<dyn Future<Output = Result<Page, std::io::Error>>>>
        }
    }
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// A future resolved by a separate thread after `delay`: runtime-agnostic, like a render
/// coming back from the render pool.
pub fn from_thread<T: Send + 'static>(
    delay: Duration,
    make: impl FnOnce() -> T + Send + 'static,
) -> impl Future<Output = T> {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    let remote = slot.clone();
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let value = make();
        let mut s = remote.lock().unwrap();
        s.value = Some(value);
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    });
    FromThread(slot)
}

struct FromThread<T>(Arc<Mutex<Slot<T>>>);

impl<T> Future for FromThread<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.0.lock().unwrap();
        match s.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
