//! Additional checksums and Content-MD5, as S3 checks and keeps them
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>),
//! through aws-sdk-s3 and, for bodies no SDK sends, raw SigV4-signed requests.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;

use crate::support::*;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn crc32(bytes: &[u8]) -> String {
    b64(&crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, bytes).to_be_bytes()[4..])
}

fn crc64nvme(bytes: &[u8]) -> String {
    b64(&crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, bytes).to_be_bytes())
}

async fn head_checksum(c: &aws_sdk_s3::Client, key: &str) -> aws_sdk_s3::operation::head_object::HeadObjectOutput {
    c.head_object()
        .bucket(BUCKET)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap()
}

async fn exists(c: &aws_sdk_s3::Client, key: &str) -> bool {
    c.head_object().bucket(BUCKET).key(key).send().await.is_ok()
}

/// aws-sdk-s3 sends a CRC32 with every PUT by default (as a header for a body in
/// memory); S3 keeps it and returns it only to a request in checksum mode.
#[tokio::test]
async fn the_sdks_default_crc32_is_kept_and_returned_only_in_checksum_mode() {
    let sim = sim().await;
    let c = owner(&sim);
    let body = b"checked on the way in".to_vec();
    let out = c
        .put_object()
        .bucket(BUCKET)
        .key("crc/in-memory")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(out.checksum_crc32(), Some(crc32(&body).as_str()));
    let head = head_checksum(&c, "crc/in-memory").await;
    assert_eq!(head.checksum_crc32(), Some(crc32(&body).as_str()));
    assert_eq!(head.checksum_type(), Some(&ChecksumType::FullObject));
    let plain = c
        .head_object()
        .bucket(BUCKET)
        .key("crc/in-memory")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.checksum_crc32(), None);
    // The SDK validates a GET's checksum by default: the right one lets it through.
    let got = c
        .get_object()
        .bucket(BUCKET)
        .key("crc/in-memory")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32(), Some(crc32(&body).as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice());
    // A range is not the object: no checksum for it.
    let ranged = c
        .get_object()
        .bucket(BUCKET)
        .key("crc/in-memory")
        .range("bytes=0-3")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.checksum_crc32(), None);
    assert_eq!(ranged.checksum_type(), None);
}

/// A streaming body's checksum travels as an aws-chunked trailer
/// (STREAMING-UNSIGNED-PAYLOAD-TRAILER); the stored object has the decoded bytes and no
/// `aws-chunked` Content-Encoding.
#[tokio::test]
async fn a_streaming_upload_sends_its_crc32_as_a_trailer() {
    let sim = sim().await;
    let c = owner(&sim);
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let path = std::env::temp_dir().join(format!("s3-harness-trailer-{}.bin", std::process::id()));
    std::fs::write(&path, &body).unwrap();
    let sent = c
        .put_object()
        .bucket(BUCKET)
        .key("crc/streamed")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(sent.unwrap().checksum_crc32(), Some(crc32(&body).as_str()));
    let last = sim
        .requests()
        .snapshot()
        .into_iter()
        .rev()
        .find(|r| r.operation.as_deref() == Some("PutObject"))
        .unwrap();
    assert_eq!(last.status, 200);
    let head = head_checksum(&c, "crc/streamed").await;
    assert_eq!(head.checksum_crc32(), Some(crc32(&body).as_str()));
    assert_eq!(head.content_encoding(), None);
    assert_eq!(head.content_length(), Some(body.len() as i64));
    assert_eq!(get(&c, "crc/streamed").await, body);
}

