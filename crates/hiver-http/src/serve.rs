//! The public entry point of the connection loop.

use std::rc::Rc;

use hiver_runtime::Connection;

use crate::proto::h1::{Conn, Transport};
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
    let transport = Transport::new(conn, config.keep_alive_timeout());
    Conn::new(transport, service, config).run().await;
}

/// Serves HTTP/1.1 over TLS on one accepted connection until it closes.
///
/// The TLS handshake comes first, within the configuration's
/// `header_read_timeout` (a client that stalls it, or that shutdown finds
/// still shaking hands, is dropped); a handshake the TLS layer refuses (no
/// protocol in common, say) ends with its alert. Then it is
/// [`serve_connection`], reading and writing through the session; file
/// bodies are read and encrypted in chunks (no `sendfile`), and a graceful
/// close sends `close_notify`.
///
/// `tls` decides the certificates, versions and ALPN: advertise `http/1.1`
/// (this loop speaks nothing else).
#[cfg(feature = "tls")]
pub async fn serve_tls_connection<S: Service>(
    conn: Connection,
    tls: std::sync::Arc<rustls::ServerConfig>,
    service: Rc<S>,
    config: Rc<Http1Config>,
) {
    let mut transport = Transport::new(conn, config.keep_alive_timeout());
    let deadline = hiver_runtime::time::now() + config.header_read_timeout();
    if !transport.handshake(tls, deadline).await {
        return;
    }
    Conn::new(transport, service, config).run().await;
}
