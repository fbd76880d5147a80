//! Which I/O driver a worker runs on, and how the choice is made.

use std::{ffi::OsString, fmt, io, str::FromStr, time::Duration};

/// The environment variable that forces a driver when the [`Builder`](crate::Builder) did not.
pub const DRIVER_ENV: &str = "HIVER_DRIVER";

/// The I/O driver under a worker's runtime.
///
/// `Display` gives `io_uring` / `epoll`; [`FromStr`] accepts `uring`, `io_uring` and `epoll`
/// (the values of the `HIVER_DRIVER` environment variable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Driver {
    /// Linux io_uring: completion based, few syscalls per request.
    IoUring,
    /// Readiness polling (epoll on Linux), used where io_uring is missing or blocked.
    Epoll,
}

impl Driver {
    /// The name used by `Display` and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::IoUring => "io_uring",
            Driver::Epoll => "epoll",
        }
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned when a string names no known [`Driver`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseDriverError {
    value: String,
}

impl ParseDriverError {
    /// The rejected value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ParseDriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown I/O driver {:?} (expected \"uring\", \"io_uring\" or \"epoll\")",
            self.value
        )
    }
}

impl std::error::Error for ParseDriverError {}

impl FromStr for Driver {
    type Err = ParseDriverError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "uring" | "io_uring" => Ok(Driver::IoUring),
            "epoll" => Ok(Driver::Epoll),
            other => Err(ParseDriverError {
                value: other.to_owned(),
            }),
        }
    }
}

/// Interprets the value of `HIVER_DRIVER`: unset or empty means "auto" (`None`).
///
/// Kept pure (the caller reads the variable) so it can be tested without touching the
/// process-global environment.
pub(crate) fn driver_from_env(value: Option<OsString>) -> io::Result<Option<Driver>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Some(text) = value.to_str() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{DRIVER_ENV}={value:?} is not valid UTF-8"),
        ));
    };
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{DRIVER_ENV}: {e}")))
}

/// How each worker's driver is chosen and set up (default: auto, COOP_TASKRUN).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DriverConfig {
    /// `None`: io_uring where the kernel allows it, else epoll.
    pub forced: Option<Driver>,
    /// `forced` came from `HIVER_DRIVER` rather than `Builder::driver`; only for messages.
    pub forced_by_env: bool,
    /// Try SINGLE_ISSUER + DEFER_TASKRUN first (falling back to COOP_TASKRUN where the
    /// kernel refuses it); false goes straight to COOP_TASKRUN. Both with TASKRUN_FLAG:
    /// default ring flags were 25–30 % slower than epoll on this project's VMs, because
    /// every completion interrupted the worker.
    pub defer_taskrun: bool,
    /// How long a wait that sees a completion (io_uring) or an event (epoll) keeps
    /// collecting more before the worker runs: the kernel's minimum wait on io_uring
    /// (implies DEFER_TASKRUN), a sleep and a second `epoll_wait` on epoll. Zero is off.
    pub batch_wait: Duration,
    /// io_uring's provided buffers per worker, a power of two; 0 is the default (1,024).
    /// Only tests set it, to run a ring dry.
    pub ring_buffers: u16,
}

