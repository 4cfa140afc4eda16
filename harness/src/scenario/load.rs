//! Reads a scenario TOML file into the [`Scenario`] model, validating as it goes.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use s3_connector::connector::ConnectionStatus;
use s3_connector::diagnostic::Code;
use serde::Deserialize as _;
use serde::de::IntoDeserializer as _;
use toml::Spanned;

use super::brace::{expand_braces, key_space};
use super::error::ScenarioError;
use super::model::{
    BucketPolicySpec, BucketSpec, ConnectionSpec, ExpectSpec, FaultsSpec, IdentitySpec, KeySpaceSpec, ObjectSource,
    ObjectSpec, PlatformSpec, Scenario, SimulatorSpec, Transport,
};
use super::names::{is_region_like, validate_account_id, validate_bucket_name, validate_role_name};
use super::raw::{
    RawBucket, RawExpect, RawFaults, RawIdentity, RawObject, RawPlatform, RawScenario, RawSimulator, RawSize,
};

pub use crate::sim::store::MAX_KEY_BYTES;
use crate::sim::store::etag::MAX_OBJECT_SIZE;

/// Keys from which a `[[buckets.objects]]` pattern whose keys share one source (no list
/// of sizes) is kept as a virtual key space: listed, read and authorized like stored keys
/// but never expanded, so a pattern may stand for billions of keys. Smaller patterns are
/// stored key by key; a pattern a key space cannot hold (a key could be read two ways,
/// a large range of negative numbers) is expanded, up to [`MAX_EXPANSION`](super::MAX_EXPANSION).
pub const VIRTUAL_FROM: u128 = 1_000;

/// The longest latency a scenario may inject on every request: a minute, past which
/// an SDK's own timeouts decide the outcome rather than the scenario.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// How a scenario is loaded: where fixtures and policy files are looked for after the
/// scenario's own folder and the nearest `fixtures/` folder above it.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Folders searched, in order, for fixtures and policy files not found next to the
    /// scenario or in the nearest `fixtures/` above it. The fixtures this repository
    /// ships are found last of all, whatever this holds.
    pub fixture_roots: Vec<PathBuf>,
    /// Let fixture and policy paths point anywhere (an absolute path, `../..`, a link
    /// out). By default they must stay inside the scenario's folder, the nearest
    /// `fixtures/` above it or a fixture root, so that a scenario from elsewhere cannot
    /// serve the machine's files to every client of `serve`.
    pub allow_paths_anywhere: bool,
}

/// Reads and loads the scenario at `path`.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    load_scenario_with(path, &LoadOptions::default())
}

/// Reads and loads the scenario at `path`, looking for fixtures as `options` says.
pub fn load_scenario_with(path: &Path, options: &LoadOptions) -> Result<Scenario, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|error| ScenarioError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    // Decoded here rather than with read_to_string so that bad UTF-8 gets a position.
    match String::from_utf8(bytes) {
        Ok(text) => parse_scenario_with(path, &text, options),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = e.as_bytes().get(..valid).unwrap_or_default();
            let text = String::from_utf8_lossy(prefix);
            Err(ScenarioError::at(
                path,
                &text,
                valid,
                "invalid UTF-8; a scenario file must be UTF-8 text",
            ))
        }
    }
}

/// Loads a scenario from `text`; `path` names it in errors and anchors relative
/// fixture and policy paths.
pub fn parse_scenario(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    parse_scenario_with(path, text, &LoadOptions::default())
}

/// [`parse_scenario`] with fixture roots.
pub fn parse_scenario_with(path: &Path, text: &str, options: &LoadOptions) -> Result<Scenario, ScenarioError> {
    let raw = RawScenario::parse(path, text)?;
    Loader::new(path, text, options).scenario(raw)
}

/// Where a fixture or policy file was found.
enum Found {
    File(PathBuf),
    Bundled(&'static [u8]),
}

/// State for one load: where relative paths resolve, and gzipped bytes already made.
struct Loader<'a> {
    path: &'a Path,
    options: &'a LoadOptions,
    text: &'a str,
    /// The scenario file's directory, absolute so that walking up finds the repository.
    base_dir: PathBuf,
    /// `None` until looked for; then the nearest `fixtures/` at or above `base_dir`.
    repo_fixtures: Option<Option<PathBuf>>,
    /// Gzipped once per fixture file and per body text, so that every key of an
    /// expansion (possibly millions) shares one buffer.
    gzipped_files: HashMap<PathBuf, Bytes>,
    gzipped_bodies: HashMap<String, Bytes>,
}

