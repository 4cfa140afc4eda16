//! `s3-harness serve`: one scenario's world as an S3 endpoint until interrupted, and
//! what it prints after the endpoint: who can sign, and how to try it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;

use anyhow::Context as _;

use s3_harness::Simulator;

/// The identities, buckets and an example aws CLI command, one fact per line.
fn banner(sim: &Simulator) -> String {
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
        let _ = writeln!(
            out,
            "try: AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} aws --endpoint-url {} --region {} s3 ls s3://{}/ --recursive",
            i.access_key,
            i.secret_key(),
            sim.endpoint(),
            b.region,
            b.name
        );
    }
    out
}

pub(super) async fn serve(path: &std::path::Path, addr: &str, allow_fixtures_anywhere: bool) -> anyhow::Result<()> {
    if path.is_dir() {
        anyhow::bail!(
            "{}: serve takes one scenario file, not a folder (run and check take folders)",
            path.display()
        );
    }
    let addr = resolve(addr).await?;
    let sim = Simulator::builder()
        .scenario_file(path)
        .allow_fixtures_anywhere(allow_fixtures_anywhere)
        .addr(addr)
        .start()
        .await?;
    // Scripts read the endpoint from the first line of standard output.
    // A reader that takes the first line and closes the pipe must not stop the server:
    // what cannot be printed is dropped, and serving goes on.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "endpoint: {}", sim.endpoint());
    let _ = write!(out, "{}", banner(&sim));
    let _ = out.flush();
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    eprintln!("stopping: {} requests served", sim.requests().len());
    sim.shutdown().await;
    Ok(())
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
