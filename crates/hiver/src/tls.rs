//! HTTPS: a certificate chain and private key from PEM files, reloadable
//! while the server runs (feature `tls`).
//!
//! [`TlsConfig::from_pem_files`] loads and checks the pair;
//! [`Server::tls`](crate::Server::tls) serves it. The server speaks TLS 1.2
//! and 1.3 (rustls, ring provider) and advertises only `http/1.1` by ALPN: a
//! client that offers only other protocols (`h2`) is refused during the
//! handshake.
//!
//! **Reload.** [`TlsConfig::reload`] reads the same files again and, if they
//! hold a valid pair, makes new handshakes use it; connections already open
//! keep their session. A server that handles signals (the default for
//! [`Server::run`](crate::Server::run)) also reloads on `SIGHUP`. A failed
//! reload keeps the certificate in use.
//!
//! # Examples
//!
//! ```no_run
//! use hiver::routing::get;
//! use hiver::tls::TlsConfig;
//! use hiver::{Router, Server};
//!
//! let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
//! let app = Router::new().route("/", get(|| async { "hello over TLS" }));
//! // `kill -HUP <pid>` after replacing the files switches certificates.
//! Server::bind("0.0.0.0:443").tls(tls).run(app)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The TLS library, for [`TlsConfig::server_config`] and for clients in tests.
pub use hiver_http::rustls;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, ServerConfig};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and private key loaded from PEM files, ready to
/// serve; cheap to clone (clones share the certificate, and a reload through
/// one is seen by all).
#[derive(Clone)]
pub struct TlsConfig {
    inner: Arc<Inner>,
}

struct Inner {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    resolver: Arc<Resolver>,
    server: Arc<ServerConfig>,
}

/// Hands every handshake the current certificate; swapped by a reload.
#[derive(Debug)]
struct Resolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl Resolver {
    fn current(&self) -> Arc<CertifiedKey> {
        // A poisoned lock still holds a complete `Arc`: the swap cannot panic halfway.
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn set(&self, key: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = key;
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

impl TlsConfig {
    /// Loads the certificate chain (`cert_path`: PEM `CERTIFICATE` blocks, the
    /// server's own first) and its private key (`key_path`: the first PKCS#8,
    /// PKCS#1 or SEC1 PEM key), and checks that they belong together.
    ///
    /// # Errors
    ///
    /// A [`TlsError`] naming the file and what is wrong with it: unreadable,
    /// no certificate, no private key, a key of an unsupported kind, or a key
    /// that does not match the certificate.
    pub fn from_pem_files(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Result<TlsConfig, TlsError> {
        let cert_path = cert_path.as_ref().to_path_buf();
        let key_path = key_path.as_ref().to_path_buf();
        // ring rather than aws-lc-rs (which needs cmake and builds slowly);
        // rustls deprecates it only for its lack of post-quantum key exchange.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = load(&cert_path, &key_path, &provider)?;
        let resolver = Arc::new(Resolver {
            current: RwLock::new(Arc::new(key)),
        });
        let mut server = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .map_err(|e| TlsError::new(&cert_path, Problem::Config(e)))?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig {
            inner: Arc::new(Inner {
                cert_path,
                key_path,
                provider,
                resolver,
                server: Arc::new(server),
            }),
        })
    }

    /// Reads the same two files again and, if they hold a valid pair, serves
    /// it to every new handshake; connections already open keep their
    /// session.
    ///
    /// # Errors
    ///
    /// As [`from_pem_files`](TlsConfig::from_pem_files); the certificate in
    /// use is kept.
    pub fn reload(&self) -> Result<(), TlsError> {
        let inner = &self.inner;
        let key = load(&inner.cert_path, &inner.key_path, &inner.provider)?;
        inner.resolver.set(Arc::new(key));
        Ok(())
    }

    /// The certificate chain file.
    pub fn cert_path(&self) -> &Path {
        &self.inner.cert_path
    }

    /// The private key file.
    pub fn key_path(&self) -> &Path {
        &self.inner.key_path
    }

    /// The rustls configuration the connections are served with.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.inner.server)
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert_path", &self.inner.cert_path)
            .field("key_path", &self.inner.key_path)
            .finish_non_exhaustive()
    }
}

/// Reads and checks the pair.
fn load(
    cert_path: &Path,
    key_path: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let cert_pem = read(cert_path)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new(cert_path, Problem::Pem(e)))?;
    if certs.is_empty() {
        return Err(TlsError::new(cert_path, Problem::NoCertificate));
    }
    let key_pem = read(key_path)?;
    let key = match PrivateKeyDer::from_pem_slice(&key_pem) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => return Err(TlsError::new(key_path, Problem::NoKey)),
        Err(e) => return Err(TlsError::new(key_path, Problem::Pem(e))),
    };
    CertifiedKey::from_der(certs, key, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::new(key_path, Problem::KeyMismatch),
        rustls::Error::InvalidCertificate(_) => {
            TlsError::new(cert_path, Problem::BadCertificate(e))
        }
        e => TlsError::new(key_path, Problem::BadKey(e)),
    })
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::new(path, Problem::Read(e)))
}

