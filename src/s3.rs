//! The connector's only I/O: S3 listings and ranged reads through aws-sdk-s3.
//!
//! Listing pages are decoded into the discovery core's `ListedObject`s, S3's errors are
//! reduced to what the connector acts on (`S3Failure`), and every call is counted.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use bytes::Bytes;

use crate::in_flight::InFlight;
use crate::layout::ListedObject;
use crate::retry::{Held, Retrier, RetryOptions, Transient};
use std::time::Duration;

mod list_xml;

/// One page of ListObjectsV2.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListPage {
    pub(crate) objects: Vec<ListedObject>,
    pub(crate) common_prefixes: Vec<String>,
    pub(crate) next_token: Option<String>,
}

/// An S3 call that failed, as the connector needs to tell it apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum S3Failure {
    #[error("AccessDenied: {message}")]
    AccessDenied { message: String },
    #[error("NoSuchBucket: the bucket does not exist")]
    NoSuchBucket,
    #[error("NoSuchKey: the key does not exist")]
    NoSuchKey,
    /// The bucket lives in another region; S3 names it when it can.
    #[error("{code}: the bucket is in {}", expected.as_deref().unwrap_or("another region"))]
    WrongRegion { code: String, expected: Option<String> },
    /// Transient failures that outlasted the retries (or the retry budget).
    #[error("{operation} of `{subject}` failed {attempts} times; last error: {last}")]
    Unavailable {
        /// The S3 operation (`ListObjectsV2`, `GetObject`).
        operation: String,
        /// The key read, or the prefix listed.
        subject: String,
        /// Attempts made, the first included.
        attempts: u32,
        /// What the last attempt ended with.
        last: String,
    },
    #[error("InvalidRange: the range is beyond the object")]
    InvalidRange,
    /// The object exists and may be read, but its bytes are not available: S3 answers
    /// 403 InvalidObjectState for an object in an archive storage class
    /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and the
    /// simulator for bytes a captured scenario does not hold.
    #[error("InvalidObjectState: {message}")]
    BytesUnavailable { message: String },
    #[error("{code} (HTTP {status}): {message}")]
    Other { code: String, status: u16, message: String },
}

/// How one attempt failed: for good, or in a way another attempt may not.
#[derive(Debug)]
enum AttemptError {
    Final(S3Failure),
    Transient(Transient, String),
}

/// Error codes S3 (and the AWS SDKs' standard retry mode) treat as throttling.
const THROTTLING_CODES: [&str; 5] = [
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequests",
];

/// Error codes of transient failures that are not throttling.
const TRANSIENT_CODES: [&str; 5] = [
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
];

fn classify_attempt<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> AttemptError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        // No answer, a connection that failed or closed, an answer cut short or unreadable:
        // the request may never have reached S3, or its answer was lost; reads are safe to repeat.
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            AttemptError::Transient(Transient::Other, innermost(err))
        }
        _ => {
            let status = err.raw_response().map_or(0, |r| r.status().as_u16());
            let code = err.as_service_error().and_then(|e| e.code()).unwrap_or_default();
            let last = if code.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("{code} (HTTP {status})")
            };
            if THROTTLING_CODES.contains(&code) || status == 429 {
                AttemptError::Transient(Transient::Throttling, last)
            } else if TRANSIENT_CODES.contains(&code) || status >= 500 {
                AttemptError::Transient(Transient::Other, last)
            } else {
                AttemptError::Final(classify_error(err))
            }
        }
    }
}

/// The innermost cause of an error (`connection closed before message completed`):
/// what a person can act on, without the layers of wrapping around it.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut e = err;
    while let Some(source) = e.source() {
        e = source;
    }
    e.to_string()
}

fn classify_error<E>(err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> S3Failure
where
    E: ProvideErrorMetadata,
{
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    let region = err
        .raw_response()
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_owned);
    let (code, message) = match err.as_service_error() {
        Some(e) => (
            e.code().unwrap_or_default().to_owned(),
            e.message().unwrap_or_default().to_owned(),
        ),
        None => (String::new(), err.to_string()),
    };
    let code = if code.is_empty() && status == 404 {
        "NotFound".to_owned()
    } else {
        code
    };
    match code.as_str() {
        "AccessDenied" => S3Failure::AccessDenied { message },
        "NoSuchBucket" => S3Failure::NoSuchBucket,
        "NoSuchKey" => S3Failure::NoSuchKey,
        "InvalidRange" => S3Failure::InvalidRange,
        "InvalidObjectState" => S3Failure::BytesUnavailable { message },
        "AuthorizationHeaderMalformed"
        | "AuthorizationQueryParametersError"
        | "PermanentRedirect"
        | "IllegalLocationConstraintException" => S3Failure::WrongRegion {
            code,
            expected: region.or_else(|| region_in_message(&message)),
        },
        _ if status == 301 || (status == 400 && region.is_some()) => S3Failure::WrongRegion {
            code: if code.is_empty() {
                format!("HTTP {status}")
            } else {
                code
            },
            expected: region,
        },
        _ if status == 403 => S3Failure::AccessDenied { message },
        _ => S3Failure::Other {
            code: if code.is_empty() { "Unknown".to_owned() } else { code },
            status,
            message,
        },
    }
}

