//! How clients reach the simulator: HTTPS with a per-run CA, `aws:SecureTransport`,
//! virtual-hosted-style hosts, and the request ids on every answer.

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::{RequestId, RequestIdExt};
use s3_harness::sim::faults::FaultConfig;
use s3_harness::{Simulator, Who};

use crate::support::*;

async fn sim_with(tls: bool, policy: Option<&str>) -> Simulator {
    let mut b = Simulator::builder().bucket(BUCKET, REGION, OWNER).tls(tls);
    if let Some(p) = policy {
        b = b.policy(BUCKET, p);
    }
    b.start().await.expect("starts")
}

fn owner_of(sim: &Simulator) -> Client {
    sim.client(Who::BucketOwner(BUCKET)).expect("the owner exists")
}

#[tokio::test]
async fn tls_serves_https_and_a_client_trusting_the_ca_lists_gets_and_puts() {
    let sim = sim_with(true, None).await;
    assert!(sim.endpoint().starts_with("https://127.0.0.1:"), "{}", sim.endpoint());
    let ca = sim.ca_pem().expect("a TLS simulator has a CA");
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    let c = owner_of(&sim);
    put(&c, "a/b.csv", b"x,y\n").await;
    assert_eq!(get(&c, "a/b.csv").await, b"x,y\n");
    let listed = c.list_objects_v2().bucket(BUCKET).send().await.expect("lists");
    assert_eq!(listed.key_count(), Some(1));
    // The same CA, given to the free client constructor, is trusted too.
    let owner = sim.identity(Who::BucketOwner(BUCKET)).expect("owner");
    let other =
        s3_harness::sim::server::client_trusting(sim.endpoint(), ca, &owner.access_key, owner.secret_key(), REGION);
    other.head_bucket().bucket(BUCKET).send().await.expect("trusted");
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_run_ca_fails_certificate_verification() {
    let sim = sim_with(true, None).await;
    let owner = sim.identity(Who::BucketOwner(BUCKET)).expect("owner");
    // System roots only, as a client given no CA bundle.
    let c = s3_harness::sim::server::client(sim.endpoint(), &owner.access_key, owner.secret_key(), REGION);
    let err = c.head_bucket().bucket(BUCKET).send().await.expect_err("untrusted");
    assert!(err.as_service_error().is_none(), "{err:?}");
    assert!(
        format!("{:?}", aws_smithy_error_chain(&err))
            .to_lowercase()
            .contains("certificate"),
        "{err:?}"
    );
    // Nothing reached the S3 layer.
    assert!(sim.requests().is_empty());
}

fn aws_smithy_error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}

/// `aws:SecureTransport` is `true` over TLS and `false` over plain HTTP
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport>):
/// each value is tested by a Deny that matches only it.
#[tokio::test]
async fn secure_transport_is_true_over_tls_and_false_over_http() {
    let policy = |value: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*","Condition":{{"Bool":{{"aws:SecureTransport":"{value}"}}}}}}]}}"#
        )
    };
    for (tls, denied_when) in [(true, "true"), (false, "false")] {
        for value in ["true", "false"] {
            let sim = sim_with(tls, Some(&policy(value))).await;
            let c = owner_of(&sim);
            put(&c, "k", b"v").await;
            let got = c.get_object().bucket(BUCKET).key("k").send().await;
            let last = sim.requests().snapshot().pop().expect("logged");
            if value == denied_when {
                let err = got.expect_err("the Deny matches");
                assert_eq!(code(&err), "AccessDenied", "tls={tls} value={value}");
                assert_eq!(last.decision, Some(s3_harness::Decision::Deny));
            } else {
                assert!(got.is_ok(), "tls={tls} value={value}: {got:?}");
            }
        }
    }
}

