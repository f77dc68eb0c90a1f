//! Incremental HTTP/1.1 response framing. Bytes read from a socket are fed
//! in whatever pieces they arrive; the parser consumes the head (status and
//! the headers that decide framing), then the body by Content-Length, chunked
//! coding (with extensions and trailers) or until EOF, and says when one
//! response is complete. The generator's body bytes are counted and
//! dropped, never copied, and nothing is allocated: headers are parsed into
//! a stack array. A caller that wants the headers and the de-chunked body
//! (the admin client, `server::admin_client`) passes a [`Sink`] to
//! [`ResponseParser::advance_into`]; the generator's `()` sink does nothing
//! and compiles away.

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

/// What a caller keeps of a response besides its framing. Called with the
/// final (not interim) response's headers, then the body's bytes in order,
/// chunk framing removed.
pub(crate) trait Sink {
    fn header(&mut self, _name: &str, _value: &[u8]) {}
    fn body(&mut self, _bytes: &[u8]) {}
}

/// The generator keeps nothing.
impl Sink for () {}

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
        self.advance_into(buf, &mut ())
    }

    /// [`Self::advance`], handing the headers and body to `sink`.
    pub(crate) fn advance_into<S: Sink>(
        &mut self,
        buf: &[u8],
        sink: &mut S,
    ) -> Result<usize, ParseError> {
        let mut used = 0;
        while used < buf.len() && self.state != State::Done {
            let rest = &buf[used..];
            let step = match self.state {
                State::Head => self.parse_head(rest, sink)?,
                State::Body { remaining } => {
                    let take = remaining.min(rest.len() as u64);
                    sink.body(&rest[..take as usize]);
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
                    sink.body(&rest[..take as usize]);
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
                State::UntilEof => {
                    sink.body(rest);
                    rest.len()
                }
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

    fn parse_head<S: Sink>(&mut self, buf: &[u8], sink: &mut S) -> Result<usize, ParseError> {
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
        for header in response.headers.iter() {
            sink.header(header.name, header.value);
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
#[path = "response_tests.rs"]
mod tests;
