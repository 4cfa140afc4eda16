//! The front service every request passes through before s3s: it opens the request's
//! log record, passes the connection (peer address, TLS or not) on for the condition
//! keys, applies the fault layer, completes error answers with what S3 writes and s3s
//! cannot, and stamps every answer with its request ids.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};
use s3s::service::S3Service;

use crate::sim::auth::gate::{AccessGate, ConnInfo};
use crate::sim::auth::header_sigv4::{BodyView, HeaderSigV4, RequestView};
use crate::sim::auth::sigv4::{CredentialScope, query_pairs};
use crate::sim::faults::{self, FaultKind, Faults, RequestIdentity};
use crate::sim::ops::SimS3;
use crate::sim::request_log::{RecordSlot, RequestLog, RequestRecord};
use crate::sim::world::World;

use super::hosts::{Hosts, host_of};
use super::list_route::ListTarget;
use super::request_id::{RequestIdSource, RequestIds, with_ids};

/// One connection's front service.
#[derive(Clone)]
pub(super) struct Front {
    pub s3: S3Service,
    pub log: RequestLog,
    pub faults: Option<Arc<Faults>>,
    pub peer: SocketAddr,
    /// Whether the connection is TLS (`aws:SecureTransport`).
    pub secure: bool,
    /// The base domains virtual-hosted-style requests name buckets under.
    pub hosts: Arc<Hosts>,
    /// Where each request's `x-amz-request-id` and `x-amz-id-2` come from.
    pub ids: RequestIdSource,
    /// The header-signature check ahead of s3s, with the world whose secrets it
    /// checks against (`None`: s3s checks every signature).
    pub sigv4: Option<(Arc<HeaderSigV4>, Arc<World>)>,
    /// Whether plain ListObjectsV2 requests may take the simulator's own listing route.
    pub direct_list_pages: bool,
    /// The operations plain GetObject and PutObject requests are answered with ahead
    /// of s3s (`None`: s3s answers every request).
    pub direct: Option<Direct>,
}

/// The direct routes ahead of s3s, and which of them are on.
#[derive(Clone)]
pub(super) struct Direct {
    pub sim: SimS3,
    pub get: bool,
    pub put: bool,
}

/// A request a direct route took.
enum Taken {
    // Boxed: the inputs are half a kilobyte (GetObject) and nearly one (PutObject).
    Get(Box<super::get_route::PlainGet>),
    Put(Box<super::put_route::PlainPut>),
}

impl Direct {
    /// The request as a route takes it; `path` (the front's reading) is moved into
    /// the route's input when a route takes it, and left as it was otherwise.
    fn take(&self, req: &Request<s3s::Body>, path: &mut Option<s3s::path::S3Path>) -> Option<Taken> {
        match *req.method() {
            hyper::Method::GET if self.get => super::get_route::plain_get(req, path).map(|g| Taken::Get(Box::new(g))),
            hyper::Method::PUT if self.put => super::put_route::plain_put(req, path).map(|p| Taken::Put(Box::new(p))),
            _ => None,
        }
    }
}

/// The largest error body read back: enough for any error S3 or s3s writes.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

impl Front {
    /// Answers one request. Every answer carries `x-amz-request-id` and `x-amz-id-2`,
    /// and every error body `<RequestId>` and `<HostId>`, whatever produced it (an
    /// operation, s3s's signature check, the fault layer, an internal failure), as S3's
    /// do (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
    pub(super) async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<s3s::Body> {
        let ids = self.ids.next();
        let resp = match self.answer(req, &ids).await {
            Ok(resp) => resp,
            Err(e) => {
                tracing::error!(error = ?e, "request failed inside s3s");
                error_response(
                    500,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                )
            }
        };
        stamp(resp, ids).await
    }