impl<'a> Loader<'a> {
    fn new(path: &'a Path, text: &'a str, options: &'a LoadOptions) -> Self {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let base_dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        Self {
            path,
            options,
            text,
            base_dir,
            repo_fixtures: None,
            gzipped_files: HashMap::new(),
            gzipped_bodies: HashMap::new(),
        }
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.path, self.text, offset, message)
    }

    fn scenario(&mut self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let connection = raw.connection.map(|c| ConnectionSpec {
            name: c.name,
            region: c.region,
            bucket: c.bucket,
            schema_prefix: c.schema_prefix,
            format: c.format,
            partitioning: c.partitioning,
        });
        let platform = self.platform(raw.platform)?;
        let mut bucket_names = HashSet::new();
        let mut buckets = Vec::with_capacity(raw.buckets.len());
        for b in raw.buckets {
            if !bucket_names.insert(b.name.get_ref().clone()) {
                return Err(self.error(
                    b.name.span().start,
                    format!("bucket `{}` is defined twice", b.name.get_ref()),
                ));
            }
            buckets.push(self.bucket(b)?);
        }
        let identities = self.identities(raw.identities, &platform)?;
        let faults = raw.faults.map(|f| self.faults(f)).transpose()?;
        let simulator = raw
            .simulator
            .map(|s| self.simulator(s))
            .transpose()?
            .unwrap_or_default();
        let expect = raw.expect.map(|e| self.expect(e)).transpose()?;
        if expect.is_some() && connection.is_none() {
            return Err(self.error(0, "`[expect]` needs a `[connection]` to run"));
        }
        Ok(Scenario {
            path: self.path.to_path_buf(),
            description: raw.description,
            connection,
            platform,
            buckets,
            identities,
            faults,
            simulator,
            expect,
        })
    }

    fn simulator(&self, raw: RawSimulator) -> Result<SimulatorSpec, ScenarioError> {
        let transport = match raw.transport {
            None => Transport::default(),
            Some(t) => match t.get_ref().as_str() {
                "https" => Transport::Https,
                "http" => Transport::Http,
                other => {
                    return Err(self.error(
                        t.span().start,
                        format!("`transport` must be \"https\" or \"http\", found \"{other}\""),
                    ));
                }
            },
        };
        Ok(SimulatorSpec { transport })
    }

    fn expect(&self, raw: RawExpect) -> Result<ExpectSpec, ScenarioError> {
        let status = match raw.status {
            None => None,
            Some(s) => Some(match s.get_ref().as_str() {
                "active" => ConnectionStatus::Active,
                "failed" => ConnectionStatus::Failed,
                other => {
                    return Err(self.error(
                        s.span().start,
                        format!("`status` must be \"active\" or \"failed\", found {other:?}"),
                    ));
                }
            }),
        };
        let codes = |list: Vec<Spanned<String>>| -> Result<Vec<Code>, ScenarioError> {
            list.into_iter()
                .map(|c| {
                    Code::deserialize(c.get_ref().as_str().into_deserializer()).map_err(|_: serde::de::value::Error| {
                        self.error(
                            c.span().start,
                            format!(
                                "unknown diagnostic code {:?} (docs/diagnostics.md lists every code)",
                                c.get_ref()
                            ),
                        )
                    })
                })
                .collect()
        };
        Ok(ExpectSpec {
            status,
            tables: raw.tables,
            diagnostics: codes(raw.diagnostics)?,
            absent_diagnostics: codes(raw.absent_diagnostics)?,
            rows: raw.rows,
            bad_rows: raw.bad_rows,
        })
    }

    fn platform(&mut self, raw: Option<RawPlatform>) -> Result<PlatformSpec, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(PlatformSpec::default());
        };
        let account = match raw.account {
            Some(a) => {
                validate_account_id(a.get_ref()).map_err(|m| self.error(a.span().start, m.to_string()))?;
                a.into_inner()
            }
            None => PlatformSpec::DEFAULT_ACCOUNT.to_owned(),
        };
        let role = match raw.role {
            Some(r) => {
                validate_role_name(r.get_ref()).map_err(|m| self.error(r.span().start, m))?;
                r.into_inner()
            }
            None => PlatformSpec::DEFAULT_ROLE.to_owned(),
        };
        let policy = raw.policy.map(|p| self.identity_policy(&p)).transpose()?;
        let access_key = self.non_empty(raw.access_key, "access_key")?;
        let secret_key = self.non_empty(raw.secret_key, "secret_key")?;
        let inventory = raw
            .inventory
            .map(|i| {
                s3_connector::inventory::InventoryLocation::parse(i.get_ref())
                    .map_err(|m| self.error(i.span().start, m))
            })
            .transpose()?;
        Ok(PlatformSpec {
            account,
            role,
            policy,
            inventory,
            access_key: access_key.unwrap_or_else(|| PlatformSpec::DEFAULT_ACCESS_KEY.to_owned()),
            secret_key: secret_key.unwrap_or_else(|| PlatformSpec::DEFAULT_SECRET_KEY.to_owned()),
        })
    }

    fn non_empty(&self, value: Option<Spanned<String>>, field: &str) -> Result<Option<String>, ScenarioError> {
        match value {
            Some(v) if v.get_ref().is_empty() => {
                Err(self.error(v.span().start, format!("`{field}` must not be empty")))
            }
            v => Ok(v.map(Spanned::into_inner)),
        }
    }

    fn bucket(&mut self, raw: RawBucket) -> Result<BucketSpec, ScenarioError> {
        validate_bucket_name(raw.name.get_ref()).map_err(|m| self.error(raw.name.span().start, m.to_string()))?;
        if !is_region_like(raw.region.get_ref()) {
            return Err(self.error(
                raw.region.span().start,
                format!(
                    "`{}` is not an AWS region code; expected one like \"eu-west-1\"",
                    raw.region.get_ref()
                ),
            ));
        }
        validate_account_id(raw.owner.get_ref()).map_err(|m| self.error(raw.owner.span().start, m.to_string()))?;
        let policy = match &raw.policy {
            None => BucketPolicySpec::None,
            Some(p) => self.bucket_policy(p)?,
        };
        let mut objects = Vec::new();
        let mut key_spaces = Vec::new();
        for o in raw.objects {
            match self.key_space(&o, objects.len())? {
                Some(space) => key_spaces.push(space),
                None => self.objects(o, &mut objects)?,
            }
        }
        Ok(BucketSpec {
            name: raw.name.into_inner(),
            region: raw.region.into_inner(),
            owner: raw.owner.into_inner(),
            policy,
            objects,
            key_spaces,
        })
    }

    fn bucket_policy(&mut self, value: &Spanned<toml::Value>) -> Result<BucketPolicySpec, ScenarioError> {
        const FORMS: &str = "expected \"generated\", \"none\", an inline JSON policy string \
                             (starting with `{`) or { file = \"policy.json\" }";
        let at = value.span().start;
        match value.get_ref() {
            toml::Value::String(s) if s == "generated" => Ok(BucketPolicySpec::Generated),
            toml::Value::String(s) if s == "none" => Ok(BucketPolicySpec::None),
            toml::Value::String(s) if s.trim_start().starts_with('{') => Ok(BucketPolicySpec::Json(s.clone())),
            toml::Value::String(s) => Err(self.error(at, format!("unknown bucket policy `{s}`; {FORMS}"))),
            toml::Value::Table(t) => Ok(BucketPolicySpec::Json(self.policy_file(t, value.span())?)),
            other => Err(self.error(at, format!("found {}; {FORMS}", other.type_str()))),
        }
    }

    /// A platform or identity policy: JSON inline or in a file.
    fn identity_policy(&mut self, value: &Spanned<toml::Value>) -> Result<String, ScenarioError> {
        const FORMS: &str = "expected an inline JSON policy string (starting with `{`) or { file = \"policy.json\" }";
        let at = value.span().start;
        match value.get_ref() {
            toml::Value::String(s) if s.trim_start().starts_with('{') => Ok(s.clone()),
            toml::Value::String(s) => Err(self.error(
                at,
                format!(
                    "policy `{s}` is not JSON; {FORMS}; for no permissions write \
                     '{{\"Version\":\"2012-10-17\",\"Statement\":[]}}'"
                ),
            )),
            toml::Value::Table(t) => self.policy_file(t, value.span()),
            other => Err(self.error(at, format!("found {}; {FORMS}", other.type_str()))),
        }
    }

    fn policy_file(&mut self, table: &toml::Table, span: Range<usize>) -> Result<String, ScenarioError> {
        let file = match (table.len(), table.get("file")) {
            (1, Some(toml::Value::String(f))) => f,
            (1, Some(other)) => {
                return Err(self.error(
                    span.start,
                    format!("policy `file` must be a string path, found {}", other.type_str()),
                ));
            }
            _ => {
                let keys: Vec<&str> = table.keys().map(String::as_str).collect();
                return Err(self.error(
                    span.start,
                    format!(
                        "a policy table takes exactly one key, `file`, found [{}]; \
                         expected {{ file = \"policy.json\" }}",
                        keys.join(", ")
                    ),
                ));
            }
        };
        match self.resolve(file, "policy file", span.start)? {
            Found::File(path) => std::fs::read_to_string(&path)
                .map_err(|e| self.error(span.start, format!("cannot read policy file {}: {e}", path.display()))),
            Found::Bundled(bytes) => String::from_utf8(bytes.to_vec())
                .map_err(|_| self.error(span.start, format!("policy file `{file}` is not UTF-8 text"))),
        }
    }

    /// One `[[buckets.objects]]` entry kept as a virtual key space, when its pattern
    /// holds at least [`VIRTUAL_FROM`] keys that share one source (no list of sizes) and
    /// can be held that way; `None` to expand it instead.
    fn key_space(&mut self, raw: &RawObject, after: usize) -> Result<Option<KeySpaceSpec>, ScenarioError> {
        if matches!(raw.size.as_ref().map(|s| s.get_ref()), Some(RawSize::Each(_))) {
            return Ok(None);
        }
        let key_at = raw.key.span();
        let keys = match key_space(raw.key.get_ref()) {
            Ok(Ok(keys)) if keys.count() >= VIRTUAL_FROM => keys,
            // Too small, or not a generator: expanded, which reports any error.
            _ => return Ok(None),
        };
        // The empty key is the shortest a space can hold, and its longest is checked for length.
        if keys.contains(b"") {
            self.check_key("", key_at.start)?;
        }
        self.check_key(&String::from_utf8_lossy(&keys.longest()), key_at.start)?;
        let source = self.object_source(raw)?;
        Ok(Some(KeySpaceSpec {
            keys: Arc::new(keys),
            source,
            content_type: raw.content_type.clone(),
            after,
        }))
    }

    /// S3's limits on one key of the pattern at `at`: not empty, at most 1,024 bytes.
    fn check_key(&self, key: &str, at: usize) -> Result<(), ScenarioError> {
        if key.is_empty() {
            return Err(self.error(at, "object key must not be empty"));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(self.error(
                at,
                format!(
                    "object key is {} bytes long; S3 allows at most {MAX_KEY_BYTES} bytes (key starts `{}`)",
                    key.len(),
                    truncate(key, 80)
                ),
            ));
        }
        Ok(())
    }

    /// Expands one `[[buckets.objects]]` entry into `out`.
    fn objects(&mut self, raw: RawObject, out: &mut Vec<ObjectSpec>) -> Result<(), ScenarioError> {
        let source = self.object_source(&raw)?;
        let key_at = raw.key.span();
        let keys = expand_braces(raw.key.get_ref()).map_err(|e| {
            let at = offset_in_string(self.text, key_at.clone(), raw.key.get_ref(), e.offset);
            self.error(at, format!("invalid object key: {}", e.kind))
        })?;
        let sizes = self.size_list(&raw, keys.len())?;
        out.reserve(keys.len());
        for (i, key) in keys.into_iter().enumerate() {
            self.check_key(&key, key_at.start)?;
            let source = match (&source, sizes.and_then(|list| list.get(i))) {
                (ObjectSource::Sized(_), Some(size)) => ObjectSource::Sized(*size),
                (ObjectSource::Partial { head, tail, .. }, Some(size)) => ObjectSource::Partial {
                    size: *size,
                    head: head.clone(),
                    tail: tail.clone(),
                },
                _ => source.clone(),
            };
            out.push(ObjectSpec {
                key,
                source,
                content_type: raw.content_type.clone(),
            });
        }
        Ok(())
    }

    /// A `size` list: one size per key of the pattern, each within S3's limit.
    fn size_list<'r>(&self, raw: &'r RawObject, keys: usize) -> Result<Option<&'r [u64]>, ScenarioError> {
        let Some(size) = &raw.size else { return Ok(None) };
        let RawSize::Each(list) = size.get_ref() else {
            return Ok(None);
        };
        if list.len() != keys {
            return Err(self.error(
                size.span().start,
                format!(
                    "`size` lists {} sizes but the key expands to {keys} keys; give one size per key, \
                     in expansion order, or one size for all",
                    list.len()
                ),
            ));
        }
        if let Some(big) = list.iter().find(|s| **s > MAX_OBJECT_SIZE) {
            return Err(self.error(
                size.span().start,
                format!("`size` {big} is larger than S3's largest object, 5 TiB ({MAX_OBJECT_SIZE} bytes)"),
            ));
        }
        Ok(Some(list))
    }

    /// `unknown_bytes`, `head` and `tail`: only with `size`, and what they say about it.
    fn partial_source(&mut self, raw: &RawObject, size: u64) -> Result<Option<ObjectSource>, ScenarioError> {
        let unknown = raw.unknown_bytes.as_ref().is_some_and(|u| *u.get_ref());
        if !unknown && raw.head.is_none() && raw.tail.is_none() {
            return Ok(None);
        }
        let mut part = |field: &Option<Spanned<String>>, what: &str| -> Result<Bytes, ScenarioError> {
            let Some(name) = field else { return Ok(Bytes::new()) };
            let at = name.span().start;
            let bytes = match self.resolve(name.get_ref(), what, at)? {
                Found::Bundled(bytes) => Bytes::from_static(bytes),
                Found::File(path) => std::fs::read(&path)
                    .map(Bytes::from)
                    .map_err(|e| self.error(at, format!("cannot read {what} {}: {e}", path.display())))?,
            };
            if bytes.len() as u64 > size {
                return Err(self.error(
                    at,
                    format!(
                        "`{what}` holds {} bytes, more than the object's size {size}",
                        bytes.len()
                    ),
                ));
            }
            Ok(bytes)
        };
        let head = part(&raw.head, "head")?;
        let tail = part(&raw.tail, "tail")?;
        Ok(Some(ObjectSource::Partial { size, head, tail }))
    }

    fn object_source(&mut self, raw: &RawObject) -> Result<ObjectSource, ScenarioError> {
        if raw.size.is_none() {
            let stray = [&raw.head, &raw.tail]
                .into_iter()
                .flatten()
                .map(|v| v.span().start)
                .chain(raw.unknown_bytes.as_ref().map(|v| v.span().start))
                .min();
            if let Some(at) = stray {
                return Err(self.error(
                    at,
                    "`unknown_bytes`, `head` and `tail` describe a sized object: they need `size`",
                ));
            }
        }
        let mut given: Vec<(&str, usize)> = [
            raw.fixture.as_ref().map(|v| ("fixture", v.span().start)),
            raw.body.as_ref().map(|v| ("body", v.span().start)),
            raw.size.as_ref().map(|v| ("size", v.span().start)),
        ]
        .into_iter()
        .flatten()
        .collect();
        // Point at whichever of the clashing fields comes second in the file.
        given.sort_by_key(|&(_, at)| at);
        match given.as_slice() {
            [] => {
                return Err(self.error(
                    raw.key.span().start,
                    "object needs exactly one of `fixture`, `body` or `size`",
                ));
            }
            [_] => {}
            [(first, _), (second, at), ..] => {
                return Err(self.error(
                    *at,
                    format!(
                        "`{second}` cannot be combined with `{first}`; an object takes exactly \
                         one of `fixture`, `body` or `size`"
                    ),
                ));
            }
        }
        let gzip = raw.gzip.as_ref().is_some_and(|g| *g.get_ref());
        if let Some(size) = &raw.size {
            if let Some(g) = &raw.gzip {
                return Err(self.error(
                    g.span().start,
                    "`gzip` cannot be used with `size`: a sized object has no bytes to compress",
                ));
            }
            let first = match size.get_ref() {
                RawSize::One(n) => *n,
                // Checked against the keys by `size_list`; each key gets its own.
                RawSize::Each(list) => list.first().copied().unwrap_or_default(),
            };
            if first > MAX_OBJECT_SIZE {
                return Err(self.error(
                    size.span().start,
                    format!("`size` {first} is larger than S3's largest object, 5 TiB ({MAX_OBJECT_SIZE} bytes)"),
                ));
            }
            if let Some(partial) = self.partial_source(raw, first)? {
                if let RawSize::Each(list) = size.get_ref()
                    && (raw.head.is_some() || raw.tail.is_some())
                    && list.len() > 1
                {
                    return Err(self.error(
                        size.span().start,
                        "`head` and `tail` belong to one object: give its key without a brace expansion and one `size`",
                    ));
                }
                return Ok(partial);
            }
            return Ok(ObjectSource::Sized(first));
        }
        if let Some(body) = &raw.body {
            let text = body.get_ref();
            if !gzip {
                return Ok(ObjectSource::Inline(Bytes::from(text.clone())));
            }
            if let Some(b) = self.gzipped_bodies.get(text) {
                return Ok(ObjectSource::Inline(b.clone()));
            }
            let gz = gzip_bytes(text.as_bytes())
                .map_err(|e| self.error(body.span().start, format!("cannot gzip body: {e}")))?;
            self.gzipped_bodies.insert(text.clone(), gz.clone());
            return Ok(ObjectSource::Inline(gz));
        }
        let Some(fixture) = &raw.fixture else {
            // Unreachable: exactly one of the three is set; an error beats a panic.
            return Err(self.error(raw.key.span().start, "object has no content"));
        };
        let at = fixture.span().start;
        let path = match self.resolve(fixture.get_ref(), "fixture", at)? {
            Found::File(path) => path,
            Found::Bundled(bytes) if !gzip => return Ok(ObjectSource::Inline(Bytes::from_static(bytes))),
            Found::Bundled(bytes) => {
                let gz = gzip_bytes(bytes).map_err(|e| self.error(at, format!("cannot gzip fixture: {e}")))?;
                return Ok(ObjectSource::Inline(gz));
            }
        };
        if !gzip {
            return Ok(ObjectSource::File(path));
        }
        if let Some(b) = self.gzipped_files.get(&path) {
            return Ok(ObjectSource::Inline(b.clone()));
        }
        let bytes =
            std::fs::read(&path).map_err(|e| self.error(at, format!("cannot read fixture {}: {e}", path.display())))?;
        let gz =
            gzip_bytes(&bytes).map_err(|e| self.error(at, format!("cannot gzip fixture {}: {e}", path.display())))?;
        self.gzipped_files.insert(path, gz.clone());
        Ok(ObjectSource::Inline(gz))
    }

    /// Finds `rel` next to the scenario file, else in the nearest `fixtures/` at or
    /// above it, else in the caller's fixture roots, else among the bundled fixtures.
    fn resolve(&mut self, rel: &str, what: &str, at: usize) -> Result<Found, ScenarioError> {
        if rel.is_empty() {
            return Err(self.error(at, format!("{what} path must not be empty")));
        }
        let mut candidates = vec![self.base_dir.join(rel)];
        candidates.extend(self.repo_fixtures().map(|dir| dir.join(rel)));
        candidates.extend(self.options.fixture_roots.iter().map(|root| root.join(rel)));
        if let Some(p) = candidates.iter().find(|p| p.is_file()) {
            let found = std::fs::canonicalize(p)
                .map_err(|e| self.error(at, format!("cannot open {what} {}: {e}", p.display())))?;
            if !self.options.allow_paths_anywhere && !self.inside_allowed_folders(&found) {
                return Err(self.error(
                    at,
                    format!(
                        "{what} `{rel}` is {}, outside the scenario's folder and the fixture folders; \
                         move it there, or allow any path (`--allow-fixtures-anywhere`, \
                         `LoadOptions::allow_paths_anywhere`)",
                        found.display()
                    ),
                ));
            }
            return Ok(Found::File(found));
        }
        if let Some(bytes) = super::bundled::bundled_fixture(rel) {
            return Ok(Found::Bundled(bytes));
        }
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(self.error(
            at,
            format!(
                "{what} `{rel}` not found: looked for {}, and it is not one of the bundled fixtures",
                looked.join(", ")
            ),
        ))
    }

    /// Whether a canonical path lies inside the scenario's folder, the nearest
    /// `fixtures/` or a fixture root (each compared canonically, links resolved).
    fn inside_allowed_folders(&mut self, found: &Path) -> bool {
        let mut folders = vec![self.base_dir.clone()];
        folders.extend(self.repo_fixtures().map(Path::to_path_buf));
        folders.extend(self.options.fixture_roots.iter().cloned());
        folders
            .iter()
            .filter_map(|f| std::fs::canonicalize(f).ok())
            .any(|f| found.starts_with(f))
    }

    fn repo_fixtures(&mut self) -> Option<&Path> {
        let base = &self.base_dir;
        self.repo_fixtures
            .get_or_insert_with(|| base.ancestors().map(|d| d.join("fixtures")).find(|d| d.is_dir()))
            .as_deref()
    }

    fn identities(
        &mut self,
        raw: Vec<RawIdentity>,
        platform: &PlatformSpec,
    ) -> Result<Vec<IdentitySpec>, ScenarioError> {
        let mut names = HashSet::new();
        let mut keys = HashSet::from([platform.access_key.clone()]);
        let mut out = Vec::with_capacity(raw.len());
        for i in raw {
            let name = i.name.get_ref();
            if name.is_empty() {
                return Err(self.error(i.name.span().start, "identity `name` must not be empty"));
            }
            if !names.insert(name.clone()) {
                return Err(self.error(i.name.span().start, format!("identity `{name}` is defined twice")));
            }
            validate_arn(i.arn.get_ref()).map_err(|m| self.error(i.arn.span().start, m))?;
            let access_key = i.access_key.get_ref();
            if access_key.is_empty() {
                return Err(self.error(i.access_key.span().start, "`access_key` must not be empty"));
            }
            if !keys.insert(access_key.clone()) {
                return Err(self.error(
                    i.access_key.span().start,
                    format!(
                        "access key `{access_key}` is already used by another identity or the \
                         platform reader; each principal needs its own"
                    ),
                ));
            }
            if i.secret_key.get_ref().is_empty() {
                return Err(self.error(i.secret_key.span().start, "`secret_key` must not be empty"));
            }
            let policy = i.policy.as_ref().map(|p| self.identity_policy(p)).transpose()?;
            out.push(IdentitySpec {
                name: i.name.into_inner(),
                arn: i.arn.into_inner(),
                access_key: i.access_key.into_inner(),
                secret_key: i.secret_key.into_inner(),
                policy,
            });
        }
        Ok(out)
    }

    fn faults(&self, raw: RawFaults) -> Result<FaultsSpec, ScenarioError> {
        super::faults::load(raw, |offset, message| self.error(offset, message))
    }
}

