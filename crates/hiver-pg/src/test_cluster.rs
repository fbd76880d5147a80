//! A throwaway PostgreSQL cluster for tests: `initdb` in a temporary directory, the server on
//! a free port of 127.0.0.1, stopped by its PID and deleted on drop. A developer's own
//! database is never touched.
//!
//! The server binaries are taken from `PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`
//! (Debian's layout), else `PATH`. Run as root, the cluster runs as the `postgres` user
//! (PostgreSQL refuses to run as root).
//!
//! The superuser is `postgres`, password `postgres`; TCP logins use SCRAM-SHA-256, the
//! cluster's Unix socket (used by [`TestCluster::psql`]) trusts everyone;
//! `pg_stat_statements` is preloaded.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::Config;

/// A running throwaway cluster; see the [module docs](self).
#[derive(Debug)]
pub struct TestCluster {
    bin: PathBuf,
    /// The temporary directory: `data/`, the Unix socket, `server.log`.
    dir: PathBuf,
    port: u16,
    /// Run the server and initdb as this user (set when the tests run as root).
    run_as: Option<String>,
    /// The server while it runs (`runuser` when `run_as` is set).
    server: Option<Child>,
}

/// The directory holding `initdb` and `postgres`, if PostgreSQL is installed.
pub fn bin_dir() -> Option<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(d) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return has(&d).then_some(d);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, d)| has(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return Some(d);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|d| has(d))
}

fn other(msg: String) -> io::Error {
    io::Error::other(msg)
}

impl TestCluster {
    /// Creates and starts a cluster.
    ///
    /// # Errors
    ///
    /// No PostgreSQL installed, or `initdb` or the server failing (the server's log is in
    /// the message).
    pub fn start() -> io::Result<TestCluster> {
        let bin = bin_dir().ok_or_else(|| {
            other("no PostgreSQL found (install postgresql or set PG_BIN)".into())
        })?;
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hiver-pg-test-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let root = std::fs::metadata("/proc/self")?.uid() == 0;
        let run_as = root.then(|| "postgres".to_owned());
        let mut cluster = TestCluster {
            bin,
            dir,
            port: free_port()?,
            run_as,
            server: None,
        };
        if let Some(user) = &cluster.run_as {
            let uid = id_of(user, "-u")?;
            let gid = id_of(user, "-g")?;
            std::os::unix::fs::chown(&cluster.dir, Some(uid), Some(gid))?;
        }
        cluster.init()?;
        // The free port can be taken by another test between the probe and the server's
        // bind: then the server exits, and another port is tried.
        let mut tries = 0;
        loop {
            match cluster.start_server() {
                Err(_) if tries < 3 && cluster.server.is_none() => {
                    tries += 1;
                    cluster.port = free_port()?;
                }
                started => return started.map(|()| cluster),
            }
        }
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn init(&self) -> io::Result<()> {
        let pwfile = self.dir.join("pwfile");
        std::fs::write(&pwfile, "postgres\n")?;
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(&pwfile, Some(id_of(user, "-u")?), None)?;
        }
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args([
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(other(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        self.write_hba(&[])
    }

    /// Writes `pg_hba.conf`: `extra` lines first, then SCRAM for TCP on 127.0.0.1 and trust
    /// on the Unix socket. Call [`reload`](Self::reload) for a running server to read it.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn write_hba(&self, extra: &[&str]) -> io::Result<()> {
        let mut hba = String::new();
        for line in extra {
            hba.push_str(line);
            hba.push('\n');
        }
        hba.push_str("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n");
        std::fs::write(self.dir.join("data/pg_hba.conf"), hba)
    }

    /// Makes the running server read its configuration files again.
    ///
    /// # Errors
    ///
    /// As [`psql`](Self::psql).
    pub fn reload(&self) -> io::Result<()> {
        self.psql("postgres", "SELECT pg_reload_conf()").map(drop)
    }

    fn start_server(&mut self) -> io::Result<()> {
        let log = std::fs::File::create(self.dir.join("server.log"))?;
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-c")
            .arg("listen_addresses=127.0.0.1")
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            .args(["-c", "shared_preload_libraries=pg_stat_statements"])
            .args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.psql("postgres", "SELECT 1").is_ok() {
                return Ok(());
            }
            if let Some(status) = self
                .server
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.server = None;
                return Err(other(format!(
                    "the server exited ({status}): {}",
                    self.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(other(format!(
            "the server did not start in 30 s: {}",
            self.log()
        )))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Stops the server (fast shutdown: sessions are ended, connections closed) and waits
    /// for it; the data stays. [`restart`](Self::restart) brings it back on the same port.
    ///
    /// # Errors
    ///
    /// The signal cannot be sent.
    pub fn stop(&mut self) -> io::Result<()> {
        let Some(mut child) = self.server.take() else {
            return Ok(());
        };
        // The postmaster's PID is the first line of postmaster.pid (the child may be runuser).
        let pid = std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().map(str::to_owned))
            .unwrap_or_else(|| child.id().to_string());
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        child.kill()?;
        child.wait().map(drop)
    }

    /// Stops the server and starts it again on the same port.
    ///
    /// # Errors
    ///
    /// As [`stop`](Self::stop) and [`start`](Self::start).
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop()?;
        self.start_server()
    }

    /// Starts the server again after [`stop`](Self::stop).
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn resume(&mut self) -> io::Result<()> {
        match self.server {
            Some(_) => Ok(()),
            None => self.start_server(),
        }
    }

    /// The server's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's TCP address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// A client configuration for this cluster.
    pub fn config(&self, user: &str, password: &str, dbname: &str) -> Config {
        Config::new()
            .port(self.port)
            .user(user)
            .password(password)
            .dbname(dbname)
    }

    /// Runs `sql` as the superuser in `dbname` with `psql` (over the Unix socket), stopping
    /// at the first error; returns what it printed (unaligned, tuples only).
    ///
    /// # Errors
    ///
    /// `psql` failing, with its error output.
    pub fn psql(&self, dbname: &str, sql: &str) -> io::Result<String> {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "postgres",
            ])
            .arg("-h")
            .arg(&self.dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-d", dbname, "-c", sql])
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(other(format!(
                "psql: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

fn id_of(user: &str, flag: &str) -> io::Result<u32> {
    let out = Command::new("id").args([flag, user]).output()?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            other(format!(
                "no user {user} to run PostgreSQL as (tests run as root)"
            ))
        })
}
