//! Test helpers: drive a [`Router`] from plain `#[test]` functions.
//!
//! - [`TestClient`] runs the router **in-process**, without a socket: fast and
//!   deterministic, for handlers, extractors and middleware.
//! - [`TestServer`] starts a **real server** on `127.0.0.1:0` (2 workers) and sends
//!   requests over TCP, for anything that involves the connection loop or a driver.
//!
//! Both build requests the same way and return a [`TestResponse`]. The API is synchronous
//! (do not call it from inside an async runtime). These are test helpers: they panic, with
//! a message saying why, when a request cannot be built or sent.
//!
//! # Examples
//!
//! ```
//! use hiver::routing::post;
//! use hiver::test::TestClient;
//! use hiver::{Json, Router};
//!
//! async fn echo(Json(v): Json<serde_json::Value>) -> Json<serde_json::Value> {
//!     Json(v)
//! }
//!
//! let client = TestClient::new(Router::new().route("/echo", post(echo)));
//! let res = client.post("/echo").json(&serde_json::json!({"a": 1})).send();
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.json::<serde_json::Value>()["a"], 1);
//! ```

use std::net::{Ipv4Addr, SocketAddr};

use bytes::Bytes;
use hiver_http::ConnectionInfo;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::routing::RouterService;
use crate::{Body, Request, Router};

mod server;
mod wire;

pub use server::TestServer;

/// Reads from a socket (one from [`TestServer::open_get`]) until `needle` has arrived, and
/// returns every byte read so far, head included: what a client has seen at that point.
///
/// # Panics
///
/// If the connection closes (or times out, after 10 s) before `needle` arrives; the message
/// shows what did.
pub fn read_until(socket: &mut std::net::TcpStream, needle: &str) -> Vec<u8> {
    wire::read_until(socket, needle.as_bytes()).unwrap_or_else(|e| panic!("read_until: {e}"))
}

/// Sends requests to a router in-process (no socket), on a private single-thread Hiver
/// runtime.
///
/// Requests carry a [`ConnectionInfo`] whose addresses are `127.0.0.1:0` (change the peer
/// with [`TestRequest::peer_addr`]). Responses to `HEAD` lose their body, as on the wire.
pub struct TestClient {
    service: RouterService,
    runtime: hiver_runtime::Runtime,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient").finish_non_exhaustive()
    }
}

/// Where a [`TestRequest`] goes.
#[derive(Debug)]
enum Target<'a> {
    InProcess(&'a TestClient),
    Socket(SocketAddr),
}

macro_rules! method_shortcuts {
    ($($name:ident => $method:ident),*) => {
        $(
            #[doc = concat!("Starts a `", stringify!($method), "` request to `path`.")]
            pub fn $name(&self, path: &str) -> TestRequest<'_> {
                self.request(Method::$method, path)
            }
        )*
    };
}
pub(crate) use method_shortcuts;

impl TestClient {
    /// A client for `router`.
    ///
    /// # Panics
    ///
    /// If the runtime cannot be created (no io_uring and no epoll).
    pub fn new(router: Router) -> Self {
        let runtime = hiver_runtime::Runtime::new()
            .unwrap_or_else(|e| panic!("TestClient: cannot create a runtime: {e}"));
        TestClient {
            service: router.into_service(),
            runtime,
        }
    }

    /// Starts a request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest::new(Target::InProcess(self), method, path)
    }

    method_shortcuts!(get => GET, post => POST, put => PUT, delete => DELETE,
        patch => PATCH, head => HEAD, options => OPTIONS);

    fn send(&self, mut req: Request, peer_addr: SocketAddr) -> TestResponse {
        let local_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        req.extensions_mut().insert(ConnectionInfo {
            peer_addr,
            local_addr,
        });
        let is_head = req.method() == Method::HEAD;
        let res = self.runtime.block_on(async {
            let res = self.service.dispatch(req).await;
            let (parts, body) = res.into_parts();
            match body.collect().await {
                Ok(bytes) => (parts, bytes),
                Err(e) => panic!("TestClient: the response body stream failed: {e}"),
            }
        });
        let (parts, body) = res;
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body: if is_head { Bytes::new() } else { body },
        }
    }
}

/// A request being built; [`send`](TestRequest::send) it.
#[derive(Debug)]
#[must_use = "a test request does nothing until sent"]
pub struct TestRequest<'a> {
    target: Target<'a>,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
    peer_addr: SocketAddr,
}

impl<'a> TestRequest<'a> {
    fn new(target: Target<'a>, method: Method, path: &str) -> Self {
        TestRequest {
            target,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            peer_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }

    /// Adds a header (repeating a name adds another value).
    ///
    /// # Panics
    ///
    /// If the name or the value is not valid HTTP.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: std::fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: std::fmt::Debug,
    {
        let name = name.try_into().expect("TestRequest::header: invalid name");
        let value = value
            .try_into()
            .expect("TestRequest::header: invalid value");
        self.headers.append(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    ///
    /// # Panics
    ///
    /// If `value` cannot be serialized.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("TestRequest::json: cannot serialize");
        self.header(CONTENT_TYPE, "application/json").body(body)
    }

    /// Sets a urlencoded body and `Content-Type: application/x-www-form-urlencoded`.
    ///
    /// # Panics
    ///
    /// If `value` cannot be urlencoded.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_urlencoded::to_string(value).expect("TestRequest::form: cannot encode");
        self.header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
    }

    /// The peer address in the request's [`ConnectionInfo`] (in-process only; over a
    /// socket the real one is used).
    pub fn peer_addr(mut self, addr: SocketAddr) -> Self {
        self.peer_addr = addr;
        self
    }

    /// Sends the request and waits for the whole response.
    ///
    /// # Panics
    ///
    /// If the path is not a valid URI, or (over a socket) the server cannot be reached,
    /// does not answer within 10 seconds, or answers with something that is not HTTP.
    pub fn send(self) -> TestResponse {
        match self.target {
            Target::InProcess(client) => {
                let mut req = Request::new(Body::full(self.body));
                *req.method_mut() = self.method;
                *req.uri_mut() = self
                    .path
                    .parse()
                    .unwrap_or_else(|e| panic!("TestRequest: invalid path {:?}: {e}", self.path));
                *req.headers_mut() = self.headers;
                client.send(req, self.peer_addr)
            }
            Target::Socket(addr) => {
                wire::send(addr, &self.method, &self.path, &self.headers, &self.body)
            }
        }
    }
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// Takes apart the raw bytes of a whole HTTP/1.1 response to a request other than
    /// `HEAD`, as read from a socket of [`TestServer::open_get`]: the head, and the body by
    /// `Transfer-Encoding: chunked`, `Content-Length` or the end of the connection.
    ///
    /// # Panics
    ///
    /// If the bytes are not such a response (the message says what is wrong).
    pub fn parse(raw: &[u8]) -> TestResponse {
        wire::parse(raw, false).unwrap_or_else(|e| panic!("TestResponse::parse: {e}"))
    }

    /// The status code (compare with a `u16` directly: `assert_eq!(res.status(), 404)`).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of header `name` as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (invalid UTF-8 is replaced with `U+FFFD`).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body bytes.
    pub fn bytes(&self) -> Bytes {
        self.body.clone()
    }

    /// The body deserialized from JSON.
    ///
    /// # Panics
    ///
    /// If the body is not JSON of type `T` (the message includes the body).
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("TestResponse::json: {e}; body was {:?}", self.text()))
    }
}
