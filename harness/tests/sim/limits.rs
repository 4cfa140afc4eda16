//! Request bodies past S3's limits are the client's error (4xx), never a 500 an SDK
//! would retry.

use crate::support::*;

/// S3 reads at most 20 MiB of an XML request body: past that, 400
/// MaxMessageLengthExceeded (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
const XML_LIMIT: usize = 20 * 1024 * 1024;

/// An XML body of `len` bytes: the document, then whitespace to the length.
fn padded(xml: &str, len: usize) -> Vec<u8> {
    let mut body = xml.as_bytes().to_vec();
    body.resize(len, b' ');
    body
}

fn assert_too_long(what: &str, (status, body): (u16, String)) {
    assert_eq!(status, 400, "{what}: {body}");
    assert!(body.contains("<Code>MaxMessageLengthExceeded</Code>"), "{what}: {body}");
}

#[tokio::test]
async fn a_delete_objects_body_over_20_mib_is_max_message_length_exceeded() {
    let sim = sim().await;
    put(&owner(&sim), "keep", b"kept").await;
    let xml = "<Delete><Object><Key>keep</Key></Object></Delete>";
    let resp = signed_raw(
        &sim,
        "POST",
        &format!("/{BUCKET}?delete"),
        &[],
        "UNSIGNED-PAYLOAD",
        padded(xml, XML_LIMIT + 1),
    )
    .await;
    assert_too_long("DeleteObjects", resp);
    let last = sim.requests().snapshot().pop().unwrap();
    assert_eq!(last.status, 400);
    assert_eq!(last.error_code.as_deref(), Some("MaxMessageLengthExceeded"));
    assert_eq!(last.operation.as_deref(), Some("DeleteObjects"));
    assert_eq!(get(&owner(&sim), "keep").await, b"kept");
    // At the limit the document is read (and the key deleted).
    let (status, body) = signed_raw(
        &sim,
        "POST",
        &format!("/{BUCKET}?delete"),
        &[],
        "UNSIGNED-PAYLOAD",
        padded(xml, XML_LIMIT),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_complete_multipart_upload_body_over_20_mib_is_max_message_length_exceeded() {
    let sim = sim().await;
    let c = owner(&sim);
    let up = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("mpu")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>";
    let resp = signed_raw(
        &sim,
        "POST",
        &format!("/{BUCKET}/mpu?uploadId={id}"),
        &[],
        "UNSIGNED-PAYLOAD",
        padded(xml, XML_LIMIT + 1),
    )
    .await;
    assert_too_long("CompleteMultipartUpload", resp);
    // The upload is still there to complete or abort.
    c.abort_multipart_upload()
        .bucket(BUCKET)
        .key("mpu")
        .upload_id(id)
        .send()
        .await
        .unwrap();
}
