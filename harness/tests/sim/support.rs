//! Shared setup: a world with one owner account and its bucket, started on loopback.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use s3_harness::{Simulator, World};

pub const OWNER: &str = "111122223333";
pub const OWNER_ROOT: &str = "root-111122223333";
pub const BUCKET: &str = "sim-bucket";
pub const REGION: &str = "eu-west-1";

pub async fn sim() -> Simulator {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    Simulator::start(world).await.expect("bind 127.0.0.1:0")
}

pub fn owner(sim: &Simulator) -> Client {
    sim.client_in(s3_harness::Who::Identity(OWNER_ROOT), REGION)
        .expect("the owner's root identity exists")
}

pub async fn put(c: &Client, key: &str, body: &[u8]) {
    c.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

pub async fn get(c: &Client, key: &str) -> Vec<u8> {
    c.get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"))
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

/// The S3 error code of a failed SDK call.
pub fn code<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("<no service error: {err:?}>"))
}

/// The HTTP status of a failed SDK call.
pub fn status<E>(err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> u16 {
    err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}

/// A request signed with SigV4 as the bucket owner's root, sent over its own HTTP/1.1
/// connection: for bodies and headers no SDK sends. `payload` is the
/// `x-amz-content-sha256` the signature covers (`UNSIGNED-PAYLOAD`,
/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, ...). Returns the status and body; a server that
/// closes the connection before answering is status 0.
pub async fn signed_raw(
    sim: &Simulator,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    payload: &str,
    body: Vec<u8>,
) -> (u16, String) {
    let len = body.len();
    let mut signed = sign_raw(sim, method, path_and_query, headers, payload, len);
    *signed.req.body_mut() = http_body_util::Full::new(bytes::Bytes::from(body));
    send_raw(signed.req).await
}

/// A signed request whose body is still to be set (of `content_length` bytes), with
/// what signing the rest of a streaming body needs.
pub struct Signed {
    pub req: hyper::Request<http_body_util::Full<bytes::Bytes>>,
    /// The request's signature: the seed of a signed aws-chunked body.
    pub signature: String,
    /// `x-amz-date`.
    pub amz_date: String,
    /// The SigV4 signing key of the owner's root for today, here.
    pub signing_key: Vec<u8>,
}

pub fn sign_raw(
    sim: &Simulator,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    payload: &str,
    content_length: usize,
) -> Signed {
    let url = format!("{}{path_and_query}", sim.endpoint());
    let uri: hyper::Uri = url.parse().unwrap();
    let host = uri.authority().unwrap().to_string();
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(&url)
        .header("host", &host)
        .header("content-length", content_length.to_string())
        .header("x-amz-content-sha256", payload);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(http_body_util::Full::new(bytes::Bytes::new())).unwrap();
    let secret = format!("root-secret-{OWNER}");
    let identity =
        aws_credential_types::Credentials::new(format!("AKIAROOT{OWNER}"), &secret, None, None, "test").into();
    let now = std::time::SystemTime::now();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(now)
        .settings(aws_sigv4::http_request::SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signed_headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let signable = aws_sigv4::http_request::SignableRequest::new(
        method,
        url.clone(),
        signed_headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        aws_sigv4::http_request::SignableBody::Precomputed(payload.to_owned()),
    )
    .unwrap();
    let (instructions, signature) = aws_sigv4::http_request::sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut req);
    *req.uri_mut() = uri.path_and_query().unwrap().as_str().parse().unwrap();
    let amz_date = req.headers()["x-amz-date"].to_str().unwrap().to_owned();
    let signing_key = aws_sigv4::sign::v4::generate_signing_key(&secret, now, REGION, "s3")
        .as_ref()
        .to_vec();
    Signed {
        req,
        signature,
        amz_date,
        signing_key,
    }
}

