//! Requests signed for another region than the bucket's.

use crate::support::*;

#[tokio::test]
async fn wrong_signing_region_is_authorization_header_malformed_naming_the_region() {
    let sim = sim().await;
    let us = sim
        .client_in(s3_harness::Who::Identity(OWNER_ROOT), "us-east-1")
        .unwrap();
    let err = us.list_objects_v2().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(code(&err), "AuthorizationHeaderMalformed");
    assert_eq!(status(&err), 400);
    let msg = err
        .as_service_error()
        .and_then(|e| aws_sdk_s3::error::ProvideErrorMetadata::message(e))
        .unwrap();
    assert!(msg.contains("'us-east-1' is wrong; expecting 'eu-west-1'"), "{msg}");
    let header = err
        .raw_response()
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_owned);
    assert_eq!(header.as_deref(), Some("eu-west-1"));
    // The body names the region too, as S3's does, for SDKs that re-sign from it.
    let body = err
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    assert!(body.contains("<Region>eu-west-1</Region>"), "{body}");
    // HEAD has no body: the region is in the header.
    let err = us.head_bucket().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(status(&err), 400);
    let header = err
        .raw_response()
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_owned);
    assert_eq!(header.as_deref(), Some("eu-west-1"));
}

#[tokio::test]
async fn presigned_url_for_the_wrong_region() {
    let sim = sim().await;
    put(&owner(&sim), "k", b"v").await;
    let us = sim
        .client_in(s3_harness::Who::Identity(OWNER_ROOT), "us-east-1")
        .unwrap();
    let presigned = us
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let resp = reqwest_get(presigned.uri()).await;
    assert_eq!(resp.0, 400);
    assert!(resp.1.contains("AuthorizationQueryParametersError"), "{}", resp.1);
}

/// A bare HTTP GET (no SDK) returning status and body.
pub async fn reqwest_get(url: &str) -> (u16, String) {
    raw("GET", url, &[], b"").await
}

/// A bare HTTP request with extra headers, returning status and body.
pub async fn raw(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    use http_body_util::BodyExt;
    let uri: hyper::Uri = url.parse().unwrap();
    let host = uri.authority().unwrap().to_string();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(uri.path_and_query().unwrap().as_str())
        .header("host", host);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::copy_from_slice(body)))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}
