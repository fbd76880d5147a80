//! Opening a connection: TCP, the start-up message and authentication (SCRAM-SHA-256, MD5
//! or cleartext), up to the first `ReadyForQuery`.

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use hiver_runtime::net::TcpStream;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;

use crate::config::Config;
use crate::error::{Error, Kind};

/// A connection ready for queries, with whatever the server sent after `ReadyForQuery`.
pub(crate) struct Opened {
    pub(crate) stream: TcpStream,
    pub(crate) leftover: BytesMut,
}

pub(crate) async fn open(config: &Config) -> Result<Opened, Error> {
    let addr = config.socket_addr()?;
    let stream = TcpStream::connect(addr).await.map_err(|e| {
        Error::new(Kind::Connect, format!("cannot connect to {addr}")).with_source(e)
    })?;
    let mut conn = Startup {
        stream,
        rbuf: BytesMut::with_capacity(8 * 1024),
        wbuf: BytesMut::new(),
        config,
        scram: None,
    };
    conn.run().await?;
    Ok(Opened {
        stream: conn.stream,
        leftover: conn.rbuf,
    })
}

struct Startup<'a> {
    stream: TcpStream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    config: &'a Config,
    scram: Option<ScramSha256>,
}

fn lost(e: std::io::Error) -> Error {
    Error::new(Kind::Connect, "the connection was lost during start-up").with_source(e)
}

fn auth(why: &str) -> Error {
    Error::new(Kind::Auth, why)
}

impl Startup<'_> {
    async fn run(&mut self) -> Result<(), Error> {
        let c = self.config;
        let db = c.dbname.as_deref().unwrap_or(&c.user);
        let params = [
            ("user", c.user.as_str()),
            ("database", db),
            ("client_encoding", "UTF8"),
            ("application_name", "hiver-pg"),
        ];
        frontend::startup_message(params, &mut self.wbuf).map_err(|e| {
            Error::new(Kind::Config, "the user or database name contains a NUL").with_source(e)
        })?;
        self.flush().await?;
        loop {
            match self.next().await? {
                Message::AuthenticationOk
                | Message::ParameterStatus(_)
                | Message::BackendKeyData(_)
                | Message::NoticeResponse(_) => {}
                Message::ReadyForQuery(_) => return Ok(()),
                Message::AuthenticationCleartextPassword => {
                    let pw = self.password()?.to_owned();
                    self.send_password(pw.as_bytes()).await?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let hash =
                        md5_hash(c.user.as_bytes(), self.password()?.as_bytes(), body.salt());
                    self.send_password(hash.as_bytes()).await?;
                }
                Message::AuthenticationSasl(body) => {
                    let mut mechanisms = body.mechanisms();
                    let mut scram = false;
                    while let Some(m) = mechanisms.next().map_err(protocol)? {
                        scram |= m == SCRAM_SHA_256;
                    }
                    if !scram {
                        return Err(auth(
                            "the server offers no SASL mechanism this client speaks",
                        ));
                    }
                    let sc = ScramSha256::new(
                        self.password()?.as_bytes(),
                        ChannelBinding::unsupported(),
                    );
                    frontend::sasl_initial_response(SCRAM_SHA_256, sc.message(), &mut self.wbuf)
                        .map_err(protocol)?;
                    self.scram = Some(sc);
                    self.flush().await?;
                }
                Message::AuthenticationSaslContinue(body) => {
                    let sc = self
                        .scram
                        .as_mut()
                        .ok_or_else(|| protocol_msg("SASL continue before SASL start"))?;
                    sc.update(body.data())
                        .map_err(|e| auth("bad SCRAM server message").with_source(e))?;
                    frontend::sasl_response(sc.message(), &mut self.wbuf).map_err(protocol)?;
                    self.flush().await?;
                }
                Message::AuthenticationSaslFinal(body) => {
                    let sc = self
                        .scram
                        .as_mut()
                        .ok_or_else(|| protocol_msg("SASL final before SASL start"))?;
                    sc.finish(body.data()).map_err(|e| {
                        auth("the server's SCRAM signature does not verify").with_source(e)
                    })?;
                }
                Message::ErrorResponse(body) => {
                    let e = Error::db(Kind::Connect, &body);
                    // Class 28: invalid authorization (wrong password, no such role, no hba entry).
                    let is_auth = e.code().is_some_and(|c| c.starts_with("28"));
                    return Err(if is_auth { e.into_kind(Kind::Auth) } else { e });
                }
                Message::AuthenticationKerberosV5
                | Message::AuthenticationScmCredential
                | Message::AuthenticationGss
                | Message::AuthenticationSspi
                | Message::AuthenticationGssContinue(_) => {
                    return Err(auth(
                        "the server asks for an authentication method this client does not speak",
                    ));
                }
                _ => return Err(protocol_msg("unexpected message during start-up")),
            }
        }
    }

    fn password(&self) -> Result<&str, Error> {
        self.config
            .password
            .as_deref()
            .ok_or_else(|| auth("the server asks for a password and none is configured"))
    }

    async fn send_password(&mut self, pw: &[u8]) -> Result<(), Error> {
        frontend::password_message(pw, &mut self.wbuf)
            .map_err(|e| Error::new(Kind::Config, "the password contains a NUL").with_source(e))?;
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), Error> {
        let out = self.wbuf.split().freeze();
        self.stream.write_all(out).await.map_err(lost)
    }

    async fn next(&mut self) -> Result<Message, Error> {
        loop {
            if let Some(msg) = Message::parse(&mut self.rbuf).map_err(protocol)? {
                return Ok(msg);
            }
            if self.rbuf.capacity() - self.rbuf.len() < 1024 {
                self.rbuf.reserve(8 * 1024);
            }
            if self.stream.read(&mut self.rbuf).await.map_err(lost)? == 0 {
                return Err(Error::new(
                    Kind::Connect,
                    "the server closed the connection during start-up",
                ));
            }
        }
    }
}

fn protocol(e: std::io::Error) -> Error {
    Error::new(Kind::Protocol, "malformed message from the server").with_source(e)
}

fn protocol_msg(why: &str) -> Error {
    Error::new(Kind::Protocol, why)
}
