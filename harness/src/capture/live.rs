//! Reading a live bucket: its region and policy when readable, every key under the
//! prefix (resumable, within a request budget), and ranged reads for samples.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use aws_sdk_s3::error::ProvideErrorMetadata;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::CaptureError;
use super::progress::Progress;

/// Keys asked for per ListObjectsV2 page (S3's maximum).
const PAGE_KEYS: i32 = 1000;

/// Name of the listing's resume state in the output folder.
pub const STATE_FILE: &str = ".capture-state.json";
/// Name of the keys listed so far, one JSON `[key, size]` per line, next to the state.
pub const KEYS_FILE: &str = ".capture-keys.jsonl";

/// Counts requests against `--max-requests`.
#[derive(Debug)]
pub struct Budget {
    used: u64,
    max: Option<u64>,
}

impl Budget {
    /// A budget of `max` requests (`None`: unlimited).
    pub fn new(max: Option<u64>) -> Self {
        Self { used: 0, max }
    }

    /// Takes one request, or says the budget is spent.
    pub fn take(&mut self) -> Result<(), CaptureError> {
        if self.max.is_some_and(|m| self.used >= m) {
            return Err(CaptureError::Budget { used: self.used });
        }
        self.used += 1;
        Ok(())
    }

    /// Requests made so far.
    pub fn used(&self) -> u64 {
        self.used
    }
}

/// S3's answer to a request that failed, reduced to its error code and message.
fn s3_error<E, R>(operation: &'static str, e: aws_sdk_s3::error::SdkError<E, R>) -> CaptureError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = e.code().unwrap_or_default().to_owned();
    let message = e
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| aws_sdk_s3::error::DisplayErrorContext(&e).to_string());
    CaptureError::S3 {
        operation,
        code,
        message,
    }
}

/// The bucket's region from GetBucketLocation; `Ok(None)` when it may not be read.
/// An empty location constraint is us-east-1 and `EU` is eu-west-1, as documented at
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
pub async fn bucket_region(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    budget: &mut Budget,
) -> Result<Option<String>, CaptureError> {
    budget.take()?;
    match client.get_bucket_location().bucket(bucket).send().await {
        Ok(out) => {
            let region = out
                .location_constraint()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default();
            Ok(Some(match region.as_str() {
                "" => "us-east-1".to_owned(),
                "EU" => "eu-west-1".to_owned(),
                _ => region,
            }))
        }
        Err(e) => match s3_error("GetBucketLocation", e) {
            e @ CaptureError::S3 { .. } if e.code() == Some("NoSuchBucket") => Err(e),
            _ => Ok(None),
        },
    }
}

/// The bucket policy's JSON; `Ok(None)` when there is none or it may not be read
/// (`readable` then says which).
pub async fn bucket_policy(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    budget: &mut Budget,
) -> Result<(Option<String>, bool), CaptureError> {
    budget.take()?;
    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => Ok((out.policy().map(str::to_owned), true)),
        Err(e) => {
            let e = s3_error("GetBucketPolicy", e);
            Ok((None, e.code() == Some("NoSuchBucketPolicy")))
        }
    }
}

/// Where an interrupted listing stands, kept in the output folder until it ends.
#[derive(Debug, Serialize, Deserialize)]
struct ListingState {
    bucket: String,
    prefix: String,
    /// Keys written to the keys file so far (later lines are from an interrupted page).
    keys: u64,
    /// The continuation token for the next page; `None` once the listing is complete.
    token: Option<String>,
    complete: bool,
}

