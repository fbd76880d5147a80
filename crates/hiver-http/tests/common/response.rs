//! A strict parser for the responses the server writes (RFC 9112 §4–§7).
//!
//! Strict on purpose: a server that writes bare LFs, a bad chunk or two framings fails here.

/// How the response body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: 1xx, 204, 304 (and any response to HEAD).
    None,
    /// `Content-Length`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Read until the server closes.
    Close,
}

/// One parsed response; header names are lower-cased.
#[derive(Debug, Clone)]
pub struct Response {
    pub version: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub framing: Framing,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a comma-separated header (e.g. `Connection`) lists `token`, in any case.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// The body as text (the test service only sends UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why the bytes are not a valid response.
#[derive(Debug)]
pub struct ParseError(pub String);

fn bad<T>(why: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(why.into()))
}

/// Parses one whole response at the start of `buf`; `Ok(None)` means more bytes are needed.
/// Returns the response and how many bytes it used. `head`: the request was HEAD.
pub fn parse_response(buf: &[u8], head: bool) -> Result<Option<(Response, usize)>, ParseError> {
    let Some((mut resp, start)) = parse_head(buf)? else {
        return Ok(None);
    };
    if head {
        return Ok(Some((resp, start)));
    }
    match resp.framing {
        Framing::None => Ok(Some((resp, start))),
        Framing::Length(n) if buf.len() - start >= n => {
            resp.body = buf[start..start + n].to_vec();
            Ok(Some((resp, start + n)))
        }
        Framing::Length(_) | Framing::Close => Ok(None),
        Framing::Chunked => Ok(decode_chunked(&buf[start..])?.map(|(body, used)| {
            resp.body = body;
            (resp, start + used)
        })),
    }
}

/// Parses the status line and headers; returns the response (empty body) and the head length.
pub fn parse_head(buf: &[u8]) -> Result<Option<(Response, usize)>, ParseError> {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        if buf.len() > 64 * 1024 {
            return bad("response head over 64 KiB");
        }
        return Ok(None);
    };
    let head = &buf[..end];
    if has_bare_lf_or_cr(head) {
        return bad("bare CR or LF in the response head");
    }
    let text = std::str::from_utf8(head).or_else(|_| bad("response head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let (version, status) = parse_status_line(lines.next().unwrap_or_default())?;
    let headers = lines.map(parse_field).collect::<Result<Vec<_>, _>>()?;
    let mut resp = Response {
        version,
        status,
        headers,
        framing: Framing::None,
        body: Vec::new(),
    };
    resp.framing = framing(&resp)?;
    Ok(Some((resp, end + 4)))
}

fn has_bare_lf_or_cr(head: &[u8]) -> bool {
    head.iter().enumerate().any(|(i, &b)| match b {
        b'\r' => head.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || head[i - 1] != b'\r',
        _ => false,
    })
}

fn parse_status_line(line: &str) -> Result<(String, u16), ParseError> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return bad(format!("bad status line {line:?}"));
    }
    if parts.next().is_none() || code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return bad(format!("bad status line {line:?}"));
    }
    let status = code.parse().or_else(|_| bad("status code"))?;
    Ok((version.to_owned(), status))
}

fn parse_field(line: &str) -> Result<(String, String), ParseError> {
    let Some((name, value)) = line.split_once(':') else {
        return bad(format!("header line without colon {line:?}"));
    };
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return bad(format!("bad header name {name:?}"));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return bad(format!("control character in header value {value:?}"));
    }
    Ok((name.to_ascii_lowercase(), value.to_owned()))
}

/// RFC 9110 §5.6.2 token characters.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn framing(resp: &Response) -> Result<Framing, ParseError> {
    if (100..200).contains(&resp.status) || resp.status == 204 || resp.status == 304 {
        return Ok(Framing::None);
    }
    let te = resp.header("transfer-encoding");
    let lengths: Vec<&str> = resp
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .map(|(_, v)| v.as_str())
        .collect();
    if te.is_some() && !lengths.is_empty() {
        // RFC 9112 §6.1: a sender MUST NOT send Content-Length with Transfer-Encoding.
        return bad("response has both Transfer-Encoding and Content-Length");
    }
    if let Some(te) = te {
        let last = te.rsplit(',').next().unwrap_or_default().trim();
        return Ok(if last.eq_ignore_ascii_case("chunked") {
            Framing::Chunked
        } else {
            Framing::Close
        });
    }
    match lengths.as_slice() {
        [] => Ok(Framing::Close),
        [one] if !one.is_empty() && one.bytes().all(|b| b.is_ascii_digit()) => one
            .parse()
            .map(Framing::Length)
            .or_else(|_| bad("Content-Length overflows")),
        _ => bad(format!("bad Content-Length {lengths:?}")),
    }
}

/// Decodes a chunked body (RFC 9112 §7.1); `Ok(None)` means more bytes are needed.
pub fn decode_chunked(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, ParseError> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = find(&buf[at..], b"\r\n") else {
            return Ok(None);
        };
        let line = &buf[at..at + eol];
        let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
        let size_text = std::str::from_utf8(size_text).or_else(|_| bad("chunk size not ASCII"))?;
        if size_text.is_empty() || size_text.len() > 15 {
            return bad(format!("bad chunk size {size_text:?}"));
        }
        let size = usize::from_str_radix(size_text, 16)
            .or_else(|_| bad(format!("bad chunk size {size_text:?}")))?;
        at += eol + 2;
        if size == 0 {
            return Ok(trailers_end(&buf[at..]).map(|n| (body, at + n)));
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[at..at + size]);
        if &buf[at + size..at + size + 2] != b"\r\n" {
            return bad("chunk data not followed by CRLF");
        }
        at += size + 2;
    }
}

/// Length of the trailer section including its final empty line, if complete.
fn trailers_end(buf: &[u8]) -> Option<usize> {
    if buf.starts_with(b"\r\n") {
        return Some(2);
    }
    find(buf, b"\r\n\r\n").map(|i| i + 4)
}

/// The first index of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
