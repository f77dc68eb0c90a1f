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

#[derive(Default)]
struct Kept {
    headers: Vec<String>,
    body: Vec<u8>,
}

impl Sink for Kept {
    fn header(&mut self, name: &str, _value: &[u8]) {
        self.headers.push(name.to_string());
    }

    fn body(&mut self, bytes: &[u8]) {
        self.body.extend_from_slice(bytes);
    }
}

#[test]
fn a_sink_gets_the_final_headers_and_the_dechunked_body_in_any_split() {
    let input = b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n\
        HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
    for piece in 1..=input.len() {
        let (mut parser, mut kept, mut pending) =
            (ResponseParser::new(false), Kept::default(), Vec::new());
        for chunk in input.chunks(piece) {
            pending.extend_from_slice(chunk);
            let used = parser.advance_into(&pending, &mut kept).unwrap();
            pending.drain(..used);
        }
        assert!(parser.is_done(), "piece {piece}");
        assert_eq!(kept.headers, ["Transfer-Encoding"], "piece {piece}");
        assert_eq!(kept.body, b"Wikipedia", "piece {piece}");
    }
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
