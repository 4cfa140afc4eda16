//! The bucket policy the connection form shows the user (the guide's Step 2).

use serde_json::{Value, json};

/// `arn:aws:iam::ACCOUNT:role/ROLE`, the platform reader's role.
pub fn platform_role_arn(account: &str, role: &str) -> String {
    format!("arn:aws:iam::{account}:role/{role}")
}

/// The policy for `bucket` granting the platform's role read access: `s3:ListBucket`
/// on the bucket and `s3:GetObject` on its objects, both limited by
/// `aws:PrincipalArn` to that one role of the platform's account.
///
/// The principal is the platform's account root, which in a bucket policy means "any
/// principal of that account" (cross-account delegation), and the condition narrows it
/// to the role: see
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn>.
pub fn generated_policy(bucket: &str, account: &str, role: &str) -> Value {
    policy(bucket, account, role, None)
}

/// [`generated_policy`] narrowed to one schema prefix, for owners who grant no more
/// than the connection reads: `s3:GetObject` on `arn:aws:s3:::BUCKET/PREFIX*`, and
/// `s3:ListBucket` only for listings whose `s3:prefix` starts with `PREFIX`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html#condition-key-bucket-ops-2>).
/// A connection whose prefix is mistyped then cannot list the parent folder to
/// suggest the right one.
pub fn generated_policy_for_prefix(bucket: &str, account: &str, role: &str, prefix: &str) -> Value {
    policy(bucket, account, role, Some(prefix))
}

fn policy(bucket: &str, account: &str, role: &str, prefix: Option<&str>) -> Value {
    let principal = json!({ "AWS": format!("arn:aws:iam::{account}:root") });
    let role_only = json!({ "StringEquals": { "aws:PrincipalArn": platform_role_arn(account, role) } });
    let (list_condition, objects) = match prefix {
        None => (
            role_only.clone(),
            json!([format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]),
        ),
        Some(p) => {
            let mut c = role_only.clone();
            c["StringLike"] = json!({ "s3:prefix": format!("{p}*") });
            (c, json!(format!("arn:aws:s3:::{bucket}/{p}*")))
        }
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:ListBucket",
                "Resource": format!("arn:aws:s3:::{bucket}"),
                "Condition": list_condition,
            },
            {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:GetObject",
                "Resource": objects,
                "Condition": role_only,
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_the_guides_shape() {
        let p = generated_policy("acme-data", "999988887777", "connector-acme");
        assert_eq!(p["Statement"][0]["Action"], "s3:ListBucket");
        assert_eq!(p["Statement"][0]["Resource"], "arn:aws:s3:::acme-data");
        assert_eq!(p["Statement"][1]["Resource"][1], "arn:aws:s3:::acme-data/*");
        assert_eq!(
            p["Statement"][1]["Condition"]["StringEquals"]["aws:PrincipalArn"],
            "arn:aws:iam::999988887777:role/connector-acme"
        );
        assert_eq!(p["Statement"][1]["Principal"]["AWS"], "arn:aws:iam::999988887777:root");
    }

    #[test]
    fn the_generated_policy_is_one_put_bucket_policy_accepts() {
        let text = generated_policy("b", "999988887777", "connector").to_string();
        let p = s3_policy::parse_policy(&text, s3_policy::PolicyKind::Bucket("b")).unwrap();
        let round = s3_policy::parse_policy_value(&s3_policy::to_json(&p), s3_policy::PolicyKind::Bucket("b")).unwrap();
        assert_eq!(round, p);
    }
}
