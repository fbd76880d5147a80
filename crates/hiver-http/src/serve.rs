//! The public entry point of the connection loop.

use std::rc::Rc;

use hiver_runtime::Connection;

use crate::proto::h1::Conn;
use crate::{Http1Config, Service};

/// Serves HTTP/1.1 on one accepted connection until it closes.
///
/// Requests are answered in order, pipelined ones included: every complete
/// request already received is answered before the responses are written,
/// together, in one vectored write. Request bodies (`Content-Length` or
/// chunked) are read in full, up to the configured limit, before `service`
/// is called; each request carries a [`ConnectionInfo`](crate::ConnectionInfo)
/// extension. Malformed requests get their status (400, 413, 414, 431, 501,
/// 505, ...) and the connection closes. Timeouts and limits come from `config`.
///
/// On graceful shutdown (the connection's [`Shutdown`](hiver_runtime::Shutdown)),
/// an idle connection closes at once and a request in flight is answered with
/// `Connection: close`.
///
/// Never panics on client input; I/O errors end the connection quietly.
pub async fn serve_connection<S: Service>(
    conn: Connection,
    service: Rc<S>,
    config: Rc<Http1Config>,
) {
    Conn::new(conn, service, config).run().await;
}
