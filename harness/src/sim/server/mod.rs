//! The simulator's HTTP server: s3s on hyper, bound to loopback, started and stopped
//! in process. [`Simulator`] is the handle tests hold; [`Who`] names the principal a
//! client signs as; [`SimulatorBuilder`] builds a world in code or from a scenario.

mod accept;
mod builder;
mod connection_timer;
mod connections;
mod direct;
mod front;
mod get_route;
mod hosts;
mod list_route;
mod put_route;
mod request_body;
mod request_id;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use builder::SimulatorBuilder;
pub(crate) use front::error_response_with_ids;
pub(crate) use request_id::RequestIds;
pub use tls::TlsError;

use crate::Error;
use crate::scenario::{LoadOptions, load_scenario_with};
use crate::sim::auth::authorizer::{Authorizer, PolicyAuthorizer};
use crate::sim::auth::gate::AccessGate;
use crate::sim::auth::header_sigv4::HeaderSigV4;
use crate::sim::auth::sigv4::IdentityAuth;
use crate::sim::faults::{FaultConfig, Faults};
use crate::sim::ops::SimS3;
use crate::sim::request_log::RequestLog;
use crate::sim::world::{Identity, IdentityKind, RejectedPolicy, World};
use front::{Front, GateRef};
use hosts::{Hosts, HostsRef};
use request_id::RequestIdSource;

/// How to start a simulator.
pub struct ServerOptions {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Who decides each request (the IAM engine unless a test swaps it).
    pub authorizer: Arc<dyn Authorizer>,
    /// Latency and errors to inject.
    pub faults: Option<FaultConfig>,
    /// How long shutdown waits for requests in flight.
    pub grace: Duration,
    /// How long a client may take to send a request's headers (and an idle keep-alive
    /// connection may wait) before the connection is closed.
    pub header_read_timeout: Duration,
    /// The region clients sign for unless told otherwise.
    pub default_region: Option<String>,
    /// How many of the latest requests the log keeps (its counts are always exact).
    pub request_log_capacity: usize,
    /// Serve HTTPS with a certificate signed by a CA made for this simulator
    /// ([`Simulator::ca_pem`]), as S3 is reached; plain HTTP otherwise.
    pub tls: bool,
    /// Base domains besides `localhost` and `s3.localhost` under which
    /// `BUCKET.DOMAIN` addresses BUCKET (virtual-hosted-style); with `tls`, the
    /// certificate covers `DOMAIN` and `*.DOMAIN` too.
    pub domains: Vec<String>,
    /// Check header signatures ahead of s3s with cached signing keys (the same
    /// answers, fewer instructions); off, s3s checks every signature itself.
    pub header_sigv4: bool,
    /// Answer plain ListObjectsV2 requests with pages written straight into their
    /// XML body (the same bytes, fewer instructions); off, s3s serialises every page.
    pub direct_list_pages: bool,
    /// Answer plain GetObject requests (header-signed, path-style, no preconditions)
    /// ahead of s3s with the same answers; off, every GetObject goes through s3s.
    pub direct_get: bool,
    /// Answer plain PutObject requests (header-signed small uploads read whole,
    /// path-style, only content, checksum and metadata headers) ahead of s3s with the
    /// same answers; off, every PutObject goes through s3s.
    pub direct_put: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            authorizer: Arc::new(PolicyAuthorizer),
            faults: None,
            grace: Duration::from_secs(2),
            header_read_timeout: Duration::from_secs(30),
            default_region: None,
            request_log_capacity: crate::sim::request_log::DEFAULT_LOG_CAPACITY,
            tls: false,
            domains: Vec::new(),
            header_sigv4: true,
            direct_list_pages: true,
            direct_get: true,
            direct_put: true,
        }
    }
}

