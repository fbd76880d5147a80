//! A real server on a loopback port, for socket-level tests.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use hiver_runtime::{Driver, ServerHandle};
use http::Method;

use super::{Target, TestRequest, method_shortcuts, wire};
use crate::{Router, Server};

/// A real Hiver server on `127.0.0.1:<free port>` with 2 unpinned workers, shut down
/// gracefully when dropped.
///
/// # Examples
///
/// ```no_run
/// use hiver::routing::get;
/// use hiver::test::TestServer;
/// use hiver::Router;
///
/// let server = TestServer::start(Router::new().route("/", get(|| async { "hi" })));
/// let res = server.get("/").send();
/// assert_eq!(res.text(), "hi");
/// println!("also reachable at {}", server.url("/"));
/// ```
#[derive(Debug)]
pub struct TestServer {
    /// Stopped and joined in `Drop`.
    handle: ServerHandle,
}

impl TestServer {
    /// Starts `router` on the default driver (`HIVER_DRIVER`, else auto).
    ///
    /// # Panics
    ///
    /// If the server cannot start.
    pub fn start(router: Router) -> Self {
        TestServer::from_server(Server::bind("127.0.0.1:0"), router)
    }

    /// Starts `router` on a forced I/O driver.
    ///
    /// # Panics
    ///
    /// If the server cannot start (io_uring refused by the kernel, say).
    pub fn with_driver(router: Router, driver: Driver) -> Self {
        TestServer::from_server(Server::bind("127.0.0.1:0").driver(driver), router)
    }

    fn from_server(server: Server, router: Router) -> Self {
        let handle = server
            .workers(2)
            .pin_workers(false)
            .handle_signals(false)
            .drain_timeout(Duration::from_secs(5))
            .start(router)
            .unwrap_or_else(|e| panic!("TestServer: cannot start: {e}"));
        TestServer { handle }
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    /// The I/O driver the workers run on.
    pub fn driver(&self) -> Driver {
        self.handle.driver()
    }

    /// Starts a request with any method, sent over TCP with `Connection: close`.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest::new(Target::Socket(self.addr()), method, path)
    }

    method_shortcuts!(get => GET, post => POST, put => PUT, delete => DELETE,
        patch => PATCH, head => HEAD, options => OPTIONS);

    /// Sends `GET path` with `Connection: close` on a connection of its own and returns the
    /// socket unread, for tests that watch a response arrive piece by piece (a streamed
    /// page, a client that stops reading or leaves). Read it with [`read_until`] and
    /// `Read::read_to_end`; [`TestResponse::parse`] takes the bytes apart.
    ///
    /// [`read_until`]: super::read_until
    /// [`TestResponse::parse`]: super::TestResponse::parse
    ///
    /// # Panics
    ///
    /// If the server cannot be reached or the request cannot be written.
    pub fn open_get(&self, path: &str) -> TcpStream {
        wire::open(self.addr(), &Method::GET, path)
            .unwrap_or_else(|e| panic!("TestServer: GET {path} failed: {e}"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Err(e) = self.handle.wait() {
            tracing::warn!(error = %e, "TestServer stopped with an error");
        }
    }
}
