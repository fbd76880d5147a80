//! Runs the built `hiver` binary: on a fixture site, with a clean environment, reading the
//! address it prints, talking HTTP/1.1 to it over a plain socket.

#![allow(dead_code)] // each test file uses its own part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a start, a request or an exit may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A file or directory under `tests/fixtures`.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

/// A fresh directory of this test's own (removed first if a previous run left it).
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hiver-cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// `hiver ARGS` with no `HIVER_*` variable from the test's environment, quiet logs, and a
/// current directory without `hiver.toml`.
pub fn hiver(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hiver"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("HIVER_")) {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "warn");
    command.current_dir(env!("CARGO_TARGET_TMPDIR"));
    command
}

/// The fixture site's flags: bundle, manifest, props, any free port, one worker.
pub fn site_args() -> Vec<String> {
    let path = |p: &str| fixture(p).display().to_string();
    vec![
        "serve".into(),
        "--bundle".into(),
        path("site/server.js"),
        "--manifest".into(),
        path("site/dist/.vite/manifest.json"),
        "--props".into(),
        path("site/props.json"),
        "--port".into(),
        "0".into(),
        "--workers".into(),
        "1".into(),
    ]
}

/// What a finished `hiver` said.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// The lines `hiver` itself wrote on stderr (`hiver: ...`), logs left out.
    pub fn errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("hiver: "))
            .collect()
    }

    /// Checks the run failed with `code` and one error line containing `text`, no panic.
    pub fn assert_error(&self, code: i32, text: &str) {
        assert_eq!(self.code(), Some(code), "{self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        let errors = self.errors();
        assert_eq!(errors.len(), 1, "{self:#?}");
        assert!(errors[0].contains(text), "{text:?} not in {:?}", errors[0]);
    }
}

/// Runs `command` to its end (killed after [`PATIENCE`]: a bad-input run must not serve).
pub fn finish(command: Command) -> Finished {
    let mut child = spawn(command);
    let read_all = |mut stream: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = stream.read_to_string(&mut text);
            text
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("piped")));
    let stderr = read_all(Box::new(child.stderr.take().expect("piped")));
    let status = wait(&mut child);
    // The pipes close when the process ends, so the readers end too.
    Finished {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Starts `command` with no input and both outputs piped.
fn spawn(mut command: Command) -> Child {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hiver")
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&line);
                text.push('\n');
            }
        }
    });
    text
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("hiver did not exit within {PATIENCE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A `hiver serve` that printed its address.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    /// Later stdout lines (nothing is expected after the address).
    _stdout: Receiver<String>,
}

impl Server {
    /// Starts `command` and waits for `hiver: serving on http://ADDR`.
    pub fn start(command: Command) -> Server {
        let mut child = spawn(command);
        let stderr = collect(child.stderr.take().expect("piped"));
        let stdout = child.stdout.take().expect("piped");
        let (lines, stdout_rx) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let line = match stdout_rx.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = stderr.lock().map(|t| t.clone()).unwrap_or_default();
                panic!("no address from hiver ({e}); stderr:\n{stderr}");
            }
        };
        let addr = line
            .strip_prefix("hiver: serving on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Server {
            child,
            addr,
            stderr,
            _stdout: stdout_rx,
        }
    }

    /// `GET path` on a new connection.
    pub fn get(&self, path: &str) -> Reply {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("read the response");
        Reply::parse(&bytes)
    }

    /// A keep-alive connection that has had one answer (`GET /`) and is now idle.
    pub fn idle_connection(&self) -> TcpStream {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let request = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
        stream.write_all(request.as_bytes()).expect("send");
        let mut bytes = Vec::new();
        let mut buf = [0; 4096];
        loop {
            let n = stream.read(&mut buf).expect("read the response");
            assert!(n > 0, "closed before the response was complete");
            bytes.extend_from_slice(&buf[..n]);
            if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                let reply = Reply::parse(&bytes[..end + 4]);
                let length: usize = reply
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .expect("a Content-Length");
                if bytes.len() >= end + 4 + length {
                    return stream;
                }
            }
        }
    }

    /// SIGINT, then the exit status (the server must have drained and exited).
    pub fn interrupt(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -INT {pid}");
        wait(&mut self.child)
    }

    /// What the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed test must not leave a server running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A response read to its end.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header lines, lowercased names: `name: value`.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn parse(bytes: &[u8]) -> Reply {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete head");
        let head = std::str::from_utf8(&bytes[..end]).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = bytes[end + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    /// The header `name` (lowercase), when present.
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size = std::str::from_utf8(&rest[..line_end]).expect("ASCII");
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .expect("a hex chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}
