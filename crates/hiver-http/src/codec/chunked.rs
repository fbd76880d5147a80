//! Incremental decoder for the chunked transfer coding (RFC 9112 §7.1).

use bytes::BytesMut;

use super::ParseError;
use super::line::is_tchar;

/// The longest chunk-size line (size and extensions) accepted.
const MAX_SIZE_LINE: usize = 4 * 1024;
/// The most trailer-section bytes accepted (they are read and dropped).
const MAX_TRAILERS: usize = 16 * 1024;

/// Decodes a chunked body fed in pieces of any size, down to single bytes.
///
/// Chunk extensions are accepted and ignored, as are trailer fields. Every
/// line must end in CRLF; sizes are hexadecimal without sign or prefix, and
/// one that overflows `u64` or pushes the body past the limit is refused.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// What is left of the current chunk's data.
    remaining: u64,
    /// Decoded bytes so far, checked against `max_body`.
    total: u64,
    max_body: u64,
    /// Bytes of the current size line or of the whole trailer section.
    line_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SizeStart,
    Size,
    SizeWs,
    Ext,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    EndLf,
    Done,
}

impl ChunkedDecoder {
    /// A decoder for a body of at most `max_body` decoded bytes.
    pub fn new(max_body: u64) -> Self {
        ChunkedDecoder {
            state: State::SizeStart,
            remaining: 0,
            total: 0,
            max_body,
            line_len: 0,
        }
    }

    /// Whether the last chunk and the trailer section have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from `input`, appending chunk data to `out`, and returns how
    /// many bytes of `input` it consumed. It stops right after the final CRLF:
    /// what follows belongs to the next request and is left unconsumed.
    ///
    /// # Errors
    ///
    /// [`ParseError::InvalidChunk`] for malformed framing,
    /// [`ParseError::BodyTooLarge`] when a chunk would exceed the limit,
    /// [`ParseError::HeadTooLarge`] for an oversized trailer section.
    pub fn decode(&mut self, input: &[u8], out: &mut BytesMut) -> Result<usize, ParseError> {
        let mut pos = 0;
        while pos < input.len() && self.state != State::Done {
            if self.state == State::Data {
                let take = usize::try_from(self.remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len() - pos);
                out.extend_from_slice(&input[pos..pos + take]);
                pos += take;
                self.remaining -= take as u64;
                if self.remaining == 0 {
                    self.state = State::DataCr;
                }
            } else {
                self.step(input[pos])?;
                pos += 1;
            }
        }
        Ok(pos)
    }

    fn step(&mut self, b: u8) -> Result<(), ParseError> {
        use State::*;
        self.count_line_byte()?;
        self.state = match (self.state, b) {
            (SizeStart | Size, _) if b.is_ascii_hexdigit() => self.push_digit(b)?,
            (Size | SizeWs, b' ' | b'\t') => SizeWs,
            (Size | SizeWs, b';') => Ext,
            (Size, b'\r') => SizeLf,
            (Ext, b'\r') => SizeLf,
            (Ext, _) if is_field_byte(b) => Ext,
            (SizeLf, b'\n') => self.end_size_line()?,
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => SizeStart,
            (TrailerStart, b'\r') => EndLf,
            (TrailerStart | TrailerName, _) if is_tchar(b) => TrailerName,
            (TrailerName, b':') => TrailerValue,
            (TrailerValue, b'\r') => TrailerLf,
            (TrailerValue, _) if is_field_byte(b) => TrailerValue,
            (TrailerLf, b'\n') => TrailerStart,
            (EndLf, b'\n') => Done,
            _ => return Err(ParseError::InvalidChunk),
        };
        Ok(())
    }

    fn count_line_byte(&mut self) -> Result<(), ParseError> {
        use State::*;
        match self.state {
            SizeStart | Size | SizeWs | Ext | SizeLf => {
                self.line_len += 1;
                if self.line_len > MAX_SIZE_LINE {
                    return Err(ParseError::InvalidChunk);
                }
            }
            TrailerStart | TrailerName | TrailerValue | TrailerLf | EndLf => {
                self.line_len += 1;
                if self.line_len > MAX_TRAILERS {
                    return Err(ParseError::HeadTooLarge);
                }
            }
            Data | DataCr | DataLf | Done => {}
        }
        Ok(())
    }

    fn push_digit(&mut self, b: u8) -> Result<State, ParseError> {
        // `b` is a hex digit (checked by the caller's guard).
        let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
        self.remaining = self
            .remaining
            .checked_mul(16)
            .and_then(|n| n.checked_add(digit))
            .ok_or(ParseError::InvalidChunk)?;
        Ok(State::Size)
    }

