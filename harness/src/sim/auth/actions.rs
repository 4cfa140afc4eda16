//! Which IAM action and which resource S3 checks for each API operation
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html>).
//!
//! Some names differ from the API: `ListObjects`, `ListObjectsV2` and `HeadBucket`
//! need `s3:ListBucket` on the bucket; `HeadObject` needs `s3:GetObject` on the object;
//! `DeleteObjects` needs `s3:DeleteObject` on each key.

/// What an operation's permission is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `*`: operations on no bucket (ListBuckets).
    Any,
    /// `arn:aws:s3:::bucket`.
    Bucket,
    /// `arn:aws:s3:::bucket/key`.
    Object,
}

/// The IAM action and resource kind for an s3s operation name; `None` for operations
/// the simulator does not implement.
pub fn action_for(operation: &str) -> Option<(&'static str, ResourceKind)> {
    use ResourceKind::{Any, Bucket, Object};
    Some(match operation {
        "ListBuckets" => ("s3:ListAllMyBuckets", Any),
        "CreateBucket" => ("s3:CreateBucket", Bucket),
        "DeleteBucket" => ("s3:DeleteBucket", Bucket),
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => ("s3:ListBucket", Bucket),
        "GetBucketLocation" => ("s3:GetBucketLocation", Bucket),
        "GetBucketPolicy" => ("s3:GetBucketPolicy", Bucket),
        "PutBucketPolicy" => ("s3:PutBucketPolicy", Bucket),
        "DeleteBucketPolicy" => ("s3:DeleteBucketPolicy", Bucket),
        "ListMultipartUploads" => ("s3:ListBucketMultipartUploads", Bucket),
        // Authorized per key inside the operation.
        "DeleteObjects" => ("s3:DeleteObject", Bucket),
        "GetObject" | "HeadObject" => ("s3:GetObject", Object),
        "PutObject" | "CopyObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => {
            ("s3:PutObject", Object)
        }
        "DeleteObject" => ("s3:DeleteObject", Object),
        "AbortMultipartUpload" => ("s3:AbortMultipartUpload", Object),
        "ListParts" => ("s3:ListMultipartUploadParts", Object),
        _ => return None,
    })
}

/// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key` (keys are not escaped in ARNs).
pub fn resource_arn(bucket: &str, key: Option<&str>) -> String {
    const PREFIX: &str = "arn:aws:s3:::";
    // Written piece by piece: every request builds one, and `format!` would run the
    // formatting machinery for what is a concatenation.
    let mut arn = String::with_capacity(PREFIX.len() + bucket.len() + key.map_or(0, |k| 1 + k.len()));
    arn.push_str(PREFIX);
    arn.push_str(bucket);
    if let Some(key) = key {
        arn.push('/');
        arn.push_str(key);
    }
    arn
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn resource_arns_are_the_bucket_and_key_after_the_s3_prefix(
            bucket in "[a-z0-9.-]{3,63}",
            key in proptest::option::of("\\PC{0,40}"),
        ) {
            let expected = match &key {
                Some(k) => format!("arn:aws:s3:::{bucket}/{k}"),
                None => format!("arn:aws:s3:::{bucket}"),
            };
            prop_assert_eq!(resource_arn(&bucket, key.as_deref()), expected);
        }
    }
}