/// A key from a listing with `encoding-type=url`: `+` is a space, `%XX` a byte. This is
/// the S3 decoding only; a Hive partition value is decoded again, separately.
///
/// One pass, one allocation: every key of a listing goes through here. A `%` not followed
/// by two hex digits stays as it is, as `percent_encoding` leaves it.
fn url_decode(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return s.to_owned();
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match (b, escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A page as the SDK decoded it: what [`list_xml`] does not take (a body it could not
/// tell for a page) and the SDK still accepted.
fn page_from_output(out: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output) -> ListPage {
    let decode = |s: &str| {
        if out.encoding_type() == Some(&aws_sdk_s3::types::EncodingType::Url) {
            url_decode(s)
        } else {
            s.to_owned()
        }
    };
    ListPage {
        objects: out
            .contents()
            .iter()
            .filter_map(|o| {
                o.key().map(|k| ListedObject {
                    key: decode(k),
                    size: o.size().unwrap_or(0).max(0) as u64,
                })
            })
            .collect(),
        common_prefixes: out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(decode))
            .collect(),
        next_token: out
            .next_continuation_token()
            .filter(|_| out.is_truncated() == Some(true))
            .map(str::to_owned),
    }
}

/// "... expecting 'eu-west-1'" -> eu-west-1.
fn region_in_message(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("expecting '")?;
    rest.split('\'').next().map(str::to_owned)
}

/// The connector's S3 client: every attempt it makes is counted by operation, and
/// transient failures are retried as [`crate::retry`] says.
#[derive(Debug, Clone)]
pub(crate) struct S3Client {
    client: aws_sdk_s3::Client,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    /// Bounds the calls in flight (each through its retries), however many listings
    /// and reads run at once.
    in_flight: Arc<InFlight>,
    retrier: Arc<Retrier>,
}

/// The retry budget for a client that may have `max_concurrency` calls in flight:
/// `budget` (the SDKs' 500 tokens) for each `concurrency` of them. A call waiting to
/// retry holds 14 tokens, so 500 lets about 35 calls retry at once: room for the 16
/// calls an SDK client starts with, but at 128 in flight a fifth of them failing
/// together would exhaust it, and calls S3 would have answered on a retry would be
/// reported unavailable. The quota still ends retry storms: S3 failing every call
/// spends it after a few hundred retries.
fn scaled_budget(budget: u32, concurrency: usize, max_concurrency: usize) -> u32 {
    let clients = (max_concurrency / concurrency.max(1)).max(1);
    budget.saturating_mul(u32::try_from(clients).unwrap_or(u32::MAX))
}

impl S3Client {
    /// A client making `concurrency` calls at once at first, and up to
    /// `max_concurrency` while S3 keeps up (see [`InFlight`]). The SDK's own retries
    /// are turned off: the connector retries itself, so that a body cut short or
    /// stalled after the answer's head is retried too (the SDK retries only up to the
    /// head), under one budget and one jitter source a test can seed.
    pub(crate) fn new(
        client: aws_sdk_s3::Client,
        concurrency: usize,
        max_concurrency: usize,
        retry: RetryOptions,
    ) -> Self {
        let config = client
            .config()
            .to_builder()
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(config),
            counts: Arc::default(),
            in_flight: Arc::new(InFlight::new(concurrency, max_concurrency)),
            retrier: Arc::new(Retrier::new(RetryOptions {
                budget: scaled_budget(retry.budget, concurrency, max_concurrency),
                ..retry
            })),
        }
    }

    fn count(&self, op: &str) {
        *self
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(op.to_owned())
            .or_insert(0) += 1;
    }

    /// Attempts made so far, by operation.
    pub(crate) fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Runs `attempt` until it succeeds, fails for good, or its transient failures
    /// outlast the attempts or the budget. The call holds its place in flight through
    /// its retries: a call waiting to retry holds retry budget, so the calls that may
    /// hold budget at once are bounded by the limit, which failures bring down.
    async fn with_retries<T, F, Fut>(&self, operation: &str, subject: &str, mut attempt: F) -> Result<T, S3Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AttemptError>>,
    {
        let mut held = Held::default();
        let mut n = 1;
        let _place = self.in_flight.enter().await;
        loop {
            self.count(operation);
            let outcome = {
                let outcome = attempt().await;
                match &outcome {
                    Ok(_) => self.in_flight.succeeded(),
                    Err(AttemptError::Transient(Transient::Throttling, _)) => self.in_flight.throttled(),
                    Err(AttemptError::Transient(Transient::Other, _)) => self.in_flight.failed_transiently(),
                    Err(AttemptError::Final(_)) => self.in_flight.failed(),
                }
                outcome
            };
            match outcome {
                Ok(v) => {
                    self.retrier.succeeded(held);
                    return Ok(v);
                }
                Err(AttemptError::Final(failure)) => return Err(failure),
                Err(AttemptError::Transient(why, last)) => match self.retrier.retry(n, why, &mut held) {
                    Some(delay) => {
                        tracing::debug!(operation, subject, attempt = n, %last, ?delay, "retrying");
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        n += 1;
                    }
                    None => {
                        return Err(S3Failure::Unavailable {
                            operation: operation.to_owned(),
                            subject: subject.to_owned(),
                            attempts: n,
                            last,
                        });
                    }
                },
            }
        }
    }

    fn timed_out(what: &str, after: Duration) -> AttemptError {
        AttemptError::Transient(Transient::Other, format!("{what} within {} ms", after.as_millis()))
    }

    /// One ListObjectsV2 page (up to 1,000 entries).
    pub(crate) async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        token: Option<String>,
    ) -> Result<ListPage, S3Failure> {
        let timeout = self.retrier.options.attempt_timeout;
        self.with_retries("ListObjectsV2", prefix, || {
            let token = token.clone();
            async move {
                let slot = list_xml::Slot::default();
                let send = self
                    .client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .set_delimiter(delimiter.map(str::to_owned))
                    .set_continuation_token(token)
                    // Keys may hold characters XML 1.0 cannot carry; S3 sends them encoded on
                    // request (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
                    .encoding_type(aws_sdk_s3::types::EncodingType::Url)
                    .customize()
                    .interceptor(list_xml::DecodeListPage(slot.clone()))
                    .send();
                let out = tokio::time::timeout(timeout, send)
                    .await
                    .map_err(|_| Self::timed_out("no complete listing page", timeout))?
                    .map_err(|e| classify_attempt(&e))?;
                match slot.take() {
                    Some(Ok(page)) => Ok(page),
                    // Unreadable as the SDK would have found it: an answer garbled on the way.
                    Some(Err(why)) => Err(AttemptError::Transient(Transient::Other, why)),
                    None => Ok(page_from_output(&out)),
                }
            }
        })
        .await
    }

    /// Every page of a listing.
    pub(crate) async fn list_all(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
    ) -> Result<ListPage, S3Failure> {
        self.list_rest(bucket, prefix, delimiter, ListPage::default(), None)
            .await
    }

    /// The pages after `token`, appended to `all`.
    async fn list_rest(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        mut all: ListPage,
        mut token: Option<String>,
    ) -> Result<ListPage, S3Failure> {
        loop {
            let page = self.list_page(bucket, prefix, delimiter, token).await?;
            all.objects.extend(page.objects);
            all.common_prefixes.extend(page.common_prefixes);
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(all),
            }
        }
    }

    /// Every key under `prefix`, in as few requests as the layout allows and as parallel
    /// as it allows. One flat page when it holds everything (the common case: a table of
    /// up to 1,000 files). When the first page is truncated and its 1,000 keys sit in at
    /// most two directories, directories hold many files each: a delimiter listing finds
    /// them and each is listed the same way, concurrently (a few extra requests, far less
    /// waiting than page after sequential page). Otherwise directories are many and
    /// small, and the flat listing goes on page by page, which is the fewest requests.
    pub(crate) fn list_tree<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Vec<ListedObject>, S3Failure>> {
        use futures::FutureExt as _;
        use futures::stream::{self, StreamExt as _, TryStreamExt as _};
        async move {
            let first = self.list_page(bucket, prefix, None, None).await?;
            let Some(token) = first.next_token.clone() else {
                return Ok(first.objects);
            };
            let dirs_on_first_page: std::collections::BTreeSet<&str> = first
                .objects
                .iter()
                .filter_map(|o| {
                    o.key
                        .get(prefix.len()..)
                        .and_then(|rest| rest.split_once('/'))
                        .map(|(d, _)| d)
                })
                .collect();
            if dirs_on_first_page.is_empty() || dirs_on_first_page.len() > 2 {
                return self
                    .list_rest(bucket, prefix, None, first, Some(token))
                    .await
                    .map(|p| p.objects);
            }
            let dirs = self.list_all(bucket, prefix, Some("/")).await?;
            if dirs.common_prefixes.len() < 2 {
                return self
                    .list_rest(bucket, prefix, None, first, Some(token))
                    .await
                    .map(|p| p.objects);
            }
            let width = self.in_flight.limit();
            let nested: Vec<Vec<ListedObject>> = stream::iter(dirs.common_prefixes)
                .map(|p| async move { self.list_tree(bucket, &p).await })
                .buffer_unordered(width)
                .try_collect()
                .await?;
            let mut objects = dirs.objects;
            objects.extend(nested.into_iter().flatten());
            Ok(objects)
        }
        .boxed()
    }

    /// A ranged GetObject (`bytes=0-65535`, `bytes=-8`), collected in memory.
    pub(crate) async fn get_range(&self, bucket: &str, key: &str, range: &str) -> Result<Bytes, S3Failure> {
        self.get_bytes(bucket, key, Some(range)).await
    }

    /// A GetObject collected in memory, of a range or (`None`) the whole object: the
    /// head within the attempt timeout, then the body with no gap between bytes longer
    /// than the read timeout, and as long as the head promised.
    pub(crate) async fn get_bytes(&self, bucket: &str, key: &str, range: Option<&str>) -> Result<Bytes, S3Failure> {
        let (timeout, read_timeout) = (self.retrier.options.attempt_timeout, self.retrier.options.read_timeout);
        self.with_retries("GetObject", key, || async move {
            let send = self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .set_range(range.map(str::to_owned))
                .send();
            let out = tokio::time::timeout(timeout, send)
                .await
                .map_err(|_| Self::timed_out("no answer", timeout))?
                .map_err(|e| classify_attempt(&e))?;
            let promised = out.content_length().and_then(|n| usize::try_from(n).ok());
            let mut body = out.body;
            let mut bytes = Vec::with_capacity(promised.unwrap_or(0).min(1 << 20));
            loop {
                match tokio::time::timeout(read_timeout, body.next()).await {
                    Err(_) => return Err(Self::timed_out("no byte of the body", read_timeout)),
                    Ok(None) => break,
                    Ok(Some(Ok(chunk))) => bytes.extend_from_slice(&chunk),
                    Ok(Some(Err(e))) => {
                        return Err(AttemptError::Transient(
                            Transient::Other,
                            format!("the body was cut short: {}", innermost(&e)),
                        ));
                    }
                }
            }
            match promised {
                Some(n) if bytes.len() < n => Err(AttemptError::Transient(
                    Transient::Other,
                    format!("the body was cut short: {} of {n} bytes", bytes.len()),
                )),
                _ => Ok(Bytes::from(bytes)),
            }
        })
        .await
    }
}