/// Sends a request over a fresh connection; status 0 when the server closes it first.
pub async fn send_raw(req: hyper::Request<http_body_util::Full<bytes::Bytes>>) -> (u16, String) {
    let (status, _, body) = send_raw_parts(req).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// [`send_raw`] with the answer's headers and its body's bytes as sent.
pub async fn send_raw_parts(
    req: hyper::Request<http_body_util::Full<bytes::Bytes>>,
) -> (u16, hyper::HeaderMap, bytes::Bytes) {
    use http_body_util::BodyExt;
    let host = req.headers()["host"].to_str().unwrap().to_owned();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let Ok(resp) = sender.send_request(req).await else {
        return (0, hyper::HeaderMap::new(), bytes::Bytes::new());
    };
    let status = resp.status().as_u16();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    (status, parts.headers, body)
}

/// Serves `builder`'s world, connects to its bucket `rows` under `data/` as the owner
/// (partitioning `all`), and reads the first discovered table back through the
/// connector's reader: 3 files in flight, `batch_rows` rows a batch, the first bad row
/// fails. Each row is turned into a value by `row`. With `import_to`, the table is then
/// also imported there as `s3-harness import` writes it (Parquet row groups copied where
/// they can be), with a 1 MiB memory limit.
pub async fn read_first_table<R>(
    builder: s3_harness::SimulatorBuilder,
    format: s3_connector::config::DataFormat,
    batch_rows: usize,
    row: impl Fn(&arrow_array::RecordBatch, usize) -> R,
    import_to: Option<&std::path::Path>,
) -> Result<Vec<R>, proptest::test_runner::TestCaseError> {
    use proptest::test_runner::TestCaseError;
    use s3_connector::config::{ConnectionForm, Partitioning};
    use s3_connector::connector::{Connector, ConnectorOptions};
    use s3_connector::read::{BadRowPolicy, ReadOptions};
    let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
    let sim = builder.start().await.map_err(|e| fail(&e))?;
    let client = sim.client(s3_harness::Who::BucketOwner("rows")).map_err(|e| fail(&e))?;
    let connector = Connector::new(client, ConnectorOptions::default());
    let form = ConnectionForm {
        name: "rows".into(),
        region: "eu-west-1".into(),
        bucket: "rows".into(),
        schema_prefix: "data/".into(),
        format,
        partitioning: Partitioning::All,
    };
    let report = connector.connect(&form).await;
    let (Some(config), Some(table)) = (report.config.as_ref(), report.tables.first()) else {
        return Err(TestCaseError::fail(format!("no table: {:?}", report.diagnostics)));
    };
    let options = ReadOptions {
        files_in_flight: 3,
        batch_rows,
        on_bad_row: BadRowPolicy::Fail,
        ..ReadOptions::default()
    };
    let mut rows = connector
        .read_table(config, table, options)
        .await
        .map_err(|e| fail(&e))?;
    let mut got = Vec::new();
    while let Some(batch) = rows.next_batch().await {
        let batch = batch.map_err(|e| fail(&e))?;
        got.extend((0..batch.batch.num_rows()).map(|r| row(&batch.batch, r)));
    }
    if let Some(out) = import_to {
        let import = s3_harness::import::ImportOptions {
            memory_limit: 1 << 20,
            on_bad_row: BadRowPolicy::Fail,
        };
        let mut rows = connector
            .read_table(config, table, import.read_options())
            .await
            .map_err(|e| fail(&e))?;
        s3_harness::import::write_parquet(&mut rows, out, &import)
            .await
            .map_err(|e| fail(&e))?;
    }
    sim.shutdown().await;
    Ok(got)
}

/// Starts `world` with `opts` changed by `set` (a simulator with one of its shortcuts
/// on or off, for tests that compare the two).
pub async fn start_with(world: World, set: impl FnOnce(&mut s3_harness::ServerOptions)) -> Simulator {
    let mut opts = s3_harness::ServerOptions::default();
    set(&mut opts);
    Simulator::start_with(world, opts).await.expect("bind 127.0.0.1:0")
}

/// A request-log record as far as it does not depend on the server: operation,
/// principal, status, error code and decision.
pub type Recorded = (Option<String>, Option<String>, u16, Option<String>, Option<String>);

/// The last request-log record, as far as it does not depend on the server.
pub fn last_record(sim: &Simulator) -> Option<Recorded> {
    sim.requests().snapshot().last().map(|r| {
        (
            r.operation.clone(),
            r.principal.clone(),
            r.status,
            r.error_code.clone(),
            r.decision.map(|d| format!("{d:?}")),
        )
    })
}

/// An answer's headers in order, without those that differ between two servers (the
/// date and request ids). User metadata comes out of a hash map, in no fixed order
/// even from s3s alone: its headers are compared in name order, where the first of
/// them stands.
pub fn comparable_headers(h: &hyper::HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut meta: Vec<(String, String)> = Vec::new();
    let mut meta_at = None;
    for (k, v) in h {
        if matches!(k.as_str(), "date" | "x-amz-request-id" | "x-amz-id-2") {
            continue;
        }
        let pair = (
            k.as_str().to_owned(),
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        );
        if k.as_str().starts_with("x-amz-meta-") {
            meta_at.get_or_insert(out.len());
            meta.push(pair);
        } else {
            out.push(pair);
        }
    }
    meta.sort();
    let at = meta_at.unwrap_or(out.len());
    out.splice(at..at, meta);
    out
}

/// One request's answers from two simulators (one with a shortcut, one without) are
/// alike: status, [`comparable_headers`], and body (an error's but for its request
/// ids). Says whether the request succeeded.
pub fn same_answer(
    a: &(u16, hyper::HeaderMap, bytes::Bytes),
    b: &(u16, hyper::HeaderMap, bytes::Bytes),
    what: &dyn std::fmt::Debug,
) -> Result<bool, proptest::test_runner::TestCaseError> {
    use crate::header_sigv4::normalised;
    proptest::prop_assert_eq!(a.0, b.0, "status of {:?}", what);
    proptest::prop_assert_eq!(
        comparable_headers(&a.1),
        comparable_headers(&b.1),
        "headers of {:?}",
        what
    );
    if a.0 < 300 {
        proptest::prop_assert_eq!(&a.2, &b.2, "body of {:?}", what);
    } else {
        let (body_a, body_b) = (String::from_utf8_lossy(&a.2), String::from_utf8_lossy(&b.2));
        proptest::prop_assert_eq!(normalised(&body_a), normalised(&body_b), "error of {:?}", what);
    }
    Ok(a.0 < 300)
}
