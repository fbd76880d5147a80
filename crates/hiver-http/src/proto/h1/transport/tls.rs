//! The TLS side of a transport: a rustls server session between the socket
//! and the read buffer. Ciphertext is read into its own buffer and fed to the
//! session; plaintext comes out into the transport's read buffer, which the
//! parser reads as on a plain socket. Outgoing plaintext is encrypted into
//! one buffer and leaves in one write per batch.

use std::io::{self, IoSlice, Read, Write};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use rustls::{ServerConfig, ServerConnection};

use super::{Fill, READ_BUF, Transport, read_socket, write_socket};
use crate::FileRegion;
use hiver_runtime::net::advance;

/// The most pieces handed to the session at a time.
const TLS_IOVECS: usize = 64;
/// The most plaintext moved into the read buffer at a time.
const MAX_PLAINTEXT_READ: usize = 32 * 1024;
/// How much of a file body is read, encrypted and sent at a time.
const FILE_CHUNK: usize = 64 * 1024;

/// A connection's TLS state.
pub(super) struct Session {
    conn: ServerConnection,
    /// Ciphertext read from the socket and not yet fed to the session.
    cipher: BytesMut,
    /// Ciphertext waiting to be written.
    out: BytesMut,
    /// Reused for the one-piece writes of `out`.
    pieces: Vec<Bytes>,
}

/// Why feeding the session stopped.
enum Ended {
    /// No more input: end of stream, timeout or shutdown.
    Input(Fill),
    /// The peer broke the protocol (the alert has been sent).
    Tls(rustls::Error),
}

