//! [`SimulatorBuilder`]: a world declared in code (buckets, objects, policies,
//! identities, faults), optionally on top of a scenario file, started in one call.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::{ServerOptions, Simulator, load};
use crate::Error;
use crate::scenario::{
    BucketPolicySpec, BucketSpec, IdentitySpec, LoadOptions, ObjectSource, ObjectSpec, PlatformSpec, Scenario,
};
use crate::sim::faults::FaultConfig;
use crate::sim::world::World;

/// Builds a simulator; nothing is checked until [`SimulatorBuilder::start`], which
/// reports the first problem as an [`Error`].
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until .start().await"]
pub struct SimulatorBuilder {
    scenario_file: Option<PathBuf>,
    scenario: Option<Scenario>,
    load_options: LoadOptions,
    buckets: Vec<BucketSpec>,
    objects: Vec<(String, ObjectSpec)>,
    policies: Vec<(String, String)>,
    identities: Vec<IdentitySpec>,
    identity_policies: Vec<(String, String)>,
    platform: Option<(String, String)>,
    faults: Option<FaultConfig>,
    addr: Option<SocketAddr>,
    region: Option<String>,
    tls: bool,
    domains: Vec<String>,
}

impl SimulatorBuilder {
    /// Starts from the world of a scenario file (its buckets, identities, platform
    /// and faults); what the builder adds goes on top.
    pub fn scenario_file(mut self, path: impl AsRef<Path>) -> Self {
        self.scenario_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Starts from a scenario already loaded (see [`crate::scenario::load_scenario`]).
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = Some(scenario);
        self
    }

