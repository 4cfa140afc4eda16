//! The access check every request passes after its signature: the bucket exists, the
//! request was signed for the bucket's region, and the authorizer allows it.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::HeaderMap;
use hyper::header::HeaderValue;
use s3_policy::iam::Caller;
use s3_policy::{Context, ObjectFacts, Policy};
use s3s::access::{S3Access, S3AccessContext};
use s3s::{S3Error, S3ErrorCode, S3Result, s3_error};

use super::header_sigv4::VerifiedSigV4;
use super::sigv4::{CredentialScope, query_pairs};
use crate::sim::auth::actions::{ResourceKind, action_for, resource_arn};
use crate::sim::auth::authorizer::{AccessRequest, Authorizer, BucketFacts, Verdict};
use crate::sim::request_log::RecordSlot;
use crate::sim::store::AccessFacts;
use crate::sim::world::World;

/// The connection a request came in on, put in its extensions by the front service.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// The client's address (`aws:SourceIp`).
    pub peer: SocketAddr,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure: bool,
}

/// The request's condition keys, kept in its extensions for the operations that
/// authorize more than one resource ([`DECIDES_AGAIN`]; shared, not copied, with each
/// of their questions).
#[derive(Debug, Clone, Default)]
pub struct RequestKeys(pub Arc<Context>);

/// The gate s3s calls before every operation.
pub struct AccessGate {
    /// The world whose identities and buckets requests address.
    pub world: Arc<World>,
    /// Who decides.
    pub authorizer: Arc<dyn Authorizer>,
}

/// Who sent a request: the caller and its identity policy, parsed when the identity
/// was added to the world and borrowed from it.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'w> {
    /// The caller as IAM sees it.
    pub caller: &'w Caller,
    /// The caller's identity-based policy.
    pub policy: Option<&'w Policy>,
}

/// The caller of a request without credentials.
static ANONYMOUS: Caller = Caller::Anonymous;

impl AccessGate {
    /// The principal behind an access key (anonymous without one).
    pub fn principal(&self, access_key: Option<&str>) -> Principal<'_> {
        match access_key.and_then(|k| self.world.identity_by_access_key(k)) {
            Some(i) => Principal {
                caller: &i.caller,
                policy: i.parsed_policy().map(|p| &**p),
            },
            None => Principal {
                caller: &ANONYMOUS,
                policy: None,
            },
        }
    }

    /// Asks the authorizer about one action on one resource of an existing bucket.
    pub fn decide(
        &self,
        who: &Principal<'_>,
        action: &'static str,
        api: &str,
        bucket: &str,
        key: Option<&str>,
        context: &Context,
    ) -> Verdict {
        let facts = self.world.store.access_facts(bucket, key).ok();
        self.decide_with(who, action, api, bucket, key, context, facts)
    }

    /// [`AccessGate::decide`] with the store's facts already read (`None`: no such
    /// bucket), taken to move the object's owner into the evaluation's facts.
    #[allow(clippy::too_many_arguments)]
    fn decide_with(
        &self,
        who: &Principal<'_>,
        action: &'static str,
        api: &str,
        bucket: &str,
        key: Option<&str>,
        context: &Context,
        facts: Option<AccessFacts>,
    ) -> Verdict {
        let req = AccessRequest {
            caller: who.caller,
            action,
            api,
            resource: resource_arn(bucket, key),
            context,
        };
        let Some(facts) = facts else {
            return self.authorizer.authorize(&req, None, who.policy);
        };
        let info = &facts.bucket;
        let object = facts.object_owner.map(|owner| ObjectFacts {
            exists: owner.is_some(),
            owner_account: owner,
            object_ownership: info.object_ownership,
            ..ObjectFacts::default()
        });
        let bucket_facts = BucketFacts {
            name: &info.name,
            owner: &info.owner,
            policy: info.policy.as_ref().map(|p| p.policy().as_ref()),
            object,
        };
        self.authorizer.authorize(&req, Some(&bucket_facts), who.policy)
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
fn wrong_region(scope: Scope<'_>, bucket_region: &str) -> S3Error {
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

/// The condition keys a request carries, from its line and headers
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>).
fn request_context(ask: &Ask<'_>, operation: &str, scope: Option<Scope<'_>>) -> Context {
    // The keys are inserted in the context's (lower-cased) key order, which it
    // appends without a search (a listing's query keys aside, in the query's order).
    let mut ctx = Context::with_capacity(CONTEXT_KEYS);
    let sent = HeaderKeys::of(ask.headers);
    let (current_time, epoch_time) = now_keys();
    if let Some(t) = current_time {
        ctx.insert("aws:CurrentTime", t);
    }
    ctx.insert("aws:EpochTime", epoch_time);
    if let Some(v) = sent.referer.flatten() {
        ctx.insert("aws:Referer", v);
    }
    // Whether the request came over TLS, per connection; a request that did not come
    // through the front service (none does) counts as plain HTTP, the unsafe answer
    // for a deny-insecure-transport policy
    // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport>).
    let conn = ask.carried.conn;
    let secure = conn.is_some_and(|c| c.secure);
    ctx.insert("aws:SecureTransport", if secure { "true" } else { "false" });
    if let Some(info) = conn {
        ctx.insert("aws:SourceIp", source_ip(info.peer.ip()));
    }
    if let Some(v) = sent.user_agent.flatten() {
        ctx.insert("aws:UserAgent", v);
    }
    if let Some(scope) = scope {
        let auth_type = if scope.presigned {
            "REST-QUERY-STRING"
        } else {
            "REST-HEADER"
        };
        ctx.insert("s3:authType", auth_type);
    }
    if matches!(operation, "ListObjects" | "ListObjectsV2") {
        // Present only when the request sent them: a policy conditioned on s3:prefix
        // does not match a listing that sent no prefix.
        for (k, v) in query_pairs(ask.uri) {
            match k.as_str() {
                "prefix" => ctx.insert("s3:prefix", v),
                "delimiter" => ctx.insert("s3:delimiter", v),
                "max-keys" => ctx.insert("s3:max-keys", v),
                _ => {}
            }
        }
    }
    if scope.is_some() {
        ctx.insert("s3:signatureversion", "AWS4-HMAC-SHA256");
    }
    for (key, value) in AMZ_HEADER_KEYS.iter().zip(sent.amz) {
        if let Some(v) = value.flatten() {
            ctx.insert(*key, v);
        }
    }
    ctx
}

/// The `x-amz-*` headers that are condition keys
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html>),
/// as their keys, in the keys' order.
const AMZ_HEADER_KEYS: [&str; 6] = [
    "s3:x-amz-acl",
    "s3:x-amz-content-sha256",
    "s3:x-amz-copy-source",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-storage-class",
];

