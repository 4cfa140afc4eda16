//! Receiving the body of a PutObject or UploadPart: the size S3 allows, checked against
//! the declared length before any byte is read; the bytes copied once into exactly-sized
//! segments ([`ChunksBuilder`]); their MD5 and checksums taken as they arrive; and a
//! body that is not the length it declared refused instead of stored.

use futures::TryStreamExt;
use md5::{Digest, Md5};
use s3s::dto::StreamingBlob;
use s3s::{S3Result, s3_error};

use crate::sim::store::checksum::Hasher;
use crate::sim::store::{Chunks, ChunksBuilder};

/// The largest object a single PUT may upload, and the largest part: 5 GiB
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>).
pub const MAX_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// A received body.
#[derive(Debug)]
pub(super) struct Received {
    /// The bytes.
    pub chunks: Chunks,
    /// Their MD5.
    pub md5: [u8; 16],
}

fn too_large() -> s3s::S3Error {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html: 400.
    s3_error!(
        EntityTooLarge,
        "Your proposed upload exceeds the maximum allowed object size."
    )
}

fn incomplete(detail: &str) -> s3s::S3Error {
    s3_error!(
        IncompleteBody,
        "You did not provide the number of bytes specified by the Content-Length HTTP header: {detail}"
    )
}

/// Reads `body`, which declares `declared` bytes (the `Content-Length`, which s3s has
/// already replaced with `x-amz-decoded-content-length` for an aws-chunked body), and
/// feeds every byte to `hasher` as well.
///
/// A declared length over [`MAX_PUT_BYTES`] is refused before the body is read, so the
/// answer goes out without waiting for the client to send it; a body of unknown length
/// is refused as soon as it passes the limit. hyper ends a body at its Content-Length
/// and fails one cut short, but an aws-chunked body's decoded length is only a header,
/// so the received length is checked here as well.
pub(super) async fn receive(
    body: Option<StreamingBlob>,
    declared: Option<i64>,
    hasher: &mut Hasher,
) -> S3Result<Received> {
    let mut receiving = Receiving::start(declared)?;
    if let Some(mut body) = body {
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| incomplete(&format!("the request body could not be read: {e}")))?
        {
            receiving.chunk(&chunk, hasher)?;
        }
    }
    receiving.finish()
}

/// [`receive`] of a body already read whole (one chunk, or none when it is empty):
/// the same checks and the same result, without a stream to poll.
pub(super) fn receive_whole(body: &[u8], declared: Option<i64>, hasher: &mut Hasher) -> S3Result<Received> {
    let mut receiving = Receiving::start(declared)?;
    if !body.is_empty() {
        receiving.chunk(body, hasher)?;
    }
    receiving.finish()
}

/// A body being received: its declared length, the bytes so far and their MD5.
struct Receiving {
    declared: Option<u64>,
    builder: ChunksBuilder,
    md5: Md5,
}

impl Receiving {
    fn start(declared: Option<i64>) -> S3Result<Self> {
        let declared = declared
            .map(|n| u64::try_from(n).map_err(|_| s3_error!(InvalidArgument, "Content-Length cannot be negative")))
            .transpose()?;
        if declared.is_some_and(|n| n > MAX_PUT_BYTES) {
            return Err(too_large());
        }
        Ok(Self {
            declared,
            builder: ChunksBuilder::new(declared),
            md5: Md5::new(),
        })
    }

    fn chunk(&mut self, chunk: &[u8], hasher: &mut Hasher) -> S3Result<()> {
        let len = self.builder.len() + chunk.len() as u64;
        if len > MAX_PUT_BYTES {
            return Err(too_large());
        }
        if self.declared.is_some_and(|n| len > n) {
            return Err(incomplete("the body is longer than declared"));
        }
        self.md5.update(chunk);
        hasher.update(chunk);
        self.builder.push(chunk);
        Ok(())
    }