    fn end_size_line(&mut self) -> Result<State, ParseError> {
        self.line_len = 0;
        if self.remaining == 0 {
            return Ok(State::TrailerStart);
        }
        self.total = self
            .total
            .checked_add(self.remaining)
            .filter(|&t| t <= self.max_body)
            .ok_or(ParseError::BodyTooLarge)?;
        Ok(State::Data)
    }
}

/// A byte allowed in a field value or a chunk extension: VCHAR, SP, HTAB,
/// obs-text. CR, LF and the other controls are not.
fn is_field_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(wire: &[u8], max: u64) -> Result<(Vec<u8>, usize), ParseError> {
        let mut d = ChunkedDecoder::new(max);
        let mut out = BytesMut::new();
        let used = d.decode(wire, &mut out)?;
        assert!(d.is_done(), "not done after {wire:?}");
        Ok((out.to_vec(), used))
    }

    fn one_byte_at_a_time(wire: &[u8]) -> Result<(Vec<u8>, usize), ParseError> {
        let mut d = ChunkedDecoder::new(u64::MAX);
        let mut out = BytesMut::new();
        let mut used = 0;
        for i in 0..wire.len() {
            used += d.decode(&wire[i..=i], &mut out)?;
            if d.is_done() {
                break;
            }
        }
        Ok((out.to_vec(), used))
    }

    #[test]
    fn decodes_whole_and_byte_by_byte() {
        let wire =
            b"5\r\nhello\r\n1;ext=\"a b\"\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nGET";
        let expected = b"hello 0123456789".to_vec();
        assert_eq!(
            decode_all(wire, u64::MAX).unwrap(),
            (expected.clone(), wire.len() - 3)
        );
        assert_eq!(
            one_byte_at_a_time(wire).unwrap(),
            (expected, wire.len() - 3)
        );
    }

    #[test]
    fn stops_at_the_end_of_the_body() {
        let (data, used) = decode_all(b"0\r\n\r\n0\r\n\r\n", 10).unwrap();
        assert!(data.is_empty());
        assert_eq!(used, 5);
    }

    #[test]
    fn malformed_framing_is_refused() {
        let cases: [&[u8]; 14] = [
            b"\r\n",                       // no size
            b"x\r\n",                      // not hex
            b"-1\r\n",                     // signed
            b"0x5\r\nhello\r\n0\r\n\r\n",  // prefix
            b"5 \r\nhello\r\n0\r\n\r\n",   // whitespace without extension
            b" 5\r\nhello\r\n0\r\n\r\n",   // leading whitespace
            b"5\nhello\r\n0\r\n\r\n",      // bare LF after size
            b"5\r\nhelloX\r\n0\r\n\r\n",   // data longer than size
            b"5\r\nhello\n0\r\n\r\n",      // bare LF after data
            b"5\r\nhello\r\n0\r\n\n",      // bare LF at end
            b"5;a\0b\r\nhello\r\n",        // NUL in extension
            b"0\r\n bad: trailer\r\n\r\n", // folded trailer
            b"0\r\nbad trailer\r\n\r\n",   // trailer without colon
            b"10000000000000000\r\n",      // overflows u64
        ];
        for wire in cases {
            let mut out = BytesMut::new();
            let err = ChunkedDecoder::new(u64::MAX).decode(wire, &mut out);
            assert_eq!(
                err,
                Err(ParseError::InvalidChunk),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn body_limit_is_checked_at_the_size_line() {
        let mut out = BytesMut::new();
        let mut d = ChunkedDecoder::new(8);
        assert_eq!(d.decode(b"5\r\nhello\r\n", &mut out), Ok(10));
        assert_eq!(d.decode(b"4\r\n", &mut out), Err(ParseError::BodyTooLarge));
        assert_eq!(
            decode_all(b"8\r\n12345678\r\n0\r\n\r\n", 8).unwrap().0,
            b"12345678"
        );
    }

    #[test]
    fn endless_lines_are_refused() {
        let mut out = BytesMut::new();
        let long_ext = [b"1;".as_slice(), &[b'a'; MAX_SIZE_LINE]].concat();
        assert_eq!(
            ChunkedDecoder::new(10).decode(&long_ext, &mut out),
            Err(ParseError::InvalidChunk)
        );
        let zeros = vec![b'0'; MAX_SIZE_LINE + 1];
        assert_eq!(
            ChunkedDecoder::new(10).decode(&zeros, &mut out),
            Err(ParseError::InvalidChunk)
        );
        let trailers = [b"0\r\nX: ".as_slice(), &[b'a'; MAX_TRAILERS]].concat();
        assert_eq!(
            ChunkedDecoder::new(10).decode(&trailers, &mut out),
            Err(ParseError::HeadTooLarge)
        );
    }
}
