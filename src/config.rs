//! The connection form (the guide's Step 3) and its validation into a connection config.
//!
//! Validation says what is wrong with each field and shows the corrected value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Diagnostic};
use crate::error::Error;
use crate::names::validate_bucket_name;

/// The data format every table under one schema prefix must use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// Apache Parquet files (`.parquet`, `.parq`, `.snappy.parquet`).
    Parquet,
    /// CSV, plain (`.csv`) or gzipped (`.gz`, `.csv.gz`).
    Csv,
}

/// Whether the tables under the schema prefix are Hive-partitioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Partitioning {
    /// "All tables are partitioned": non-partitioned tables are ignored.
    All,
    /// "No tables are partitioned": partition directories are plain directories.
    None,
}

impl FromStr for DataFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "parquet" => Ok(Self::Parquet),
            "csv" => Ok(Self::Csv),
            _ => Err(Error::UnknownValue {
                what: "data format",
                value: s.to_owned(),
                expected: "parquet, csv",
            }),
        }
    }
}

impl FromStr for Partitioning {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Self::All),
            "none" => Ok(Self::None),
            _ => Err(Error::UnknownValue {
                what: "partitioning",
                value: s.to_owned(),
                expected: "all, none",
            }),
        }
    }
}

impl fmt::Display for DataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Parquet => "parquet",
            Self::Csv => "csv",
        })
    }
}

impl fmt::Display for Partitioning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::All => "all",
            Self::None => "none",
        })
    }
}

/// The regions the connection form offers (AWS's commercial regions); the hint lists them.
const SUPPORTED_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The connection form exactly as typed, before any validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionForm {
    /// The connection's display name.
    pub name: String,
    /// "AWS Bucket Region": must be one of the regions the form offers.
    pub region: String,
    /// "AWS Bucket Name": the name alone, although users paste URLs and ARNs.
    pub bucket: String,
    /// The directory holding one directory per table.
    pub schema_prefix: String,
    /// The format every table is read in.
    pub format: DataFormat,
    /// Whether tables are Hive-partitioned.
    pub partitioning: Partitioning,
}

/// A connection whose every field passed validation; what discovery runs against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionConfig {
    /// The connection's display name (not empty).
    pub name: String,
    /// A supported AWS region code.
    pub region: String,
    /// A bucket name S3 accepts.
    pub bucket: String,
    /// Empty (the bucket root) or ending in `/`, with no leading `/`.
    pub schema_prefix: String,
    /// The format every table is read in.
    pub format: DataFormat,
    /// Whether tables are Hive-partitioned.
    pub partitioning: Partitioning,
}

/// What a user pasted in the bucket field, reduced to the bucket name: `s3://b/*`,
/// `s3://b/data/`, `arn:aws:s3:::b`, `https://b.s3.eu-west-1.amazonaws.com/` -> `b`.
fn bucket_from_input(input: &str) -> String {
    let s = input.trim();
    let s = s.strip_prefix("arn:aws:s3:::").unwrap_or(s);
    let s = s
        .strip_prefix("s3://")
        .or_else(|| s.strip_prefix("S3://"))
        .or_else(|| s.strip_prefix("https://"))
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host_or_bucket = s.split('/').next().unwrap_or_default();
    // Virtual-hosted URL: bucket.s3.region.amazonaws.com or bucket.s3.amazonaws.com.
    match host_or_bucket.find(".s3.").or_else(|| host_or_bucket.find(".s3-")) {
        Some(i) if host_or_bucket.ends_with(".amazonaws.com") => host_or_bucket[..i].to_owned(),
        _ => host_or_bucket.to_owned(),
    }
}

/// A prefix as S3 needs it: no leading `/`, no `s3://bucket/`, ending in `/` unless empty.
fn normalize_prefix(input: &str, bucket: &str) -> String {
    let mut s = input.trim();
    if let Some(rest) = s.strip_prefix("s3://") {
        s = rest.strip_prefix(bucket).unwrap_or(rest);
    }
    let s = s.trim_start_matches('/');
    let s = s.strip_suffix('*').unwrap_or(s);
    if s.is_empty() || s.ends_with('/') {
        s.to_owned()
    } else {
        format!("{s}/")
    }
}

impl ConnectionForm {
    /// Validates every field; on any problem, [`Error::InvalidConfig`] holds one diagnostic
    /// per problem, saying what is wrong and showing the corrected value.
    ///
    /// ```
    /// use s3_connector::Error;
    /// use s3_connector::config::{ConnectionForm, DataFormat, Partitioning};
    ///
    /// let form = ConnectionForm {
    ///     name: "audiences".into(),
    ///     region: "eu-west-1".into(),
    ///     bucket: "s3://acme-data/".into(),
    ///     schema_prefix: "/data/audiences".into(),
    ///     format: DataFormat::Csv,
    ///     partitioning: Partitioning::All,
    /// };
    /// let Err(Error::InvalidConfig { diagnostics }) = form.validate() else { panic!("invalid") };
    /// let hints: Vec<&str> = diagnostics.iter().map(|d| d.hint.as_str()).collect();
    /// assert_eq!(hints, ["enter `acme-data`", "enter `data/audiences/`"]);
    /// ```
    pub fn validate(&self) -> Result<ConnectionConfig, Error> {
        self.problems_or_config()
            .map_err(|diagnostics| Error::InvalidConfig { diagnostics })
    }