    async fn answer(
        &self,
        mut req: Request<Incoming>,
        ids: &RequestIds,
    ) -> Result<Response<s3s::Body>, s3s::HttpError> {
        let slot = RecordSlot::default();
        let claimed = Claimed {
            authorization: req.headers().get(hyper::header::AUTHORIZATION).cloned(),
            uri: req.uri().clone(),
        };
        let mut s3_path = self.hosts.s3_path(host_of(&req), req.uri().path());
        slot.update(|r| {
            r.request_id.clone_from(&ids.request_id);
            r.method = req.method().as_str().to_owned();
            if let Some(path) = &s3_path {
                r.bucket = path.get_bucket_name().map(str::to_owned);
                r.key = path.get_object_key().map(str::to_owned);
            }
        });
        req.extensions_mut().insert(slot.clone());
        req.extensions_mut().insert(ConnInfo {
            peer: self.peer,
            secure: self.secure,
        });
        drop_unparseable_range(&mut req);
        if self.direct_list_pages
            && req.method() == hyper::Method::GET
            && let Some(s3s::path::S3Path::Bucket { bucket }) = &s3_path
            && req.uri().query().is_some_and(|q| q.contains("list-type=2"))
        {
            req.extensions_mut().insert(ListTarget(String::from(&**bucket)));
        }

        let method = req.method().clone();
        let copy = req.headers().contains_key(s3s::header::X_AMZ_COPY_SOURCE);
        if let Some((status, code, message)) = auth_shape_error(&req) {
            let operation = guess_operation(s3_path.as_ref(), &method, req.uri(), copy);
            self.record_early(&slot, &claimed, operation, status, Some(code), None);
            return Ok(error_response(status, code, &message));
        }

        let fate = self.faults.as_ref().map(|f| {
            let op = guess_operation(s3_path.as_ref(), &method, req.uri(), copy);
            (f.decide_now(&RequestIdentity::of(&req, op.as_deref())), op)
        });
        if let (Some((fate, op)), Some(layer)) = (&fate, &self.faults)
            // Boxed: the wait a fault adds is kept out of the future every request
            // runs through.
            && let Some(early) = Box::pin(self.fault_first(&slot, &claimed, fate, op, layer, ids)).await
        {
            return Ok(early);
        }

        let uri = &claimed.uri;
        let req = match super::request_body::limited(req, s3_path.as_ref(), self.sigv4.is_some()).await {
            Ok(req) => req,
            Err(super::request_body::Refusal::TooLong) => {
                let operation = guess_operation(s3_path.as_ref(), &method, uri, copy);
                self.record_early(&slot, &claimed, operation, 400, Some("MaxMessageLengthExceeded"), None);
                return Ok(error_response(
                    400,
                    "MaxMessageLengthExceeded",
                    "Your request was too big.",
                ));
            }
            Err(super::request_body::Refusal::Read(e)) => {
                // The client is gone: the record says why the request ended.
                let operation = guess_operation(s3_path.as_ref(), &method, uri, copy);
                self.record_early(&slot, &claimed, operation, 400, Some("IncompleteBody"), None);
                return Err(s3s::HttpError::new(Box::new(e)));
            }
        };
        let mut req = req;
        if let Some((check, world)) = &self.sigv4 {
            verify_ahead(check, world, &mut req);
        }
        let taken = self
            .direct
            .as_ref()
            .and_then(|d| d.take(&req, &mut s3_path).map(|t| (&d.sim, t)));
        let result = match taken {
            Some((sim, Taken::Get(get))) => Ok(super::get_route::answer(sim, req, *get).await),
            Some((sim, Taken::Put(put))) => Ok(super::put_route::answer(sim, req, *put)),
            // s3s's future is several kilobytes: boxed, it is built only for the
            // requests that take it instead of being carried (and copied) by every
            // request's future; called through a trait object, its code stays out of
            // this function's, which the direct routes run through on every request.
            None => {
                let call: std::pin::Pin<Box<dyn Future<Output = _> + Send + '_>> = Box::pin(self.s3.call(req));
                call.await
            }
        };
        let mut record: RequestRecord = slot.take();
        if record.operation.is_none() {
            record.operation = guess_operation(s3_path.as_ref(), &method, uri, copy);
        }
        match result {
            Ok(resp) => {
                record.status = resp.status().as_u16();
                let resp = if resp.status().as_u16() >= 300 {
                    // Boxed: an error's completion is kept out of the future (and the
                    // code) every successful request runs through.
                    Box::pin(complete_error(resp, &mut record)).await
                } else {
                    resp
                };
                let resp = match &fate {
                    Some((fate, _)) => with_fault_applied(fate, resp, &mut record),
                    None => resp,
                };
                self.log.push(claimed.fill(record));
                Ok(resp)
            }
            Err(e) => {
                record.status = 500;
                self.log.push(claimed.fill(record));
                Err(e)
            }
        }
    }

    /// Records a request answered before it reached an operation: refused, or
    /// answered by the fault layer (`fault`).
    #[cold]
    #[inline(never)]
    fn record_early(
        &self,
        slot: &RecordSlot,
        claimed: &Claimed,
        operation: Option<String>,
        status: u16,
        code: Option<&'static str>,
        fault: Option<FaultKind>,
    ) {
        let mut record = slot.take();
        record.operation = operation;
        record.status = status;
        record.error_code = code.map(str::to_owned);
        record.mark_fault(fault);
        self.log.push(claimed.fill(record));
    }

