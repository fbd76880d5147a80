//! Purges by path, prefix, tag, everything and bundle generation reach every worker's L1
//! before the purge call returns. Each worker is a thread owning its own `WorkerCache`.

mod cache_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use cache_support::{from_thread, key};
use futures_executor::block_on;
use hiver_ssr::cache::{CacheKey, CachePolicy, Destination, Outcome, Page, PageCache};
use http::{HeaderMap, Method};

type Reply = Sender<(Outcome, Bytes)>;

/// Worker threads, each with its own L1, serving paths on command.
struct Workers {
    txs: Vec<Sender<(String, Reply)>>,
    handles: Vec<JoinHandle<()>>,
    renders: Arc<AtomicUsize>,
    /// Bundle generation the next renders report.
    generation: Arc<AtomicU64>,
}

impl Workers {
    fn start(cache: &PageCache, n: usize) -> Self {
        let renders = Arc::new(AtomicUsize::new(0));
        let generation = Arc::new(AtomicU64::new(1));
        let mut txs = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..n {
            let (tx, rx) = channel::<(String, Reply)>();
            let (cache, renders, generation) = (cache.clone(), renders.clone(), generation.clone());
            handles.push(std::thread::spawn(move || {
                let worker = cache.worker();
                for (path, reply) in rx {
                    let render = render_fn(path.clone(), renders.clone(), generation.clone());
                    let k = key(&path);
                    let served = block_on(worker.serve(
                        &k,
                        &CachePolicy::default(),
                        &HeaderMap::new(),
                        render,
                    ))
                    .unwrap();
                    reply
                        .send((served.outcome(), served.page().html().clone()))
                        .unwrap();
                }
            }));
            txs.push(tx);
        }
        Self {
            txs,
            handles,
            renders,
            generation,
        }
    }

    /// Serves `path` on worker `i`.
    fn serve(&self, i: usize, path: &str) -> (Outcome, Bytes) {
        let (tx, rx) = channel();
        self.txs[i].send((path.to_owned(), tx)).unwrap();
        rx.recv().unwrap()
    }

    /// Makes every worker hold `paths` in its L1 (checked: the second lookup hits L1).
    fn warm(&self, paths: &[&str]) {
        for i in 0..self.txs.len() {
            for p in paths {
                self.serve(i, p);
                assert_eq!(self.serve(i, p).0, Outcome::HitL1, "worker {i} {p}");
            }
        }
    }

    /// Asserts every worker still serves `path` from L1, unchanged.
    fn assert_kept(&self, path: &str, html: &Bytes) {
        for i in 0..self.txs.len() {
            assert_eq!(
                self.serve(i, path),
                (Outcome::HitL1, html.clone()),
                "worker {i} {path}"
            );
        }
    }

    /// Asserts no worker serves the old page of `path` any more.
    fn assert_purged(&self, path: &str, old: &Bytes) {
        for i in 0..self.txs.len() {
            let (outcome, html) = self.serve(i, path);
            assert_ne!(
                outcome,
                Outcome::HitL1,
                "worker {i} served purged {path} from L1"
            );
            assert_ne!(&html, old, "worker {i} served the purged page of {path}");
        }
    }

    fn stop(self) {
        drop(self.txs);
        for h in self.handles {
            h.join().unwrap();
        }
    }
}