/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html: a checksum that
/// is not the body's is 400 BadDigest naming the algorithm, and nothing is stored.
#[tokio::test]
async fn a_wrong_crc32_or_sha256_is_bad_digest_and_nothing_is_stored() {
    let sim = sim().await;
    let c = owner(&sim);
    let err = c
        .put_object()
        .bucket(BUCKET)
        .key("bad/crc32")
        .checksum_crc32(crc32(b"something else"))
        .body(ByteStream::from_static(b"the body"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadDigest"));
    let msg = err
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::message);
    assert_eq!(
        msg,
        Some("The CRC32 you specified did not match the calculated checksum.")
    );
    assert!(!exists(&c, "bad/crc32").await);
    let err = c
        .put_object()
        .bucket(BUCKET)
        .key("bad/sha256")
        .checksum_sha256(b64(&[7u8; 32]))
        .body(ByteStream::from_static(b"the body"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadDigest"));
    let msg = err
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::message);
    assert_eq!(
        msg,
        Some("The SHA256 you specified did not match the calculated checksum.")
    );
    assert!(!exists(&c, "bad/sha256").await);
    // The right SHA-256 is kept as sent.
    let ok = c
        .put_object()
        .bucket(BUCKET)
        .key("ok/sha256")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from_static(b"the body"))
        .send()
        .await
        .unwrap();
    let sha = ok.checksum_sha256().unwrap();
    assert_eq!(head_checksum(&c, "ok/sha256").await.checksum_sha256(), Some(sha));
}

/// A checksum header that is not base64 of the algorithm's digest is 400
/// InvalidRequest; a wrong Content-MD5 is 400 BadDigest; neither stores anything.
#[tokio::test]
async fn a_malformed_checksum_is_invalid_request_and_a_wrong_md5_is_bad_digest() {
    let sim = sim().await;
    let c = owner(&sim);
    let err = c
        .put_object()
        .bucket(BUCKET)
        .key("bad/malformed")
        .checksum_crc32("not-a-crc")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidRequest"));
    let err = c
        .put_object()
        .bucket(BUCKET)
        .key("bad/md5")
        .content_md5(b64(&[0u8; 16]))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "BadDigest"));
    assert!(!exists(&c, "bad/malformed").await && !exists(&c, "bad/md5").await);
}

/// An upload without a checksum gets the CRC-64/NVME S3 adds by default
/// ("default data integrity protections").
#[tokio::test]
async fn an_upload_without_a_checksum_gets_crc64nvme() {
    let sim = sim().await;
    let conf = owner(&sim)
        .config()
        .to_builder()
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    let c = aws_sdk_s3::Client::from_conf(conf);
    c.put_object()
        .bucket(BUCKET)
        .key("default/crc64")
        .body(ByteStream::from_static(b"no checksum sent"))
        .send()
        .await
        .unwrap();
    let last = sim.requests().snapshot().pop().unwrap();
    assert_eq!(last.status, 200);
    let head = head_checksum(&c, "default/crc64").await;
    assert_eq!(
        head.checksum_crc64_nvme(),
        Some(crc64nvme(b"no checksum sent").as_str())
    );
    assert_eq!(head.checksum_crc32(), None);
}

const PART: usize = 5 * 1024 * 1024;

fn parts() -> [Vec<u8>; 2] {
    [vec![b'a'; PART], b"the last part".to_vec()]
}

/// Uploads [`parts`] to `key` under an upload created as `create` says, naming each
/// part's checksum in the completion when `name_checksums`; returns the completion.
async fn multipart(
    c: &aws_sdk_s3::Client,
    key: &str,
    create: aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder,
    name_checksums: bool,
) -> Result<
    aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput,
    aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadError>,
> {
    let created = create.bucket(BUCKET).key(key).send().await.unwrap();
    let id = created.upload_id().unwrap();
    let mut done = Vec::new();
    for (i, body) in parts().into_iter().enumerate() {
        let n = i as i32 + 1;
        let mut up = c
            .upload_part()
            .bucket(BUCKET)
            .key(key)
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(body));
        if let Some(a) = created.checksum_algorithm() {
            up = up.checksum_algorithm(a.clone());
        }
        let out = up.send().await.unwrap();
        let mut part = CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap());
        if name_checksums {
            part = part
                .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                .set_checksum_sha256(out.checksum_sha256().map(str::to_owned));
        }
        done.push(part.build());
    }
    c.complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
}

