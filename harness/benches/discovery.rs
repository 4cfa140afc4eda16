//! Discovery at scale: a bucket of 1,000 tables x 365 daily partitions x 2 files
//! (730,000 sized objects) discovered by the connector through the simulator, with 0 ms
//! and with 20 ms of injected latency per request. Reports the requests made against the
//! lower bound for the layout, and the time taken. A plain binary, not a timed test.
//!
//! ```text
//! cargo bench -p s3-harness --bench discovery
//! ```
//!
//! The lower bound: listing every key needs at least ceil(730,000 / 1,000) = 730
//! ListObjectsV2 pages (one flat listing, strictly sequential: each page needs the last
//! page's continuation token). The connector lists the schema prefix with a delimiter
//! (1 page for 1,000 table prefixes) and then each table flat (1 page of 730 keys each),
//! 16 at a time: more requests than the bound, far less waiting under latency. Schema
//! reads come on top: the objects are sized (zeros), so each sampled Parquet footer read
//! stops after its first 8-byte GET.

use std::time::{Duration, Instant};

use s3_connector::config::{ConnectionForm, DataFormat, Partitioning};
use s3_connector::connector::{Connector, ConnectorOptions};
use s3_harness::sim::faults::FaultConfig;
use s3_harness::sim::store::{ObjKey, Object, StoredPolicy};
use s3_harness::sim::world::{Identity, IdentityKind};
use s3_harness::{ServerOptions, Simulator, World};

const TABLES: usize = 1000;
const DAYS: usize = 365;
const FILES: usize = 2;
const BUCKET: &str = "bench-data";
const PREFIX: &str = "warehouse/";
const OWNER: &str = "111122223333";

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn world() -> World {
    let mut world = World::new();
    world.add_bucket(BUCKET, "eu-west-1", OWNER).expect("new bucket");
    let policy = s3_connector::bucket_policy::generated_policy(BUCKET, "999988887777", "bench").to_string();
    let caller = s3_policy::iam::Caller::from_arn("arn:aws:iam::999988887777:role/bench", "s3-connector")
        .expect("valid role ARN");
    world
        .add_identity(
            Identity::new(
                "platform",
                IdentityKind::Platform,
                caller,
                "AKIAPLATFORMREADER01",
                "platform-reader-secret",
            )
            .with_policy(Some(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
                    .to_owned(),
            )),
        )
        .expect("new identity");
    let template = Object::sized(64 * 1024 * 1024, OWNER);
    let policy = StoredPolicy::parse(&policy, BUCKET).expect("the generated policy is valid");
    world.store.set_policy(BUCKET, Some(policy)).expect("bucket exists");
    let mut objects = Vec::with_capacity(TABLES * DAYS * FILES);
    let start = time::Date::from_calendar_date(2024, time::Month::January, 1).expect("valid date");
    for t in 0..TABLES {
        for d in 0..DAYS {
            let day = start + time::Duration::days(d as i64);
            for f in 0..FILES {
                let key = format!("{PREFIX}table_{t:04}/date={day}/part-{f:05}.snappy.parquet");
                objects.push((ObjKey::parse(&key).expect("short key"), template.clone()));
            }
        }
    }
    world.store.put_all(BUCKET, objects).expect("bucket exists");
    world
}

async fn discover(world: World, latency: Duration) -> (Duration, std::collections::BTreeMap<String, u64>, usize) {
    let faults = (!latency.is_zero()).then_some(FaultConfig {
        latency,
        seed: 1,
        ..FaultConfig::default()
    });
    let sim = Simulator::start_with(
        world,
        ServerOptions {
            faults,
            ..ServerOptions::default()
        },
    )
    .await
    .expect("bind 127.0.0.1:0");
    let client = s3_harness::sim::server::client(
        sim.endpoint(),
        "AKIAPLATFORMREADER01",
        "platform-reader-secret",
        "eu-west-1",
    );
    let connector = Connector::new(
        client,
        ConnectorOptions {
            platform: Some(("999988887777".to_owned(), "bench".to_owned())),
            ..ConnectorOptions::default()
        },
    );
    let form = ConnectionForm {
        name: "bench".into(),
        region: "eu-west-1".into(),
        bucket: BUCKET.into(),
        schema_prefix: PREFIX.into(),
        format: DataFormat::Parquet,
        partitioning: Partitioning::All,
    };
    let t0 = Instant::now();
    let report = connector.connect(&form).await;
    let elapsed = t0.elapsed();
    let files: usize = report.skipped_tables.iter().map(|t| t.files.len()).sum::<usize>()
        + report.tables.iter().map(|t| t.files).sum::<usize>();
    let counts = report.requests.clone();
    sim.shutdown().await;
    (elapsed, counts, files)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    println!("s3-connector discovery benchmark");
    println!(
        "  layout: {TABLES} tables x {DAYS} daily partitions x {FILES} files = {} sized objects",
        TABLES * DAYS * FILES
    );
    println!(
        "  available parallelism: {:?}",
        std::thread::available_parallelism().map(|n| n.get())
    );
    let rss0 = rss_mib();
    let t0 = Instant::now();
    let base = world();
    println!(
        "  building the world: {:.2?}, RSS {:.0} MiB -> {:.0} MiB",
        t0.elapsed(),
        rss0,
        rss_mib()
    );
    let keys = TABLES * DAYS * FILES;
    let lower_bound = keys.div_ceil(1000);
    println!("  listing lower bound: {lower_bound} ListObjectsV2 pages (one flat, sequential listing)\n");
    println!("  latency   time        ListObjectsV2  (vs bound)  GetObject  files found");
    for ms in [0u64, 20] {
        let world = base.fork();
        let (elapsed, counts, files) = runtime.block_on(discover(world, Duration::from_millis(ms)));
        let lists = counts.get("ListObjectsV2").copied().unwrap_or(0);
        let gets = counts.get("GetObject").copied().unwrap_or(0);
        println!(
            "  {ms:>3} ms   {:>9.2?}   {lists:>13}  ({:>5.2}x)   {gets:>9}  {files:>11}",
            elapsed,
            lists as f64 / lower_bound as f64
        );
        assert_eq!(files, keys, "every data file must be found");
    }
    println!(
        "\n  with 20 ms per request, the sequential lower-bound listing alone would take {:.1} s",
        lower_bound as f64 * 0.020
    );
}
