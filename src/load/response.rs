//! Incremental HTTP/1.1 response framing. Bytes read from a socket are fed
//! in whatever pieces they arrive; the parser consumes the head (status and
//! the headers that decide framing), then the body by Content-Length, chunked
//! coding (with extensions and trailers) or until EOF, and says when one
//! response is complete. Body bytes are counted and dropped, never copied.
//! It never allocates: headers are parsed into a stack array.

/// Headers beyond this many make the response malformed (wrk allows 100).
const MAX_HEADERS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// The bytes are not an HTTP/1.x response.
    Malformed,
    /// The peer closed before the response was complete.
    Truncated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Body { remaining: u64 },
    ChunkSize,
    ChunkData { remaining: u64 },
    ChunkDataEnd,
    Trailers,
    UntilEof,
    Done,
}

/// One response in progress on one connection; `reset` before each request.
#[derive(Debug)]
pub(crate) struct ResponseParser {
    state: State,
    head_request: bool,
    status: u16,
    close: bool,
    wire_bytes: u64,
}

impl ResponseParser {
    pub(crate) fn new(head_request: bool) -> Self {
        ResponseParser {
            state: State::Head,
            head_request,
            status: 0,
            close: false,
            wire_bytes: 0,
        }
    }

    /// Readies the parser for the response to the next request (a HEAD
    /// response has no body whatever its headers say).
    pub(crate) fn reset(&mut self, head_request: bool) {
        self.head_request = head_request;
        self.state = State::Head;
        self.status = 0;
        self.close = false;
        self.wire_bytes = 0;
    }

    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    /// The server asked to close (or the framing needs EOF): reconnect after.
    pub(crate) fn must_close(&self) -> bool {
        self.close
    }

    /// Status line, headers and body as they were on the wire.
    pub(crate) fn wire_bytes(&self) -> u64 {
        self.wire_bytes
    }

