//! What the probes' outcomes mean: listing and access diagnostics, and the connection's status.
//!
//! Listing and access failures become the diagnostics the guide's troubleshooting calls
//! for. Pure: no I/O, so every outcome is unit-tested on plain values.

use crate::config::ConnectionConfig;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::layout::ListedObject;
use crate::s3::S3Failure;

use super::ConnectionStatus;
use super::probe::ListingProbe;

/// Failures that end the connection attempt.
const FATAL: [Code; 9] = [
    Code::InvalidConfig,
    Code::BucketNotFound,
    Code::RegionMismatch,
    Code::ListAccessDenied,
    Code::ReadAccessDenied,
    Code::PrefixNotFound,
    Code::NoTables,
    Code::S3Unavailable,
    Code::InventoryUnreadable,
];

/// Failed when any error is fatal; warnings and non-fatal errors (a table not imported)
/// leave the connection active.
pub(super) fn status(diagnostics: &[Diagnostic]) -> ConnectionStatus {
    let failed = diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error && FATAL.contains(&d.code));
    if failed {
        ConnectionStatus::Failed
    } else {
        ConnectionStatus::Active
    }
}

/// A listing that worked: everything under the schema prefix.
#[derive(Debug)]
pub(super) struct Listed {
    pub(super) objects: Vec<ListedObject>,
    /// Whether the prefix holds any directory; without one there is no table.
    pub(super) has_table_dirs: bool,
    /// `s3_unavailable` for each table directory S3 kept failing to list.
    pub(super) unavailable: Vec<Diagnostic>,
}

/// The listing probe's outcome: what was listed, or the one diagnostic that ends the
/// connection. `role` names the platform's role in messages and hints.
pub(super) fn listing(config: &ConnectionConfig, role: &str, probe: ListingProbe) -> Result<Listed, Diagnostic> {
    match probe {
        ListingProbe::PrefixFailed(failure) => Err(list_failure(config, role, &failure)),
        ListingProbe::Empty { siblings } => Err(prefix_not_found(config, siblings.as_deref())),
        ListingProbe::TableFailed { table_prefix, failure } => {
            let mut problem = list_failure(config, role, &failure);
            problem.subject = table_prefix;
            Err(problem)
        }
        ListingProbe::Listed {
            objects,
            has_table_dirs,
            unavailable,
        } => Ok(Listed {
            objects,
            has_table_dirs,
            unavailable: unavailable.iter().map(unavailable_diag).collect(),
        }),
    }
}

/// A failed S3 call as the diagnostic the guide's troubleshooting calls for.
pub(super) fn list_failure(config: &ConnectionConfig, role: &str, failure: &S3Failure) -> Diagnostic {
    let bucket = &config.bucket;
    match failure {
        S3Failure::NoSuchBucket => Diagnostic::error(Code::BucketNotFound, bucket.clone(), format!("bucket `{bucket}` does not exist"))
            .hint("check the bucket name: it must match the S3 console exactly"),
        S3Failure::WrongRegion { expected, .. } => {
            let actual = expected.as_deref().unwrap_or("another region");
            Diagnostic::error(
                Code::RegionMismatch,
                bucket.clone(),
                format!("bucket `{bucket}` is in {actual}, but the connection says {}", config.region),
            )
            .hint(match expected {
                Some(r) => format!("set AWS Bucket Region to `{r}`"),
                None => "set AWS Bucket Region to the region shown in the S3 console".to_owned(),
            })
        }
        S3Failure::AccessDenied { .. } => Diagnostic::error(
            Code::ListAccessDenied,
            format!("arn:aws:s3:::{bucket}"),
            format!("listing `{}` in bucket `{bucket}` is denied to {role}", config.schema_prefix),
        )
        .hint(format!(
            "the bucket policy needs a statement allowing s3:ListBucket on arn:aws:s3:::{bucket} (the bucket ARN, not `{bucket}/*`) for {role}, with no s3:prefix condition excluding `{}`: paste the generated policy",
            config.schema_prefix
        )),
        S3Failure::Unavailable { .. } => unavailable(failure),
        other => Diagnostic::error(Code::ListAccessDenied, bucket.clone(), format!("listing failed: {other}"))
            .hint("check the bucket policy and the bucket name"),
    }
}

/// `s3_unavailable`: transient failures outlasted the retries. Names the operation,
/// the key or prefix, and the last error; the subject is that key or prefix.
pub(super) fn unavailable(failure: &S3Failure) -> Diagnostic {
    unavailable_diag(failure)
}

fn unavailable_diag(failure: &S3Failure) -> Diagnostic {
    let subject = match failure {
        S3Failure::Unavailable { subject, .. } => subject.clone(),
        _ => String::new(),
    };
    Diagnostic::error(Code::S3Unavailable, subject, format!("S3 kept failing: {failure}"))
        .hint("retry later; the connection is re-validated on the next sync")
}

/// The directory holding the schema prefix (`data/` for `data/audiences/`, empty at the
/// bucket root) and the prefix's own last segment (`audiences`).
pub(super) fn parent_and_leaf(prefix: &str) -> (&str, &str) {
    let trimmed = prefix.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(i) => (&prefix[..=i], &trimmed[i + 1..]),
        None => ("", trimmed),
    }
}