/// AWS's recommended bucket policy statement denies every request over plain HTTP
/// and none over HTTPS
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html>,
/// <https://repost.aws/knowledge-center/s3-bucket-policy-for-config-rule>).
#[tokio::test]
async fn the_deny_insecure_transport_policy_refuses_http_and_allows_https() {
    let policy = format!(
        r#"{{"Id":"ExamplePolicy","Version":"2012-10-17","Statement":[{{"Sid":"AllowSSLRequestsOnly","Action":"s3:*","Effect":"Deny","Resource":["arn:aws:s3:::{BUCKET}","arn:aws:s3:::{BUCKET}/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}},"Principal":"*"}}]}}"#
    );
    let https = sim_with(true, Some(&policy)).await;
    let c = owner_of(&https);
    put(&c, "k", b"v").await;
    assert_eq!(get(&c, "k").await, b"v");
    c.list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("lists over https");

    let http = sim_with(false, Some(&policy)).await;
    let c = owner_of(&http);
    let err = c.list_objects_v2().bucket(BUCKET).send().await.expect_err("denied");
    assert_eq!(code(&err), "AccessDenied");
    let err = c
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .body(b"v".to_vec().into())
        .send()
        .await
        .expect_err("denied");
    assert_eq!(code(&err), "AccessDenied");
    let log = http.requests().snapshot();
    assert!(log.iter().all(|r| r.status == 403), "{log:?}");
    assert!(
        log.iter()
            .all(|r| r.trace.iter().any(|t| t.to_string().contains("AllowSSLRequestsOnly"))),
        "{log:?}"
    );
}

/// Virtual-hosted-style requests name the bucket in the host
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>): the
/// SDK with path-style off sends `Host: BUCKET.localhost:PORT`, signs it, and every
/// operation routes to the bucket.
#[tokio::test]
async fn virtual_hosted_style_requests_route_to_the_bucket_in_the_host() {
    for (tls, domain, base) in [
        (true, None, "localhost"),
        (true, None, "s3.localhost"),
        (false, None, "localhost"),
        (true, Some("s3.example.test"), "s3.example.test"),
    ] {
        let mut b = Simulator::builder().bucket(BUCKET, REGION, OWNER).tls(tls);
        if let Some(d) = domain {
            b = b.domain(d);
        }
        let sim = b.start().await.expect("starts");
        let owner = sim.identity(Who::BucketOwner(BUCKET)).expect("owner").clone();
        let scheme = if tls { "https" } else { "http" };
        let hosts = HostsSent::default();
        let config = sim
            .client_config(&owner, REGION)
            .endpoint_url(format!("{scheme}://{base}:{}", sim.addr().port()))
            .force_path_style(false)
            .http_client(sim.resolve_all_to_loopback())
            .interceptor(hosts.clone());
        let c = Client::from_conf(config.build());
        let what = format!("tls={tls} base={base}");
        put(&c, "dir/a b.csv", b"1").await;
        assert_eq!(get(&c, "dir/a b.csv").await, b"1", "{what}");
        c.head_bucket().bucket(BUCKET).send().await.expect(&what);
        let listed = c
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix("dir/")
            .send()
            .await
            .expect(&what);
        let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys, ["dir/a b.csv"], "{what}");
        let location = c.get_bucket_location().bucket(BUCKET).send().await.expect(&what);
        assert_eq!(
            location.location_constraint().map(|l| l.as_str().to_owned()),
            Some(REGION.to_owned()),
            "{what}"
        );
        c.delete_object()
            .bucket(BUCKET)
            .key("dir/a b.csv")
            .send()
            .await
            .expect(&what);
        let log = sim.requests().snapshot();
        assert!(
            log.iter()
                .all(|r| r.bucket.as_deref() == Some(BUCKET) && r.status < 300),
            "{what}: {log:?}"
        );
        assert_eq!(log[0].key.as_deref(), Some("dir/a b.csv"), "{what}");
        // The host named the bucket, and the signature covering it verified.
        let sent = hosts.0.lock().expect("not poisoned").clone();
        let expected = format!("{BUCKET}.{base}:{}", sim.addr().port());
        assert!(
            sent.len() == 6 && sent.iter().all(|h| *h == expected),
            "{what}: {sent:?}"
        );
        let ops: Vec<&str> = log.iter().filter_map(|r| r.operation.as_deref()).collect();
        assert_eq!(
            ops,
            [
                "PutObject",
                "GetObject",
                "HeadBucket",
                "ListObjectsV2",
                "GetBucketLocation",
                "DeleteObject"
            ],
            "{what}"
        );
    }
}