/// The headers that are condition keys (`Referer`, `User-Agent` and
/// [`AMZ_HEADER_KEYS`]), read in one pass over the request's headers rather than a
/// lookup each. Each is its first value, as `HeaderMap::get` gives it: `Some(None)`
/// when that value is not text (no key).
#[derive(Default)]
struct HeaderKeys<'h> {
    referer: Option<Option<&'h str>>,
    user_agent: Option<Option<&'h str>>,
    amz: [Option<Option<&'h str>>; 6],
}

impl<'h> HeaderKeys<'h> {
    fn of(headers: &'h HeaderMap) -> Self {
        let mut keys = Self::default();
        for (name, value) in headers {
            let slot = if *name == hyper::header::REFERER {
                &mut keys.referer
            } else if *name == hyper::header::USER_AGENT {
                &mut keys.user_agent
            } else {
                match AMZ_HEADER_KEYS
                    .iter()
                    .position(|k| k.strip_prefix("s3:") == Some(name.as_str()))
                {
                    Some(i) => &mut keys.amz[i],
                    None => continue,
                }
            };
            slot.get_or_insert(value.to_str().ok());
        }
        keys
    }
}

/// The operations that decide again after the gate, with the request's condition keys
/// ([`RequestKeys`]): DeleteObjects each key, CopyObject its source. Their keys are
/// always built, whatever the gate's own decision reads.
pub(crate) const DECIDES_AGAIN: [&str; 2] = ["DeleteObjects", "CopyObject"];

/// The keys of a request whose decision reads none: nothing is built.
static UNREAD_KEYS: std::sync::LazyLock<Context> = std::sync::LazyLock::new(Context::new);

/// Room for the keys a request usually has: the transport, time and address keys,
/// a few headers, the signature's two, and a listing's three.
const CONTEXT_KEYS: usize = 12;

/// What the gate reads of a request's credential scope: the region it was signed for
/// and whether it was presigned.
#[derive(Debug, Clone, Copy)]
struct Scope<'a> {
    region: &'a str,
    presigned: bool,
}

thread_local! {
    /// `aws:CurrentTime` and `aws:EpochTime` of the last second a request was decided in,
    /// formatted once for every request of that second.
    static NOW: std::cell::RefCell<Option<(i64, Option<String>, String)>> = const { std::cell::RefCell::new(None) };
}

