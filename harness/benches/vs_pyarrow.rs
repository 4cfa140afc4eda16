//! The connector against pyarrow's dataset discovery, both against the same simulator
//! endpoint, in one run: 200 tables x 30 daily partitions x 2 CSV files, and 1,000 x 365
//! x 2, each at 0 and 20 ms of latency per request. pyarrow discovers 16 tables at a
//! time (`pyarrow_discovery.py`: `S3FileSystem(endpoint_override=..., scheme="http")` +
//! `dataset(format="csv", partitioning="hive")` per table); the connector runs twice by
//! default: with 16 calls in flight fixed (as it was), and with its defaults (16 at
//! first, adapting up to 128).
//!
//! Two bounds are printed. The listing bound: the fewest sequential ListObjectsV2 round
//! trips that can list the layout with 16 requests in flight (the root listing, then the
//! table listings in waves of 16, each table one page) times the latency. The request
//! bound: the requests the connector made, 16 at a time, times the latency; no client
//! making those requests 16 at a time is faster. The simulator counts every request, so
//! the requests per table of both clients are printed too.
//!
//! A plain binary, run by hand (release build):
//!
//! ```text
//! python3 -m venv /tmp/pyarrow-venv && /tmp/pyarrow-venv/bin/pip install pyarrow
//! PYARROW_PYTHON=/tmp/pyarrow-venv/bin/python cargo bench -p s3-harness --bench vs_pyarrow
//! cargo bench -p s3-harness --bench vs_pyarrow -- small          # 200 x 30 only
//! cargo bench -p s3-harness --bench vs_pyarrow -- 200x30 400x365 # any layouts
//! cargo bench -p s3-harness --bench vs_pyarrow -- --concurrency 16,16-64,48
//! ```
//!
//! `--concurrency` takes the connector's runs: `N` is N calls in flight, fixed; `N-M`
//! starts at N and adapts up to M. The request bound of an adaptive run is taken at M.
//!
//! `--pyarrow-max-tables N` runs pyarrow on layouts of at most N tables only (it takes
//! minutes on 1,000 x 365 on a small machine); the connector still runs on every layout.

use std::collections::BTreeMap;
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
/// Tables pyarrow discovers at once, and the connector's default calls in flight.
const THREADS: usize = 16;

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

/// One client's discovery: how long, how many files it found, the requests it made.
struct Discovery {
    time: Duration,
    files: usize,
    requests: BTreeMap<String, u64>,
}

impl Discovery {
    fn total(&self) -> u64 {
        self.requests.values().sum()
    }
}

/// Requests made between two snapshots of the simulator's counts.
fn delta(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn pyarrow(python: &str, endpoint: &str) -> Result<(Duration, usize), String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pyarrow_discovery.py");
    let out = Command::new(python)
        .args([
            script,
            endpoint,
            BUCKET,
            PREFIX,
            ACCESS_KEY,
            SECRET_KEY,
            REGION,
            &THREADS.to_string(),
        ])
        .output()
        .map_err(|e| format!("{python}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let seconds = v["seconds"].as_f64().ok_or("no seconds")?;
    let files = v["files"].as_u64().ok_or("no files")?;
    Ok((Duration::from_secs_f64(seconds), files as usize))
}

/// The connector at each concurrency, then (unless skipped) pyarrow, against one
/// simulator serving `world` with `latency` per request.
async fn measure(
    world: World,
    latency: Duration,
    concurrencies: &[(usize, usize)],
    python: Option<&str>,
) -> (Vec<Discovery>, Option<Discovery>) {
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
    let form = ConnectionForm {
        name: "bench".into(),
        region: REGION.into(),
        bucket: BUCKET.into(),
        schema_prefix: PREFIX.into(),
        format: DataFormat::Csv,
        partitioning: Partitioning::All,
    };
    let mut runs = Vec::new();
    for &(concurrency, max_concurrency) in concurrencies {
        let client = s3_harness::sim::server::client(sim.endpoint(), ACCESS_KEY, SECRET_KEY, REGION);
        let connector = Connector::new(
            client,
            ConnectorOptions {
                concurrency,
                max_concurrency,
                platform: Some(("999988887777".to_owned(), "bench".to_owned())),
                ..ConnectorOptions::default()
            },
        );
        let before = sim.requests().counts();
        let t0 = Instant::now();
        let report = connector.connect(&form).await;
        let time = t0.elapsed();
        runs.push(Discovery {
            time,
            files: report.tables.iter().map(|t| t.files).sum(),
            requests: delta(&sim.requests().counts(), &before),
        });
    }
    let py = match python {
        None => None,
        Some(python) => {
            let before = sim.requests().counts();
            let (python, endpoint) = (python.to_owned(), sim.endpoint().to_owned());
            let outcome = tokio::task::spawn_blocking(move || pyarrow(&python, &endpoint))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            match outcome {
                Ok((time, files)) => Some(Discovery {
                    time,
                    files,
                    requests: delta(&sim.requests().counts(), &before),
                }),
                Err(e) => {
                    eprintln!("pyarrow failed: {e}");
                    None
                }
            }
        }
    };
    sim.shutdown().await;
    (runs, py)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn per_table(d: &Discovery, tables: usize) -> String {
    let ops: Vec<String> = d
        .requests
        .iter()
        .map(|(op, n)| format!("{op} {:.2}", *n as f64 / tables as f64))
        .collect();
    format!("{:.2}/table ({})", d.total() as f64 / tables as f64, ops.join(", "))
}

struct Args {
    layouts: Vec<(usize, usize)>,
    /// Calls in flight at first and at most, per connector run.
    concurrencies: Vec<(usize, usize)>,
    pyarrow_max_tables: usize,
}

/// `N` (fixed) or `N-M` (adaptive).
fn concurrency(text: &str) -> Option<(usize, usize)> {
    match text.split_once('-') {
        Some((n, m)) => Some((n.parse().ok()?, m.parse().ok()?)),
        None => text.parse().ok().map(|n| (n, n)),
    }
}

fn label((start, max): (usize, usize)) -> String {
    if start == max {
        format!("{start} in flight")
    } else {
        format!("{start}-{max} in flight")
    }
}

fn args() -> Args {
    let mut layouts = Vec::new();
    let mut concurrencies = Vec::new();
    let mut pyarrow_max_tables = usize::MAX;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "small" => layouts.push((200, 30)),
            "--concurrency" => {
                concurrencies = it
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(concurrency)
                    .collect();
            }
            "--pyarrow-max-tables" => {
                pyarrow_max_tables = it.next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX);
            }
            other => {
                if let Some((t, d)) = other.split_once('x')
                    && let (Ok(t), Ok(d)) = (t.parse(), d.parse())
                {
                    layouts.push((t, d));
                }
                // cargo bench passes `--bench`; anything else unknown is ignored too.
            }
        }
    }
    if layouts.is_empty() {
        layouts = vec![(200, 30), (1000, 365)];
    }
    if concurrencies.is_empty() {
        let defaults = ConnectorOptions::default();
        concurrencies = vec![(THREADS, THREADS), (defaults.concurrency, defaults.max_concurrency)];
    }
    Args {
        layouts,
        concurrencies,
        pyarrow_max_tables,
    }
}

