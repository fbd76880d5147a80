//! Where and as whom to connect.

use std::net::{SocketAddr, ToSocketAddrs};
use std::str::FromStr;
use std::time::Duration;

use crate::error::{Error, Kind};

/// Connection settings: address, credentials, database.
///
/// # Examples
///
/// ```
/// use hiver_pg::Config;
///
/// let url: Config = "postgres://benchmarkdbuser:benchmarkdbpass@127.0.0.1:5432/hello_world"
///     .parse()
///     .unwrap();
/// let built = Config::new()
///     .host("127.0.0.1")
///     .user("benchmarkdbuser")
///     .password("benchmarkdbpass")
///     .dbname("hello_world");
/// assert_eq!(url, built);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: Option<String>,
    pub(crate) dbname: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) query_timeout: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// 127.0.0.1:5432, user `postgres`, no password, the database named like the user,
    /// a connect timeout of 5 seconds, no query timeout.
    pub fn new() -> Config {
        Config {
            host: "127.0.0.1".into(),
            port: 5432,
            user: "postgres".into(),
            password: None,
            dbname: None,
            connect_timeout: Duration::from_secs(5),
            query_timeout: None,
        }
    }

    /// The server's host name or IP address (TCP only).
    pub fn host(mut self, host: impl Into<String>) -> Config {
        self.host = host.into();
        self
    }

    /// The server's port.
    pub fn port(mut self, port: u16) -> Config {
        self.port = port;
        self
    }

    /// The user to log in as.
    pub fn user(mut self, user: impl Into<String>) -> Config {
        self.user = user.into();
        self
    }

    /// The password (for SCRAM-SHA-256, MD5 or cleartext authentication).
    pub fn password(mut self, password: impl Into<String>) -> Config {
        self.password = Some(password.into());
        self
    }

    /// The database (default: the user's name).
    pub fn dbname(mut self, dbname: impl Into<String>) -> Config {
        self.dbname = Some(dbname.into());
        self
    }

    /// How long a connection attempt, start-up and authentication included, may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// How long the server may stay silent while answers are owed before the connection is
    /// given up: the queries in flight fail with [`Error::is_timeout`](crate::Error::is_timeout)
    /// and the client reconnects. A long pipeline that keeps answering never trips it; one
    /// query running longer than this does. Default: none (wait as long as the server takes).
    pub fn query_timeout(mut self, timeout: Duration) -> Config {
        self.query_timeout = Some(timeout);
        self
    }

    /// Resolves the host. An IP address needs no lookup; a name is looked up with the
    /// system resolver, which blocks the calling thread.
    pub(crate) fn socket_addr(&self) -> Result<SocketAddr, Error> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| {
                Error::new(Kind::Connect, format!("cannot resolve {}", self.host)).with_source(e)
            })?
            .next()
            .ok_or_else(|| Error::new(Kind::Connect, format!("{} has no address", self.host)))
    }
}

impl FromStr for Config {
    type Err = Error;

    /// Parses `postgres://user:password@host:port/dbname` (or `postgresql://`); every part
    /// after the scheme is optional, user and password may be percent-encoded, and query
    /// parameters are not supported.
    fn from_str(url: &str) -> Result<Config, Error> {
        let bad = |why: &str| Error::new(Kind::Config, format!("bad database URL: {why}"));
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| bad("it must start with postgres://"))?;
        if rest.contains('?') {
            return Err(bad("query parameters are not supported"));
        }
        let (authority, dbname) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let mut config = Config::new();
        if let Some(userinfo) = userinfo {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            config.user =
                percent_decode(user).ok_or_else(|| bad("bad percent-encoding in the user"))?;
            if let Some(p) = password {
                config.password = Some(
                    percent_decode(p).ok_or_else(|| bad("bad percent-encoding in the password"))?,
                );
            }
        }
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("bad host:port"))?;
        if !host.is_empty() {
            config.host = host.to_owned();
        }
        if let Some(port) = port {
            config.port = port
                .parse()
                .map_err(|_| bad("the port must be a number up to 65535"))?;
        }
        if !dbname.is_empty() {
            config.dbname = Some(
                percent_decode(dbname)
                    .ok_or_else(|| bad("bad percent-encoding in the database"))?,
            );
        }
        Ok(config)
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    Some(match s.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("dbname", &self.dbname)
            .field("connect_timeout", &self.connect_timeout)
            .field("query_timeout", &self.query_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_url() {
        let c: Config = "postgresql://u%40x:p%3Aw@db.example:6543/my%20db"
            .parse()
            .unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_deref()),
            ("u@x", Some("p:w"))
        );
        assert_eq!((c.host.as_str(), c.port), ("db.example", 6543));
        assert_eq!(c.dbname.as_deref(), Some("my db"));
    }

    #[test]
    fn fills_defaults_and_takes_ipv6() {
        let c: Config = "postgres://[::1]".parse().unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str()),
            ("::1", 5432, "postgres")
        );
        assert_eq!((c.password.as_deref(), c.dbname.as_deref()), (None, None));
        let c: Config = "postgres://[::1]:7/d".parse().unwrap();
        assert_eq!((c.port, c.dbname.as_deref()), (7, Some("d")));
    }

    #[test]
    fn rejects_what_it_cannot_use_with_a_config_error() {
        for url in [
            "mysql://x",
            "postgres://h:99999",
            "postgres://h:port",
            "postgres://u%zz@h",
            "postgres://h/db?sslmode=disable",
            "postgres://[::1",
        ] {
            let err = url.parse::<Config>().unwrap_err();
            assert!(err.is_config(), "{url}: {err:?}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let c = Config::new().password("secret");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