impl S3Client {
    /// A whole GetObject whose body is streamed, not collected: the caller reads it at its
    /// own pace, so a large object never sits in memory. The request is retried like any
    /// other until its head arrives; a body that fails once streaming has begun is the
    /// caller's to report, since its bytes may already be used. The in-flight permit covers
    /// the request, not the body.
    pub(crate) async fn get_stream(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<aws_sdk_s3::primitives::ByteStream, S3Failure> {
        let timeout = self.retrier.options.attempt_timeout;
        self.with_retries("GetObject", key, || async move {
            let send = self.client.get_object().bucket(bucket).key(key).send();
            let out = tokio::time::timeout(timeout, send)
                .await
                .map_err(|_| Self::timed_out("no answer", timeout))?
                .map_err(|e| classify_attempt(&e))?;
            Ok(out.body)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_budget_grows_with_the_calls_in_flight() {
        assert_eq!(scaled_budget(500, 16, 16), 500);
        assert_eq!(scaled_budget(500, 16, 128), 4000);
        assert_eq!(scaled_budget(500, 16, 20), 500);
        assert_eq!(scaled_budget(500, 0, 8), 4000);
        assert_eq!(scaled_budget(u32::MAX, 1, 4), u32::MAX);
    }

    #[test]
    fn listing_keys_are_decoded_once() {
        assert_eq!(url_decode("a+b%2Bc/caf%C3%A9/k%3D1/x%252F"), "a b+c/café/k=1/x%2F");
        assert_eq!(url_decode("bell%07.csv"), "bell\u{7}.csv");
        assert_eq!(url_decode("50%/%zz/%4/%"), "50%/%zz/%4/%");
        assert_eq!(url_decode("bad%FF%C3"), "bad\u{FFFD}\u{FFFD}");
    }

    proptest::proptest! {
        /// The same as `percent_encoding` after `+` becomes a space, whatever the text.
        #[test]
        fn url_decoding_is_percent_encodings(s in "[a-zA-Z0-9%+/=éF]{0,16}") {
            let reference = percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            proptest::prop_assert_eq!(url_decode(&s), reference);
        }
    }

    #[test]
    fn region_from_message() {
        assert_eq!(
            region_in_message(
                "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
            ),
            Some("eu-west-1".to_owned())
        );
        assert_eq!(region_in_message("nothing"), None);
    }
}
