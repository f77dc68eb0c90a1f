//! The kinds of request failure, counted per kind (failures are data).

/// Why a request produced no response. Failures are data, counted per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    ConnectRefused,
    ConnectTimeout,
    RequestTimeout,
    /// The peer reset or closed the connection before a full response.
    Reset,
    /// The bytes received were not a valid HTTP/1.1 response.
    Malformed,
    /// Any other I/O failure.
    Other,
    /// The TLS handshake failed (untrusted certificate, no shared protocol).
    Tls,
}

impl ErrorKind {
    pub const COUNT: usize = 7;
    pub const ALL: [ErrorKind; ErrorKind::COUNT] = [
        ErrorKind::ConnectRefused,
        ErrorKind::ConnectTimeout,
        ErrorKind::RequestTimeout,
        ErrorKind::Reset,
        ErrorKind::Malformed,
        ErrorKind::Other,
        ErrorKind::Tls,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::RequestTimeout => "request_timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Other => "other",
            ErrorKind::Tls => "tls",
        }
    }
}
