//! What the socket tests of this crate share.

/// Generates `uring::<name>` and `epoll::<name>` tests from `fn <name>(driver: Driver)`:
/// every socket case runs under both I/O drivers.
macro_rules! both_drivers {
    ($($name:ident),* $(,)?) => {
        mod uring {
            $(#[test] fn $name() { super::$name(hiver::Driver::IoUring) })*
        }
        mod epoll {
            $(#[test] fn $name() { super::$name(hiver::Driver::Epoll) })*
        }
    };
}