/// `aws:CurrentTime` (RFC 3339, `None` if the clock cannot be written so) and
/// `aws:EpochTime` now, both to the second: `aws:EpochTime` counts whole seconds, and
/// the date conditions IAM documents compare whole seconds
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html>),
/// so one formatting serves every request of a second.
fn now_keys() -> (Option<String>, String) {
    let second = time::OffsetDateTime::now_utc().unix_timestamp();
    NOW.with_borrow_mut(|cached| match cached {
        Some((at, current, epoch)) if *at == second => (current.clone(), epoch.clone()),
        _ => {
            let current = time::OffsetDateTime::from_unix_timestamp(second)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
            let epoch = second.to_string();
            *cached = Some((second, current.clone(), epoch.clone()));
            (current, epoch)
        }
    })
}

thread_local! {
    /// The last peer's `aws:SourceIp`, formatted once.
    static PEER: std::cell::RefCell<Option<(std::net::IpAddr, String)>> = const { std::cell::RefCell::new(None) };
}

/// `aws:SourceIp` for `ip`.
fn source_ip(ip: std::net::IpAddr) -> String {
    PEER.with_borrow_mut(|p| match p {
        Some((last, text)) if *last == ip => text.clone(),
        _ => {
            let text = ip.to_string();
            *p = Some((ip, text.clone()));
            text
        }
    })
}

/// What the gate reads of a request: the operation s3s routed it to (or the simulator's
/// own listing route), what it addresses, who signed it, its line and headers, and
/// what the front put in its extensions.
pub struct Ask<'a> {
    /// The operation's name as S3's API spells it (`GetObject`).
    pub operation: &'a str,
    /// The bucket addressed, if any.
    pub bucket: Option<&'a str>,
    /// The key addressed, if any.
    pub key: Option<&'a str>,
    /// The access key s3s verified the signature of (`None`: anonymous, or verified
    /// ahead of s3s and carried in the extensions).
    pub access_key: Option<&'a str>,
    /// The request's URI.
    pub uri: &'a hyper::Uri,
    /// The request's headers.
    pub headers: &'a HeaderMap,
    /// What the front put in the request's extensions.
    pub carried: Carried<'a>,
}

/// What the gate reads from a request's extensions: borrowed where the caller can lend
/// them alongside the line and headers, copied out first where it cannot (s3s's access
/// hook hands out the extensions only mutably).
pub struct Carried<'a> {
    slot: Cow<'a, RecordSlot>,
    conn: Option<ConnInfo>,
    verified: Option<Cow<'a, VerifiedSigV4>>,
}

impl<'a> Carried<'a> {
    /// The record slot, connection and verified identity in `extensions`, borrowed.
    pub fn of(extensions: &'a hyper::http::Extensions) -> Self {
        Self {
            slot: extensions
                .get::<RecordSlot>()
                .map_or_else(|| Cow::Owned(RecordSlot::default()), Cow::Borrowed),
            conn: extensions.get::<ConnInfo>().copied(),
            verified: extensions.get::<VerifiedSigV4>().map(Cow::Borrowed),
        }
    }

    /// [`Carried::of`], copied out of `extensions`.
    pub fn copied(extensions: &hyper::http::Extensions) -> Carried<'static> {
        let Carried { slot, conn, verified } = Carried::of(extensions);
        Carried {
            slot: Cow::Owned(slot.into_owned()),
            conn,
            verified: verified.map(|v| Cow::Owned(v.into_owned())),
        }
    }
}

#[async_trait::async_trait]
impl S3Access for AccessGate {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let carried = Carried::copied(cx.extensions_mut());
        let (bucket, key) = match cx.s3_path() {
            s3s::path::S3Path::Root => (None, None),
            s3s::path::S3Path::Bucket { bucket } => (Some(&**bucket), None),
            s3s::path::S3Path::Object { bucket, key } => (Some(&**bucket), Some(&**key)),
        };
        let keys = self.ask(Ask {
            operation: cx.s3_op().name(),
            bucket,
            key,
            access_key: cx.credentials().map(|c| c.access_key.as_str()),
            uri: cx.uri(),
            headers: cx.headers(),
            carried,
        })?;
        if let Some(keys) = keys {
            cx.extensions_mut().insert(keys);
        }
        Ok(())
    }
}

