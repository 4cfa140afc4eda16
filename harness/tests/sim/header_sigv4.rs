//! The header-signature check ahead of s3s gives the answers s3s gives: the same
//! requests, signed and then tampered with, sent to a simulator with the check and to
//! one without (s3s checks every signature), get the same status, the same body (but
//! for request ids and times) and the same request-log record.
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>)

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use s3_harness::{ServerOptions, Simulator, World};

use crate::support::{BUCKET, OWNER, REGION, send_raw};

const ACCESS_KEY: &str = "AKIAROOT111122223333";
const SECRET: &str = "root-secret-111122223333";

async fn start(header_sigv4: bool) -> Simulator {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    Simulator::start_with(
        world,
        ServerOptions {
            header_sigv4,
            ..ServerOptions::default()
        },
    )
    .await
    .expect("bind 127.0.0.1:0")
}

/// What is done to a request after it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tamper {
    Nothing,
    /// A signed header's value changed.
    SignedHeader,
    /// A header the signature does not cover added.
    UnsignedHeader,
    /// `x-amz-date` moved a day on: the credential scope's date no longer matches.
    DateScope,
    /// One hex digit of the signature changed.
    Signature,
    /// The signature in upper case.
    SignatureCase,
    /// A query parameter added.
    Query,
}

#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub method: &'static str,
    /// Path and query as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub payload: String,
    pub body: Vec<u8>,
    pub access_key: String,
    pub secret: String,
    pub region: String,
    /// Seconds the signing clock is off by.
    pub skew: i64,
    pub tamper: Tamper,
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// `key` percent-encoded as SDKs write a path (`/` kept), or only its spaces encoded.
pub(crate) fn encode_path(key: &str, sdk_style: bool) -> String {
    if !sdk_style {
        return key.replace(' ', "%20");
    }
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(key, PATH).to_string()
}

pub(crate) fn query_encode(v: &str) -> String {
    const Q: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(v, Q).to_string()
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let key = proptest::string::string_regex("[a-z0-9 ~+()!%é/._-]{1,12}").expect("regex");
    let op = 0..8u8;
    let tamper = prop_oneof![
        4 => Just(Tamper::Nothing),
        1 => Just(Tamper::SignedHeader),
        1 => Just(Tamper::UnsignedHeader),
        1 => Just(Tamper::DateScope),
        1 => Just(Tamper::Signature),
        1 => Just(Tamper::SignatureCase),
        1 => Just(Tamper::Query),
    ];
    let who = prop_oneof![
        6 => Just((ACCESS_KEY.to_owned(), SECRET.to_owned())),
        1 => Just((ACCESS_KEY.to_owned(), "not-the-secret".to_owned())),
        1 => Just(("AKIANOBODY0000000000".to_owned(), SECRET.to_owned())),
    ];
    let region = prop_oneof![6 => Just(REGION.to_owned()), 1 => Just("us-west-2".to_owned())];
    let skew = prop_oneof![8 => Just(0i64), 1 => Just(-1200i64), 1 => Just(1200i64)];
    let note = proptest::string::string_regex("[a-z]{1,4}( {1,3}[a-z]{1,4}){0,2}").expect("regex");
    let body = proptest::collection::vec(any::<u8>(), 0..64);
    let payload_kind = 0..3u8;
    (
        key,
        op,
        tamper,
        who,
        region,
        skew,
        note,
        body,
        payload_kind,
        any::<bool>(),
    )
        .prop_map(
            |(key, op, tamper, (access_key, secret), region, skew, note, body, payload_kind, sdk_style)| {
                let path = format!("/{BUCKET}/{}", encode_path(&key, sdk_style));
                let mut headers = vec![("x-amz-meta-note".to_owned(), format!("  {note} "))];
                let (method, target, body) = match op {
                    0 => ("GET", path, Vec::new()),
                    1 => ("HEAD", path, Vec::new()),
                    2 => ("PUT", path, body),
                    3 => (
                        "GET",
                        format!("/{BUCKET}?list-type=2&prefix={}", query_encode(&key)),
                        Vec::new(),
                    ),
                    4 => ("DELETE", path, Vec::new()),
                    // CreateBucket reads the region the request was signed for.
                    6 | 7 => {
                        let constraint = match body.len() % 3 {
                            0 => String::new(),
                            1 => "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>".to_owned(),
                            _ => "<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>".to_owned(),
                        };
                        ("PUT", format!("/new-bucket-{}", key.len()), constraint.into_bytes())
                    }
                    _ => {
                        headers.push(("range".to_owned(), "bytes=0-3".to_owned()));
                        ("GET", path, Vec::new())
                    }
                };
                let payload = match payload_kind {
                    0 => "UNSIGNED-PAYLOAD".to_owned(),
                    1 => sha256_hex(&body),
                    // The hash of other bytes than the body's.
                    _ => sha256_hex(b"other bytes"),
                };
                Case {
                    method,
                    target,
                    headers,
                    payload,
                    body,
                    access_key,
                    secret,
                    region,
                    skew,
                    tamper,
                }
            },
        )
}

