//! Request bodies over a raw connection: what S3 refuses from the declared length
//! alone, what a body that is not its declared length leaves behind, and bodies of many
//! segments read back by range and by part.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// 5 GiB plus one byte: one more than a single PUT or a part may hold.
const OVER_5_GIB: u64 = 5 * 1024 * 1024 * 1024 + 1;

/// Sends a PUT's head (and `body`, which may be shorter than `content_length`) to a
/// presigned URL over a raw connection, then closes the sending half when `close`,
/// and reads the answer until `</Error>` or the end of the connection. A 30 s guard
/// turns a server that waits for the rest of the body into a failure, not a hang.
async fn raw_put(url: &str, content_length: u64, body: &[u8], close: bool) -> String {
    let uri: hyper::Uri = url.parse().unwrap();
    let host = uri.authority().unwrap().to_string();
    let mut stream = TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {content_length}\r\n\r\n",
        uri.path_and_query().unwrap()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    if close {
        stream.shutdown().await.unwrap();
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.windows(8).any(|w| w == b"</Error>") {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer in 30 s: the server waited for the body ({})",
        String::from_utf8_lossy(&answer)
    );
    String::from_utf8_lossy(&answer).into_owned()
}

fn presign() -> PresigningConfig {
    PresigningConfig::expires_in(Duration::from_secs(300)).unwrap()
}

/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html>: a
/// single PUT uploads at most 5 GiB; S3 answers 400 EntityTooLarge
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>) from the
/// Content-Length, without the body being sent.
#[tokio::test]
async fn a_put_declaring_over_5_gib_is_entity_too_large_before_the_body_is_sent() {
    let sim = sim().await;
    let c = owner(&sim);
    let url = c
        .put_object()
        .bucket(BUCKET)
        .key("huge")
        .presigned(presign())
        .await
        .unwrap();
    let answer = raw_put(url.uri(), OVER_5_GIB, b"", false).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("<Code>EntityTooLarge</Code>"), "{answer}");
    let err = c.head_object().bucket(BUCKET).key("huge").send().await.unwrap_err();
    assert_eq!(status(&err), 404);
}

/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>: a part is at
/// most 5 GiB.
#[tokio::test]
async fn an_upload_part_declaring_over_5_gib_is_entity_too_large_before_the_body_is_sent() {
    let sim = sim().await;
    let c = owner(&sim);
    let id = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("huge")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let url = c
        .upload_part()
        .bucket(BUCKET)
        .key("huge")
        .upload_id(&id)
        .part_number(1)
        .presigned(presign())
        .await
        .unwrap();
    let answer = raw_put(url.uri(), OVER_5_GIB, b"", false).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("<Code>EntityTooLarge</Code>"), "{answer}");
    let parts = c
        .list_parts()
        .bucket(BUCKET)
        .key("huge")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert!(parts.parts().is_empty());
}

/// A body cut short of its Content-Length (the client closes its side) is not stored;
/// bytes sent past the Content-Length are not part of the body.
#[tokio::test]
async fn a_body_that_is_not_its_content_length_is_not_stored_as_sent() {
    let sim = sim().await;
    let c = owner(&sim);
    let short = c
        .put_object()
        .bucket(BUCKET)
        .key("short")
        .presigned(presign())
        .await
        .unwrap();
    raw_put(short.uri(), 100, &[b's'; 50], true).await;
    let err = c.head_object().bucket(BUCKET).key("short").send().await.unwrap_err();
    assert_eq!(status(&err), 404);

    let long = c
        .put_object()
        .bucket(BUCKET)
        .key("long")
        .presigned(presign())
        .await
        .unwrap();
    raw_put(long.uri(), 4, b"abcdefgh", true).await;
    assert_eq!(get(&c, "long").await, b"abcd");
}

/// Bytes that differ at every offset, so a misplaced slice shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

async fn get_range(c: &aws_sdk_s3::Client, key: &str, start: usize, end_inclusive: usize) -> Vec<u8> {
    c.get_object()
        .bucket(BUCKET)
        .key(key)
        .range(format!("bytes={start}-{end_inclusive}"))
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

/// An object of several segments (1 MiB each), from one PUT and from a multipart
/// upload, reads back whole, by ranges that cross segment and part boundaries, and by
/// part number.
#[tokio::test]
async fn multi_segment_bodies_read_back_by_range_and_part() {
    const MIB: usize = 1 << 20;
    let sim = sim().await;
    let c = owner(&sim);
    let single = pattern(2 * MIB + MIB / 2 + 3, 1);
    put(&c, "single", &single).await;
    assert_eq!(get(&c, "single").await, single);
    for (a, b) in [
        (MIB - 5, MIB + 5),
        (0, 2 * MIB + 1),
        (MIB, 2 * MIB - 1),
        (2 * MIB - 1, single.len() - 1),
    ] {
        assert_eq!(get_range(&c, "single", a, b).await, &single[a..=b], "bytes {a}-{b}");
    }

    let parts = [pattern(5 * MIB, 2), pattern(5 * MIB + 17, 3), pattern(10, 4)];
    let whole: Vec<u8> = parts.concat();
    let id = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut done = Vec::new();
    for (n, body) in (1..).zip(&parts) {
        let out = c
            .upload_part()
            .bucket(BUCKET)
            .key("mp")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    let etag = c
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_owned();
    assert!(etag.trim_matches('"').ends_with("-3"), "{etag}");
    assert_eq!(get(&c, "mp").await, whole);
    let p1 = 5 * MIB;
    for (a, b) in [
        (p1 - 3, p1 + 3),
        (2 * p1 + 10, whole.len() - 1),
        (MIB - 1, p1 + MIB + 16),
        (3, 3),
    ] {
        assert_eq!(get_range(&c, "mp", a, b).await, &whole[a..=b], "bytes {a}-{b}");
    }
    let second = c
        .get_object()
        .bucket(BUCKET)
        .key("mp")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.body.collect().await.unwrap().into_bytes().as_ref(),
        parts[1].as_slice()
    );
}