impl Transport {
    /// Completes a TLS handshake with the client before anything else is
    /// read, within `deadline` (and only until shutdown begins). On success
    /// the transport reads and writes plaintext from then on; on failure
    /// (logged) the connection is to be dropped.
    pub(crate) async fn handshake(&mut self, config: Arc<ServerConfig>, deadline: Instant) -> bool {
        let conn = match ServerConnection::new(config) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "TLS session not created");
                return false;
            }
        };
        self.tls = Some(Box::new(Session {
            conn,
            cipher: BytesMut::with_capacity(READ_BUF),
            out: BytesMut::new(),
            pieces: Vec::with_capacity(1),
        }));
        loop {
            let tls = self.tls.as_deref_mut().expect("set above");
            if tls.conn.wants_write() {
                if !self.flush_tls().await {
                    tracing::trace!("TLS handshake: write failed");
                    return false;
                }
                continue;
            }
            if !tls.conn.is_handshaking() {
                return true;
            }
            match self.feed(deadline, true).await {
                Ok(()) => {}
                Err(Ended::Tls(e)) => {
                    tracing::debug!(peer = %self.conn.peer_addr(), error = %e, "TLS handshake refused");
                    return false;
                }
                Err(Ended::Input(fill)) => {
                    tracing::debug!(peer = %self.conn.peer_addr(), end = ?fill, "TLS handshake not completed");
                    return false;
                }
            }
        }
    }

    /// `read_more` on a TLS connection: plaintext the session holds, else
    /// more ciphertext from the socket, decrypted.
    pub(super) async fn read_tls(&mut self, deadline: Instant, idle: bool) -> Fill {
        loop {
            let tls = self.tls.as_deref_mut().expect("a TLS transport");
            let start = self.buf.len();
            // Zeroed before the session fills it (no unsafe here); a record
            // holds at most 16 KiB, so only that much is worth offering.
            let spare = (self.buf.capacity() - start).min(MAX_PLAINTEXT_READ);
            self.buf.resize(start + spare, 0);
            let read = tls.conn.reader().read(&mut self.buf[start..]);
            match read {
                Ok(n) => {
                    self.buf.truncate(start + n);
                    // 0: the client sent close_notify.
                    return if n == 0 { Fill::Closed } else { Fill::Data };
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.buf.truncate(start),
                Err(e) => {
                    self.buf.truncate(start);
                    tracing::trace!(error = %e, "TLS stream ended");
                    return Fill::Closed;
                }
            }
            match self.feed(deadline, idle).await {
                Ok(()) => {}
                Err(Ended::Tls(_)) => return Fill::Closed,
                Err(Ended::Input(fill)) => return fill,
            }
        }
    }

    /// Feeds the session ciphertext: what is buffered, else what the socket
    /// brings. Writes what the session answers (handshake messages, alerts).
    async fn feed(&mut self, deadline: Instant, idle: bool) -> Result<(), Ended> {
        let tls = self.tls.as_deref_mut().expect("a TLS transport");
        if tls.cipher.is_empty() {
            if tls.cipher.capacity() < super::MIN_READ_SPACE {
                tls.cipher.reserve(super::READ_CHUNK);
            }
            self.sleep.reset(deadline);
            let shutdown = idle.then_some(&self.shutdown);
            let fill =
                read_socket(&mut self.conn, &mut tls.cipher, &mut self.sleep, shutdown).await;
            if fill != Fill::Data {
                return Err(Ended::Input(fill));
            }
        }
        let mut rest = &tls.cipher[..];
        let n = match tls.conn.read_tls(&mut rest) {
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(error = %e, "TLS input refused");
                return Err(Ended::Input(Fill::Closed));
            }
        };
        let _ = tls.cipher.split_to(n);
        if let Err(e) = tls.conn.process_new_packets() {
            tracing::trace!(error = %e, "TLS error");
            // Best effort: the alert that says why.
            self.flush_tls().await;
            return Err(Ended::Tls(e));
        }
        if tls.conn.wants_write() && !self.flush_tls().await {
            return Err(Ended::Input(Fill::Closed));
        }
        Ok(())
    }

    /// Writes the ciphertext the session has ready; false if the connection
    /// is broken or stalled.
    async fn flush_tls(&mut self) -> bool {
        let tls = self.tls.as_deref_mut().expect("a TLS transport");
        while tls.conn.wants_write() {
            if tls.conn.write_tls(&mut (&mut tls.out).writer()).is_err() {
                return false;
            }
        }
        if tls.out.is_empty() {
            return true;
        }
        let mut pieces = std::mem::take(&mut tls.pieces);
        pieces.push(tls.out.split().freeze());
        match write_socket(
            &mut self.conn,
            &mut self.sleep,
            self.write_timeout,
            pieces,
            false,
        )
        .await
        {
            Some(emptied) => {
                if let Some(tls) = self.tls.as_deref_mut() {
                    tls.pieces = emptied;
                }
                true
            }
            None => false,
        }
    }

    /// `write` on a TLS connection: encrypts `pieces` and writes the records.
    /// The pieces go to the session together, so that small ones (a head
    /// and its body, pipelined responses) share records.
    pub(super) async fn write_tls(&mut self, mut pieces: Vec<Bytes>) -> Option<Vec<Bytes>> {
        let mut stuck = false;
        loop {
            let tls = self.tls.as_deref_mut().expect("a TLS transport");
            let mut slices = [IoSlice::new(&[]); TLS_IOVECS];
            let mut count = 0;
            for (slot, piece) in slices
                .iter_mut()
                .zip(pieces.iter().filter(|p| !p.is_empty()))
            {
                *slot = IoSlice::new(piece);
                count += 1;
            }
            if count == 0 {
                break;
            }
            let n = tls.conn.writer().write_vectored(&slices[..count]).ok()?;
            if n > 0 {
                advance(&mut pieces, n);
                stuck = false;
                continue;
            }
            // The session's outgoing buffer is full: write it out. Full
            // again right after means the session takes nothing at all.
            if stuck || !self.flush_tls().await {
                return None;
            }
            stuck = true;
        }
        if !self.flush_tls().await {
            return None;
        }
        pieces.clear();
        Some(pieces)
    }

    /// Hands `data` to the session, writing records out whenever its
    /// outgoing buffer is full.
    async fn encrypt(&mut self, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            let tls = self.tls.as_deref_mut().expect("a TLS transport");
            let n = match tls.conn.writer().write(data) {
                Ok(n) => n,
                Err(_) => return false,
            };
            data = &data[n..];
            if n == 0 && !self.flush_tls().await {
                return false;
            }
        }
        true
    }

    /// `send_file` on a TLS connection: the file is read in bounded chunks,
    /// encrypted and written (no kernel TLS, so no sendfile).
    pub(super) async fn send_file_tls(&mut self, region: &FileRegion) -> bool {
        let (mut offset, mut left) = (region.offset(), region.len());
        let mut chunk = vec![0; FILE_CHUNK.min(usize::try_from(left).unwrap_or(FILE_CHUNK))];
        while left > 0 {
            let want = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = match region.file().read_at(&mut chunk[..want], offset) {
                Ok(0) => {
                    tracing::debug!("file body ended early");
                    return false;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::debug!(error = %e, "file body failed");
                    return false;
                }
            };
            if !self.encrypt(&chunk[..n]).await || !self.flush_tls().await {
                return false;
            }
            offset += n as u64;
            left -= n as u64;
        }
        true
    }

    /// Sends `close_notify`; false if the connection is broken or stalled.
    pub(super) async fn close_notify(&mut self) -> bool {
        if let Some(tls) = self.tls.as_deref_mut() {
            tls.conn.send_close_notify();
        }
        self.flush_tls().await
    }
}