/// A CRC32 upload is composite by default: the object's checksum is the CRC32 of the
/// parts' CRC32s with `-2`; a `partNumber` read returns that part's checksum, which the
/// SDK validates against the part's bytes.
#[tokio::test]
async fn a_composite_crc32_upload_has_a_dash_n_checksum_and_per_part_checksums() {
    let sim = sim().await;
    let c = owner(&sim);
    let create = c.create_multipart_upload().checksum_algorithm(ChecksumAlgorithm::Crc32);
    let done = multipart(&c, "mpu/composite", create, true).await.unwrap();
    let [p1, p2] = parts();
    let raw = |s: String| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    let joined = [raw(crc32(&p1)), raw(crc32(&p2))].concat();
    let expected = format!("{}-2", crc32(&joined));
    assert_eq!(done.checksum_crc32(), Some(expected.as_str()));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::Composite));
    let head = head_checksum(&c, "mpu/composite").await;
    assert_eq!(head.checksum_crc32(), Some(expected.as_str()));
    assert_eq!(head.checksum_type(), Some(&ChecksumType::Composite));
    let part = c
        .get_object()
        .bucket(BUCKET)
        .key("mpu/composite")
        .part_number(2)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(part.checksum_crc32(), Some(crc32(&p2).as_str()));
    assert_eq!(part.parts_count(), Some(2));
    assert_eq!(part.body.collect().await.unwrap().into_bytes().as_ref(), p2.as_slice());
    // The whole object through the SDK's default validation (skipped for `-N`).
    assert_eq!(get(&c, "mpu/composite").await.len(), PART + p2.len());
}

/// With `x-amz-checksum-type: FULL_OBJECT` a CRC upload's checksum is the CRC of all
/// the bytes, which the SDK validates on a whole-object GET.
#[tokio::test]
async fn a_full_object_crc32_upload_has_the_crc_of_all_the_bytes() {
    let sim = sim().await;
    let c = owner(&sim);
    let create = c
        .create_multipart_upload()
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .checksum_type(ChecksumType::FullObject);
    let done = multipart(&c, "mpu/full", create, false).await.unwrap();
    let all = parts().concat();
    assert_eq!(done.checksum_crc32(), Some(crc32(&all).as_str()));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::FullObject));
    let got = c
        .get_object()
        .bucket(BUCKET)
        .key("mpu/full")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc32(), Some(crc32(&all).as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().len(), all.len());
    // No part of a full-object checksum has its own.
    let part = c
        .get_object()
        .bucket(BUCKET)
        .key("mpu/full")
        .part_number(1)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(part.checksum_crc32(), None);
}

/// An upload created without an algorithm (the SDK still sends CRC32 with each part)
/// completes with S3's default: a full-object CRC-64/NVME.
#[tokio::test]
async fn an_upload_created_without_an_algorithm_gets_a_full_object_crc64nvme() {
    let sim = sim().await;
    let c = owner(&sim);
    let done = multipart(&c, "mpu/default", c.create_multipart_upload(), false)
        .await
        .unwrap();
    let all = parts().concat();
    assert_eq!(done.checksum_crc64_nvme(), Some(crc64nvme(&all).as_str()));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::FullObject));
}