fn main() {
    let args = args();
    let python = std::env::var("PYARROW_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    println!(
        "connector vs pyarrow ({THREADS} tables at a time), same simulator endpoint; load average {} at start",
        load_average()
    );
    let started = Instant::now();
    for &(tables, days) in &args.layouts {
        let t0 = Instant::now();
        let base = world(tables, days);
        let keys = tables * days * FILES;
        println!(
            "\n{tables} tables x {days} partitions x {FILES} files ({keys} keys; world built in {:.1?})",
            t0.elapsed()
        );
        let pages_per_table = (days * FILES).div_ceil(1000);
        let run_pyarrow = tables <= args.pyarrow_max_tables;
        if !run_pyarrow {
            println!(
                "  pyarrow skipped: more than --pyarrow-max-tables {}",
                args.pyarrow_max_tables
            );
        }
        for ms in [0u64, 20] {
            let (runs, py) = runtime.block_on(measure(
                base.fork(),
                Duration::from_millis(ms),
                &args.concurrencies,
                run_pyarrow.then_some(python.as_str()),
            ));
            // The root listing, then every table's pages: 16 listings in flight, each
            // table's pages strictly one after another.
            let waves = tables.div_ceil(THREADS) * pages_per_table + tables.div_ceil(1000);
            let listing_bound = Duration::from_millis(ms * waves as u64);
            println!("  latency {ms} ms (load average {}):", load_average());
            if let Some(py) = &py {
                assert_eq!(py.files, keys, "pyarrow finds every file");
                println!(
                    "    pyarrow, {THREADS} threads    {:>9.3} s   {}",
                    py.time.as_secs_f64(),
                    per_table(py, tables)
                );
            }
            for (run, &concurrency) in runs.iter().zip(&args.concurrencies) {
                assert_eq!(run.files, keys, "the connector finds every file");
                let at_most = concurrency.1;
                let request_bound = Duration::from_millis(ms * run.total().div_ceil(at_most as u64));
                println!(
                    "    run, {:<15} {:>9.3} s   {}",
                    label(concurrency),
                    run.time.as_secs_f64(),
                    per_table(run, tables)
                );
                let mut ratios = Vec::new();
                if let Some(py) = &py {
                    ratios.push(format!(
                        "pyarrow/run {:.2}x",
                        py.time.as_secs_f64() / run.time.as_secs_f64()
                    ));
                }
                if ms > 0 {
                    ratios.push(format!(
                        "run/listing bound ({:.3} s) {:.2}x",
                        listing_bound.as_secs_f64(),
                        run.time.as_secs_f64() / listing_bound.as_secs_f64()
                    ));
                    ratios.push(format!(
                        "run/request bound at {at_most} in flight ({:.3} s) {:.2}x",
                        request_bound.as_secs_f64(),
                        run.time.as_secs_f64() / request_bound.as_secs_f64()
                    ));
                }
                if !ratios.is_empty() {
                    println!("      {}", ratios.join("; "));
                }
            }
        }
    }
    println!(
        "\ntotal {:.1?}; load average {} at the end",
        started.elapsed(),
        load_average()
    );
}
