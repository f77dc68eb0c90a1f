//! The one response body type of the server: whole `Bytes` (static routes,
//! JSON, small or gzipped files) or a file streamed in 64 KiB chunks so a
//! large static file never sits in memory whole.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, ReadBuf};

const CHUNK: usize = 64 * 1024;

#[derive(Debug)]
pub enum ResponseBody {
    Full(Option<Bytes>),
    File(FileStream),
}

impl ResponseBody {
    pub fn empty() -> Self {
        ResponseBody::Full(None)
    }

    pub fn from_static(bytes: &'static [u8]) -> Self {
        ResponseBody::Full(Some(Bytes::from_static(bytes)))
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        ResponseBody::Full((!bytes.is_empty()).then_some(bytes))
    }
}

impl From<String> for ResponseBody {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<Vec<u8>> for ResponseBody {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

/// An open file and how many bytes of it are still to send.
#[derive(Debug)]
pub struct FileStream {
    file: tokio::fs::File,
    remaining: u64,
    buf: Vec<u8>,
}

impl FileStream {
    pub fn new(file: tokio::fs::File, len: u64) -> Self {
        FileStream {
            file,
            remaining: len,
            buf: Vec::new(),
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::File(stream) => {
                if stream.remaining == 0 {
                    return Poll::Ready(None);
                }
                let want = usize::try_from(stream.remaining)
                    .unwrap_or(CHUNK)
                    .min(CHUNK);
                if stream.buf.len() < want {
                    stream.buf.resize(want, 0);
                }
                let mut read_buf = ReadBuf::new(&mut stream.buf[..want]);
                if let Err(err) = ready!(Pin::new(&mut stream.file).poll_read(cx, &mut read_buf)) {
                    return Poll::Ready(Some(Err(err)));
                }
                let filled = read_buf.filled();
                if filled.is_empty() {
                    // The file shrank under us: end early rather than hang.
                    stream.remaining = 0;
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "file shrank while being served",
                    ))));
                }
                stream.remaining -= filled.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(filled)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(bytes) => bytes.is_none(),
            ResponseBody::File(stream) => stream.remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            ResponseBody::File(stream) => SizeHint::with_exact(stream.remaining),
        }
    }
}
