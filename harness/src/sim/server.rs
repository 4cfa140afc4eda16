//! The simulator's HTTP server: s3s on hyper, bound to loopback, started and stopped
//! in process, with one front service every request passes through (request log,
//! fault layer, connection facts for policy context).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use bytes::Bytes;
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::sim::auth::authorizer::{Authorizer, PolicyAuthorizer};
use crate::sim::auth::gate::{AccessGate, ConnInfo, CredentialScope, IdentityAuth};
use crate::sim::faults::{FaultConfig, Faults};
use crate::sim::ops::SimS3;
use crate::sim::request_log::{RecordSlot, RequestLog, RequestRecord};
use crate::sim::world::{Identity, World};

/// How to start a simulator.
pub struct ServerOptions {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    pub authorizer: Arc<dyn Authorizer>,
    /// Overrides the world's `[faults]`.
    pub faults: Option<FaultConfig>,
    /// How long shutdown waits for requests in flight.
    pub grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            authorizer: Arc::new(PolicyAuthorizer::default()),
            faults: None,
            grace: Duration::from_secs(2),
        }
    }
}

/// A running simulator. Dropping it stops the accept loop; [`Simulator::shutdown`]
/// also waits for requests in flight.
pub struct Simulator {
    endpoint: String,
    addr: SocketAddr,
    world: Arc<World>,
    log: RequestLog,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

#[derive(Clone)]
struct Front {
    s3: S3Service,
    log: RequestLog,
    faults: Option<Arc<Faults>>,
    peer: SocketAddr,
}

/// Maximum error body the log reads to find the S3 error code.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

impl Front {
    async fn handle(self, mut req: Request<Incoming>) -> Result<Response<s3s::Body>, s3s::HttpError> {
        let slot = RecordSlot::default();
        let scope = CredentialScope::of(req.headers(), req.uri());
        slot.update(|r| {
            r.method = req.method().to_string();
            r.principal = scope.as_ref().map(|s| s.access_key.clone());
            if let Ok(path) = s3s::path::parse_path_style(req.uri().path()) {
                r.bucket = path.get_bucket_name().map(str::to_owned);
                r.key = path.get_object_key().map(str::to_owned);
            }
        });
        req.extensions_mut().insert(slot.clone());
        req.extensions_mut().insert(ConnInfo { peer: self.peer });
        drop_unparseable_range(&mut req);

        if let Some(faults) = &self.faults {
            if !faults.config.latency.is_zero() {
                tokio::time::sleep(faults.config.latency).await;
            }
            if let Some(err) = faults.next() {
                let mut record = slot.take();
                record.operation =
                    guess_operation(req.method(), req.uri(), req.headers().contains_key("x-amz-copy-source"));
                record.status = err.status();
                record.error_code = Some(err.code().to_owned());
                record.injected_fault = true;
                self.log.push(record);
                return Ok(error_response(err.status(), err.code(), err.message()));
            }
        }

        let method = req.method().clone();
        let uri = req.uri().clone();
        let copy = req.headers().contains_key("x-amz-copy-source");
        let result = self.s3.call(req.map(s3s::Body::from)).await;
        let mut record: RequestRecord = slot.take();
        if record.operation.is_none() {
            record.operation = guess_operation(&method, &uri, copy);
        }
        match result {
            Ok(resp) => {
                record.status = resp.status().as_u16();
                let resp = if resp.status().as_u16() >= 300 {
                    let (mut parts, body) = resp.into_parts();
                    let bytes = collect_limited(body).await;
                    record.error_code = error_code(&bytes);
                    let region = parts.headers.get("x-amz-bucket-region").and_then(|v| v.to_str().ok());
                    let bytes = complete_error_body(bytes, record.error_code.as_deref(), region);
                    if let Ok(len) = hyper::header::HeaderValue::from_str(&bytes.len().to_string())
                        && parts.headers.contains_key(hyper::header::CONTENT_LENGTH)
                    {
                        parts.headers.insert(hyper::header::CONTENT_LENGTH, len);
                    }
                    Response::from_parts(parts, s3s::Body::from(bytes))
                } else {
                    resp
                };
                self.log.push(record);
                Ok(resp)
            }
            Err(e) => {
                record.status = 500;
                self.log.push(record);
                Err(e)
            }
        }
    }
}

/// The operation of a request that never reached s3s's router (a fault answered it, or
/// its signature failed), from its method, path and query as S3's REST API lays them out.
fn guess_operation(method: &hyper::Method, uri: &hyper::Uri, copy: bool) -> Option<String> {
    let path = s3s::path::parse_path_style(uri.path()).ok()?;
    let query: Vec<(String, String)> = crate::sim::auth::gate::query_pairs(uri);
    let has = |k: &str| query.iter().any(|(q, _)| q == k);
    let op = match (&path, method.as_str()) {
        (s3s::path::S3Path::Root, _) => "ListBuckets",
        (s3s::path::S3Path::Bucket { .. }, "GET") if has("list-type") => "ListObjectsV2",
        (s3s::path::S3Path::Bucket { .. }, "GET") if has("location") => "GetBucketLocation",
        (s3s::path::S3Path::Bucket { .. }, "GET") if has("policy") => "GetBucketPolicy",
        (s3s::path::S3Path::Bucket { .. }, "GET") if has("uploads") => "ListMultipartUploads",
        (s3s::path::S3Path::Bucket { .. }, "GET") => "ListObjects",
        (s3s::path::S3Path::Bucket { .. }, "HEAD") => "HeadBucket",
        (s3s::path::S3Path::Bucket { .. }, "PUT") if has("policy") => "PutBucketPolicy",
        (s3s::path::S3Path::Bucket { .. }, "PUT") => "CreateBucket",
        (s3s::path::S3Path::Bucket { .. }, "DELETE") if has("policy") => "DeleteBucketPolicy",
        (s3s::path::S3Path::Bucket { .. }, "DELETE") => "DeleteBucket",
        (s3s::path::S3Path::Bucket { .. }, "POST") if has("delete") => "DeleteObjects",
        (s3s::path::S3Path::Object { .. }, "GET") if has("uploadId") => "ListParts",
        (s3s::path::S3Path::Object { .. }, "GET") => "GetObject",
        (s3s::path::S3Path::Object { .. }, "HEAD") => "HeadObject",
        (s3s::path::S3Path::Object { .. }, "PUT") if has("partNumber") => "UploadPart",
        (s3s::path::S3Path::Object { .. }, "PUT") if copy => "CopyObject",
        (s3s::path::S3Path::Object { .. }, "PUT") => "PutObject",
        (s3s::path::S3Path::Object { .. }, "DELETE") if has("uploadId") => "AbortMultipartUpload",
        (s3s::path::S3Path::Object { .. }, "DELETE") => "DeleteObject",
        (s3s::path::S3Path::Object { .. }, "POST") if has("uploads") => "CreateMultipartUpload",
        (s3s::path::S3Path::Object { .. }, "POST") if has("uploadId") => "CompleteMultipartUpload",
        _ => return None,
    };
    Some(op.to_owned())
}

/// S3 ignores a Range header it cannot parse (including multiple ranges) and sends
/// the whole object (RFC 9110 section 14.2 lets a server ignore Range), where s3s
/// answers 400 InvalidArgument. Such a header is dropped before s3s sees it, but only
/// when the signature does not cover it (unsigned and presigned requests): removing a
/// signed header would turn the request into a SignatureDoesNotMatch.
fn drop_unparseable_range(req: &mut Request<Incoming>) {
    let bad = req
        .headers()
        .get(hyper::header::RANGE)
        .is_some_and(|v| v.to_str().map_or(true, |s| s3s::dto::Range::parse(s).is_err()));
    if bad && !signed_headers(req).iter().any(|h| h == "range") {
        req.headers_mut().remove(hyper::header::RANGE);
    }
}

/// The lower-cased header names a SigV4 signature covers.
fn signed_headers(req: &Request<Incoming>) -> Vec<String> {
    let from_header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| {
            a.split_once("SignedHeaders=")
                .map(|(_, rest)| rest.split(',').next().unwrap_or("").to_owned())
        });
    let list = from_header.or_else(|| {
        crate::sim::auth::gate::query_pairs(req.uri())
            .into_iter()
            .find(|(k, _)| k == "X-Amz-SignedHeaders")
            .map(|(_, v)| v)
    });
    list.map(|l| l.split(';').map(|h| h.trim().to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

async fn collect_limited(body: s3s::Body) -> Bytes {
    match http_body_util::Limited::new(body, ERROR_BODY_LIMIT).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => Bytes::new(),
    }
}

/// Adds what S3 puts in an error body and s3s cannot: the `<Region>` element of a
/// wrong-region error, which SDKs read to re-sign for the bucket's region (botocore's
/// `S3RegionRedirectorv2` does; <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
fn complete_error_body(body: Bytes, code: Option<&str>, region: Option<&str>) -> Bytes {
    let wants_region = matches!(
        code,
        Some("AuthorizationHeaderMalformed" | "AuthorizationQueryParametersError" | "PermanentRedirect")
    );
    let (Some(region), true) = (region, wants_region) else {
        return body;
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return body;
    };
    match text.rfind("</Error>") {
        Some(end) if !text.contains("<Region>") => {
            Bytes::from(format!("{}<Region>{region}</Region>{}", &text[..end], &text[end..]))
        }
        _ => body,
    }
}

fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    Some(text[start..end].to_owned())
}

fn error_response(status: u16, code: &str, message: &str) -> Response<s3s::Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut resp = Response::new(s3s::Body::from(body));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/xml"),
    );
    resp
}

