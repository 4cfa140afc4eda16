//! Signing identities and the access check every request passes: SigV4 secrets for
//! s3s, then bucket existence, the signing region, and the authorizer's decision.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::HeaderMap;
use hyper::Uri;
use hyper::header::HeaderValue;
use percent_encoding::percent_decode_str;
use s3_policy::ObjectFacts;
use s3_policy::iam::Caller;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};

use crate::sim::auth::actions::{ResourceKind, action_for, resource_arn};
use crate::sim::auth::authorizer::{AccessRequest, Authorizer, BucketFacts, Verdict};
use crate::sim::request_log::RecordSlot;
use crate::sim::world::World;

/// The connection a request came in on, put in its extensions by the front service.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    pub peer: SocketAddr,
}

/// The request's condition keys, kept in its extensions for operations that authorize
/// more than one resource.
#[derive(Debug, Clone, Default)]
pub struct RequestKeys(pub BTreeMap<String, String>);

/// Looks up secrets for s3s's SigV4 verification.
pub struct IdentityAuth {
    pub world: Arc<World>,
}

#[async_trait::async_trait]
impl S3Auth for IdentityAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.world.identity_by_access_key(access_key) {
            Some(identity) => Ok(SecretKey::from(identity.secret_key())),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

/// The credential scope a SigV4 request claims (already verified by s3s when the
/// access check runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub access_key: String,
    pub region: String,
    /// Signed in the query string (a presigned URL) rather than the header.
    pub presigned: bool,
}

impl CredentialScope {
    /// Reads `Credential=AKID/DATE/REGION/s3/aws4_request` from the Authorization
    /// header or `X-Amz-Credential` from the query.
    pub fn of(headers: &HeaderMap, uri: &Uri) -> Option<Self> {
        let parse = |cred: &str, presigned| {
            let mut parts = cred.split('/');
            let access_key = parts.next()?.to_owned();
            let _date = parts.next()?;
            let region = parts.next()?.to_owned();
            Some(Self {
                access_key,
                region,
                presigned,
            })
        };
        if let Some(auth) = headers.get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
            let cred = auth.split_once("Credential=")?.1;
            let cred = cred.split([',', ' ']).next()?;
            return parse(cred, false);
        }
        query_pairs(uri)
            .into_iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .and_then(|(_, v)| parse(&v, true))
    }
}

/// Decoded query parameters in order (`+` is a literal plus in S3 query strings).
pub fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    let Some(q) = uri.query() else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (dec(k), dec(v))
        })
        .collect()
}

/// The gate s3s calls before every operation.
pub struct AccessGate {
    pub world: Arc<World>,
    pub authorizer: Arc<dyn Authorizer>,
}

impl AccessGate {
    pub fn caller(&self, access_key: Option<&str>) -> Caller {
        access_key
            .and_then(|k| self.world.identity_by_access_key(k))
            .map_or(Caller::Anonymous, |i| i.caller.clone())
    }

    /// Asks the authorizer about one action on one resource of an existing bucket.
    pub fn decide(
        &self,
        caller: &Caller,
        action: &'static str,
        api: &str,
        bucket: &str,
        key: Option<&str>,
        context: BTreeMap<String, String>,
    ) -> Verdict {
        let identity_policy = self.identity_policy(caller);
        let req = AccessRequest {
            caller: caller.clone(),
            action,
            api: api.to_owned(),
            resource: resource_arn(bucket, key),
            context,
        };
        let state = self.world.store.read();
        let facts = state.buckets.get(bucket).map(|b| BucketFacts {
            name: &b.name,
            owner: &b.owner,
            policy: b.policy.as_deref(),
            object: key.map(|k| {
                let o = b.objects.get(k.as_bytes());
                ObjectFacts {
                    exists: o.is_some(),
                    owner_account: o.map(|o| o.owner.clone()),
                    object_ownership: b.object_ownership,
                    ..ObjectFacts::default()
                }
            }),
        });
        self.authorizer
            .authorize(&req, facts.as_ref(), identity_policy.as_deref())
    }

    fn identity_policy(&self, caller: &Caller) -> Option<String> {
        self.world
            .identities()
            .iter()
            .find(|i| &i.caller == caller)
            .and_then(|i| i.policy.clone())
    }
}

/// The error S3 gives for a request signed for another region than the bucket's.
///
/// S3 answers a SigV4 request whose credential scope names the wrong region with 400
/// `AuthorizationHeaderMalformed` ("the region 'X' is wrong; expecting 'Y'") for header
/// signatures and `AuthorizationQueryParametersError` for presigned URLs, plus the
/// `x-amz-bucket-region` header; SDKs read the right region from either to retry
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>, and
/// botocore's `S3RegionRedirectorv2`). A 301 `PermanentRedirect` is what a request
/// *sent to another region's endpoint* gets; the simulator has one endpoint for every
/// region, so the signing region is the only region a request names.
pub fn wrong_region(scope: &CredentialScope, bucket_region: &str) -> S3Error {
    let mut err = if scope.presigned {
        S3Error::with_message(
            S3ErrorCode::Custom("AuthorizationQueryParametersError".into()),
            format!(
                "Error parsing the X-Amz-Credential parameter; the region '{}' is wrong; expecting '{bucket_region}'",
                scope.region
            ),
        )
    } else {
        S3Error::with_message(
            S3ErrorCode::AuthorizationHeaderMalformed,
            format!(
                "The authorization header is malformed; the region '{}' is wrong; expecting '{bucket_region}'",
                scope.region
            ),
        )
    };
    err.set_status_code(hyper::StatusCode::BAD_REQUEST);
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(bucket_region) {
        headers.insert("x-amz-bucket-region", v);
    }
    err.set_headers(headers);
    err
}