/// A composite upload's completion must name each part's checksum, and a named one
/// must be the part's; SHA-256 has no full-object type
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>).
#[tokio::test]
async fn composite_completions_name_right_part_checksums_and_shas_are_never_full_object() {
    let sim = sim().await;
    let c = owner(&sim);
    let create = c
        .create_multipart_upload()
        .checksum_algorithm(ChecksumAlgorithm::Sha256);
    let err = multipart(&c, "mpu/unnamed", create, false).await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidRequest"));
    let msg = err
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::message);
    assert_eq!(
        msg,
        Some(
            "The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."
        )
    );
    // A wrong part checksum is InvalidPart.
    let created = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("mpu/wrong")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap();
    let up = c
        .upload_part()
        .bucket(BUCKET)
        .key("mpu/wrong")
        .upload_id(id)
        .part_number(1)
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_static(b"only part"))
        .send()
        .await
        .unwrap();
    assert_eq!(up.checksum_crc32(), Some(crc32(b"only part").as_str()));
    // Listings show the upload's algorithm and each part's checksum.
    let listed = c
        .list_parts()
        .bucket(BUCKET)
        .key("mpu/wrong")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
    assert_eq!(listed.checksum_type(), Some(&ChecksumType::Composite));
    assert_eq!(listed.parts()[0].checksum_crc32(), Some(crc32(b"only part").as_str()));
    let uploads = c.list_multipart_uploads().bucket(BUCKET).send().await.unwrap();
    let mine = uploads.uploads().iter().find(|u| u.upload_id() == Some(id)).unwrap();
    assert_eq!(mine.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
    let part = CompletedPart::builder()
        .part_number(1)
        .e_tag(up.e_tag().unwrap())
        .checksum_crc32(crc32(b"another"))
        .build();
    let err = c
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("mpu/wrong")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().parts(part).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPart");
    // A part of another algorithm than the upload's.
    let err = c
        .upload_part()
        .bucket(BUCKET)
        .key("mpu/wrong")
        .upload_id(id)
        .part_number(2)
        .checksum_algorithm(ChecksumAlgorithm::Sha1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    let err = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("mpu/sha-full")
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .checksum_type(ChecksumType::FullObject)
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (400, "InvalidRequest"));
}

/// A SigV4-signed PUT with an aws-chunked body S3's SDKs would never send: the payload
/// is `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, the chunks and trailers as given.
async fn chunked_put(
    sim: &s3_harness::Simulator,
    key: &str,
    decoded_len: usize,
    chunked: &[u8],
    trailer: &str,
) -> (u16, String) {
    let decoded_len = decoded_len.to_string();
    signed_raw(
        sim,
        "PUT",
        &format!("/{BUCKET}/{key}"),
        &[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &decoded_len),
            ("x-amz-trailer", trailer),
        ],
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        chunked.to_vec(),
    )
    .await
}

fn chunked_body(data: &[u8], trailer: &str) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(format!("\r\n0\r\n{trailer}\r\n\r\n").as_bytes());
    out
}

