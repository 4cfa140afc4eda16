//! The S3 actions IAM knows and the resource type each applies to.
//!
//! The list follows <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>.
//! PutBucketPolicy uses this to refuse a statement whose actions apply to none of its
//! resources ("Action does not apply to any resource(s) in statement") and to refuse
//! names that are not actions ("Policy has invalid action").

use super::pattern::wildcard_match;

/// What an action's permission is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ResourceType {
    /// `arn:aws:s3:::bucket`.
    Bucket,
    /// `arn:aws:s3:::bucket/key`.
    Object,
    /// No resource ARN (account-level actions such as ListAllMyBuckets): `*` only.
    Account,
}

use ResourceType::{Account, Bucket, Object};

/// S3 actions (without the `s3:` prefix) and their resource type.
const S3_ACTIONS: &[(&str, ResourceType)] = &[
    ("AbortMultipartUpload", Object),
    ("BypassGovernanceRetention", Object),
    ("CreateAccessPoint", Account),
    ("CreateBucket", Bucket),
    ("CreateJob", Account),
    ("DeleteBucket", Bucket),
    ("DeleteBucketOwnershipControls", Bucket),
    ("DeleteBucketPolicy", Bucket),
    ("DeleteBucketWebsite", Bucket),
    ("DeleteObject", Object),
    ("DeleteObjectTagging", Object),
    ("DeleteObjectVersion", Object),
    ("DeleteObjectVersionTagging", Object),
    ("GetAccelerateConfiguration", Bucket),
    ("GetAccountPublicAccessBlock", Account),
    ("GetAnalyticsConfiguration", Bucket),
    ("GetBucketAcl", Bucket),
    ("GetBucketCORS", Bucket),
    ("GetBucketLocation", Bucket),
    ("GetBucketLogging", Bucket),
    ("GetBucketNotification", Bucket),
    ("GetBucketObjectLockConfiguration", Bucket),
    ("GetBucketOwnershipControls", Bucket),
    ("GetBucketPolicy", Bucket),
    ("GetBucketPolicyStatus", Bucket),
    ("GetBucketPublicAccessBlock", Bucket),
    ("GetBucketRequestPayment", Bucket),
    ("GetBucketTagging", Bucket),
    ("GetBucketVersioning", Bucket),
    ("GetBucketWebsite", Bucket),
    ("GetEncryptionConfiguration", Bucket),
    ("GetIntelligentTieringConfiguration", Bucket),
    ("GetInventoryConfiguration", Bucket),
    ("GetLifecycleConfiguration", Bucket),
    ("GetMetricsConfiguration", Bucket),
    ("GetObject", Object),
    ("GetObjectAcl", Object),
    ("GetObjectAttributes", Object),
    ("GetObjectLegalHold", Object),
    ("GetObjectRetention", Object),
    ("GetObjectTagging", Object),
    ("GetObjectTorrent", Object),
    ("GetObjectVersion", Object),
    ("GetObjectVersionAcl", Object),
    ("GetObjectVersionAttributes", Object),
    ("GetObjectVersionTagging", Object),
    ("GetObjectVersionTorrent", Object),
    ("GetReplicationConfiguration", Bucket),
    ("ListAllMyBuckets", Account),
    ("ListBucket", Bucket),
    ("ListBucketMultipartUploads", Bucket),
    ("ListBucketVersions", Bucket),
    ("ListMultipartUploadParts", Object),
    ("ObjectOwnerOverrideToBucketOwner", Object),
    ("PutAccelerateConfiguration", Bucket),
    ("PutAccountPublicAccessBlock", Account),
    ("PutAnalyticsConfiguration", Bucket),
    ("PutBucketAcl", Bucket),
    ("PutBucketCORS", Bucket),
    ("PutBucketLogging", Bucket),
    ("PutBucketNotification", Bucket),
    ("PutBucketObjectLockConfiguration", Bucket),
    ("PutBucketOwnershipControls", Bucket),
    ("PutBucketPolicy", Bucket),
    ("PutBucketPublicAccessBlock", Bucket),
    ("PutBucketRequestPayment", Bucket),
    ("PutBucketTagging", Bucket),
    ("PutBucketVersioning", Bucket),
    ("PutBucketWebsite", Bucket),
    ("PutEncryptionConfiguration", Bucket),
    ("PutIntelligentTieringConfiguration", Bucket),
    ("PutInventoryConfiguration", Bucket),
    ("PutLifecycleConfiguration", Bucket),
    ("PutMetricsConfiguration", Bucket),
    ("PutObject", Object),
    ("PutObjectAcl", Object),
    ("PutObjectLegalHold", Object),
    ("PutObjectRetention", Object),
    ("PutObjectTagging", Object),
    ("PutObjectVersionAcl", Object),
    ("PutObjectVersionTagging", Object),
    ("PutReplicationConfiguration", Bucket),
    ("ReplicateDelete", Object),
    ("ReplicateObject", Object),
    ("ReplicateTags", Object),
    ("RestoreObject", Object),
];

/// The known actions an action pattern (`s3:Get*`, `s3:ListBucket`, `*`) names, as
/// `(name, resource type)`. Service prefixes are case-insensitive, as are names.
pub(crate) fn expand(pattern: &str) -> Vec<(&'static str, ResourceType)> {
    if pattern == "*" {
        return S3_ACTIONS.to_vec();
    }
    let Some((service, name)) = pattern.split_once(':') else {
        return Vec::new();
    };
    if !wildcard_match(service, "s3", true) {
        return Vec::new();
    }
    S3_ACTIONS
        .iter()
        .copied()
        .filter(|(a, _)| wildcard_match(name, a, true))
        .collect()
}

/// The resource type of one action (`s3:GetObject`), if it is a known S3 action; only the
/// tests look actions up one by one.
#[cfg(test)]
fn resource_type(action: &str) -> Option<ResourceType> {
    let name = action.strip_prefix("s3:").or_else(|| action.strip_prefix("S3:"))?;
    S3_ACTIONS
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(name))
        .map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_wildcards_case_insensitively() {
        let list: Vec<&str> = expand("s3:ListBucket*").into_iter().map(|(a, _)| a).collect();
        assert_eq!(list, ["ListBucket", "ListBucketMultipartUploads", "ListBucketVersions"]);
        assert_eq!(expand("S3:getobject").len(), 1);
        assert!(expand("s3:GetObjects").is_empty());
        assert!(expand("ec2:*").is_empty());
        assert_eq!(expand("s3:*").len(), S3_ACTIONS.len());
    }

    #[test]
    fn catalogue_is_sorted_and_unique() {
        assert!(S3_ACTIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(resource_type("s3:ListBucket"), Some(Bucket));
        assert_eq!(resource_type("s3:GetObject"), Some(Object));
        assert_eq!(resource_type("s3:ListAllMyBuckets"), Some(Account));
    }
}