fn render_fn(
    path: String,
    renders: Arc<AtomicUsize>,
    generation: Arc<AtomicU64>,
) -> impl Fn(Destination<'_>) -> std::pin::Pin<Box<dyn Future<Output = Result<Page, std::io::Error>>>>
{
    move |_| {
        let n = renders.fetch_add(1, Ordering::SeqCst);
        let generation = generation.load(Ordering::SeqCst);
        let section = path.split('/').nth(1).unwrap_or("").to_owned();
        let html = format!("{path} render {n}");
        Box::pin(async move {
            Ok(Page::builder(html)
                .tag(format!("section:{section}"))
                .bundle_generation(generation)
                .build())
        })
    }
}

const PATHS: [&str; 4] = ["/blog/a", "/blog/b", "/blogs", "/about"];

fn setup() -> (PageCache, Workers, Vec<Bytes>) {
    let cache = PageCache::default();
    let workers = Workers::start(&cache, 3);
    workers.warm(&PATHS);
    let pages = PATHS.iter().map(|p| workers.serve(0, p).1).collect();
    (cache, workers, pages)
}

#[test]
fn purge_path_reaches_every_l1() {
    let (cache, w, pages) = setup();
    let renders_before = w.renders.load(Ordering::SeqCst);
    assert_eq!(cache.purge_path("//blog/a/").unwrap(), 1);
    w.assert_purged("/blog/a", &pages[0]);
    // One worker renders again; the others take the new page from L2.
    assert_eq!(w.renders.load(Ordering::SeqCst) - renders_before, 1);
    w.assert_kept("/blog/b", &pages[1]);
    w.assert_kept("/about", &pages[3]);
    w.stop();
}

#[test]
fn purge_prefix_is_segment_wise() {
    let (cache, w, pages) = setup();
    assert_eq!(cache.purge_prefix("/blog").unwrap(), 2);
    w.assert_purged("/blog/a", &pages[0]);
    w.assert_purged("/blog/b", &pages[1]);
    w.assert_kept("/blogs", &pages[2]);
    w.assert_kept("/about", &pages[3]);
    w.stop();
}

#[test]
fn purge_tag() {
    let (cache, w, pages) = setup();
    assert_eq!(cache.purge_tag("section:blog"), 2);
    w.assert_purged("/blog/a", &pages[0]);
    w.assert_purged("/blog/b", &pages[1]);
    w.assert_kept("/blogs", &pages[2]);
    w.stop();
}

#[test]
fn clear_all() {
    let (cache, w, pages) = setup();
    cache.clear();
    for (p, old) in PATHS.iter().zip(&pages) {
        w.assert_purged(p, old);
    }
    w.stop();
}

#[test]
fn bundle_generation_invalidates_older_pages() {
    let (cache, w, pages) = setup();
    cache.invalidate_bundles_before(2);
    // Renders still reporting generation 1 are served but never cached.
    let (outcome, _) = w.serve(0, "/about");
    assert_eq!(outcome, Outcome::Miss);
    assert_eq!(w.serve(0, "/about").0, Outcome::Miss);
    w.generation.store(2, Ordering::SeqCst);
    w.assert_purged("/blog/a", &pages[0]);
    assert_eq!(w.serve(1, "/blog/a").0, Outcome::HitL1);
    w.stop();
}

#[test]
fn purge_during_a_render_discards_its_result() {
    let cache = PageCache::default();
    let worker = cache.worker();
    let k: CacheKey = CacheKey::builder(&Method::GET, "/slow").build().unwrap();
    let (policy, headers) = (CachePolicy::default(), HeaderMap::new());
    let purger = cache.clone();
    let render = move |_: Destination<'_>| {
        let purger = purger.clone();
        from_thread(Duration::from_millis(30), move || {
            // The content changes and is purged while this (old) render is still running.
            purger.purge_path("/slow").unwrap();
            Ok::<_, std::io::Error>(Page::builder("old").build())
        })
    };
    let first = block_on(worker.serve(&k, &policy, &headers, render)).unwrap();
    assert_eq!(first.outcome(), Outcome::Miss);
    let fresh =
        |_: Destination<'_>| async { Ok::<_, std::io::Error>(Page::builder("new").build()) };
    let second = block_on(worker.serve(&k, &policy, &headers, fresh)).unwrap();
    assert_eq!(second.outcome(), Outcome::Miss);
    assert_eq!(second.page().html(), "new");
    assert_eq!(
        block_on(worker.serve(&k, &policy, &headers, fresh))
            .unwrap()
            .outcome(),
        Outcome::HitL1
    );
}

#[test]
fn bad_purge_paths_are_typed_errors() {
    let cache = PageCache::default();
    assert!(cache.purge_path("blog").unwrap_err().is_path_not_absolute());
    assert!(cache.purge_prefix("/%zz").unwrap_err().is_bad_escape());
}