    /// Consumes as much of `buf` as belongs to this response; returns how
    /// many bytes were used. Bytes left over belong to whatever comes next
    /// (an incomplete head, or data past the end of this response).
    pub(crate) fn advance(&mut self, buf: &[u8]) -> Result<usize, ParseError> {
        let mut used = 0;
        while used < buf.len() && self.state != State::Done {
            let rest = &buf[used..];
            let step = match self.state {
                State::Head => self.parse_head(rest)?,
                State::Body { remaining } => {
                    let take = remaining.min(rest.len() as u64);
                    self.state = match remaining - take {
                        0 => State::Done,
                        left => State::Body { remaining: left },
                    };
                    take as usize
                }
                State::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((n, 0))) => {
                        self.state = State::Trailers;
                        n
                    }
                    Ok(httparse::Status::Complete((n, size))) => {
                        self.state = State::ChunkData { remaining: size };
                        n
                    }
                    Ok(httparse::Status::Partial) => 0,
                    Err(_) => return Err(ParseError::Malformed),
                },
                State::ChunkData { remaining } => {
                    let take = remaining.min(rest.len() as u64);
                    self.state = match remaining - take {
                        0 => State::ChunkDataEnd,
                        left => State::ChunkData { remaining: left },
                    };
                    take as usize
                }
                State::ChunkDataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        self.state = State::ChunkSize;
                        2
                    }
                    [b'\r'] => 0,
                    _ => return Err(ParseError::Malformed),
                },
                State::Trailers => {
                    let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                    match httparse::parse_headers(rest, &mut trailers) {
                        Ok(httparse::Status::Complete((n, _))) => {
                            self.state = State::Done;
                            n
                        }
                        Ok(httparse::Status::Partial) => 0,
                        Err(_) => return Err(ParseError::Malformed),
                    }
                }
                State::UntilEof => rest.len(),
                State::Done => 0,
            };
            if step == 0 {
                break; // need more bytes
            }
            used += step;
        }
        self.wire_bytes += used as u64;
        Ok(used)
    }

    /// The peer closed the connection: only a body framed by EOF ends well.
    pub(crate) fn on_eof(&mut self) -> Result<(), ParseError> {
        match self.state {
            State::UntilEof => {
                self.state = State::Done;
                Ok(())
            }
            State::Done => Ok(()),
            _ => Err(ParseError::Truncated),
        }
    }

    fn parse_head(&mut self, buf: &[u8]) -> Result<usize, ParseError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let head_len = match response.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(0),
            Err(_) => return Err(ParseError::Malformed),
        };
        let status = response.code.ok_or(ParseError::Malformed)?;
        let mut close = response.version == Some(0);
        let mut content_length: Option<u64> = None;
        let mut chunked = false;
        let mut transfer_encoded = false;
        for header in response.headers.iter() {
            let name = header.name;
            if name.eq_ignore_ascii_case("content-length") {
                let value = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|text| text.trim().parse::<u64>().ok())
                    .ok_or(ParseError::Malformed)?;
                if content_length.is_some_and(|seen| seen != value) {
                    return Err(ParseError::Malformed);
                }
                content_length = Some(value);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                transfer_encoded = true;
                // Chunked must be the final coding to frame the body.
                chunked = header
                    .value
                    .rsplit(|&b| b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if name.eq_ignore_ascii_case("connection") {
                for token in header.value.split(|&b| b == b',') {
                    let token = token.trim_ascii();
                    if token.eq_ignore_ascii_case(b"close") {
                        close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        close = false;
                    }
                }
            }
        }
        if (100..200).contains(&status) && status != 101 {
            // Interim response: the real one follows on the same connection.
            return Ok(head_len);
        }
        self.status = status;
        self.close = close;
        let no_body = self.head_request || status == 101 || status == 204 || status == 304;
        self.state = if no_body {
            State::Done
        } else if transfer_encoded {
            if chunked {
                State::ChunkSize
            } else {
                self.close = true;
                State::UntilEof
            }
        } else {
            match content_length {
                Some(0) => State::Done,
                Some(n) => State::Body { remaining: n },
                None => {
                    self.close = true;
                    State::UntilEof
                }
            }
        };
        if status == 101 {
            self.close = true;
        }
        Ok(head_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `piece` bytes, as a socket would, keeping
    /// unconsumed bytes like the connection's buffer does.
    fn feed(input: &[u8], piece: usize, head: bool) -> Result<(ResponseParser, usize), ParseError> {
        let mut parser = ResponseParser::new(head);
        let mut pending: Vec<u8> = Vec::new();
        let mut offered = 0;
        while !parser.is_done() {
            if offered == input.len() {
                parser.on_eof()?;
                break;
            }
            let end = (offered + piece).min(input.len());
            pending.extend_from_slice(&input[offered..end]);
            offered = end;
            let used = parser.advance(&pending)?;
            pending.drain(..used);
        }
        Ok((parser, pending.len()))
    }

    fn every_split(input: &[u8], head: bool) -> ResponseParser {
        let mut last = None;
        for piece in 1..=input.len() {
            let (parser, left) = feed(input, piece, head).unwrap();
            assert!(parser.is_done(), "piece {piece}");
            assert_eq!(left, 0, "piece {piece}");
            assert_eq!(parser.wire_bytes(), input.len() as u64, "piece {piece}");
            last = Some(parser);
        }
        last.unwrap()
    }

    #[test]
    fn content_length_in_any_split() {
        let parser = every_split(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false);
        assert_eq!(parser.status(), 200);
        assert!(!parser.must_close());
    }

    #[test]
    fn chunked_with_extensions_and_trailers_in_any_split() {
        let input = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n\
            4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let parser = every_split(input, false);
        assert_eq!(parser.status(), 201);
        let plain = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        every_split(plain, false);
    }

    #[test]
    fn no_body_cases() {
        every_split(b"HTTP/1.1 204 No Content\r\n\r\n", false);
        every_split(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
            false,
        );
        let parser = every_split(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true);
        assert_eq!(parser.status(), 200);
        let parser = every_split(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            false,
        );
        assert_eq!(parser.status(), 200);
    }

    #[test]
    fn close_and_eof_framing() {
        let parser = every_split(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
            false,
        );
        assert!(parser.must_close());
        let parser = every_split(b"HTTP/1.0 200 OK\r\n\r\nuntil eof", false);
        assert!(parser.must_close());
        let parser = every_split(
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            false,
        );
        assert!(!parser.must_close());
    }

    #[test]
    fn pipelined_bytes_are_left_for_the_next_response() {
        let mut parser = ResponseParser::new(false);
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1";
        let used = parser.advance(input).unwrap();
        assert!(parser.is_done());
        assert_eq!(used, input.len() - 8);
        parser.reset(false);
        assert!(!parser.is_done());
        assert_eq!(parser.wire_bytes(), 0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let malformed: [&[u8]; 6] = [
            b"garbage garbage\r\n\r\n",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
        ];
        for input in malformed {
            let mut parser = ResponseParser::new(false);
            assert_eq!(
                parser.advance(input),
                Err(ParseError::Malformed),
                "{input:?}"
            );
        }
        let (truncated, _) = (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0);
        assert_eq!(feed(truncated, 4, false).err(), Some(ParseError::Truncated));
        assert_eq!(feed(b"", 1, false).err(), Some(ParseError::Truncated));
    }
}