/// Lists every key under `prefix`, resuming from the state in `out` when it is for the
/// same bucket and prefix; the state is kept on error (budget spent, S3 failing) so
/// that the next run goes on where this one stopped.
pub async fn list_keys(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    out: &Path,
    budget: &mut Budget,
    progress: &Progress,
) -> Result<Vec<(String, u64)>, CaptureError> {
    let state_path = out.join(STATE_FILE);
    let keys_path = out.join(KEYS_FILE);
    let mut state = match read_state(&state_path)? {
        Some(s) if s.bucket == bucket && s.prefix == prefix => s,
        _ => ListingState {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            keys: 0,
            token: None,
            complete: false,
        },
    };
    let mut keys = read_keys(&keys_path, state.keys)?;
    progress.listed(keys.len() as u64);
    // Rewrite what is kept so that lines of an interrupted page are dropped.
    let mut file = std::io::BufWriter::new(std::fs::File::create(&keys_path).map_err(io(&keys_path))?);
    for (k, s) in &keys {
        write_key(&mut file, k, *s).map_err(io(&keys_path))?;
    }
    file.flush().map_err(io(&keys_path))?;
    while !state.complete {
        budget.take()?;
        let mut req = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(PAGE_KEYS)
            // Keys may hold characters XML 1.0 cannot carry (control characters): S3
            // URL-encodes them on request, as the connector asks too.
            .encoding_type(aws_sdk_s3::types::EncodingType::Url);
        if let Some(t) = &state.token {
            req = req.continuation_token(t);
        }
        let page = req.send().await.map_err(|e| s3_error("ListObjectsV2", e))?;
        for o in page.contents() {
            let (Some(key), size) = (o.key(), o.size().unwrap_or_default()) else {
                continue;
            };
            let size = u64::try_from(size).unwrap_or_default();
            let key = url_decode(key);
            write_key(&mut file, &key, size).map_err(io(&keys_path))?;
            keys.push((key, size));
        }
        file.flush().map_err(io(&keys_path))?;
        state.keys = keys.len() as u64;
        state.token = page.next_continuation_token().map(str::to_owned);
        state.complete = !page.is_truncated().unwrap_or(false) || state.token.is_none();
        write_state(&state_path, &state)?;
        progress.listed(keys.len() as u64);
    }
    keys.sort_unstable();
    keys.dedup_by(|a, b| a.0 == b.0);
    Ok(keys)
}

/// A key as listed with `encoding-type=url` (`+` is a space, as S3 encodes it:
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
fn url_decode(key: &str) -> String {
    percent_encoding::percent_decode_str(&key.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Removes the resume state once the capture is written.
pub fn clear_state(out: &Path) {
    // Absent files are fine: a capture from a pasted listing never made them.
    let _ = std::fs::remove_file(out.join(STATE_FILE));
    let _ = std::fs::remove_file(out.join(KEYS_FILE));
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CaptureError + '_ {
    move |source| CaptureError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_state(path: &Path) -> Result<Option<ListingState>, CaptureError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| CaptureError::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CaptureError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_state(path: &Path, state: &ListingState) -> Result<(), CaptureError> {
    let tmp: PathBuf = path.with_extension("json.tmp");
    let text = serde_json::to_string(state).unwrap_or_default();
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn write_key(w: &mut impl std::io::Write, key: &str, size: u64) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, &(key, size)).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

fn read_keys(path: &Path, want: u64) -> Result<Vec<(String, u64)>, CaptureError> {
    if want == 0 {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let mut keys = Vec::new();
    for line in text.lines().take(usize::try_from(want).unwrap_or(usize::MAX)) {
        let pair: (String, u64) = serde_json::from_str(line).map_err(|e| CaptureError::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        keys.push(pair);
    }
    Ok(keys)
}

/// One ranged GET (`bytes=...`), its whole body.
pub async fn get_range(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    range: &str,
    budget: &mut Budget,
) -> Result<Bytes, CaptureError> {
    budget.take()?;
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(range)
        .send()
        .await
        .map_err(|e| s3_error("GetObject", e))?;
    let body = out.body.collect().await.map_err(|e| CaptureError::S3 {
        operation: "GetObject",
        code: String::new(),
        message: format!("reading the body of `{key}`: {e}"),
    })?;
    Ok(body.into_bytes())
}