/// Shape only (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`); the simulator
/// interprets the parts.
fn validate_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, service, _, _, resource]
            if !partition.is_empty() && !service.is_empty() && !resource.is_empty() =>
        {
            Ok(())
        }
        _ => Err(format!(
            "`{arn}` is not an ARN; expected one like \"arn:aws:iam::111122223333:user/name\""
        )),
    }
}

/// Byte offset in the file of byte `inner` of a string value's contents. Exact for
/// one-line strings without escapes, where the source text is the value; otherwise
/// the value's start, since mapping through escapes is not worth its complexity.
fn offset_in_string(text: &str, span: Range<usize>, value: &str, inner: usize) -> usize {
    let raw = text.get(span.clone()).unwrap_or_default();
    let single_quoted =
        (raw.starts_with('\'') && !raw.starts_with("'''")) || (raw.starts_with('"') && !raw.starts_with("\"\"\""));
    let contents = raw.get(1..raw.len().saturating_sub(1));
    if single_quoted && contents == Some(value) {
        span.start + 1 + inner
    } else {
        span.start
    }
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Deterministic output (no timestamp or name in the header), so reruns serve
/// identical bytes and ETags.
fn gzip_bytes(data: &[u8]) -> std::io::Result<Bytes> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data)?;
    Ok(Bytes::from(enc.finish()?))
}
