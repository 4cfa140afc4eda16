//! A bucket policy as the store keeps it: the text the owner saved, for
//! GetBucketPolicy, and the document parsed once when it was saved, for every
//! authorization after that.

use std::sync::Arc;

use s3_policy::{Policy, PolicyError, PolicyKind, parse_policy};

/// A bucket policy that PutBucketPolicy accepted.
#[derive(Debug, Clone)]
pub struct StoredPolicy {
    text: Arc<str>,
    parsed: Arc<Policy>,
}

impl StoredPolicy {
    /// Validates `text` as PutBucketPolicy does for `bucket`
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html>).
    pub fn parse(text: &str, bucket: &str) -> Result<Self, PolicyError> {
        let parsed = parse_policy(text, PolicyKind::Bucket(bucket))?;
        Ok(Self {
            text: Arc::from(text),
            parsed: Arc::new(parsed),
        })
    }

    /// The JSON as it was saved (GetBucketPolicy answers it unchanged).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed document.
    pub fn policy(&self) -> &Arc<Policy> {
        &self.parsed
    }
}