/// The principal a client signs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Who<'a> {
    /// The importing platform's reader: a session of the scenario's platform role.
    Platform,
    /// The root user of the account that owns this bucket.
    BucketOwner(&'a str),
    /// An identity by name (a scenario's `[[identities]]` name, `platform`,
    /// `root-ACCOUNT`) or by access key.
    Identity(&'a str),
}

/// A running simulator. Dropping it stops the accept loop; [`Simulator::shutdown`]
/// also waits for requests in flight.
pub struct Simulator {
    endpoint: String,
    addr: SocketAddr,
    ca_pem: Option<String>,
    world: Arc<World>,
    log: RequestLog,
    default_region: String,
    rejected_policies: Vec<RejectedPolicy>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The fault layer, whose held requests are let go on shutdown.
    faults: Option<Arc<Faults>>,
}

impl Simulator {
    /// Serves the world a scenario file describes, with its `[faults]`. Fixtures
    /// resolve next to the file, then in the nearest `fixtures/` above it, then among
    /// the fixtures this repository ships; clients sign for the connection's region.
    pub async fn from_scenario_file(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        Self::builder().scenario_file(path).start().await
    }

    /// A world built in code, or a scenario file with extra roots for its fixtures.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Starts a simulator for `world` on 127.0.0.1 with a free port.
    pub async fn start(world: World) -> std::io::Result<Self> {
        Self::start_with(world, ServerOptions::default()).await
    }

    /// Starts a simulator for `world` as `opts` say. Making the TLS certificate can
    /// fail only in the crypto library; that is reported as an I/O error of kind
    /// `Other` wrapping a [`TlsError`].
    pub async fn start_with(world: World, opts: ServerOptions) -> std::io::Result<Self> {
        let world = Arc::new(world);
        let hosts = Arc::new(Hosts::new(&opts.domains));
        let tls = if opts.tls {
            let buckets: Vec<String> = world.store.buckets().into_iter().map(|b| b.name).collect();
            Some(tls::generate(&opts.domains, &buckets).map_err(std::io::Error::other)?)
        } else {
            None
        };
        let listener = TcpListener::bind(opts.addr).await?;
        let addr = listener.local_addr()?;
        let log = RequestLog::with_capacity(opts.request_log_capacity);
        let gate = Arc::new(AccessGate {
            world: world.clone(),
            authorizer: opts.authorizer,
        });
        let mut builder = S3ServiceBuilder::new(SimS3 { gate: gate.clone() });
        builder.set_auth(IdentityAuth { world: world.clone() });
        builder.set_access(GateRef(gate.clone()));
        builder.set_host(HostsRef(hosts.clone()));
        if opts.direct_list_pages {
            builder.set_route(list_route::ListRoute {
                sim: SimS3 { gate: gate.clone() },
            });
        }
        let faults = opts.faults.map(|c| Arc::new(Faults::new(c)));
        let front = Front {
            s3: builder.build(),
            log: log.clone(),
            faults: faults.clone(),
            peer: addr,
            secure: false,
            hosts,
            ids: RequestIdSource::default(),
            direct_list_pages: opts.direct_list_pages,
            direct: (opts.header_sigv4 && (opts.direct_get || opts.direct_put)).then(|| front::Direct {
                sim: SimS3 { gate },
                get: opts.direct_get,
                put: opts.direct_put,
            }),
            sigv4: opts
                .header_sigv4
                .then(|| (Arc::new(HeaderSigV4::new()), Arc::clone(&world))),
        };
        let (stop_tx, stop_rx) = oneshot::channel();
        let limits = accept::Limits {
            header_read_timeout: opts.header_read_timeout,
            grace: opts.grace,
        };
        let acceptor = tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.server_config.clone()));
        let task = tokio::spawn(accept::accept_loop(listener, front, acceptor, stop_rx, limits));
        let default_region = opts
            .default_region
            .or_else(|| world.store.buckets().first().map(|b| b.region.clone()))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let scheme = if tls.is_some() { "https" } else { "http" };
        Ok(Self {
            endpoint: format!("{scheme}://{addr}"),
            addr,
            ca_pem: tls.map(|t| t.ca_pem),
            world,
            log,
            default_region,
            rejected_policies: Vec::new(),
            stop: Some(stop_tx),
            task: Some(task),
            faults,
        })
    }

    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` when serving TLS.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The PEM certificate of the CA that signed the TLS certificate (`None` over
    /// plain HTTP): what a client trusts, as `AWS_CA_BUNDLE` or boto3's `verify=`.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Whether it serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.ca_pem.is_some()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The world it serves (its store changes as clients write).
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The log of requests served so far, with each one's authorization decision.
    pub fn requests(&self) -> &RequestLog {
        &self.log
    }

    /// Bucket policies the scenario gave that PutBucketPolicy refused (those buckets
    /// have no policy).
    pub fn rejected_policies(&self) -> &[RejectedPolicy] {
        &self.rejected_policies
    }

    /// The region clients sign for by default: the scenario connection's, else the
    /// first bucket's, else us-east-1.
    pub fn default_region(&self) -> &str {
        &self.default_region
    }

    /// An aws-sdk-s3 client signing as `who`, path-style, at this endpoint, for the
    /// default region (of the bucket, for [`Who::BucketOwner`]). Over TLS it trusts
    /// this simulator's CA and nothing else.
    pub fn client(&self, who: Who<'_>) -> Result<aws_sdk_s3::Client, Error> {
        let region = match who {
            Who::BucketOwner(bucket) => self
                .world
                .store
                .bucket(bucket)
                .map(|b| b.region)
                .map_err(|_| Error::UnknownBucket(bucket.to_owned()))?,
            _ => self.default_region.clone(),
        };
        self.client_in(who, &region)
    }

    /// [`Simulator::client`], signing for `region`.
    pub fn client_in(&self, who: Who<'_>, region: &str) -> Result<aws_sdk_s3::Client, Error> {
        let identity = self.identity(who)?;
        Ok(self.client_for(identity, region))
    }

    /// The identity `who` names.
    pub fn identity(&self, who: Who<'_>) -> Result<&Identity, Error> {
        match who {
            Who::Platform => self
                .world
                .identities()
                .iter()
                .find(|i| i.kind == IdentityKind::Platform)
                .ok_or_else(|| Error::UnknownIdentity("for the platform reader".to_owned())),
            Who::BucketOwner(bucket) => {
                let owner = self
                    .world
                    .store
                    .bucket(bucket)
                    .map_err(|_| Error::UnknownBucket(bucket.to_owned()))?
                    .owner;
                self.world
                    .identities()
                    .iter()
                    .find(|i| i.kind == IdentityKind::AccountRoot && i.caller.account() == Some(owner.as_str()))
                    .ok_or_else(|| Error::UnknownIdentity(format!("for the root of account {owner}")))
            }
            Who::Identity(name) => self
                .world
                .identity(name)
                .ok_or_else(|| Error::UnknownIdentity(format!("named `{name}`"))),
        }
    }

    /// A client for an identity that need not be in the world (wrong secrets, unknown
    /// keys).
    pub fn client_for(&self, identity: &Identity, region: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(self.client_config(identity, region).build())
    }

    /// The configuration [`Simulator::client_for`] builds its client from, to change
    /// before building: `.force_path_style(false)` for virtual-hosted-style requests
    /// (see [`Simulator::resolve_all_to_loopback`]), retries, timeouts.
    pub fn client_config(&self, identity: &Identity, region: &str) -> aws_sdk_s3::config::Builder {
        let mut config = config_builder(&self.endpoint, &identity.access_key, identity.secret_key(), region);
        if let Some(ca) = &self.ca_pem {
            config = config.http_client(tls::trusting_http_client(ca));
        }
        config
    }

    /// An HTTP client for [`Simulator::client_config`] that resolves every host name
    /// to this simulator's address (and, over TLS, trusts its CA): virtual-hosted-style
    /// names such as `BUCKET.localhost` reach it whether or not the system resolver
    /// knows them.
    pub fn resolve_all_to_loopback(&self) -> aws_sdk_s3::config::SharedHttpClient {
        tls::http_client(self.ca_pem.as_deref(), Some(self.addr.ip()))
    }

    /// Stops accepting, waits (up to the grace period) for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(faults) = &self.faults {
            faults.release_held();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A path-style aws-sdk-s3 client with static credentials, trusting the system's
/// roots for an `https://` endpoint ([`client_trusting`] to trust a simulator's CA).
pub fn client(endpoint: &str, access_key: &str, secret_key: &str, region: &str) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(config_builder(endpoint, access_key, secret_key, region).build())
}

/// [`client`] trusting only the CA `ca_pem` (a [`Simulator::ca_pem`]) for TLS.
pub fn client_trusting(
    endpoint: &str,
    ca_pem: &str,
    access_key: &str,
    secret_key: &str,
    region: &str,
) -> aws_sdk_s3::Client {
    let config =
        config_builder(endpoint, access_key, secret_key, region).http_client(tls::trusting_http_client(ca_pem));
    aws_sdk_s3::Client::from_conf(config.build())
}

fn config_builder(endpoint: &str, access_key: &str, secret_key: &str, region: &str) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "s3-harness"))
        .force_path_style(true)
}

/// Loads a scenario for the builder.
fn load(path: &std::path::Path, options: &LoadOptions) -> Result<crate::scenario::Scenario, Error> {
    Ok(load_scenario_with(path, options)?)
}