/// Records the host of every request the SDK sends.
#[derive(Debug, Clone, Default)]
struct HostsSent(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl aws_sdk_s3::config::Intercept for HostsSent {
    fn name(&self) -> &'static str {
        "HostsSent"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_s3::config::RuntimeComponents,
        _: &mut aws_sdk_s3::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // The HTTP client derives `Host` from the URI's authority.
        let uri: hyper::Uri = context.request().uri().parse()?;
        let host = uri.authority().map(ToString::to_string).unwrap_or_default();
        self.0.lock().expect("not poisoned").push(host);
        Ok(())
    }
}

/// Without a signature in the way: the host alone decides the bucket, and a
/// bucket-level GET on `/` is a listing of that bucket, not ListBuckets.
#[tokio::test]
async fn an_unsigned_virtual_hosted_request_addresses_the_bucket_in_its_host() {
    let sim = sim_with(false, None).await;
    let port = sim.addr().port();
    let (status, _, body) = raw(
        sim.addr(),
        &format!("GET /?list-type=2 HTTP/1.1\r\nHost: {BUCKET}.localhost:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let record = sim.requests().snapshot().pop().expect("logged");
    assert_eq!(record.operation.as_deref(), Some("ListObjectsV2"));
    assert_eq!(record.bucket.as_deref(), Some(BUCKET));
    // A bucket that is not there is NoSuchBucket, named from the host.
    let (status, _, body) = raw(
        sim.addr(),
        &format!("GET /k HTTP/1.1\r\nHost: nobucket.s3.localhost:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("<Code>NoSuchBucket</Code>"), "{body}");
}

#[tokio::test]
async fn path_style_keeps_working_with_localhost_as_the_host() {
    let sim = sim_with(true, None).await;
    let owner = sim.identity(Who::BucketOwner(BUCKET)).expect("owner").clone();
    let config = sim
        .client_config(&owner, REGION)
        .endpoint_url(format!("https://localhost:{}", sim.addr().port()))
        .http_client(sim.resolve_all_to_loopback());
    let c = Client::from_conf(config.build());
    put(&c, "k", b"v").await;
    assert_eq!(get(&c, "k").await, b"v");
}

/// A raw HTTP/1.1 exchange: status, headers, body.
async fn raw(addr: std::net::SocketAddr, request: &str) -> (u16, Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request.as_bytes()).await.expect("writes");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("reads");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Every answer carries `x-amz-request-id` and `x-amz-id-2`, and every error body
/// `<RequestId>` and `<HostId>` with the same values
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>); the log
/// records the id.
#[tokio::test]
async fn request_ids_on_success_error_auth_failure_and_injected_fault() {
    let sim = sim_with(false, None).await;
    let c = owner_of(&sim);
    put(&c, "k", b"v").await;

    // Success.
    let ok = c.get_object().bucket(BUCKET).key("k").send().await.expect("gets");
    let ok_id = ok.request_id().expect("x-amz-request-id on success").to_owned();
    assert!(ok.extended_request_id().is_some_and(|h| !h.is_empty()));
    assert_eq!(ok_id.len(), 16);
    assert!(
        ok_id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()),
        "{ok_id}"
    );

    // An S3 error.
    let err = c
        .get_object()
        .bucket(BUCKET)
        .key("missing")
        .send()
        .await
        .expect_err("no key");
    assert_eq!(code(&err), "NoSuchKey");
    let err_id = err.request_id().expect("x-amz-request-id on an error").to_owned();

    // A signature failure, answered by s3s before any operation.
    let owner = sim.identity(Who::BucketOwner(BUCKET)).expect("owner");
    let wrong = s3_harness::sim::world::Identity::new(
        "wrong",
        s3_harness::sim::world::IdentityKind::Declared,
        owner.caller.clone(),
        &owner.access_key,
        "not-the-secret",
    );
    let bad = sim.client_for(&wrong, REGION);
    let err = bad
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect_err("bad signature");
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    let auth_id = err
        .request_id()
        .expect("x-amz-request-id on an auth failure")
        .to_owned();

    let ids = [&ok_id, &err_id, &auth_id];
    let log = sim.requests().snapshot();
    for id in ids {
        assert!(log.iter().any(|r| &r.request_id == id), "{id} not in {log:?}");
    }
    let unique: std::collections::HashSet<&String> = log.iter().map(|r| &r.request_id).collect();
    assert_eq!(unique.len(), log.len(), "{log:?}");

    // The error body repeats the headers, for an unsigned request denied by policy.
    let (status, headers, body) = raw(
        sim.addr(),
        &format!("GET /{BUCKET}/k HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let id = header(&headers, "x-amz-request-id").expect("request id header");
    let host_id = header(&headers, "x-amz-id-2").expect("host id header");
    assert!(
        body.contains(&format!(
            "<RequestId>{id}</RequestId><HostId>{host_id}</HostId></Error>"
        )),
        "{body}"
    );
    assert_eq!(
        sim.requests()
            .snapshot()
            .last()
            .map(|r| r.request_id.clone())
            .as_deref(),
        Some(id)
    );
}

#[tokio::test]
async fn an_injected_fault_carries_request_ids_in_headers_and_body() {
    let sim = Simulator::builder()
        .bucket(BUCKET, REGION, OWNER)
        .faults(FaultConfig {
            error_rate: 1.0,
            seed: 1,
            ..FaultConfig::default()
        })
        .start()
        .await
        .expect("starts");
    let (status, headers, body) = raw(
        sim.addr(),
        &format!("GET /{BUCKET}/k HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(status == 503 || status == 500, "{status} {body}");
    let id = header(&headers, "x-amz-request-id").expect("request id header");
    let host_id = header(&headers, "x-amz-id-2").expect("host id header");
    assert!(
        body.contains(&format!("<RequestId>{id}</RequestId><HostId>{host_id}</HostId>")),
        "{body}"
    );
    let record = sim.requests().snapshot().pop().expect("logged");
    assert!(record.fault.is_some());
    assert_eq!(record.request_id, id);
}

/// A client that connects and never starts its TLS handshake holds up only its own
/// connection: others are served meanwhile, and the header read timeout closes it.
#[tokio::test]
async fn a_stalled_tls_handshake_blocks_no_one_and_is_closed_by_the_header_timeout() {
    use tokio::io::AsyncReadExt;
    let mut world = s3_harness::World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    let sim = Simulator::start_with(
        world,
        s3_harness::ServerOptions {
            tls: true,
            header_read_timeout: std::time::Duration::from_millis(300),
            ..s3_harness::ServerOptions::default()
        },
    )
    .await
    .expect("starts");
    let mut stalled = tokio::net::TcpStream::connect(sim.addr()).await.expect("connects");
    // Served while the stalled handshake is pending.
    owner(&sim).head_bucket().bucket(BUCKET).send().await.expect("served");
    let mut buf = [0_u8; 64];
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            match stalled.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stalled connection was still open after 30 s");
}

/// An object upload addressed by host streams like a path-style one: it is not held to
/// the 20 MiB limit on the bodies S3 parses.
#[tokio::test]
async fn a_virtual_hosted_upload_past_20_mib_is_an_upload_not_a_parsed_body() {
    let sim = sim_with(false, None).await;
    let owner = sim.identity(Who::BucketOwner(BUCKET)).expect("owner").clone();
    let config = sim
        .client_config(&owner, REGION)
        .endpoint_url(format!("http://localhost:{}", sim.addr().port()))
        .force_path_style(false)
        .http_client(sim.resolve_all_to_loopback());
    let c = Client::from_conf(config.build());
    let body = vec![b'z'; 21 * 1024 * 1024];
    c.put_object()
        .bucket(BUCKET)
        .key("big.bin")
        .body(body.clone().into())
        .send()
        .await
        .expect("a 21 MiB PutObject is accepted");
    let head = c
        .head_object()
        .bucket(BUCKET)
        .key("big.bin")
        .send()
        .await
        .expect("stored");
    assert_eq!(head.content_length(), Some(21 * 1024 * 1024));
}