    /// Another folder where a scenario's fixtures and policy files are looked for,
    /// after the scenario's own folder and the nearest `fixtures/` above it.
    pub fn fixtures_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.load_options.fixture_roots.push(dir.as_ref().to_path_buf());
        self
    }

    /// Let the scenario's fixture and policy paths point outside its folder and the
    /// fixture folders (refused by default).
    pub fn allow_fixtures_anywhere(mut self, allow: bool) -> Self {
        self.load_options.allow_paths_anywhere = allow;
        self
    }

    /// A bucket `name` in `region`, owned by account `owner` (12 digits). The owner's
    /// root identity (`root-OWNER`) is created with it.
    pub fn bucket(mut self, name: &str, region: &str, owner: &str) -> Self {
        self.buckets.push(BucketSpec {
            name: name.to_owned(),
            region: region.to_owned(),
            owner: owner.to_owned(),
            policy: BucketPolicySpec::None,
            objects: Vec::new(),
            key_spaces: Vec::new(),
        });
        self
    }

    /// An object with these bytes, written by the bucket's owner.
    pub fn object(mut self, bucket: &str, key: &str, body: impl Into<Bytes>) -> Self {
        self.objects.push((
            bucket.to_owned(),
            ObjectSpec {
                key: key.to_owned(),
                source: ObjectSource::Inline(body.into()),
                content_type: None,
            },
        ));
        self
    }

    /// An object of `size` bytes that are never stored (reads return zeros).
    pub fn sized_object(mut self, bucket: &str, key: &str, size: u64) -> Self {
        self.objects.push((
            bucket.to_owned(),
            ObjectSpec {
                key: key.to_owned(),
                source: ObjectSource::Sized(size),
                content_type: None,
            },
        ));
        self
    }

    /// The bucket's policy; one that PutBucketPolicy would refuse makes `start` fail
    /// with [`Error::MalformedPolicy`].
    pub fn policy(mut self, bucket: &str, json: &str) -> Self {
        self.policies.push((bucket.to_owned(), json.to_owned()));
        self
    }

    /// A principal that signs with these keys: `arn` is a user, role or account root
    /// ARN (`arn:aws:iam::ACCOUNT:user/NAME`, `...:role/NAME`, `...:root`).
    pub fn identity(mut self, name: &str, arn: &str, access_key: &str, secret_key: &str) -> Self {
        self.identities.push(IdentitySpec {
            name: name.to_owned(),
            arn: arn.to_owned(),
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            policy: None,
        });
        self
    }

    /// The identity-based policy of identity `name` (one IAM must accept).
    pub fn identity_policy(mut self, name: &str, json: &str) -> Self {
        self.identity_policies.push((name.to_owned(), json.to_owned()));
        self
    }

    /// The importing platform's account and reader role ([`crate::Who::Platform`]
    /// signs as a session of it); by default account 999988887777, role
    /// `platform-reader`, with keys `AKIAPLATFORMREADER01` / `platform-reader-secret`.
    pub fn platform(mut self, account: &str, role: &str) -> Self {
        self.platform = Some((account.to_owned(), role.to_owned()));
        self
    }

    /// Latency and errors to inject (replacing a scenario's `[faults]`).
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Where to listen (default 127.0.0.1 on a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// The region clients sign for by default.
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// Serve HTTPS (as S3 is reached) with a certificate signed by a CA made for this
    /// simulator: [`Simulator::endpoint`] is `https://...`, [`Simulator::ca_pem`] the
    /// CA, and [`Simulator::client`] trusts it.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// A base domain besides `localhost` and `s3.localhost`: `BUCKET.DOMAIN`
    /// addresses BUCKET virtual-hosted-style, and the TLS certificate covers `DOMAIN`
    /// and `*.DOMAIN`.
    pub fn domain(mut self, domain: &str) -> Self {
        self.domains.push(domain.to_owned());
        self
    }

    /// Builds the world and serves it.
    pub async fn start(self) -> Result<Simulator, Error> {
        let mut scenario = match (self.scenario, &self.scenario_file) {
            (_, Some(path)) => load(path, &self.load_options)?,
            (Some(s), None) => s,
            (None, None) => Scenario {
                path: PathBuf::from("(built in code)"),
                description: String::new(),
                connection: None,
                platform: PlatformSpec::default(),
                buckets: Vec::new(),
                identities: Vec::new(),
                faults: None,
                simulator: crate::scenario::SimulatorSpec::default(),
                expect: None,
            },
        };
        if let Some((account, role)) = self.platform {
            scenario.platform.account = account;
            scenario.platform.role = role;
        }
        scenario.buckets.extend(self.buckets);
        for (bucket, object) in self.objects {
            bucket_spec(&mut scenario, &bucket)?.objects.push(object);
        }
        for (bucket, json) in &self.policies {
            bucket_spec(&mut scenario, bucket)?.policy = BucketPolicySpec::Json(json.clone());
        }
        scenario.identities.extend(self.identities);
        for (name, json) in self.identity_policies {
            let identity = scenario
                .identities
                .iter_mut()
                .find(|i| i.name == name)
                .ok_or_else(|| Error::UnknownIdentity(format!("named `{name}`")))?;
            identity.policy = Some(json);
        }
        let (world, rejected) = World::from_scenario(&scenario).map_err(|source| Error::World {
            path: self.scenario_file.clone(),
            source,
        })?;
        // A policy given in code that S3 refuses is a mistake in the test, not a
        // situation to simulate.
        if let Some(r) = rejected
            .iter()
            .find(|r| self.policies.iter().any(|(b, _)| *b == r.bucket))
        {
            return Err(Error::MalformedPolicy {
                bucket: r.bucket.clone(),
                code: r.code,
                message: r.message.clone(),
            });
        }
        let defaults = ServerOptions::default();
        let opts = ServerOptions {
            addr: self.addr.unwrap_or(defaults.addr),
            faults: self.faults.or_else(|| scenario.faults.as_ref().map(FaultConfig::from)),
            default_region: self
                .region
                .or_else(|| scenario.connection.as_ref().map(|c| c.region.clone())),
            tls: self.tls,
            domains: self.domains,
            ..defaults
        };
        let addr = opts.addr;
        let mut sim = Simulator::start_with(world, opts)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        sim.rejected_policies = rejected;
        Ok(sim)
    }
}

fn bucket_spec<'s>(scenario: &'s mut Scenario, name: &str) -> Result<&'s mut BucketSpec, Error> {
    scenario
        .buckets
        .iter_mut()
        .find(|b| b.name == name)
        .ok_or_else(|| Error::UnknownBucket(name.to_owned()))
}
