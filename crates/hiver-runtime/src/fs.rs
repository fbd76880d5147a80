//! Files read on the runtime's driver.
//!
//! On io_uring a read goes through the ring (`IORING_OP_READ`): a file in the page cache is
//! read when the loop turn submits it, and one that has to come from the disk is read by
//! the kernel while the worker serves its other connections. On epoll it is a `pread` on
//! the worker (regular files are never "not ready" to epoll), which waits for the disk.

use std::{fs::File, io, os::fd::AsFd, sync::Arc};

use crate::{
    rt,
    sys::{
        self, Driver,
        uring::{ReadPayload, Uring},
    },
};

/// The most one read asks for (the kernel's own limit on a read is about 2 GiB).
const READ_MAX: usize = 1 << 30;

/// Reads up to `len` bytes of `file` at `offset`, appending them to `buf` (which grows to
/// have the room). Returns how many bytes were read, 0 at the end of the file, and the
/// buffer. The file's position is not used or moved, so one open file can serve many
/// reads at once.
///
/// Dropping the future before it completes is safe: on io_uring the read is cancelled, and
/// its buffer and the file stay held until the kernel lets go of them.
///
/// # Errors
///
/// The read error; the buffer comes back as it was.
///
/// # Panics
///
/// Outside a Hiver runtime.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// use hiver_runtime::{Runtime, fs};
///
/// let path = std::env::temp_dir().join(format!("hiver-fs-doc-{}", std::process::id()));
/// std::fs::write(&path, b"hello, ring").unwrap();
/// let file = Arc::new(std::fs::File::open(&path).unwrap());
/// let read = Runtime::new().unwrap().block_on(fs::read_at(file, Vec::new(), 7, 64));
/// let (n, buf) = (read.0.unwrap(), read.1);
/// assert_eq!((n, &buf[..]), (4, &b"ring"[..]));
/// std::fs::remove_file(&path).unwrap();
/// ```
pub async fn read_at(
    file: Arc<File>,
    mut buf: Vec<u8>,
    offset: u64,
    len: usize,
) -> (io::Result<usize>, Vec<u8>) {
    let len = len.min(READ_MAX);
    let core = rt::current();
    match &core.driver {
        Driver::Uring(u) => {
            buf.reserve(len);
            let key = u.submit_read_at(ReadPayload { file, buf }, offset, len as u32);
            let (res, payload) = u.in_flight(key, Uring::poll_read_op).await;
            (res, payload.buf)
        }
        Driver::Epoll(_) => loop {
            match sys::pread_spare(file.as_fd(), &mut buf, offset, len) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return (res, buf),
            }
        },
    }
}

/// A sealed in-memory file (`memfd`) holding `bytes`, named `name` (the name shows in
/// `/proc/PID/fd`, nothing else). Its pages are always resident, so sending it with
/// `sendfile(2)` never waits for a disk, and the kernel hands its pages to the socket
/// without the user-space copy a send of the bytes would make. It is sealed against
/// writes, shrinking and growing: a range of it stays valid for as long as the file is
/// open.
///
/// # Errors
///
/// `memfd_create`, the write or the seal failed (no memory, or the descriptor limit).
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::FileExt;
///
/// let file = hiver_runtime::fs::memory_file("page", b"<p>cached</p>").unwrap();
/// let mut buf = [0; 6];
/// file.read_exact_at(&mut buf, 3).unwrap();
/// assert_eq!(&buf, b"cached");
/// assert!(file.write_at(b"x", 0).is_err());
/// ```
pub fn memory_file(name: &str, bytes: &[u8]) -> io::Result<File> {
    use rustix::fs::{MemfdFlags, SealFlags};
    use std::os::unix::fs::FileExt;
    let fd = rustix::fs::memfd_create(name, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)?;
    let file = File::from(fd);
    file.write_all_at(bytes, 0)?;
    rustix::fs::fcntl_add_seals(
        &file,
        SealFlags::WRITE | SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL,
    )?;
    Ok(file)
}

/// Whether all `len` bytes of `file` from `offset` are in the page cache now
/// (`cachestat(2)`), so that `sendfile` would not wait for a disk; `None` where the kernel
/// cannot say (before Linux 6.5). Pages can still be evicted right after the answer.
///
/// # Examples
///
/// ```
/// use hiver_runtime::fs::{in_page_cache, memory_file};
///
/// let file = memory_file("doc", &[7; 10_000]).unwrap();
/// // A memfd's pages are always resident; a range past its end is not. A kernel that
/// // cannot say answers neither.
/// match (in_page_cache(&file, 0, 10_000), in_page_cache(&file, 0, 100_000)) {
///     (Some(true), Some(false)) | (None, None) => {}
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn in_page_cache(file: &File, offset: u64, len: u64) -> Option<bool> {
    sys::range_cached(file.as_fd(), offset, len)
}