    /// The fault layer's answer in place of the operation's, recorded, when its fate
    /// for the request is to answer before the operation runs.
    async fn fault_first(
        &self,
        slot: &RecordSlot,
        claimed: &Claimed,
        fate: &faults::Fate,
        op: &Option<String>,
        layer: &Faults,
        ids: &RequestIds,
    ) -> Option<Response<s3s::Body>> {
        let early = faults::before(fate, ids).await?;
        self.record_early(slot, claimed, op.clone(), early.status, early.code, fate.fault);
        Some(early.into_response(layer).await)
    }
}

/// An error answer as S3 writes it: its code in the record when only the body has it
/// (s3s answered by itself: a bad signature, a malformed request; errors the
/// simulator's own code returned are already in the record), and the `<Region>` of a
/// wrong-region error.
async fn complete_error(resp: Response<s3s::Body>, record: &mut RequestRecord) -> Response<s3s::Body> {
    let (mut parts, body) = resp.into_parts();
    let mut bytes = collect_limited(body).await;
    if record.error_code.is_none() {
        record.error_code = error_code(&bytes);
    }
    if let Some(region) = &record.region_hint {
        bytes = with_region(bytes, region);
    }
    relength(&mut parts.headers, bytes.len());
    Response::from_parts(parts, s3s::Body::from(bytes))
}

/// The answer as the fault layer's fate for the request changes it, recorded. Cold:
/// only a simulator with faults configured calls it.
#[cold]
#[inline(never)]
fn with_fault_applied(
    fate: &faults::Fate,
    resp: Response<s3s::Body>,
    record: &mut RequestRecord,
) -> Response<s3s::Body> {
    let (resp, applied) = faults::apply(fate, resp);
    if applied {
        record.mark_fault(fate.fault);
    }
    resp
}

/// What a request claims to be signed with, read for its record only when the gate
/// did not name its principal (a request refused before it was authorized).
struct Claimed {
    authorization: Option<hyper::header::HeaderValue>,
    uri: hyper::Uri,
}

impl Claimed {
    /// `record` with the claimed access key as its principal, when it has none.
    fn fill(&self, mut record: RequestRecord) -> RequestRecord {
        if record.principal.is_none() {
            let authorization = self.authorization.as_ref().and_then(|v| v.to_str().ok());
            record.principal = CredentialScope::claimed(authorization, &self.uri).map(|s| s.access_key);
        }
        record
    }
}

/// Checks a header signature before s3s does (see [`HeaderSigV4`]): a request it
/// verifies goes on without its `Authorization` header, the identity in its
/// extensions; any other goes on as it came.
fn verify_ahead(check: &HeaderSigV4, world: &World, req: &mut Request<s3s::Body>) {
    let body = req.body().bytes();
    let view = RequestView {
        method: req.method(),
        uri: req.uri(),
        version: req.version(),
        headers: req.headers(),
        body: body.as_deref().map_or(BodyView::Streaming, BodyView::Whole),
    };
    if let Some(verified) = check.verify(world, &view, time::OffsetDateTime::now_utc()) {
        req.headers_mut().remove(hyper::header::AUTHORIZATION);
        req.extensions_mut().insert(verified);
    }
}

