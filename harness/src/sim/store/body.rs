//! Where an object's bytes live, and reading a byte range of them.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use std::pin::Pin;

use futures::stream::{self, Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::chunks::Chunks;

/// An object's bytes.
#[derive(Debug, Clone)]
pub enum Body {
    /// In memory; clones share the buffer.
    Inline(Bytes),
    /// In memory as segments (a received body larger than one segment, or a completed
    /// multipart upload); clones share them.
    Chunks(Chunks),
    /// A fixture file, read when served. Its size and ETag were taken at load.
    File(Arc<PathBuf>),
    /// A sized object: every byte reads as zero. Lets a scenario hold terabytes of
    /// listings without the bytes; a reader that parses them sees a corrupt file.
    Zeros,
    /// A captured object of which only the first and last bytes are known; any other
    /// byte cannot be served ([`BodyError::Unknown`]). Boxed apart: few objects have one.
    Partial(Arc<Captured>),
}

/// The bytes known of a captured object.
#[derive(Debug)]
pub struct Captured {
    /// The object's first bytes.
    pub head: Bytes,
    /// The object's last bytes.
    pub tail: Bytes,
}

/// A range of a body as far as it goes without waiting ([`Body::range_now`]).
pub enum Ranged<'a> {
    /// Its stream, or why its bytes cannot be served.
    Now(Result<ByteStream, BodyError>),
    /// The fixture file its bytes are read from.
    File(&'a Arc<PathBuf>),
}

/// Why a fixture-backed body cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The fixture file cannot be opened, measured or read.
    #[error("fixture {path} cannot be read: {source}")]
    Io {
        /// The fixture file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The fixture file's size is not the one taken at load, so the object's size and
    /// ETag no longer describe it.
    #[error("fixture {path} changed since the scenario was loaded: it was {expected} bytes and is now {actual}")]
    Changed {
        /// The fixture file.
        path: PathBuf,
        /// Its size in bytes when the scenario was loaded.
        expected: u64,
        /// Its size in bytes now.
        actual: u64,
    },
    /// The range asks for bytes a captured object does not hold.
    #[error("bytes {start}..{end} of this object were not captured; only its first {head} and last {tail} bytes were")]
    Unknown {
        /// First byte asked for.
        start: u64,
        /// One past the last byte asked for.
        end: u64,
        /// Bytes known from the start.
        head: u64,
        /// Bytes known at the end.
        tail: u64,
    },
}

/// A body stream s3s can hold across threads.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static>>;

/// Chunk size for streaming file and zero bodies.
const CHUNK: usize = 64 * 1024;

impl Body {
    /// An in-memory body: one segment stays a plain buffer (no segment list to keep).
    pub fn from_chunks(chunks: Chunks) -> Self {
        match chunks.as_single() {
            Some(bytes) => Self::Inline(bytes),
            None => Self::Chunks(chunks),
        }
    }

    /// Streams bytes `start..end` of an object of `size` bytes (`end <= size`).
    pub async fn stream_range(&self, size: u64, start: u64, end: u64) -> Result<ByteStream, BodyError> {
        let path = match self.range_now(size, start, end) {
            Ranged::Now(now) => return now,
            Ranged::File(path) => path,
        };
        let io = |source| BodyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = tokio::fs::File::open(path.as_path()).await.map_err(io)?;
        let actual = file.metadata().await.map_err(io)?.len();
        if actual != size {
            return Err(BodyError::Changed {
                path: path.to_path_buf(),
                expected: size,
                actual,
            });
        }
        file.seek(std::io::SeekFrom::Start(start)).await.map_err(io)?;
        let reader = file.take(end - start);
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(reader, CHUNK)))
    }

    /// [`Self::stream_range`] as far as it goes without waiting: every body but a
    /// fixture file streams at once. What a caller with no future to await asks.
    pub fn range_now(&self, size: u64, start: u64, end: u64) -> Ranged<'_> {
        Ranged::Now(match self {
            Self::Inline(b) => {
                let slice = b.slice(start as usize..end as usize);
                Ok(Box::pin(stream::once(async move { Ok(slice) })))
            }
            Self::Chunks(c) => Ok(Box::pin(stream::iter(c.range(start, end).map(Ok)))),
            Self::Partial(captured) => {
                let Captured { head, tail } = &**captured;
                let tail_start = size.saturating_sub(tail.len() as u64);
                let slice = if end <= head.len() as u64 {
                    head.slice(start as usize..end as usize)
                } else if start >= tail_start {
                    tail.slice((start - tail_start) as usize..(end - tail_start) as usize)
                } else {
                    return Ranged::Now(Err(BodyError::Unknown {
                        start,
                        end,
                        head: head.len() as u64,
                        tail: tail.len() as u64,
                    }));
                };
                Ok(Box::pin(stream::once(async move { Ok(slice) })))
            }
            Self::Zeros => {
                let zero = Bytes::from_static(&[0; CHUNK]);
                let mut left = end - start;
                let chunks = std::iter::from_fn(move || {
                    if left == 0 {
                        return None;
                    }
                    let n = left.min(CHUNK as u64);
                    left -= n;
                    Some(Ok(zero.slice(..n as usize)))
                });
                Ok(Box::pin(stream::iter(chunks)))
            }
            Self::File(path) => return Ranged::File(path),
        })
    }

    /// All bytes of the object, in memory (for copies and tests).
    pub async fn to_bytes(&self, size: u64) -> Result<Bytes, BodyError> {
        match self {
            Self::Inline(b) => Ok(b.clone()),
            _ => {
                let mut out = Vec::with_capacity(size.min(64 << 20) as usize);
                let mut s = self.stream_range(size, 0, size).await?;
                while let Some(chunk) = s.next().await {
                    let chunk = chunk.map_err(|source| BodyError::Io {
                        path: PathBuf::from("<body>"),
                        source,
                    })?;
                    out.extend_from_slice(&chunk);
                }
                Ok(Bytes::from(out))
            }
        }
    }
}