/// `prefix_not_found`, with the near names that do exist beside it (`siblings`, the
/// directories of the prefix's parent, when they could be listed).
pub(super) fn prefix_not_found(config: &ConnectionConfig, siblings: Option<&[String]>) -> Diagnostic {
    let prefix = &config.schema_prefix;
    let (parent, leaf) = parent_and_leaf(prefix);
    let near: Vec<&String> = siblings
        .unwrap_or_default()
        .iter()
        .filter(|p| {
            let name = p.get(parent.len()..).unwrap_or_default().trim_end_matches('/');
            similar(name, leaf)
        })
        .take(3)
        .collect();
    let hint = if near.is_empty() {
        format!(
            "check the schema prefix: nothing exists under `{prefix}` in bucket `{}`",
            config.bucket
        )
    } else {
        let list = near.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
        format!("nothing exists under `{prefix}`; did you mean {list}?")
    };
    Diagnostic::error(
        Code::PrefixNotFound,
        prefix.clone(),
        format!("nothing exists under `{prefix}`"),
    )
    .hint(hint)
}

/// `no_tables`: the schema prefix holds files but no table directory.
pub(super) fn no_tables(config: &ConnectionConfig) -> Diagnostic {
    Diagnostic::error(
        Code::NoTables,
        config.schema_prefix.clone(),
        format!("`{}` holds files but no table directory", config.schema_prefix),
    )
    .hint(format!(
        "put each table in its own directory: `{}<table>/...`",
        config.schema_prefix
    ))
}

/// What the one-byte read check says.
#[derive(Debug)]
pub(super) enum ReadCheck {
    /// The object could be read (or is empty: a range beyond it still proves access).
    Readable,
    /// Reading is denied: listing works but no data can be read, so the connection stops here.
    Denied(Diagnostic),
    /// Another failure, reported as listing failures are; the connection goes on.
    Failed(Diagnostic),
}

/// Judges the read check of `key`.
pub(super) fn read_check(
    config: &ConnectionConfig,
    role: &str,
    key: &str,
    outcome: Result<(), S3Failure>,
) -> ReadCheck {
    match outcome {
        // S3 authorizes a read before it finds the bytes unavailable, so an archived
        // object (or one captured without bytes) still proves read access.
        Ok(()) | Err(S3Failure::InvalidRange | S3Failure::BytesUnavailable { .. }) => ReadCheck::Readable,
        Err(S3Failure::AccessDenied { .. }) => ReadCheck::Denied(
            Diagnostic::error(
                Code::ReadAccessDenied,
                key.to_owned(),
                format!("listing works but reading `{key}` is denied to {role}"),
            )
            .hint(format!(
                "the bucket policy needs s3:GetObject on arn:aws:s3:::{}/* (objects, not the bucket ARN) for {role}, covering `{}`",
                config.bucket, config.schema_prefix
            )),
        ),
        Err(other) => ReadCheck::Failed(list_failure(config, role, &other)),
    }
}