/// The operation of a request that never reached s3s's router (a fault answered it, or
/// its signature failed), from its method, path and query as S3's REST API lays them out.
fn guess_operation(
    path: Option<&s3s::path::S3Path>,
    method: &hyper::Method,
    uri: &hyper::Uri,
    copy: bool,
) -> Option<String> {
    let path = path?;
    let query: Vec<(String, String)> = query_pairs(uri);
    let has = |k: &str| query.iter().any(|(q, _)| q == k);
    let op = match (path, method.as_str()) {
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

/// The longest a SigV4 presigned URL may be valid: seven days
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>,
/// `X-Amz-Expires`).
const MAX_PRESIGNED_EXPIRES_SECS: u64 = 604_800;

/// What S3 answers a Signature Version 2 request for a bucket created after June 24,
/// 2020, which every bucket of a simulated world is
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingAWSSDK.html#UsingAWSSDK-sig2-deprecation>).
const SIGV2_REFUSED: &str =
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";

/// Signed with Signature Version 2: an `Authorization: AWS AKID:signature` header, or a
/// presigned URL with `AWSAccessKeyId` and `Signature` in its query.
fn is_sigv2(headers: &hyper::HeaderMap, query: &[(String, String)]) -> bool {
    let header = headers
        .get(hyper::header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes().starts_with(b"AWS ") && v.to_str().is_ok_and(|a| a.contains(':')));
    let has = |k: &str| query.iter().any(|(q, _)| q == k);
    header || (has("Signature") && has("AWSAccessKeyId"))
}

/// What S3 refuses about how a request is signed before it checks the signature: a
/// presigned URL valid for more than seven days (400 AuthorizationQueryParametersError),
/// a request signed both in its Authorization header and in its query string (400
/// InvalidArgument, "Only one auth mechanism allowed"), and Signature Version 2 in
/// either place (400 InvalidRequest, [`SIGV2_REFUSED`]).
fn auth_shape_error(req: &Request<Incoming>) -> Option<(u16, &'static str, String)> {
    // Only a query that could name a signature parameter is decoded: without an escape
    // a name is its own decoding, and none of those names is in it.
    let query = match req.uri().query() {
        // Each of those names has an `S`, `X` or `A`; a query with none of them (as
        // `x-id=GetObject`) is passed over without a substring search.
        Some(q)
            if q.bytes().any(|b| matches!(b, b'%' | b'S' | b'X' | b'A'))
                && (q.contains('%')
                    || q.contains("Signature")
                    || q.contains("X-Amz-")
                    || q.contains("AWSAccessKeyId")) =>
        {
            query_pairs(req.uri())
        }
        _ => Vec::new(),
    };
    let has = |k: &str| query.iter().any(|(q, _)| q == k);
    if req.headers().contains_key(hyper::header::AUTHORIZATION)
        && (has("X-Amz-Signature") || has("X-Amz-Credential") || has("Signature"))
    {
        return Some((
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string \
             parameter or the Authorization header should be specified"
                .to_owned(),
        ));
    }
    if is_sigv2(req.headers(), &query) {
        return Some((400, "InvalidRequest", SIGV2_REFUSED.to_owned()));
    }
    let expires = query
        .iter()
        .find(|(k, _)| k == "X-Amz-Expires")
        .map(|(_, v)| v.as_str())?;
    match expires.parse::<u64>() {
        Ok(secs) if secs <= MAX_PRESIGNED_EXPIRES_SECS => None,
        Ok(_) => Some((
            400,
            "AuthorizationQueryParametersError",
            format!("X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES_SECS}"),
        )),
        Err(_) => Some((
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires should be a number".to_owned(),
        )),
    }
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
        query_pairs(req.uri())
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

/// Adds what S3 puts in a wrong-region error body and s3s cannot: the `<Region>`
/// element, which SDKs read to re-sign for the bucket's region (botocore's
/// `S3RegionRedirectorv2` does; <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
fn with_region(body: Bytes, region: &str) -> Bytes {
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

/// The `<Code>` of an error body s3s wrote by itself.
fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    Some(text[start..end].to_owned())
}

/// `resp` with the request's id headers, and its error body (if any) with them too.
/// An answer whose body was rewritten keeps a `Content-Length` that says its new
/// length (one that had none, a chunked answer, stays without).
fn relength(headers: &mut hyper::HeaderMap, len: usize) {
    if headers.contains_key(hyper::header::CONTENT_LENGTH) {
        headers.insert(hyper::header::CONTENT_LENGTH, hyper::header::HeaderValue::from(len));
    }
}

async fn stamp(resp: Response<s3s::Body>, ids: RequestIds) -> Response<s3s::Body> {
    let (mut parts, mut body) = resp.into_parts();
    if parts.status.as_u16() >= 300 {
        let bytes = with_ids(collect_limited(body).await, &ids);
        relength(&mut parts.headers, bytes.len());
        body = s3s::Body::from(bytes);
    }
    // The ids' text becomes the headers' bytes as it is, without a copy.
    let RequestIds { request_id, host_id } = ids;
    for (name, value) in [
        (s3s::header::X_AMZ_REQUEST_ID, request_id),
        (s3s::header::X_AMZ_ID_2, host_id),
    ] {
        if let Ok(v) = hyper::header::HeaderValue::from_maybe_shared(Bytes::from(value)) {
            parts.headers.insert(name, v);
        }
    }
    Response::from_parts(parts, body)
}

pub(super) fn error_response(status: u16, code: &str, message: &str) -> Response<s3s::Body> {
    error_response_with_ids(status, code, message, None)
}

/// An S3 error document answered with `status`. Its `<RequestId>`/`<HostId>` are
/// written here when given; otherwise [`stamp`] adds them (it does so only for error
/// statuses, so an error sent with a 200 must carry them from the start).
pub(crate) fn error_response_with_ids(
    status: u16,
    code: &str,
    message: &str,
    ids: Option<&RequestIds>,
) -> Response<s3s::Body> {
    let ids = ids.map_or_else(String::new, |ids| {
        format!(
            "<RequestId>{}</RequestId><HostId>{}</HostId>",
            ids.request_id, ids.host_id
        )
    });
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{ids}</Error>"
    );
    let mut resp = Response::new(s3s::Body::from(body));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/xml"),
    );
    resp
}

/// s3s takes the access hook by value; the gate is shared with the operations.
pub(super) struct GateRef(pub Arc<AccessGate>);

#[async_trait::async_trait]
impl s3s::access::S3Access for GateRef {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        self.0.check(cx).await
    }
}