impl AccessGate {
    /// Decides one request: the bucket exists, it was signed for the bucket's region,
    /// and the authorizer allows it. The request's record takes the operation, the
    /// principal, the decision and, on refusal, the error. What it answers are the
    /// request's condition keys, for the extensions of an operation that decides
    /// again ([`DECIDES_AGAIN`]); `None` for any other.
    pub fn ask(&self, ask: Ask<'_>) -> S3Result<Option<RequestKeys>> {
        let operation = ask.operation;
        let slot = &ask.carried.slot;
        let (bucket, key) = (ask.bucket, ask.key);
        // s3s's credentials, or the identity the front verified ahead of s3s.
        let who = self.principal(
            ask.access_key
                .or_else(|| ask.carried.verified.as_ref().map(|v| v.access_key.as_str())),
        );
        let caller = who.caller;
        slot.update(|r| {
            r.operation = Some(operation.to_owned());
            // The front recorded what it parsed; s3s's parse is the one that counts.
            if r.bucket.as_deref() != bucket {
                r.bucket = bucket.map(str::to_owned);
            }
            if r.key.as_deref() != key {
                r.key = key.map(str::to_owned);
            }
            r.principal = Some(caller.arn().to_owned());
        });
        let Some((action, kind)) = action_for(operation) else {
            let e = s3_error!(NotImplemented, "{operation} is not implemented by the simulator");
            slot.record_error(e.code());
            return Err(e);
        };
        // A request verified ahead of s3s has no Authorization header left, and its
        // query names no credential (the check leaves those to s3s).
        let claimed;
        let scope = match &ask.carried.verified {
            Some(v) => Some(Scope {
                region: &v.region,
                presigned: false,
            }),
            None => {
                claimed = CredentialScope::of(ask.headers, ask.uri);
                claimed.as_ref().map(|s| Scope {
                    region: &s.region,
                    presigned: s.presigned,
                })
            }
        };
        let object_key = if kind == ResourceKind::Object { key } else { None };
        // One read of the store serves the region check and the decision.
        let mut facts = None;
        if let Some(bucket) = bucket
            && operation != "CreateBucket"
        {
            let read = match self.world.store.access_facts(bucket, object_key) {
                Ok(read) => read,
                Err(e) => {
                    let e = S3Error::from(e);
                    slot.record_error(e.code());
                    return Err(e);
                }
            };
            if let Some(scope) = scope
                && scope.region != read.bucket.region
            {
                let region = read.bucket.region.clone();
                let e = wrong_region(scope, &region);
                slot.update(|r| {
                    r.error_code = Some(e.code().as_str().to_owned());
                    r.region_hint = Some(region);
                });
                return Err(e);
            }
            facts = Some(read);
        }
        // The condition keys are built only when a decision may read them: this one,
        // with the policies at hand, or an operation's own later ones.
        let bucket_policy = facts
            .as_ref()
            .and_then(|f| f.bucket.policy.as_ref())
            .map(|p| p.policy().as_ref());
        let decides_again = DECIDES_AGAIN.contains(&operation);
        let built = (decides_again || self.authorizer.reads_request_keys(bucket_policy, who.policy))
            .then(|| request_context(&ask, operation, scope));
        let context = built.as_ref().unwrap_or(&UNREAD_KEYS);
        let verdict = match (bucket, kind) {
            (Some(bucket), ResourceKind::Bucket | ResourceKind::Object) if operation != "CreateBucket" => {
                self.decide_with(&who, action, operation, bucket, object_key, context, facts)
            }
            _ => {
                let resource = match (bucket, kind) {
                    (Some(b), _) => resource_arn(b, None),
                    (None, _) => "*".to_owned(),
                };
                let req = AccessRequest {
                    caller,
                    action,
                    api: operation,
                    resource,
                    context,
                };
                self.authorizer.authorize(&req, None, who.policy)
            }
        };
        let proceeds = verdict.proceeds();
        let refused = (!proceeds).then(|| {
            tracing::info!(
                %caller, action, ?bucket, ?key, reason = %verdict.reason, trace = ?verdict.trace, "access denied"
            );
            refusal(&verdict)
        });
        // The record takes the verdict's reason and trace: nothing reads them after.
        slot.update(|r| {
            r.decision = Some(verdict.decision);
            r.reason = Some(verdict.reason);
            r.trace = verdict.trace;
            if let Some(e) = &refused {
                r.error_code = Some(e.code().as_str().to_owned());
            }
        });
        match refused {
            None => Ok(built.filter(|_| decides_again).map(|c| RequestKeys(Arc::new(c)))),
            Some(e) => Err(e),
        }
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