    fn finish(self) -> S3Result<Received> {
        if self.declared.is_some_and(|n| self.builder.len() < n) {
            return Err(incomplete("the body is shorter than declared"));
        }
        Ok(Received {
            chunks: self.builder.finish(),
            md5: self.md5.finalize().into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures::stream;
    use s3s::S3ErrorCode;

    use super::*;
    use crate::sim::store::checksum::{self, Algorithm};

    fn no_checksum() -> Hasher {
        Hasher::new([])
    }

    fn blob(pieces: Vec<Bytes>) -> Option<StreamingBlob> {
        Some(StreamingBlob::wrap(stream::iter(
            pieces.into_iter().map(Ok::<_, std::io::Error>),
        )))
    }

    #[tokio::test]
    async fn a_small_body_is_stored_in_exactly_its_length_apart_from_the_read_buffer() {
        // hyper hands a small body out as one slice of its read buffer (8 KiB and up).
        let buffer = Bytes::from(vec![9u8; 8192]);
        let mut crc = Hasher::new([Algorithm::Crc32]);
        let r = receive(blob(vec![buffer.slice(300..1324)]), Some(1024), &mut crc)
            .await
            .unwrap();
        assert_eq!((r.chunks.len(), r.chunks.capacity()), (1024, 1024));
        let inside = buffer.as_ptr_range();
        assert!(r.chunks.segments().iter().all(|s| !inside.contains(&s.as_ptr())));
        assert_eq!(r.md5, <[u8; 16]>::from(Md5::digest([9u8; 1024])));
        assert_eq!(
            crc.finish().get(Algorithm::Crc32),
            Some(&checksum::digest(Algorithm::Crc32, &[9u8; 1024]))
        );
    }

    /// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html>: a
    /// single PUT is at most 5 GiB; the refusal comes before the body is read.
    #[tokio::test]
    async fn a_declared_length_over_5_gib_is_entity_too_large_without_reading() {
        let never = StreamingBlob::wrap(stream::poll_fn(
            |_| -> std::task::Poll<Option<std::io::Result<Bytes>>> { panic!("the body was read") },
        ));
        let err = receive(
            Some(never),
            Some(i64::try_from(MAX_PUT_BYTES).unwrap() + 1),
            &mut no_checksum(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), &S3ErrorCode::EntityTooLarge);
        let at_limit = receive(
            blob(vec![]),
            Some(i64::try_from(MAX_PUT_BYTES).unwrap()),
            &mut no_checksum(),
        )
        .await;
        assert_eq!(at_limit.unwrap_err().code(), &S3ErrorCode::IncompleteBody);
    }

    /// The direct PutObject route receives a body it read whole; it must answer as the
    /// streamed receive does: same bytes, MD5 and checksum, same refusals.
    #[tokio::test]
    async fn a_body_received_whole_is_received_as_the_same_body_streamed() {
        let cases: [(&[u8], Option<i64>); 6] = [
            (b"", None),
            (b"", Some(0)),
            (b"abcd", Some(4)),
            (b"abc", Some(4)),
            (b"abcde", Some(4)),
            (b"abcde", Some(-1)),
        ];
        for (body, declared) in cases {
            let mut streamed_crc = Hasher::new([Algorithm::Crc32]);
            let pieces = if body.is_empty() {
                vec![]
            } else {
                vec![Bytes::copy_from_slice(body)]
            };
            let streamed = receive(blob(pieces), declared, &mut streamed_crc).await;
            let mut whole_crc = Hasher::new([Algorithm::Crc32]);
            let whole = receive_whole(body, declared, &mut whole_crc);
            match (streamed, whole) {
                (Ok(s), Ok(w)) => {
                    assert_eq!(
                        (s.chunks.len(), s.md5),
                        (w.chunks.len(), w.md5),
                        "{body:?} {declared:?}"
                    );
                    assert_eq!(
                        streamed_crc.finish().get(Algorithm::Crc32),
                        whole_crc.finish().get(Algorithm::Crc32)
                    );
                }
                (Err(s), Err(w)) => assert_eq!(s.code(), w.code(), "{body:?} {declared:?}"),
                (s, w) => panic!("{body:?} {declared:?}: streamed {s:?}, whole {w:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_body_not_of_its_declared_length_is_refused() {
        let short = receive(blob(vec![Bytes::from_static(b"abc")]), Some(4), &mut no_checksum()).await;
        assert_eq!(short.unwrap_err().code(), &S3ErrorCode::IncompleteBody);
        let long = receive(blob(vec![Bytes::from_static(b"abcde")]), Some(4), &mut no_checksum()).await;
        assert_eq!(long.unwrap_err().code(), &S3ErrorCode::IncompleteBody);
        let unknown = receive(blob(vec![Bytes::from_static(b"abcde")]), None, &mut no_checksum())
            .await
            .unwrap();
        assert_eq!(unknown.chunks.len(), 5);
        let none = receive(None, None, &mut no_checksum()).await.unwrap();
        assert!(none.chunks.is_empty());
    }
}