/// 404 NoSuchBucket (also for callers with no access: S3 says so before authorizing).
pub fn no_such_bucket(bucket: &str) -> S3Error {
    s3_error!(NoSuchBucket, "The specified bucket does not exist: {bucket}")
}

/// The condition keys a request carries, from its line and headers
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>).
fn request_context(
    cx: &mut S3AccessContext<'_>,
    operation: &str,
    scope: Option<&CredentialScope>,
) -> BTreeMap<String, String> {
    let mut ctx = BTreeMap::new();
    // The simulator serves plain HTTP only.
    ctx.insert("aws:SecureTransport".to_owned(), "false".to_owned());
    let now = time::OffsetDateTime::now_utc();
    if let Ok(t) = now.format(&time::format_description::well_known::Rfc3339) {
        ctx.insert("aws:CurrentTime".to_owned(), t);
    }
    ctx.insert("aws:EpochTime".to_owned(), now.unix_timestamp().to_string());
    if let Some(info) = cx.extensions_mut().get::<ConnInfo>() {
        ctx.insert("aws:SourceIp".to_owned(), info.peer.ip().to_string());
    }
    let headers = cx.headers();
    for (header, key) in [
        ("user-agent", "aws:UserAgent"),
        ("referer", "aws:Referer"),
        ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
        ("x-amz-acl", "s3:x-amz-acl"),
        ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
        ("x-amz-storage-class", "s3:x-amz-storage-class"),
        ("x-amz-copy-source", "s3:x-amz-copy-source"),
        ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ] {
        if let Some(v) = headers.get(header).and_then(|v| v.to_str().ok()) {
            ctx.insert(key.to_owned(), v.to_owned());
        }
    }
    if let Some(scope) = scope {
        ctx.insert("s3:signatureversion".to_owned(), "AWS4-HMAC-SHA256".to_owned());
        let auth_type = if scope.presigned {
            "REST-QUERY-STRING"
        } else {
            "REST-HEADER"
        };
        ctx.insert("s3:authType".to_owned(), auth_type.to_owned());
    }
    if matches!(operation, "ListObjects" | "ListObjectsV2") {
        // Present only when the request sent them: a policy conditioned on s3:prefix
        // does not match a listing that sent no prefix.
        for (k, v) in query_pairs(cx.uri()) {
            match k.as_str() {
                "prefix" => ctx.insert("s3:prefix".to_owned(), v),
                "delimiter" => ctx.insert("s3:delimiter".to_owned(), v),
                "max-keys" => ctx.insert("s3:max-keys".to_owned(), v),
                _ => None,
            };
        }
    }
    ctx
}

#[async_trait::async_trait]
impl S3Access for AccessGate {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let operation = cx.s3_op().name().to_owned();
        let operation = operation.as_str();
        let slot = cx.extensions_mut().get::<RecordSlot>().cloned().unwrap_or_default();
        let (bucket, key) = match cx.s3_path() {
            s3s::path::S3Path::Root => (None, None),
            s3s::path::S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
            s3s::path::S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
        };
        let caller = self.caller(cx.credentials().map(|c| c.access_key.as_str()));
        slot.update(|r| {
            r.operation = Some(operation.to_owned());
            r.bucket.clone_from(&bucket);
            r.key.clone_from(&key);
            r.principal = Some(caller.arn().to_owned());
        });
        let Some((action, kind)) = action_for(operation) else {
            return Err(s3_error!(
                NotImplemented,
                "{operation} is not implemented by the simulator"
            ));
        };
        let scope = CredentialScope::of(cx.headers(), cx.uri());
        if let Some(bucket) = &bucket
            && operation != "CreateBucket"
        {
            let region = {
                let state = self.world.store.read();
                state.buckets.get(bucket.as_str()).map(|b| b.region.clone())
            };
            let Some(region) = region else {
                return Err(no_such_bucket(bucket));
            };
            if let Some(scope) = &scope
                && scope.region != region
            {
                return Err(wrong_region(scope, &region));
            }
        }
        let context = request_context(cx, operation, scope.as_ref());
        cx.extensions_mut().insert(RequestKeys(context.clone()));
        let verdict = match (&bucket, kind) {
            (Some(bucket), ResourceKind::Bucket | ResourceKind::Object) if operation != "CreateBucket" => {
                let key = if kind == ResourceKind::Object {
                    key.as_deref()
                } else {
                    None
                };
                self.decide(&caller, action, operation, bucket, key, context)
            }
            _ => {
                let resource = match (&bucket, kind) {
                    (Some(b), _) => resource_arn(b, None),
                    (None, _) => "*".to_owned(),
                };
                let req = AccessRequest {
                    caller: caller.clone(),
                    action,
                    api: operation.to_owned(),
                    resource,
                    context,
                };
                let policy = self.identity_policy(&caller);
                self.authorizer.authorize(&req, None, policy.as_deref())
            }
        };
        slot.update(|r| {
            r.decision = Some(verdict.decision);
            r.reason = Some(verdict.reason.clone());
            r.trace.clone_from(&verdict.trace);
        });
        if verdict.proceeds() {
            return Ok(());
        }
        tracing::info!(
            %caller, action, ?bucket, ?key, reason = %verdict.reason, trace = ?verdict.trace, "access denied"
        );
        Err(refusal(&verdict))
    }
}

/// The S3 error for a verdict that stops the request.
pub fn refusal(verdict: &Verdict) -> S3Error {
    match verdict.code.as_deref() {
        Some("MethodNotAllowed") => {
            s3_error!(
                MethodNotAllowed,
                "The specified method is not allowed against this resource."
            )
        }
        _ => s3_error!(AccessDenied, "Access Denied"),
    }
}