/// Why a certificate or key could not be loaded: the file and what is wrong
/// with it.
#[derive(Debug)]
pub struct TlsError {
    path: PathBuf,
    problem: Problem,
}

#[derive(Debug)]
enum Problem {
    Read(io::Error),
    Pem(pem::Error),
    NoCertificate,
    NoKey,
    BadKey(rustls::Error),
    BadCertificate(rustls::Error),
    KeyMismatch,
    Config(rustls::Error),
}

/// What [`TlsError::kind`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The file could not be read (missing, not permitted).
    Read,
    /// The file is not valid PEM.
    Pem,
    /// The certificate file holds no `CERTIFICATE` block.
    NoCertificate,
    /// The key file holds no private key.
    NoKey,
    /// The key is of a kind the provider cannot sign with, or corrupt.
    BadKey,
    /// The certificate could not be parsed.
    BadCertificate,
    /// The key is not the certificate's.
    KeyMismatch,
    /// The TLS configuration could not be built.
    Config,
}

impl TlsError {
    fn new(path: &Path, problem: Problem) -> Self {
        TlsError {
            path: path.to_path_buf(),
            problem,
        }
    }

    /// The file at fault (the key file for a key that does not match).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What is wrong.
    pub fn kind(&self) -> TlsErrorKind {
        match self.problem {
            Problem::Read(_) => TlsErrorKind::Read,
            Problem::Pem(_) => TlsErrorKind::Pem,
            Problem::NoCertificate => TlsErrorKind::NoCertificate,
            Problem::NoKey => TlsErrorKind::NoKey,
            Problem::BadKey(_) => TlsErrorKind::BadKey,
            Problem::BadCertificate(_) => TlsErrorKind::BadCertificate,
            Problem::KeyMismatch => TlsErrorKind::KeyMismatch,
            Problem::Config(_) => TlsErrorKind::Config,
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.problem {
            Problem::Read(e) => write!(f, "cannot read {path}: {e}"),
            Problem::Pem(e) => write!(f, "{path} is not valid PEM: {e}"),
            Problem::NoCertificate => write!(f, "{path} holds no PEM certificate"),
            Problem::NoKey => write!(f, "{path} holds no PEM private key"),
            Problem::BadKey(e) => write!(f, "the private key in {path} is unusable: {e}"),
            Problem::BadCertificate(e) => write!(f, "the certificate in {path} is unusable: {e}"),
            Problem::KeyMismatch => {
                write!(
                    f,
                    "the private key in {path} does not match the certificate"
                )
            }
            Problem::Config(e) => write!(f, "TLS configuration failed: {e}"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Read(e) => Some(e),
            Problem::Pem(e) => Some(e),
            Problem::BadKey(e) | Problem::BadCertificate(e) | Problem::Config(e) => Some(e),
            Problem::NoCertificate | Problem::NoKey | Problem::KeyMismatch => None,
        }
    }
}

/// Reloads `config` on every `SIGHUP` until the returned handle is closed.
pub(crate) fn reload_on_sighup(config: TlsConfig) -> io::Result<signal_hook::iterator::Handle> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("hiver-tls-reload".into())
        .spawn(move || {
            for _ in signals.forever() {
                match config.reload() {
                    Ok(()) => tracing::info!(cert = %config.cert_path().display(), "SIGHUP: TLS certificate reloaded"),
                    Err(e) => tracing::error!(error = %e, "SIGHUP: TLS reload failed; keeping the current certificate"),
                }
            }
        })?;
    Ok(handle)
}
