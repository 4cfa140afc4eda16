//! Writing the captured world as `scenario.toml`, its samples and its bucket policy.

use std::fmt::Write as _;
use std::path::Path;

use s3_connector::config::ConnectionForm;

use super::CaptureError;
use super::fold::{FoldedKeys, fold_keys};
use super::samples::{Captured, Sample};

/// The bucket as captured.
pub struct CapturedBucket {
    /// Its name.
    pub name: String,
    /// Its region.
    pub region: String,
    /// The owning account written into the scenario.
    pub owner: String,
    /// Its policy JSON, when it has one that could be read.
    pub policy: Option<String>,
    /// No policy could be read (a pasted listing, GetBucketPolicy denied): the scenario
    /// says `policy = "generated"`, the policy the connection form asks for.
    pub policy_unknown: bool,
    /// Every key under the prefix with its size, sorted, unique.
    pub objects: Vec<(String, u64)>,
    /// Objects whose bytes schema inference reads, as captured.
    pub samples: Vec<Captured>,
}

/// Everything `scenario.toml` is written from.
pub struct ScenarioText<'a> {
    /// The description line.
    pub description: &'a str,
    /// The connection block.
    pub connection: &'a ConnectionForm,
    /// The platform's account and reader role, when given.
    pub platform: Option<(&'a str, &'a str)>,
    /// The platform role's identity policy, when given.
    pub platform_policy: Option<&'a str>,
    /// `[simulator] transport`.
    pub transport: crate::scenario::Transport,
    /// The bucket; `None` when it does not exist.
    pub bucket: Option<&'a CapturedBucket>,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// `[[buckets.objects]]` entries.
    pub entries: usize,
    /// Folded entries among them (keys without bytes).
    pub folded: usize,
    /// Sample files written.
    pub sample_files: usize,
}

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Writes `out/scenario.toml` (without `[expect]`), `out/samples/*` and
/// `out/bucket-policy.json`.
pub fn write_scenario(out: &Path, text: &ScenarioText<'_>) -> Result<Written, CaptureError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CaptureError::Io { path, source }
    };
    let mut toml = String::new();
    let mut written = Written::default();
    let c = text.connection;
    let _ = writeln!(toml, "description = {}\n", toml_str(text.description));
    let _ = writeln!(toml, "[connection]");
    let _ = writeln!(toml, "name = {}", toml_str(&c.name));
    let _ = writeln!(toml, "region = {}", toml_str(&c.region));
    let _ = writeln!(toml, "bucket = {}", toml_str(&c.bucket));
    let _ = writeln!(toml, "schema_prefix = {}", toml_str(&c.schema_prefix));
    let _ = writeln!(toml, "format = {}", toml_str(&enum_name(&c.format)));
    let _ = writeln!(toml, "partitioning = {}", toml_str(&enum_name(&c.partitioning)));
    if let Some((account, role)) = text.platform {
        let _ = writeln!(
            toml,
            "\n[platform]\naccount = {}\nrole = {}",
            toml_str(account),
            toml_str(role)
        );
        if let Some(policy) = text.platform_policy {
            let _ = writeln!(toml, "policy = {}", toml_str(policy));
        }
    }
    if text.transport == crate::scenario::Transport::Http {
        let _ = writeln!(toml, "\n[simulator]\ntransport = \"http\"");
    }
    if let Some(b) = text.bucket {
        let _ = writeln!(toml, "\n[[buckets]]");
        let _ = writeln!(toml, "name = {}", toml_str(&b.name));
        let _ = writeln!(toml, "region = {}", toml_str(&b.region));
        let _ = writeln!(toml, "owner = {}", toml_str(&b.owner));
        if let Some(policy) = &b.policy {
            let path = out.join("bucket-policy.json");
            let pretty = serde_json::from_str::<serde_json::Value>(policy)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| policy.clone());
            std::fs::write(&path, pretty).map_err(io(&path))?;
            let _ = writeln!(toml, "policy = {{ file = \"bucket-policy.json\" }}");
        } else if b.policy_unknown {
            let _ = writeln!(
                toml,
                "# The bucket policy was not captured: assumed to be the one the form generates."
            );
            let _ = writeln!(toml, "policy = \"generated\"");
        }
        // Every key is folded, sampled ones too, so the layout reads as it is; the
        // sample entries come after and, as later entries for the same key do, replace
        // those objects with their captured bytes.
        let folded = fold_keys(&b.objects);
        written.folded = folded.len();
        written.entries += folded.len();
        for f in &folded {
            write_folded(&mut toml, f);
        }
        if !b.samples.is_empty() {
            let dir = out.join("samples");
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        for (i, s) in b.samples.iter().enumerate() {
            let (field, bytes, suffix) = match &s.sample {
                Sample::Whole(b) => ("fixture", b, ""),
                Sample::Head(b) => ("head", b, ".head"),
                Sample::Tail(b) => ("tail", b, ".tail"),
            };
            let name = format!("samples/{:04}-{}{suffix}", i + 1, file_name(&s.key));
            let path = out.join(&name);
            std::fs::write(&path, bytes).map_err(io(&path))?;
            written.sample_files += 1;
            written.entries += 1;
            let _ = writeln!(toml, "\n[[buckets.objects]]");
            let _ = writeln!(toml, "key = {}", toml_str(&super::fold::escape(&s.key)));
            if field != "fixture" {
                let _ = writeln!(toml, "size = {}", s.size);
            }
            let _ = writeln!(toml, "{field} = {}", toml_str(&name));
        }
    }
    let path = out.join("scenario.toml");
    std::fs::write(&path, toml).map_err(io(&path))?;
    Ok(written)
}

fn write_folded(toml: &mut String, f: &FoldedKeys) {
    let _ = writeln!(toml, "\n[[buckets.objects]]");
    let _ = writeln!(toml, "key = {}", toml_str(&f.pattern));
    match f.common_size() {
        Some(size) => {
            let _ = writeln!(toml, "size = {size}");
        }
        None => {
            let list: Vec<String> = f.sizes.iter().map(u64::to_string).collect();
            let _ = writeln!(toml, "size = [{}]", list.join(", "));
        }
    }
    let _ = writeln!(toml, "unknown_bytes = true");
}

/// `parquet` / `all`: the serde name of a connection enum.
fn enum_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The key's last segment with anything but `[A-Za-z0-9._-]` replaced, for a sample's
/// file name (the key itself is in the scenario).
fn file_name(key: &str) -> String {
    let last = key.rsplit('/').find(|s| !s.is_empty()).unwrap_or("object");
    let clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        format!("object{clean}")
    } else {
        clean
    }
}
