//! The connector's S3 calls through aws-sdk-s3: listing pages and ranged reads, with
//! S3's errors reduced to what the connector acts on, and a count of calls made.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use bytes::Bytes;

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub objects: Vec<ListedObject>,
    pub common_prefixes: Vec<String>,
    pub next_token: Option<String>,
}

/// An S3 call that failed, as the connector needs to tell it apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3Failure {
    #[error("AccessDenied: {message}")]
    AccessDenied { message: String },
    #[error("NoSuchBucket: the bucket does not exist")]
    NoSuchBucket,
    #[error("NoSuchKey: the key does not exist")]
    NoSuchKey,
    /// The bucket lives in another region; S3 names it when it can.
    #[error("{code}: the bucket is in {}", expected.as_deref().unwrap_or("another region"))]
    WrongRegion { code: String, expected: Option<String> },
    /// Retryable errors that outlasted the SDK's retries.
    #[error("{code} (HTTP {status}): S3 kept failing after retries")]
    Unavailable { code: String, status: u16 },
    #[error("InvalidRange: the range is beyond the object")]
    InvalidRange,
    #[error("{code} (HTTP {status}): {message}")]
    Other { code: String, status: u16, message: String },
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
        "SlowDown" | "InternalError" | "ServiceUnavailable" | "RequestTimeout" => {
            S3Failure::Unavailable { code, status }
        }
        _ if status >= 500 => S3Failure::Unavailable {
            code: if code.is_empty() {
                format!("HTTP {status}")
            } else {
                code
            },
            status,
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
pub fn url_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// "... expecting 'eu-west-1'" -> eu-west-1.
fn region_in_message(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("expecting '")?;
    rest.split('\'').next().map(str::to_owned)
}

/// The connector's S3 client: every call it makes is counted by operation.
#[derive(Debug, Clone)]
pub struct S3Client {
    client: aws_sdk_s3::Client,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl S3Client {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self {
            client,
            counts: Arc::default(),
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

    /// Calls made so far, by operation.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// One ListObjectsV2 page (up to 1,000 entries).
    pub async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        token: Option<String>,
    ) -> Result<ListPage, S3Failure> {
        self.count("ListObjectsV2");
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_owned))
            .set_continuation_token(token)
            // Keys may hold characters XML 1.0 cannot carry; S3 sends them encoded on
            // request (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .send()
            .await
            .map_err(|e| classify_error(&e))?;
        Ok(ListPage {
            objects: out
                .contents()
                .iter()
                .filter_map(|o| {
                    o.key().map(|k| ListedObject {
                        key: url_decode(k),
                        size: o.size().unwrap_or(0).max(0) as u64,
                    })
                })
                .collect(),
            common_prefixes: out
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(url_decode))
                .collect(),
            next_token: out
                .next_continuation_token()
                .filter(|_| out.is_truncated() == Some(true))
                .map(str::to_owned),
        })
    }

    /// Every page of a listing.
    pub async fn list_all(&self, bucket: &str, prefix: &str, delimiter: Option<&str>) -> Result<ListPage, S3Failure> {
        let mut all = ListPage::default();
        let mut token = None;
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

    /// A ranged GetObject (`bytes=0-65535`, `bytes=-8`).
    pub async fn get_range(&self, bucket: &str, key: &str, range: &str) -> Result<Bytes, S3Failure> {
        self.count("GetObject");
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(range)
            .send()
            .await
            .map_err(|e| classify_error(&e))?;
        let body = out.body.collect().await.map_err(|e| S3Failure::Other {
            code: "IncompleteBody".to_owned(),
            status: 0,
            message: e.to_string(),
        })?;
        Ok(body.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_keys_are_decoded_once() {
        assert_eq!(url_decode("a+b%2Bc/caf%C3%A9/k%3D1/x%252F"), "a b+c/café/k=1/x%2F");
        assert_eq!(url_decode("bell%07.csv"), "bell\u{7}.csv");
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
