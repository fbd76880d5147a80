//! The one body type, used for requests and responses.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

/// The error a streaming body may yield.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A stream of body chunks. It is not `Send`: it lives on one worker.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + 'static>>;

/// An HTTP message body: empty, one contiguous [`Bytes`], a [`FileRegion`], or a stream of
/// chunks.
///
/// Request bodies are always `Full` (the connection loop reads and de-chunks them,
/// within the body limit, before the handler runs). A `Full` response body reaches
/// the socket without being copied; a `File` one is sent as [`FileRegion`] describes;
/// a `Stream` response body is sent chunked.
pub struct Body {
    kind: Kind,
}

enum Kind {
    Empty,
    Full(Bytes),
    File(FileRegion),
    Stream(BodyStream),
}

/// A byte range of an open file, sent as a response body.
///
/// - Up to 8 KiB: read into memory and sent with its head in one send, on both drivers.
/// - Larger, on epoll: sent with `sendfile(2)`, the kernel handing the file's pages to the
///   socket without a user-space copy.
/// - Larger, on io_uring: with `sendfile(2)` when it cannot wait for a disk: a file made
///   with [`FileRegion::memory`], or a range whose every page is in the page cache
///   (`cachestat(2)`, Linux 6.5). Otherwise read through the ring in reads of at most
///   128 KiB (never whole into memory, the last one sent with the responses queued behind
///   it), so a file that has to come from the disk never blocks the worker.
///
/// The file is shared (`Arc`), so one open file (a `memfd` holding a cached page, a static
/// asset) can answer many requests on every worker at once; each send reads at its own
/// offset, never moving the file's position. The range must stay inside the file while
/// responses are sent from it: a file that shrinks under a response ends that connection
/// (the client sees a short body), never a wrong one.
#[derive(Clone)]
pub struct FileRegion {
    file: Arc<File>,
    offset: u64,
    len: u64,
    /// The file is in memory ([`FileRegion::memory`]): sending it never waits for a disk.
    in_memory: bool,
}

impl FileRegion {
    /// `len` bytes of `file` from `offset`.
    pub fn new(file: Arc<File>, offset: u64, len: u64) -> Self {
        FileRegion {
            file,
            offset,
            len,
            in_memory: false,
        }
    }

    /// `bytes` copied into a sealed in-memory file
    /// ([`hiver_runtime::fs::memory_file`]), the whole of it as the range. Worth it for
    /// bytes that are sent many times and are larger than 8 KiB (a cached page): each
    /// send then skips the copy from user memory into the socket, on both drivers. Each
    /// such region holds a file descriptor while any clone of it lives.
    ///
    /// # Errors
    ///
    /// The file could not be made (no memory, or the descriptor limit).
    pub fn memory(name: &str, bytes: &[u8]) -> io::Result<Self> {
        let file = hiver_runtime::fs::memory_file(name, bytes)?;
        Ok(FileRegion {
            file: Arc::new(file),
            offset: 0,
            len: bytes.len() as u64,
            in_memory: true,
        })
    }

    /// Whether the file is in memory (made by [`FileRegion::memory`]).
    pub fn is_in_memory(&self) -> bool {
        self.in_memory
    }

    /// The whole of `file`, as long as it is now.
    ///
    /// # Errors
    ///
    /// The `fstat` error.
    pub fn whole(file: Arc<File>) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(FileRegion::new(file, 0, len))
    }

    /// The file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The shared handle of the file, for a read that must hold it open.
    pub(crate) fn shared_file(&self) -> &Arc<File> {
        &self.file
    }

    /// Where the range starts in the file.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The range's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads the range into memory (what a middleware that needs the bytes, or an
    /// in-process test client, gets).
    ///
    /// # Errors
    ///
    /// The read error; `UnexpectedEof` if the file ends inside the range.
    pub fn read(&self) -> io::Result<Bytes> {
        let len =
            usize::try_from(self.len).map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, self.offset)?;
        Ok(Bytes::from(buf))
    }
}