/// The aws-chunked trailer is checked like a header: a right one stores the object, a
/// corrupted one is BadDigest and stores nothing.
#[tokio::test]
async fn an_aws_chunked_trailer_checksum_is_checked() {
    let sim = sim().await;
    let data = b"chunked body";
    let good = format!("x-amz-checksum-crc32:{}", crc32(data));
    let (s, body) = chunked_put(
        &sim,
        "raw/good",
        data.len(),
        &chunked_body(data, &good),
        "x-amz-checksum-crc32",
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(get(&owner(&sim), "raw/good").await, data);
    let bad = format!("x-amz-checksum-crc32:{}", crc32(b"chunked bodY"));
    let (s, body) = chunked_put(
        &sim,
        "raw/bad",
        data.len(),
        &chunked_body(data, &bad),
        "x-amz-checksum-crc32",
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("<Code>BadDigest</Code>") && body.contains("The CRC32 you specified"),
        "{body}"
    );
    assert!(!exists(&owner(&sim), "raw/bad").await);
    let last = sim
        .requests()
        .snapshot()
        .into_iter()
        .rev()
        .find(|r| r.key.as_deref() == Some("raw/bad") && r.method == "PUT")
        .unwrap();
    assert_eq!(last.error_code.as_deref(), Some("BadDigest"));
}

fn hex_sha256(bytes: &[u8]) -> String {
    use s3s::crypto::Checksum as _;
    hex::encode(s3s::crypto::Sha256::checksum(bytes))
}

/// A PUT with a signed aws-chunked body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>):
/// one data chunk, the final chunk, and `trailer` signed, so the signatures hold and
/// only the checksum is in question.
async fn signed_chunked_put(sim: &s3_harness::Simulator, key: &str, data: &[u8], trailer: &str) -> (u16, String) {
    const SIG: usize = 64;
    let meta = |len: usize| format!("{len:x};chunk-signature=").len() + SIG + 2;
    let trailer_block = format!("{trailer}\r\nx-amz-trailer-signature:").len() + SIG + 4;
    let total = meta(data.len()) + data.len() + 2 + meta(0) + 2 + trailer_block;
    let decoded = data.len().to_string();
    let name = trailer.split(':').next().unwrap();
    let mut signed = sign_raw(
        sim,
        "PUT",
        &format!("/{BUCKET}/{key}"),
        &[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", &decoded),
            ("x-amz-trailer", name),
        ],
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        total,
    );
    let scope = format!("{}/{REGION}/s3/aws4_request", &signed.amz_date[..8]);
    let sign = |string_to_sign: String| {
        aws_sigv4::sign::v4::calculate_signature(&signed.signing_key, string_to_sign.as_bytes())
    };
    let chunk_sig = |prev: &str, chunk: &[u8]| {
        sign(format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{scope}\n{prev}\n{}\n{}",
            signed.amz_date,
            hex_sha256(b""),
            hex_sha256(chunk)
        ))
    };
    let first = chunk_sig(&signed.signature, data);
    let last = chunk_sig(&first, b"");
    let trailer_sig = sign(format!(
        "AWS4-HMAC-SHA256-TRAILER\n{}\n{scope}\n{last}\n{}",
        signed.amz_date,
        hex_sha256(format!("{trailer}\n").as_bytes())
    ));
    let mut body = format!("{:x};chunk-signature={first}\r\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(
        format!("\r\n0;chunk-signature={last}\r\n\r\n{trailer}\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(body.len(), total);
    *signed.req.body_mut() = http_body_util::Full::new(bytes::Bytes::from(body));
    send_raw(signed.req).await
}

/// The signed form of the same: the trailer's signature is s3s's to check, its checksum
/// the simulator's.
#[tokio::test]
async fn a_signed_aws_chunked_trailer_checksum_is_checked() {
    let sim = sim().await;
    let data = b"signed chunked body";
    let good = format!("x-amz-checksum-sha256:{}", b64(&hex::decode(hex_sha256(data)).unwrap()));
    let (s, body) = signed_chunked_put(&sim, "signed/good", data, &good).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(get(&owner(&sim), "signed/good").await, data);
    let bad = format!(
        "x-amz-checksum-sha256:{}",
        b64(&hex::decode(hex_sha256(b"other")).unwrap())
    );
    let (s, body) = signed_chunked_put(&sim, "signed/bad", data, &bad).await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("<Code>BadDigest</Code>") && body.contains("The SHA256 you specified"),
        "{body}"
    );
    assert!(!exists(&owner(&sim), "signed/bad").await);
}

/// An aws-chunked body whose decoded bytes are not `x-amz-decoded-content-length` is
/// 400 IncompleteBody (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
#[tokio::test]
async fn a_decoded_length_that_disagrees_with_the_body_is_incomplete_body() {
    let sim = sim().await;
    let data = b"twelve bytes";
    let trailer = format!("x-amz-checksum-crc32:{}", crc32(data));
    for declared in [data.len() - 2, data.len() + 2] {
        let (s, body) = chunked_put(
            &sim,
            "raw/length",
            declared,
            &chunked_body(data, &trailer),
            "x-amz-checksum-crc32",
        )
        .await;
        assert_eq!(s, 400, "declared {declared}: {body}");
        assert!(
            body.contains("<Code>IncompleteBody</Code>"),
            "declared {declared}: {body}"
        );
    }
    assert!(!exists(&owner(&sim), "raw/length").await);
}

/// Objects a scenario declares carry no checksum (as objects stored before S3's default
/// checksums), so checksum-mode reads answer none and the SDK skips its validation.
#[tokio::test]
async fn sized_objects_have_no_checksum() {
    let mut world = s3_harness::World::new();
    world.add_bucket(BUCKET, REGION, OWNER).unwrap();
    world
        .store
        .put(
            BUCKET,
            s3_harness::sim::store::ObjKey::parse("sized").unwrap(),
            s3_harness::sim::store::Object::sized(1000, OWNER),
        )
        .unwrap();
    let sim = s3_harness::Simulator::start(world).await.unwrap();
    let c = owner(&sim);
    let head = head_checksum(&c, "sized").await;
    assert_eq!(head.checksum_type(), None);
    assert_eq!(get(&c, "sized").await, vec![0; 1000]);
}