/// Names a user may have meant: equal ignoring case, `-`/`_`, or one edit apart.
fn similar(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_', ' '], "");
    if norm(a) == norm(b) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    // Levenshtein distance, small strings only.
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DataFormat, Partitioning};

    const ROLE: &str = "arn:aws:iam::999988887777:role/connector";

    fn config() -> ConnectionConfig {
        ConnectionConfig {
            name: "n".into(),
            region: "us-east-1".into(),
            bucket: "acme-data".into(),
            schema_prefix: "data/audiences/".into(),
            format: DataFormat::Csv,
            partitioning: Partitioning::All,
        }
    }

    fn listing_problem(probe: ListingProbe) -> Diagnostic {
        listing(&config(), ROLE, probe).expect_err("a diagnostic")
    }

    #[test]
    fn similar_names() {
        assert!(similar("audiences", "audience"));
        assert!(similar("Audiences", "audiences"));
        assert!(similar("data-lake", "data_lake"));
        assert!(!similar("exports", "audiences"));
    }

    #[test]
    fn access_denied_on_list_is_list_access_denied() {
        let d = listing_problem(ListingProbe::PrefixFailed(S3Failure::AccessDenied {
            message: "Access Denied".into(),
        }));
        assert_eq!((d.code, d.severity), (Code::ListAccessDenied, Severity::Error));
        assert_eq!(d.subject, "arn:aws:s3:::acme-data");
        assert!(d.message.contains(ROLE), "{}", d.message);
        assert!(d.hint.contains("s3:ListBucket on arn:aws:s3:::acme-data"), "{}", d.hint);
        assert_eq!(status(&[d]), ConnectionStatus::Failed);
    }

    #[test]
    fn wrong_region_is_region_mismatch_naming_the_region() {
        let d = listing_problem(ListingProbe::PrefixFailed(S3Failure::WrongRegion {
            code: "AuthorizationHeaderMalformed".into(),
            expected: Some("eu-west-1".into()),
        }));
        assert_eq!(d.code, Code::RegionMismatch);
        assert_eq!(
            d.message,
            "bucket `acme-data` is in eu-west-1, but the connection says us-east-1"
        );
        assert_eq!(d.hint, "set AWS Bucket Region to `eu-west-1`");
        let unnamed = listing_problem(ListingProbe::PrefixFailed(S3Failure::WrongRegion {
            code: "PermanentRedirect".into(),
            expected: None,
        }));
        assert!(unnamed.message.contains("is in another region"), "{}", unnamed.message);
    }

    #[test]
    fn other_listing_failures() {
        assert_eq!(
            listing_problem(ListingProbe::PrefixFailed(S3Failure::NoSuchBucket)).code,
            Code::BucketNotFound
        );
        let d = listing_problem(ListingProbe::PrefixFailed(S3Failure::Unavailable {
            operation: "ListObjectsV2".into(),
            subject: "data/audiences/".into(),
            attempts: 10,
            last: "SlowDown (HTTP 503)".into(),
        }));
        assert_eq!(
            (d.code, d.subject.as_str(), d.message.as_str()),
            (
                Code::S3Unavailable,
                "data/audiences/",
                "S3 kept failing: ListObjectsV2 of `data/audiences/` failed 10 times; last error: SlowDown (HTTP 503)"
            )
        );
        // A table directory that cannot be listed is named as the subject.
        let d = listing_problem(ListingProbe::TableFailed {
            table_prefix: "data/audiences/users/".into(),
            failure: S3Failure::AccessDenied { message: String::new() },
        });
        assert_eq!(
            (d.code, d.subject.as_str()),
            (Code::ListAccessDenied, "data/audiences/users/")
        );
    }

    #[test]
    fn an_empty_prefix_suggests_near_names() {
        let siblings = vec!["data/audience/".to_owned(), "data/exports/".to_owned()];
        let d = listing_problem(ListingProbe::Empty {
            siblings: Some(siblings),
        });
        assert_eq!((d.code, d.subject.as_str()), (Code::PrefixNotFound, "data/audiences/"));
        assert_eq!(
            d.hint,
            "nothing exists under `data/audiences/`; did you mean `data/audience/`?"
        );
        let d = listing_problem(ListingProbe::Empty { siblings: None });
        assert_eq!(
            d.hint,
            "check the schema prefix: nothing exists under `data/audiences/` in bucket `acme-data`"
        );
        assert_eq!(parent_and_leaf("audiences/"), ("", "audiences"));
        assert_eq!(parent_and_leaf("a/b/c/"), ("a/b/", "c"));
    }

    #[test]
    fn a_listing_is_passed_on() {
        let objects = vec![ListedObject {
            key: "data/audiences/users/a.csv".into(),
            size: 3,
        }];
        let listed = listing(
            &config(),
            ROLE,
            ListingProbe::Listed {
                objects: objects.clone(),
                has_table_dirs: true,
                unavailable: Vec::new(),
            },
        )
        .unwrap();
        assert_eq!((listed.objects, listed.has_table_dirs), (objects, true));
    }

    #[test]
    fn read_check_outcomes() {
        let check = |outcome| read_check(&config(), ROLE, "data/audiences/users/a.csv", outcome);
        assert!(matches!(check(Ok(())), ReadCheck::Readable));
        // A zero-byte object answers InvalidRange to `bytes=0-0`: access is proven anyway.
        assert!(matches!(check(Err(S3Failure::InvalidRange)), ReadCheck::Readable));
        let unavailable = S3Failure::BytesUnavailable { message: String::new() };
        assert!(matches!(check(Err(unavailable)), ReadCheck::Readable));
        let ReadCheck::Denied(d) = check(Err(S3Failure::AccessDenied { message: String::new() })) else {
            panic!("denied")
        };
        assert_eq!(
            (d.code, d.subject.as_str()),
            (Code::ReadAccessDenied, "data/audiences/users/a.csv")
        );
        assert!(
            d.hint.contains("s3:GetObject on arn:aws:s3:::acme-data/*"),
            "{}",
            d.hint
        );
        assert_eq!(status(&[d]), ConnectionStatus::Failed);
        let ReadCheck::Failed(d) = check(Err(S3Failure::NoSuchKey)) else {
            panic!("failed")
        };
        assert_eq!(d.code, Code::ListAccessDenied);
    }

    #[test]
    fn only_fatal_errors_fail_the_connection() {
        assert_eq!(status(&[]), ConnectionStatus::Active);
        let skipped_table = Diagnostic::error(Code::MixedFormats, "data/audiences/t/", "mixed");
        let warning = Diagnostic::warning(Code::HiddenFile, "data/audiences/t/", "hidden");
        assert_eq!(status(&[skipped_table, warning]), ConnectionStatus::Active);
        assert_eq!(status(&[no_tables(&config())]), ConnectionStatus::Failed);
        // A fatal code as a warning does not fail the connection either.
        let d = Diagnostic::warning(Code::ReadAccessDenied, "k", "m");
        assert_eq!(status(&[d]), ConnectionStatus::Active);
    }
}