impl DriverConfig {
    /// Explains why a worker's runtime could not be built. A forced io_uring that the kernel
    /// or a seccomp filter refuses otherwise surfaces as a bare "Operation not permitted",
    /// which names neither io_uring nor the setting that disabled the epoll fallback.
    pub fn startup_error(&self, e: io::Error) -> io::Error {
        if self.forced != Some(Driver::IoUring) {
            return e;
        }
        let (by, undo) = if self.forced_by_env {
            (DRIVER_ENV, format!("unset {DRIVER_ENV}"))
        } else {
            ("Builder::driver", "do not force Driver::IoUring".to_owned())
        };
        io::Error::new(
            e.kind(),
            format!(
                "io_uring was requested ({by}) but could not be set up: {e}; \
                 {undo} to fall back to epoll"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_names() {
        assert_eq!("uring".parse::<Driver>(), Ok(Driver::IoUring));
        assert_eq!("io_uring".parse::<Driver>(), Ok(Driver::IoUring));
        assert_eq!("epoll".parse::<Driver>(), Ok(Driver::Epoll));
        assert_eq!(Driver::IoUring.to_string(), "io_uring");
        assert_eq!(Driver::Epoll.to_string(), "epoll");
    }

    #[test]
    fn env_unset_or_empty_is_auto() {
        assert_eq!(driver_from_env(None).unwrap(), None);
        assert_eq!(driver_from_env(Some("".into())).unwrap(), None);
        assert_eq!(
            driver_from_env(Some("epoll".into())).unwrap(),
            Some(Driver::Epoll)
        );
    }

    /// DEFER_TASKRUN only runs completions when the ring's owner waits for them; check that
    /// the cross-thread waker and the timers still wake an idle worker, on both ring
    /// setups and on epoll.
    #[test]
    fn idle_runtimes_are_woken_from_another_thread() {
        for (forced, defer_taskrun, batch_us) in [
            (Driver::IoUring, true, 0),
            (Driver::IoUring, false, 0),
            (Driver::IoUring, false, 200),
            (Driver::Epoll, false, 0),
            (Driver::Epoll, false, 200),
        ] {
            woken_from_another_thread(DriverConfig {
                forced: Some(forced),
                forced_by_env: false,
                defer_taskrun,
                batch_wait: Duration::from_micros(batch_us),
                ..DriverConfig::default()
            });
        }
    }

    /// A wake-up that reaches a sleeping worker within its batch wait is handled once the
    /// batch wait has passed, not at once (a lower bound on time, which a slow machine
    /// cannot break), on both drivers. On io_uring the batch wait starts once wake-ups have
    /// come one by one for a while (`sys::pacer`), so a trickle of messages comes first.
    #[test]
    fn a_batch_wait_holds_a_wake_up_until_it_has_passed() {
        let uring_supported = io_uring::IoUring::new(8)
            .map(|r| r.params().is_feature_min_timeout())
            .unwrap_or(false);
        if !uring_supported {
            eprintln!("io_uring skipped: this kernel has no io_uring minimum wait (Linux 6.12)");
        }
        let drivers = [Driver::IoUring, Driver::Epoll];
        for forced in drivers
            .into_iter()
            .filter(|d| uring_supported || *d == Driver::Epoll)
        {
            let cfg = DriverConfig {
                forced: Some(forced),
                batch_wait: Duration::from_millis(40),
                ..DriverConfig::default()
            };
            let rt = crate::Runtime::with_config(&cfg).unwrap();
            let (tx, mut rx) = crate::channel::channel::<std::time::Instant>();
            let sender = std::thread::spawn(move || {
                for _ in 0..80 {
                    std::thread::sleep(Duration::from_millis(2));
                    tx.send(std::time::Instant::now()).unwrap();
                }
            });
            let longest = rt.block_on(async move {
                let mut longest = Duration::ZERO;
                while let Some(sent) = rx.recv().await {
                    longest = longest.max(sent.elapsed());
                }
                longest
            });
            sender.join().unwrap();
            assert!(
                longest >= Duration::from_millis(20),
                "{forced}: no message waited for the batch wait (longest {longest:?})"
            );
        }
    }

    fn woken_from_another_thread(cfg: DriverConfig) {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = crate::Runtime::with_config(&cfg).unwrap();
            assert_eq!(Some(rt.driver()), cfg.forced);
            let (tx, mut rx) = crate::channel::channel::<u32>();
            let got = rt.block_on(async move {
                crate::time::sleep(std::time::Duration::from_millis(10)).await;
                std::thread::spawn(move || {
                    for i in 0..50 {
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        tx.send(i).unwrap();
                    }
                });
                let mut got = Vec::new();
                while let Some(v) = rx.recv().await {
                    got.push(v);
                }
                got
            });
            done_tx.send(got).unwrap();
        });
        let got = done_rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a DEFER_TASKRUN worker was not woken");
        assert_eq!(got, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn refused_forced_io_uring_names_the_setting_and_keeps_the_kind() {
        let refused = || io::Error::from_raw_os_error(1);
        let by_env = DriverConfig {
            forced: Some(Driver::IoUring),
            forced_by_env: true,
            defer_taskrun: false,
            ..DriverConfig::default()
        };
        let err = by_env.startup_error(refused());
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        let msg = err.to_string();
        assert!(
            msg.starts_with("io_uring was requested (HIVER_DRIVER)"),
            "{msg}"
        );
        assert!(
            msg.contains("could not be set up: Operation not permitted"),
            "{msg}"
        );
        assert!(msg.contains("unset HIVER_DRIVER"), "{msg}");

        let by_builder = DriverConfig {
            forced_by_env: false,
            ..by_env
        };
        let msg = by_builder.startup_error(refused()).to_string();
        assert!(msg.contains("(Builder::driver)"), "{msg}");

        // Auto mode and forced epoll have no io_uring to blame: the error passes through.
        for forced in [None, Some(Driver::Epoll)] {
            let cfg = DriverConfig { forced, ..by_env };
            assert_eq!(
                cfg.startup_error(refused()).to_string(),
                refused().to_string()
            );
        }
    }

    #[test]
    fn env_bad_value_is_invalid_input_naming_it() {
        let err = driver_from_env(Some("kqueue".into())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("kqueue"), "{err}");
        assert!(err.to_string().contains(DRIVER_ENV), "{err}");
    }
}
