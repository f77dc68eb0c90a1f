//! Which HTTP version a connection speaks when nothing negotiated it (plain
//! TCP, or TLS without ALPN): read at most the 24 bytes of the HTTP/2
//! prior-knowledge preface, stop at the first byte that differs, and hand
//! the bytes read back to hyper through `Prefixed`, which replays them before
//! reading on from the stream. The caller bounds `sniff` in time; hyper-util's
//! own sniff has no timeout, so a silent client would hold a connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A stream with up to 24 already-read bytes to replay first.
pub(crate) struct Prefixed<S> {
    head: [u8; 24],
    pos: usize,
    len: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    /// Nothing to replay: the protocol was chosen without reading.
    pub fn new(inner: S) -> Self {
        Prefixed {
            head: [0; 24],
            pos: 0,
            len: 0,
            inner,
        }
    }
}

/// Reads until the bytes seen are the whole h2 preface (`Some(true)`) or
/// stop matching it (`Some(false)`, HTTP/1). `None`: the peer closed before
/// sending anything.
pub(crate) async fn sniff<S: AsyncRead + Unpin>(
    mut stream: S,
) -> io::Result<Option<(Prefixed<S>, bool)>> {
    let mut head = [0u8; 24];
    let mut len = 0;
    let is_h2 = loop {
        let read = stream.read(&mut head[len..]).await?;
        if read == 0 {
            if len == 0 {
                return Ok(None);
            }
            break false;
        }
        len += read;
        if head[..len] != H2_PREFACE[..len] {
            break false;
        }
        if len == H2_PREFACE.len() {
            break true;
        }
    };
    Ok(Some((
        Prefixed {
            head,
            pos: 0,
            len,
            inner: stream,
        },
        is_h2,
    )))
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos < this.len {
            let take = (this.len - this.pos).min(buf.remaining());
            buf.put_slice(&this.head[this.pos..this.pos + take]);
            this.pos += take;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sniff_all(chunks: &[&[u8]]) -> Option<(bool, Vec<u8>)> {
        let mut mock = tokio_test_reader(chunks);
        let (mut prefixed, is_h2) = sniff(&mut mock).await.unwrap()?;
        let mut replayed = Vec::new();
        prefixed.read_to_end(&mut replayed).await.unwrap();
        Some((is_h2, replayed))
    }

    /// A reader that returns each chunk from its own read call.
    fn tokio_test_reader(chunks: &[&[u8]]) -> impl AsyncRead + Unpin {
        let chunks: Vec<Vec<u8>> = chunks.iter().map(|c| c.to_vec()).collect();
        let (client, mut server) = tokio::io::duplex(1024);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for chunk in chunks {
                server.write_all(&chunk).await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        client
    }

    #[tokio::test]
    async fn http1_is_told_apart_at_the_first_byte_and_replayed_whole() {
        let request = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
        let (is_h2, replayed) = sniff_all(&[request]).await.unwrap();
        assert!(!is_h2);
        assert_eq!(replayed, request);
    }

    #[tokio::test]
    async fn a_preface_split_over_reads_is_h2() {
        let mut sent = H2_PREFACE.to_vec();
        sent.extend_from_slice(b"\0\0\0\x04\0\0\0\0\0");
        let (is_h2, replayed) = sniff_all(&[&sent[..3], &sent[3..20], &sent[20..]])
            .await
            .unwrap();
        assert!(is_h2);
        assert_eq!(replayed, sent);
    }

    #[tokio::test]
    async fn a_method_sharing_the_first_letter_is_http1() {
        let (is_h2, replayed) = sniff_all(&[b"PR", b"OPFIND / HTTP/1.1\r\n\r\n"])
            .await
            .unwrap();
        assert!(!is_h2);
        assert_eq!(replayed, b"PROPFIND / HTTP/1.1\r\n\r\n");
        assert!(sniff_all(&[]).await.is_none());
    }
}