/// `case` signed for `sim` (whose address is in the `host` header) and tampered with.
pub(crate) fn signed(sim: &Simulator, case: &Case) -> hyper::Request<http_body_util::Full<bytes::Bytes>> {
    let url = format!("{}{}", sim.endpoint(), case.target);
    let uri: hyper::Uri = url.parse().expect("a URL");
    let host = uri.authority().expect("an authority").to_string();
    let mut builder = hyper::Request::builder()
        .method(case.method)
        .uri(&url)
        .header("host", &host)
        .header("content-length", case.body.len().to_string())
        .header("x-amz-content-sha256", &case.payload);
    for (k, v) in &case.headers {
        builder = builder.header(k, v);
    }
    let mut req = builder
        .body(http_body_util::Full::new(bytes::Bytes::from(case.body.clone())))
        .expect("a request");
    let identity = aws_credential_types::Credentials::new(&case.access_key, &case.secret, None, None, "test").into();
    let now = if case.skew >= 0 {
        SystemTime::now() + Duration::from_secs(case.skew.unsigned_abs())
    } else {
        SystemTime::now() - Duration::from_secs(case.skew.unsigned_abs())
    };
    let mut settings = aws_sigv4::http_request::SigningSettings::default();
    // S3 signs the path as sent, without normalising or encoding it again.
    settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&case.region)
        .name("s3")
        .time(now)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        case.method,
        url.clone(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        aws_sigv4::http_request::SignableBody::Precomputed(case.payload.clone()),
    )
    .expect("signable");
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .expect("signed")
        .into_parts();
    instructions.apply_to_request_http1x(&mut req);
    let path_and_query = uri.path_and_query().expect("a path").as_str().to_owned();
    *req.uri_mut() = path_and_query.parse().expect("a path");
    let h = req.headers_mut();
    match case.tamper {
        Tamper::Nothing => {}
        Tamper::SignedHeader => {
            h.insert("x-amz-meta-note", hyper::header::HeaderValue::from_static("changed"));
        }
        Tamper::UnsignedHeader => {
            h.insert("x-unsigned-extra", hyper::header::HeaderValue::from_static("added"));
        }
        Tamper::DateScope => {
            let date = h["x-amz-date"].to_str().expect("text").to_owned();
            let moved = time::PrimitiveDateTime::parse(
                &date,
                time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
            )
            .expect("an amz date")
                + time::Duration::days(1);
            let moved = moved
                .format(time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .expect("formats");
            h.insert("x-amz-date", moved.parse().expect("a header value"));
        }
        Tamper::Signature | Tamper::SignatureCase => {
            let auth = h["authorization"].to_str().expect("text").to_owned();
            let (head, sig) = auth.split_once("Signature=").expect("a signature");
            let sig = if case.tamper == Tamper::Signature {
                let flipped = if sig.starts_with('0') { "1" } else { "0" };
                format!("{flipped}{}", &sig[1..])
            } else {
                sig.to_uppercase()
            };
            h.insert(
                "authorization",
                format!("{head}Signature={sig}").parse().expect("a header value"),
            );
        }
        Tamper::Query => {
            let sep = if path_and_query.contains('?') { '&' } else { '?' };
            *req.uri_mut() = format!("{path_and_query}{sep}x-id=added").parse().expect("a path");
        }
    }
    req
}

/// An answer without what differs between two servers: request ids and times.
pub(crate) fn normalised(body: &str) -> String {
    let mut out = body.to_owned();
    for tag in ["RequestId", "HostId", "LastModified"] {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        while let Some(start) = out.find(&open) {
            let Some(len) = out[start..].find(&close) else { break };
            out.replace_range(start..start + len + close.len(), "");
        }
    }
    out
}