    /// [`ConnectionForm::validate`], with the problems as they go into a connection report.
    pub(crate) fn problems_or_config(&self) -> Result<ConnectionConfig, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(
                Diagnostic::error(Code::InvalidConfig, "name", "the connection name is empty")
                    .hint("give the connection a descriptive name"),
            );
        }
        if !SUPPORTED_REGIONS.contains(&self.region.as_str()) {
            let lowered = self.region.trim().to_ascii_lowercase().replace('_', "-");
            let hint = if SUPPORTED_REGIONS.contains(&lowered.as_str()) {
                format!("use `{lowered}`")
            } else {
                format!("choose one of the supported regions: {}", SUPPORTED_REGIONS.join(", "))
            };
            problems.push(
                Diagnostic::error(
                    Code::InvalidConfig,
                    "region",
                    format!("`{}` is not a supported AWS region", self.region),
                )
                .hint(hint),
            );
        }
        let bucket = bucket_from_input(&self.bucket);
        if bucket != self.bucket {
            problems.push(
                Diagnostic::error(
                    Code::InvalidConfig,
                    "bucket",
                    format!(
                        "the bucket name must be the name alone, without scheme, prefix or wildcard: `{}`",
                        self.bucket
                    ),
                )
                .hint(format!("enter `{bucket}`")),
            );
        }
        if let Err(why) = validate_bucket_name(&bucket) {
            let guess = bucket.to_ascii_lowercase().replace('_', "-");
            let hint = if guess != bucket && validate_bucket_name(&guess).is_ok() {
                format!("bucket names are lowercase letters, digits, dots and hyphens: did you mean `{guess}`?")
            } else {
                "copy the name from the S3 console: bucket names are lowercase letters, digits, dots and hyphens"
                    .to_owned()
            };
            problems.push(Diagnostic::error(Code::InvalidConfig, "bucket", why.to_string()).hint(hint));
        }
        let prefix = normalize_prefix(&self.schema_prefix, &bucket);
        if prefix != self.schema_prefix {
            let what = if self.schema_prefix.starts_with('/') {
                "the schema prefix must not start with `/`"
            } else if self.schema_prefix.starts_with("s3://") {
                "the schema prefix is a path inside the bucket, not an s3:// URL"
            } else {
                "the schema prefix must end with `/`"
            };
            problems.push(
                Diagnostic::error(
                    Code::InvalidConfig,
                    "schema_prefix",
                    format!("{what}: `{}`", self.schema_prefix),
                )
                .hint(format!("enter `{prefix}`")),
            );
        }
        if prefix.split('/').any(|seg| seg == "." || seg == "..") || prefix.contains("//") {
            problems.push(
                Diagnostic::error(
                    Code::InvalidConfig,
                    "schema_prefix",
                    format!("`{prefix}` has an empty, `.` or `..` segment; S3 keys are not paths and these match nothing you meant"),
                )
                .hint("copy the prefix from the S3 console"),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ConnectionConfig {
            name: self.name.clone(),
            region: self.region.clone(),
            bucket,
            schema_prefix: prefix,
            format: self.format,
            partitioning: self.partitioning,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(bucket: &str, prefix: &str, region: &str) -> ConnectionForm {
        ConnectionForm {
            name: "n".into(),
            region: region.into(),
            bucket: bucket.into(),
            schema_prefix: prefix.into(),
            format: DataFormat::Csv,
            partitioning: Partitioning::All,
        }
    }

    #[test]
    fn a_good_form_validates() {
        let c = form("my-bucket", "data/audiences/", "eu-west-1").validate().unwrap();
        assert_eq!(
            (c.bucket.as_str(), c.schema_prefix.as_str()),
            ("my-bucket", "data/audiences/")
        );
        assert_eq!(form("my-bucket", "", "eu-west-1").validate().unwrap().schema_prefix, "");
    }

    #[test]
    fn pasted_bucket_urls_show_the_bucket_name() {
        for pasted in [
            "s3://my-bucket/*",
            "s3://my-bucket/data/",
            "arn:aws:s3:::my-bucket",
            "my-bucket/",
            "https://my-bucket.s3.eu-west-1.amazonaws.com/x",
        ] {
            let e = form(pasted, "data/", "eu-west-1").problems_or_config().unwrap_err();
            assert_eq!(e[0].code, Code::InvalidConfig);
            assert_eq!(e[0].hint, "enter `my-bucket`", "{pasted}");
        }
    }

    #[test]
    fn prefixes_are_normalized_in_the_hint() {
        let e = form("my-bucket", "/data/audiences", "eu-west-1")
            .problems_or_config()
            .unwrap_err();
        assert_eq!(e[0].hint, "enter `data/audiences/`");
        assert!(e[0].message.contains("must not start with `/`"));
        let e = form("my-bucket", "data/audiences", "eu-west-1")
            .problems_or_config()
            .unwrap_err();
        assert_eq!(e[0].hint, "enter `data/audiences/`");
        let e = form("my-bucket", "s3://my-bucket/data/", "eu-west-1")
            .problems_or_config()
            .unwrap_err();
        assert_eq!(e[0].hint, "enter `data/`");
    }

    #[test]
    fn bad_names_and_regions() {
        let e = form("My_Bucket", "data/", "eu-west-1")
            .problems_or_config()
            .unwrap_err();
        assert!(
            e.iter()
                .any(|d| d.subject == "bucket" && d.hint.contains("did you mean `my-bucket`?")),
            "{e:?}"
        );
        let e = form("my-bucket", "data/", "EU_WEST_1")
            .problems_or_config()
            .unwrap_err();
        assert_eq!(e[0].hint, "use `eu-west-1`");
        let e = form("my-bucket", "data/", "mars-north-1")
            .problems_or_config()
            .unwrap_err();
        assert!(e[0].hint.starts_with("choose one of"));
    }
}
