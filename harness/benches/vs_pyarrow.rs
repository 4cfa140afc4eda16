//! The connector against pyarrow's dataset discovery, both against the same simulator
//! endpoint: 200 tables x 30 daily partitions x 2 CSV files, and 1,000 x 365 x 2, at 0
//! and 20 ms of latency per request. pyarrow discovers 16 tables at a time
//! (`pyarrow_discovery.py`: `S3FileSystem` + `dataset(format="csv", partitioning="hive")`
//! per table); the connector runs with its defaults (16 calls in flight). Also prints the
//! listing lower bound: the fewest sequential ListObjectsV2 round trips that can list
//! the layout with 16 requests in flight (the root listing, then the table listings in
//! waves of 16, each table one page) times the latency. A plain binary, run by hand:
//!
//! ```text
//! pip install pyarrow
//! cargo bench -p s3-harness --bench vs_pyarrow            # both layouts
//! cargo bench -p s3-harness --bench vs_pyarrow -- small   # 200 x 30 only
//! ```

use std::process::Command;
use std::time::{Duration, Instant};

use s3_connector::config::{ConnectionForm, DataFormat, Partitioning};
use s3_connector::connector::{Connector, ConnectorOptions};
use s3_harness::sim::faults::FaultConfig;
use s3_harness::sim::store::{ObjKey, Object, StoredPolicy};
use s3_harness::sim::world::{Identity, IdentityKind};
use s3_harness::{ServerOptions, Simulator, World};

const FILES: usize = 2;
const BUCKET: &str = "bench-data";
const PREFIX: &str = "warehouse/";
const OWNER: &str = "111122223333";
const ACCESS_KEY: &str = "AKIAPLATFORMREADER01";
const SECRET_KEY: &str = "platform-reader-secret";
const REGION: &str = "eu-west-1";

fn world(tables: usize, days: usize) -> World {
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
    let template = Object::from_bytes(
        bytes::Bytes::from_static(b"id,name,amount\n1,ada,2.5\n2,bob,3.0\n"),
        OWNER,
    );
    let policy = StoredPolicy::parse(&policy, BUCKET).expect("the generated policy is valid");
    world.store.set_policy(BUCKET, Some(policy)).expect("bucket exists");
    let mut objects = Vec::with_capacity(tables * days * FILES);
    let start = time::Date::from_calendar_date(2024, time::Month::January, 1).expect("valid date");
    for t in 0..tables {
        for d in 0..days {
            let day = start + time::Duration::days(d as i64);
            for f in 0..FILES {
                let key = format!("{PREFIX}table_{t:04}/date={day}/part-{f:05}.csv");
                objects.push((ObjKey::parse(&key).expect("short key"), template.clone()));
            }
        }
    }
    world.store.put_all(BUCKET, objects).expect("bucket exists");
    world
}

struct Outcome {
    connector: Duration,
    connector_files: usize,
    pyarrow: Option<(Duration, usize)>,
}

async fn measure(world: World, latency: Duration) -> Outcome {
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
    let client = s3_harness::sim::server::client(sim.endpoint(), ACCESS_KEY, SECRET_KEY, REGION);
    let connector = Connector::new(
        client,
        ConnectorOptions {
            platform: Some(("999988887777".to_owned(), "bench".to_owned())),
            ..ConnectorOptions::default()
        },
    );
    let form = ConnectionForm {
        name: "bench".into(),
        region: REGION.into(),
        bucket: BUCKET.into(),
        schema_prefix: PREFIX.into(),
        format: DataFormat::Csv,
        partitioning: Partitioning::All,
    };
    let t0 = Instant::now();
    let report = connector.connect(&form).await;
    let connector_time = t0.elapsed();
    let connector_files = report.tables.iter().map(|t| t.files).sum::<usize>();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pyarrow_discovery.py");
    let endpoint = sim.endpoint().to_owned();
    let pyarrow = tokio::task::spawn_blocking(move || {
        let out = Command::new("python3")
            .args([script, &endpoint, BUCKET, PREFIX, ACCESS_KEY, SECRET_KEY, REGION])
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!("pyarrow failed: {}", String::from_utf8_lossy(&out.stderr));
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        Some((
            Duration::from_secs_f64(v["seconds"].as_f64()?),
            v["files"].as_u64()? as usize,
        ))
    })
    .await
    .ok()
    .flatten();
    sim.shutdown().await;
    Outcome {
        connector: connector_time,
        connector_files,
        pyarrow,
    }
}

fn main() {
    let only_small = std::env::args().any(|a| a == "small");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let layouts: &[(usize, usize)] = if only_small {
        &[(200, 30)]
    } else {
        &[(200, 30), (1000, 365)]
    };
    println!("connector vs pyarrow (16 tables at a time), same simulator endpoint");
    println!("  layout           latency  connector    pyarrow      pyarrow/connector  listing bound  connector/bound");
    for &(tables, days) in layouts {
        let base = world(tables, days);
        let keys = tables * days * FILES;
        let pages_per_table = (days * FILES).div_ceil(1000);
        for ms in [0u64, 20] {
            let out = runtime.block_on(measure(base.fork(), Duration::from_millis(ms)));
            assert_eq!(out.connector_files, keys, "the connector finds every file");
            // The root listing, then every table's pages: 16 listings in flight, each
            // table's pages strictly one after another.
            let waves = tables.div_ceil(16) * pages_per_table + tables.div_ceil(1000);
            let bound = Duration::from_millis(ms * waves as u64);
            let (py, ratio) = match out.pyarrow {
                Some((t, files)) => {
                    assert_eq!(files, keys, "pyarrow finds every file");
                    (
                        format!("{t:>10.2?}"),
                        format!("{:>8.1}x", t.as_secs_f64() / out.connector.as_secs_f64()),
                    )
                }
                None => ("    (none)".to_owned(), "       -".to_owned()),
            };
            let vs_bound = if ms == 0 {
                "       -".to_owned()
            } else {
                format!("{:>8.2}x", out.connector.as_secs_f64() / bound.as_secs_f64())
            };
            println!(
                "  {tables:>4} x {days:>3} x {FILES}  {ms:>4} ms  {:>10.2?}  {py}   {ratio}          {:>10.2?}      {vs_bound}",
                out.connector, bound
            );
        }
    }
}
