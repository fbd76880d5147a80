//! Development mode (`STOREFRONT_WATCH=on`): a rebuilt server bundle is picked up while the
//! storefront serves, and cached pages of the old bundle stop being served. Each test works
//! on a copy of the committed Preact build in a temporary directory (`STOREFRONT_DIST`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hiver::test::TestClient;
use storefront::{Config, Storefront, WATCH_INTERVAL};

const TITLE: &str = "<title>All products | Hiver Market</title>";
const EDITED_TITLE: &str = "<title>All products | Hiver Market (dev)</title>";

/// A copy of `web/dist/preact` under a fresh temporary directory; returns that directory
/// (the `STOREFRONT_DIST` to use).
fn copied_dist(name: &str) -> PathBuf {
    let dist = std::env::temp_dir().join(format!("storefront-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    copy_dir(
        &storefront::config::source_dist().join("preact"),
        &dist.join("preact"),
    );
    dist
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the build") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}

/// What a rebuild after an edit does: the bundle is replaced (written next to it, then
/// renamed over it, as build tools do). The edit renames the shop.
fn rebuild_with_new_name(dist: &Path) {
    let bundle = dist.join("preact/server.js");
    let source = std::fs::read_to_string(&bundle).expect("the copied bundle");
    assert!(
        source.contains("\"Hiver Market\""),
        "the shop's name is a literal"
    );
    let edited = source.replace("\"Hiver Market\"", "\"Hiver Market (dev)\"");
    let fresh = bundle.with_extension("js.tmp");
    std::fs::write(&fresh, edited).expect("write the new bundle");
    std::fs::rename(&fresh, &bundle).expect("replace the bundle");
}

fn start(dist: &Path, engine: &str, watch: &str) -> Storefront {
    let dist = dist.to_str().expect("a UTF-8 temp dir").to_owned();
    let config = Config::from_lookup(|name| match name {
        "STOREFRONT_DIST" => Some(dist.clone()),
        "STOREFRONT_ENGINE" => Some(engine.to_owned()),
        "STOREFRONT_WATCH" => Some(watch.to_owned()),
        _ => None,
    })
    .expect("valid settings");
    match storefront::build(&config) {
        Ok(app) => app,
        Err(e) => panic!("the copied build must load: {e}"),
    }
}

fn picks_up_a_rebuilt_bundle(engine: &str) {
    let dist = copied_dist(&format!("watch-{engine}"));
    let app = start(&dist, engine, "on");
    assert!(app.watcher.is_some(), "watch mode starts a watcher");
    let client = TestClient::new(app.router.clone());
    let first = client.get("/").send();
    assert_eq!(first.header("x-hiver-cache"), Some("miss"));
    assert!(first.text().contains(TITLE));
    let cached = client.get("/").send();
    assert_eq!(cached.header("x-hiver-cache"), Some("hit-l1"));

    rebuild_with_new_name(&dist);
    let deadline = Instant::now() + Duration::from_secs(10);
    let fresh = loop {
        let res = client.get("/").send();
        assert_eq!(res.status(), 200);
        let outcome = res.header("x-hiver-cache").unwrap_or("").to_owned();
        let body = res.text();
        if body.contains(EDITED_TITLE) {
            break outcome;
        }
        assert!(body.contains(TITLE), "the old page until the reload");
        assert!(
            Instant::now() < deadline,
            "the rebuilt bundle was never loaded"
        );
        std::thread::sleep(WATCH_INTERVAL / 5);
    };
    assert_eq!(fresh, "miss", "the old bundle's cached page is not served");
    assert_eq!(app.ssr.metrics().generation, 2, "one reload");
    assert_eq!(
        client.get("/").send().header("x-hiver-cache"),
        Some("hit-l1")
    );
    drop(app);
    std::fs::remove_dir_all(&dist).ok();
}

#[test]
fn watch_mode_picks_up_a_rebuilt_bundle_on_quickjs() {
    picks_up_a_rebuilt_bundle("quickjs");
}

#[cfg(feature = "v8")]
#[test]
fn watch_mode_picks_up_a_rebuilt_bundle_on_v8() {
    picks_up_a_rebuilt_bundle("v8");
}

#[test]
fn without_watch_mode_the_bundle_is_read_once() {
    let dist = copied_dist("no-watch");
    let app = start(&dist, "quickjs", "off");
    assert!(app.watcher.is_none());
    let client = TestClient::new(app.router.clone());
    assert!(client.get("/").send().text().contains(TITLE));
    rebuild_with_new_name(&dist);
    std::thread::sleep(WATCH_INTERVAL * 4);
    app.ssr.purge_all();
    let res = client.get("/").send();
    assert_eq!(res.header("x-hiver-cache"), Some("miss"), "rendered again");
    assert!(res.text().contains(TITLE), "by the bundle loaded at start");
    assert_eq!(app.ssr.metrics().generation, 1);
    std::fs::remove_dir_all(&dist).ok();
}