impl Simulator {
    /// Starts a simulator for `world` on 127.0.0.1 with a free port.
    pub async fn start(world: World) -> std::io::Result<Self> {
        Self::start_with(world, ServerOptions::default()).await
    }

    pub async fn start_with(world: World, opts: ServerOptions) -> std::io::Result<Self> {
        let world = Arc::new(world);
        let listener = TcpListener::bind(opts.addr).await?;
        let addr = listener.local_addr()?;
        let log = RequestLog::default();
        let gate = Arc::new(AccessGate {
            world: world.clone(),
            authorizer: opts.authorizer,
        });
        let mut builder = S3ServiceBuilder::new(SimS3 { gate: gate.clone() });
        builder.set_auth(IdentityAuth { world: world.clone() });
        builder.set_access(GateRef(gate));
        let s3 = builder.build();
        let faults = opts
            .faults
            .or_else(|| world.faults.as_ref().map(FaultConfig::from))
            .map(|c| Arc::new(Faults::new(c)));
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(
            listener,
            Front {
                s3,
                log: log.clone(),
                faults,
                peer: addr,
            },
            stop_rx,
            opts.grace,
        ));
        Ok(Self {
            endpoint: format!("http://{addr}"),
            addr,
            world,
            log,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// The log of requests served so far.
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// An aws-sdk-s3 client signing as `identity` (a name or an access key) for
    /// `region`, path-style, at this endpoint.
    pub fn client(&self, identity: &str, region: &str) -> Option<aws_sdk_s3::Client> {
        self.world.identity(identity).map(|i| self.client_for(i, region))
    }

    /// A client for an identity that need not be in the world (wrong secrets, unknown
    /// keys).
    pub fn client_for(&self, identity: &Identity, region: &str) -> aws_sdk_s3::Client {
        client(&self.endpoint, &identity.access_key, identity.secret_key(), region)
    }

    /// The platform reader's client in the region the connection names.
    pub fn platform_client(&self) -> Option<aws_sdk_s3::Client> {
        let region = self
            .world
            .connection
            .as_ref()
            .map_or("us-east-1", |c| c.region.as_str());
        self.world.platform_identity().map(|i| self.client_for(i, region))
    }

    /// Stops accepting, waits (up to the grace period) for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A path-style aws-sdk-s3 client with static credentials.
pub fn client(endpoint: &str, access_key: &str, secret_key: &str, region: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "s3-harness"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// s3s takes the access hook by value; the gate is shared with the operations.
struct GateRef(Arc<AccessGate>);

#[async_trait::async_trait]
impl s3s::access::S3Access for GateRef {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        self.0.check(cx).await
    }
}

async fn accept_loop(listener: TcpListener, front: Front, mut stop: oneshot::Receiver<()>, grace: Duration) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder = ConnBuilder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let front = Front { peer, ..front.clone() };
                let service = hyper::service::service_fn(move |req| -> BoxFuture<'static, Result<_, Infallible>> {
                    let front = front.clone();
                    Box::pin(async move {
                        Ok(match front.handle(req).await {
                            Ok(resp) => resp,
                            Err(e) => {
                                tracing::error!(error = ?e, "request failed inside s3s");
                                error_response(500, "InternalError", "We encountered an internal error. Please try again.")
                            }
                        })
                    })
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => tracing::warn!("shutdown grace period ended with requests in flight"),
    }
}
