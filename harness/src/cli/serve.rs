//! `s3-harness serve`: one scenario's world as an S3 endpoint until interrupted, and
//! what it prints after the endpoint: who can sign, and how to try it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use s3_harness::Simulator;

/// The identities, buckets and an example aws CLI command, one fact per line.
fn banner(sim: &Simulator, ca: Option<&Path>) -> String {
    let world = sim.world();
    let mut out = String::new();
    let buckets = world.store.buckets();
    for r in sim.rejected_policies() {
        let _ = writeln!(
            out,
            "bucket {}: PutBucketPolicy refuses the scenario's policy ({}: {}); served without a policy",
            r.bucket, r.code, r.message
        );
    }
    for b in &buckets {
        let _ = writeln!(
            out,
            "bucket: {} region={} owner={} objects={} policy={}",
            b.name,
            b.region,
            b.owner,
            world.store.object_count(&b.name).unwrap_or(0),
            if b.policy.is_some() { "yes" } else { "none" }
        );
    }
    for i in world.identities() {
        let _ = writeln!(
            out,
            "identity: {} arn={} access_key={} secret_key={}",
            i.name,
            i.caller.arn(),
            i.access_key,
            i.secret_key()
        );
    }
    let example = world
        .identities()
        .iter()
        .find(|i| i.kind == s3_harness::sim::world::IdentityKind::AccountRoot)
        .or_else(|| world.identities().first());
    if let (Some(i), Some(b)) = (example, buckets.first()) {
        let bundle = ca
            .map(|p| format!("AWS_CA_BUNDLE={} ", p.display()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "try: {bundle}AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} aws --endpoint-url {} --region {} s3 ls s3://{}/ --recursive",
            i.access_key,
            i.secret_key(),
            sim.endpoint(),
            b.region,
            b.name
        );
    }
    out
}

/// What `serve` was asked for.
pub(super) struct ServeArgs<'a> {
    pub path: &'a std::path::Path,
    pub addr: &'a str,
    pub allow_fixtures_anywhere: bool,
    pub tls: bool,
    pub ca_out: Option<PathBuf>,
    pub domains: Vec<String>,
}

pub(super) async fn serve(args: ServeArgs<'_>) -> anyhow::Result<()> {
    let path = args.path;
    if path.is_dir() {
        anyhow::bail!(
            "{}: serve takes one scenario file, not a folder (run and check take folders)",
            path.display()
        );
    }
    for d in &args.domains {
        check_domain(d)?;
    }
    let addr = resolve(args.addr).await?;
    let mut builder = Simulator::builder()
        .scenario_file(path)
        .allow_fixtures_anywhere(args.allow_fixtures_anywhere)
        .addr(addr)
        .tls(args.tls);
    for d in &args.domains {
        builder = builder.domain(d);
    }
    let sim = builder.start().await?;
    // Kept until serve returns: dropping it removes the CA file.
    let ca = match sim.ca_pem() {
        Some(pem) => Some(CaFile::write(pem, args.ca_out)?),
        None => None,
    };
    // Scripts read the endpoint from the first line of standard output, and over TLS
    // the CA to trust from the second.
    // A reader that takes the first line and closes the pipe must not stop the server:
    // what cannot be printed is dropped, and serving goes on.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "endpoint: {}", sim.endpoint());
    if let Some(ca) = &ca {
        let _ = writeln!(out, "ca: {}", ca.path.display());
    }
    let _ = write!(out, "{}", banner(&sim, ca.as_ref().map(|c| c.path.as_path())));
    let _ = out.flush();
    stopped().await?;
    eprintln!("stopping: {} requests served", sim.requests().len());
    sim.shutdown().await;
    drop(ca);
    Ok(())
}

/// Waits for Ctrl-C, or (on Unix) SIGTERM, so that a service manager's or a script's
/// `kill` also stops serve cleanly and removes the temporary CA file.
async fn stopped() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}

/// The CA certificate's PEM file: where the user asked, or in a temporary folder
/// removed with it.
struct CaFile {
    path: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl CaFile {
    fn write(pem: &str, at: Option<PathBuf>) -> anyhow::Result<Self> {
        let (path, dir) = match at {
            Some(path) => (path, None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("s3-harness-")
                    .tempdir()
                    .context("creating a temporary folder for the CA certificate")?;
                (dir.path().join("ca.pem"), Some(dir))
            }
        };
        std::fs::write(&path, pem).with_context(|| format!("writing the CA certificate to {}", path.display()))?;
        Ok(Self { path, _dir: dir })
    }
}

/// A `--domain` must be a DNS name (letters, digits, hyphens, dots), without a port:
/// it is matched against the `Host` header's name and written into the certificate.
fn check_domain(domain: &str) -> anyhow::Result<()> {
    let ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        anyhow::bail!("--domain {domain}: expected a DNS name such as s3.example.test (no scheme, no port)")
    }
}

/// `HOST:PORT` with a name (`localhost:9555`) or an address; the first address the
/// name resolves to.
async fn resolve(addr: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = addr.parse() {
        return Ok(a);
    }
    tokio::net::lookup_host(addr)
        .await
        .with_context(|| format!("--addr {addr}: expected HOST:PORT, e.g. 127.0.0.1:9555 or localhost:9555"))?
        .next()
        .with_context(|| format!("--addr {addr}: the name resolves to no address"))
}
