//! `hiver serve` over real sockets, on both I/O drivers: pages, assets, metrics, the
//! configuration's precedence on the running server, and Ctrl-C.

mod support;

use std::io::Read;

use support::{Server, fixture, hiver, scratch, site_args};

/// Runs each case under io_uring and under epoll (`HIVER_DRIVER`, or the config file).
macro_rules! on_both_drivers {
    ($($case:ident),* $(,)?) => {
        mod uring {
            $(#[test] fn $case() { super::$case("uring", "io_uring") })*
        }
        mod epoll {
            $(#[test] fn $case() { super::$case("epoll", "epoll") })*
        }
    };
}

on_both_drivers!(
    pages_assets_and_metrics_are_served,
    interrupt_drains_and_exits_zero,
    default_props_carry_the_path,
    file_then_environment_then_flags,
    metrics_can_be_turned_off,
    a_taken_port_is_a_runtime_failure,
    static_files_win_over_pages,
);

fn start(driver: &str, args: &[String]) -> Server {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = hiver(&args);
    command.env("HIVER_DRIVER", driver);
    Server::start(command)
}

fn pages_assets_and_metrics_are_served(driver: &str, driver_name: &str) {
    let server = start(driver, &site_args());

    let root = server.get("/");
    assert_eq!(root.status, 200, "{}", root.text());
    let html = root.text();
    assert!(html.contains(r#"<p id="url">/</p>"#), "{html}");
    // The props file, as given (serde_json's map sorts the keys).
    assert!(
        html.contains(r#"{"items":[1,2,3],"site":"fixture"}"#),
        "{html}"
    );
    assert!(
        html.contains("/assets/main-1a2b3c.js"),
        "no script tag: {html}"
    );
    assert!(
        html.contains("/assets/main-4d5e6f.css"),
        "no stylesheet: {html}"
    );

    let page = server.get("/some/path");
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains(r#"<p id="url">/some/path</p>"#),
        "{}",
        page.text()
    );
    assert_eq!(page.header("x-hiver-cache"), Some("miss"));
    let again = server.get("/some/path");
    let cache = again.header("x-hiver-cache").unwrap_or_default();
    assert!(cache.starts_with("hit"), "the page cache is on: {cache:?}");

    let script = server.get("/assets/main-1a2b3c.js");
    assert_eq!(script.status, 200);
    let file = std::fs::read(fixture("site/dist/assets/main-1a2b3c.js")).expect("fixture");
    assert_eq!(script.body, file);

    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    let info = format!(r#"hiver_driver_info{{driver="{driver_name}"}} 1"#);
    assert!(text.contains(&info), "{info} not in {text}");
    assert!(text.contains("hiver_ssr_renders_total"), "{text}");
    assert!(text.contains("hiver_http_requests_total"), "{text}");

    assert!(server.interrupt().success());
}

fn interrupt_drains_and_exits_zero(driver: &str, _: &str) {
    let server = start(driver, &site_args());
    assert_eq!(server.get("/").status, 200);
    // An idle connection must not hold the shutdown up: it is closed, then the process ends.
    let mut idle = server.idle_connection();
    let status = server.interrupt();
    assert!(status.success(), "{status:?}");
    let mut rest = Vec::new();
    assert_eq!(idle.read_to_end(&mut rest).ok(), Some(0), "{rest:?}");
}

fn default_props_carry_the_path(driver: &str, _: &str) {
    let bundle = fixture("site/server.js").display().to_string();
    let args = [
        "serve",
        "--bundle",
        &bundle,
        "--port",
        "0",
        "--workers",
        "1",
    ];
    let server = start(driver, &args.map(String::from));
    let page = server.get("/docs/intro?utm=x");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(r#"<p id="url">/docs/intro</p>"#), "{html}");
    assert!(html.contains(r#""path":"/docs/intro""#), "{html}");
    assert!(
        !html.contains("/assets/"),
        "no manifest, no asset tags: {html}"
    );
    assert!(server.interrupt().success());
}

/// `workers`, `driver` and `metrics.path` set in the file, overridden by variables, then
/// `workers` again by a flag; observed in the server's own metrics.
fn file_then_environment_then_flags(driver: &str, driver_name: &str) {
    let other = if driver == "epoll" { "uring" } else { "epoll" };
    let dir = scratch(&format!("precedence-{driver}"));
    let bundle = fixture("site/server.js");
    let config = format!(
        "[server]\nport = 0\nworkers = 3\ndriver = \"{other}\"\n\n[ssr]\nbundle = '{}'\n\n\
         [metrics]\npath = \"/file-metrics\"\n",
        bundle.display()
    );
    std::fs::write(dir.join("hiver.toml"), config).expect("write hiver.toml");
    let config = dir.join("hiver.toml").display().to_string();
    let info = format!(r#"hiver_driver_info{{driver="{driver_name}"}} 1"#);

    // Flag over variable over file.
    let mut command = hiver(&["serve", "--config", &config, "--workers", "1"]);
    command
        .env("HIVER_DRIVER", driver)
        .env("HIVER_WORKERS", "2");
    command.env("HIVER_METRICS_PATH", "/env-metrics");
    let server = Server::start(command);
    let text = server.get("/env-metrics").text();
    assert!(text.contains("hiver_workers 1\n"), "{text}");
    assert!(text.contains(&info), "{text}");
    let page = server.get("/file-metrics").text();
    assert!(page.contains(r#"<p id="url">/file-metrics</p>"#), "{page}");
    assert!(server.interrupt().success());

    // Variable over file.
    let mut command = hiver(&["serve", "--config", &config]);
    command
        .env("HIVER_DRIVER", driver)
        .env("HIVER_WORKERS", "2");
    let server = Server::start(command);
    let text = server.get("/file-metrics").text();
    assert!(text.contains("hiver_workers 2\n"), "{text}");
    assert!(text.contains(&info), "{text}");
    assert!(server.interrupt().success());

    // The file alone (found as ./hiver.toml), but for the driver this case runs on.
    let mut command = hiver(&["serve"]);
    command.current_dir(&dir).env("HIVER_DRIVER", driver);
    let server = Server::start(command);
    let text = server.get("/file-metrics").text();
    assert!(text.contains("hiver_workers 3\n"), "{text}");
    assert!(server.interrupt().success());
}

fn metrics_can_be_turned_off(driver: &str, _: &str) {
    let site = site_args();
    let site: Vec<&str> = site.iter().map(String::as_str).collect();
    let mut command = hiver(&site);
    command
        .env("HIVER_DRIVER", driver)
        .env("HIVER_METRICS_ENABLED", "off");
    let server = Server::start(command);
    let page = server.get("/metrics");
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains(r#"<p id="url">/metrics</p>"#),
        "{}",
        page.text()
    );
    assert!(server.interrupt().success());
}

fn a_taken_port_is_a_runtime_failure(driver: &str, _: &str) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let mut args = site_args();
    let at = args.iter().position(|a| a == "--port").expect("--port") + 1;
    args[at] = port.clone();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = hiver(&args);
    command.env("HIVER_DRIVER", driver);
    let finished = support::finish(command);
    finished.assert_error(1, &port);
}

fn static_files_win_over_pages(driver: &str, _: &str) {
    let dir = scratch(&format!("static-{driver}"));
    let public = dir.join("public");
    std::fs::create_dir_all(&public).unwrap();
    std::fs::write(public.join("robots.txt"), "User-agent: *\n").unwrap();
    // Beside the static directory, not in it: never to be served.
    std::fs::write(dir.join("secret.txt"), "do not serve").unwrap();
    let mut args = site_args();
    args.extend(["--static".into(), public.display().to_string()]);
    let server = start(driver, &args);

    let robots = server.get("/robots.txt");
    assert_eq!(robots.status, 200);
    assert_eq!(robots.text(), "User-agent: *\n");
    assert!(robots.header("etag").is_some(), "served by hiver-static");
    // Paths without a file still render through the bundle, / included.
    let page = server.get("/about");
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains(r#"<p id="url">/about</p>"#),
        "{}",
        page.text()
    );
    assert!(server.get("/").text().contains(r#"<p id="url">/</p>"#));
    // Out of the static directory is not one of its files: the page renders instead.
    for escape in ["/..%2fsecret.txt", "/%2e%2e/secret.txt"] {
        let reply = server.get(escape);
        assert!(
            !reply.text().contains("do not serve"),
            "{escape}: {}",
            reply.text()
        );
    }
}