impl fmt::Debug for FileRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileRegion")
            .field("offset", &self.offset)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body { kind: Kind::Empty }
    }

    /// A body made of one buffer, shared without copying.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Body::empty();
        }
        Body {
            kind: Kind::Full(bytes),
        }
    }

    /// A body sent from a file (see [`FileRegion`]), framed with
    /// `Content-Length`.
    pub fn file(region: FileRegion) -> Self {
        if region.is_empty() {
            return Body::empty();
        }
        Body {
            kind: Kind::File(region),
        }
    }

    /// A body streamed chunk by chunk; it is sent with `Transfer-Encoding: chunked`
    /// (or closes the connection for HTTP/1.0 clients). Chunks the stream has ready are
    /// sent together (up to 64 KiB at a time); whenever the stream has to wait, what it
    /// yielded so far, the head included, is sent first.
    pub fn stream<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, BoxError>> + 'static,
    {
        Body {
            kind: Kind::Stream(Box::pin(stream)),
        }
    }

    /// The exact length when it is known without polling (empty or full bodies).
    pub fn size_hint(&self) -> Option<u64> {
        match &self.kind {
            Kind::Empty => Some(0),
            Kind::Full(b) => Some(b.len() as u64),
            Kind::File(r) => Some(r.len()),
            Kind::Stream(_) => None,
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.size_hint() == Some(0)
    }

    /// The buffer of a full body, or `None` for a file or a stream. Cheap: no copy.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            Kind::Full(b) => Some(b),
            Kind::Empty | Kind::File(_) | Kind::Stream(_) => None,
        }
    }

    /// The file range of a file body, or `None` for the other kinds.
    pub fn as_file(&self) -> Option<&FileRegion> {
        match &self.kind {
            Kind::File(r) => Some(r),
            _ => None,
        }
    }

    /// Turns the body into its parts for the connection loop.
    pub fn into_inner(self) -> BodyInner {
        match self.kind {
            Kind::Empty => BodyInner::Full(Bytes::new()),
            Kind::Full(b) => BodyInner::Full(b),
            Kind::File(r) => BodyInner::File(r),
            Kind::Stream(s) => BodyInner::Stream(s),
        }
    }

    /// Collects the whole body into one buffer. Full bodies are returned without a copy;
    /// a file range is read.
    ///
    /// # Errors
    ///
    /// Returns the first error the stream yields, or the file's read error.
    pub async fn collect(self) -> Result<Bytes, BoxError> {
        match self.kind {
            Kind::Empty => Ok(Bytes::new()),
            Kind::Full(b) => Ok(b),
            Kind::File(r) => Ok(r.read()?),
            Kind::Stream(mut s) => {
                let mut buf = BytesMut::new();
                while let Some(chunk) = std::future::poll_fn(|cx| s.as_mut().poll_next(cx)).await {
                    buf.extend_from_slice(&chunk?);
                }
                Ok(buf.freeze())
            }
        }
    }
}

/// A body taken apart: what the connection loop writes.
pub enum BodyInner {
    /// One buffer (possibly empty).
    Full(Bytes),
    /// A file range, read through the ring or sent with `sendfile(2)` (never empty).
    File(FileRegion),
    /// Chunks to be sent as they come.
    Stream(BodyStream),
}

impl Stream for Body {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Full(_) => match std::mem::replace(&mut self.kind, Kind::Empty) {
                Kind::Full(b) => Poll::Ready(Some(Ok(b))),
                _ => unreachable!("matched Full above"),
            },
            Kind::File(r) => {
                let read = r.read().map_err(BoxError::from);
                self.kind = Kind::Empty;
                Poll::Ready(Some(read))
            }
            Kind::Stream(s) => s.as_mut().poll_next(cx),
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("Body::Empty"),
            Kind::Full(b) => f.debug_tuple("Body::Full").field(&b.len()).finish(),
            Kind::File(r) => f.debug_tuple("Body::File").field(&r.len()).finish(),
            Kind::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::full(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::full(v)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::full(s)
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::full(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Body::full(Bytes::from_static(s))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::empty()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn file_with(content: &[u8]) -> Arc<File> {
        // A name per call: the tests run in parallel, and each unlinks its file.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("hiver-body-test-{}-{n}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file.write_all(content).unwrap();
        Arc::new(file)
    }

    #[test]
    fn a_file_body_collects_its_range_and_knows_its_length() {
        let file = file_with(b"0123456789");
        let body = Body::file(FileRegion::new(file.clone(), 2, 5));
        assert_eq!(body.size_hint(), Some(5));
        assert!(body.as_bytes().is_none());
        assert_eq!(body.as_file().map(FileRegion::offset), Some(2));
        let rt = hiver_runtime::Runtime::new().unwrap();
        assert_eq!(rt.block_on(body.collect()).unwrap(), &b"23456"[..]);
        assert_eq!(FileRegion::whole(file).unwrap().len(), 10);
    }

    #[test]
    fn a_region_past_the_end_fails_to_read_and_an_empty_one_is_an_empty_body() {
        let file = file_with(b"short");
        let err = FileRegion::new(file.clone(), 3, 10).read().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(Body::file(FileRegion::new(file, 0, 0)).is_empty());
    }
}