/// A request-log record's operation, principal, status and error code.
type Recorded = (Option<String>, Option<String>, u16, Option<String>);

/// The last request-log record, as far as it does not depend on the server.
fn last_record(sim: &Simulator) -> Option<Recorded> {
    sim.requests()
        .snapshot()
        .last()
        .map(|r| (r.operation.clone(), r.principal.clone(), r.status, r.error_code.clone()))
}

/// Both simulators, fed the same cases in the same order, answer alike.
#[test]
fn signed_and_tampered_requests_get_the_answers_s3s_gives() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (fast, slow) = rt.block_on(async { (start(true).await, start(false).await) });
    let mut runner = TestRunner::new(Config {
        cases: 160,
        ..Config::default()
    });
    let seen_ok = std::cell::Cell::new(0u32);
    let seen_denied = std::cell::Cell::new(0u32);
    runner
        .run(&case_strategy(), |case| {
            let (a, b) = rt.block_on(async {
                let a = send_raw(signed(&fast, &case)).await;
                let b = send_raw(signed(&slow, &case)).await;
                (a, b)
            });
            prop_assert_eq!(a.0, b.0, "status of {:?}", case);
            prop_assert_eq!(normalised(&a.1), normalised(&b.1), "body of {:?}", case);
            prop_assert_eq!(last_record(&fast), last_record(&slow), "record of {:?}", case);
            if a.0 < 300 {
                seen_ok.set(seen_ok.get() + 1);
            } else if a.0 == 403 {
                seen_denied.set(seen_denied.get() + 1);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // The cases reach both sides of the check.
    let (ok, denied) = (seen_ok.get(), seen_denied.get());
    assert!(ok > 0 && denied > 0, "ok {ok}, denied {denied}");
    rt.block_on(async {
        fast.shutdown().await;
        slow.shutdown().await;
    });
}

/// Each way a signature fails gives s3s's error (code and message) with the check on.
#[tokio::test]
async fn each_failure_is_the_error_s3s_writes() {
    let fast = start(true).await;
    let slow = start(false).await;
    let base = Case {
        method: "GET",
        target: format!("/{BUCKET}?list-type=2"),
        headers: vec![("x-amz-meta-note".to_owned(), "a".to_owned())],
        payload: "UNSIGNED-PAYLOAD".to_owned(),
        body: Vec::new(),
        access_key: ACCESS_KEY.to_owned(),
        secret: SECRET.to_owned(),
        region: REGION.to_owned(),
        skew: 0,
        tamper: Tamper::Nothing,
    };
    let cases = [
        (
            "wrong secret",
            Case {
                secret: "wrong".to_owned(),
                ..base.clone()
            },
            "SignatureDoesNotMatch",
        ),
        (
            "date scope",
            Case {
                tamper: Tamper::DateScope,
                ..base.clone()
            },
            "SignatureDoesNotMatch",
        ),
        (
            "signed header",
            Case {
                tamper: Tamper::SignedHeader,
                ..base.clone()
            },
            "SignatureDoesNotMatch",
        ),
        (
            "skewed clock",
            Case {
                skew: -3600,
                ..base.clone()
            },
            "RequestTimeTooSkewed",
        ),
        (
            "wrong region",
            Case {
                region: "us-west-2".to_owned(),
                ..base.clone()
            },
            "AuthorizationHeaderMalformed",
        ),
        (
            "unsigned header",
            Case {
                tamper: Tamper::UnsignedHeader,
                ..base.clone()
            },
            "",
        ),
        ("as signed", base.clone(), ""),
    ];
    for (name, case, expected) in cases {
        let a = send_raw(signed(&fast, &case)).await;
        let b = send_raw(signed(&slow, &case)).await;
        assert_eq!(a.0, b.0, "{name}");
        assert_eq!(normalised(&a.1), normalised(&b.1), "{name}");
        assert_eq!(last_record(&fast), last_record(&slow), "{name}");
        if expected.is_empty() {
            assert_eq!(a.0, 200, "{name}: {}", a.1);
        } else {
            assert!(a.1.contains(&format!("<Code>{expected}</Code>")), "{name}: {}", a.1);
        }
    }
    fast.shutdown().await;
    slow.shutdown().await;
}
