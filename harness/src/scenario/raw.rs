//! The scenario file's TOML as serde reads it, before validation, with spans kept for errors.

use std::path::Path;

use s3_connector::config::{DataFormat, Partitioning};
use serde::Deserialize;
use toml::Spanned;

use super::error::ScenarioError;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) description: String,
    pub(super) connection: Option<RawConnection>,
    pub(super) platform: Option<RawPlatform>,
    #[serde(default)]
    pub(super) buckets: Vec<RawBucket>,
    #[serde(default)]
    pub(super) identities: Vec<RawIdentity>,
    pub(super) faults: Option<RawFaults>,
    pub(super) simulator: Option<RawSimulator>,
    pub(super) expect: Option<RawExpect>,
}

/// `[connection]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConnection {
    pub(super) name: String,
    pub(super) region: String,
    pub(super) bucket: String,
    pub(super) schema_prefix: String,
    pub(super) format: DataFormat,
    pub(super) partitioning: Partitioning,
}

/// `[platform]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlatform {
    pub(super) account: Option<Spanned<String>>,
    pub(super) role: Option<Spanned<String>>,
    pub(super) policy: Option<Spanned<toml::Value>>,
    pub(super) access_key: Option<Spanned<String>>,
    pub(super) secret_key: Option<Spanned<String>>,
    pub(super) inventory: Option<Spanned<String>>,
}

/// One `[[buckets]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBucket {
    pub(super) name: Spanned<String>,
    pub(super) region: Spanned<String>,
    pub(super) owner: Spanned<String>,
    pub(super) policy: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) objects: Vec<RawObject>,
}

/// One `[[buckets.objects]]` entry, before brace expansion.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawObject {
    pub(super) key: Spanned<String>,
    pub(super) fixture: Option<Spanned<String>>,
    pub(super) body: Option<Spanned<String>>,
    pub(super) size: Option<Spanned<RawSize>>,
    pub(super) gzip: Option<Spanned<bool>>,
    pub(super) content_type: Option<String>,
    pub(super) unknown_bytes: Option<Spanned<bool>>,
    pub(super) head: Option<Spanned<String>>,
    pub(super) tail: Option<Spanned<String>>,
}

/// An object's `size`: one for every key of the pattern, or one per key in expansion order.
pub(super) enum RawSize {
    One(u64),
    Each(Vec<u64>),
}

/// By hand rather than `untagged`, so that a wrong value says what was expected.
impl<'de> Deserialize<'de> for RawSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawSize;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("u64 (a size in bytes) or a list of them, one per key")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawSize, E> {
                Ok(RawSize::One(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawSize, E> {
                u64::try_from(v)
                    .map(RawSize::One)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawSize, A::Error> {
                let mut sizes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(size) = seq.next_element::<u64>()? {
                    sizes.push(size);
                }
                Ok(RawSize::Each(sizes))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// One `[[identities]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    pub(super) name: Spanned<String>,
    pub(super) arn: Spanned<String>,
    pub(super) access_key: Spanned<String>,
    pub(super) secret_key: Spanned<String>,
    pub(super) policy: Option<Spanned<toml::Value>>,
}

/// `[faults]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFaults {
    pub(super) latency_ms: Option<Spanned<u64>>,
    pub(super) latency_p99_ms: Option<Spanned<u64>>,
    pub(super) error_rate: Option<Spanned<f64>>,
    pub(super) seed: Option<u64>,
    #[serde(default)]
    pub(super) inject: Vec<RawFaultRule>,
    #[serde(default)]
    pub(super) burst: Vec<RawBurst>,
    pub(super) request_rate: Option<Spanned<RawRequestRate>>,
}

/// One `[[faults.burst]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBurst {
    pub(super) every_ms: Spanned<u64>,
    pub(super) length_ms: Spanned<u64>,
    pub(super) operations: Option<Vec<Spanned<String>>>,
    pub(super) prefix: Option<String>,
}

/// `[faults.request_rate]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequestRate {
    pub(super) reads_per_second: Option<Spanned<u64>>,
    pub(super) writes_per_second: Option<Spanned<u64>>,
}

/// One `[[faults.inject]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFaultRule {
    pub(super) kind: Spanned<String>,
    pub(super) rate: Spanned<f64>,
    pub(super) operations: Option<Vec<Spanned<String>>>,
    pub(super) prefix: Option<String>,
    pub(super) stall_ms: Option<Spanned<u64>>,
}

/// `[simulator]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSimulator {
    pub(super) transport: Option<Spanned<String>>,
}

/// `[expect]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    pub(super) status: Option<Spanned<String>>,
    pub(super) tables: Option<Vec<String>>,
    #[serde(default)]
    pub(super) diagnostics: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) absent_diagnostics: Vec<Spanned<String>>,
    pub(super) rows: Option<u64>,
    pub(super) bad_rows: Option<u64>,
}

impl RawScenario {
    /// Parses `text`, turning a TOML or shape error into a positioned [`ScenarioError`].
    pub(super) fn parse(path: &Path, text: &str) -> Result<Self, ScenarioError> {
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            ScenarioError::at(path, text, offset, toml_message(e))
        })
    }
}

/// The error's message plus the table it arose in: a missing field's position is its
/// table's header, which alone does not say which table was meant.
fn toml_message(mut e: toml::de::Error) -> String {
    let message = e.message().trim_end().to_owned();
    // Without input, Display renders just the message and, if known, "in `KEYS`".
    e.set_input(None);
    let rendered = e.to_string();
    let keys = rendered
        .trim_end()
        .rsplit_once("\nin `")
        .and_then(|(_, rest)| rest.strip_suffix('`'));
    match keys {
        Some(keys) if !keys.is_empty() => format!("{message} in `{keys}`"),
        _ => message,
    }
}
