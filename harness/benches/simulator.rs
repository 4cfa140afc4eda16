//! Simulator benchmarks: a plain binary (`harness = false`) that prints a table. It
//! is not a timed test and asserts nothing about speed; it checks only that every
//! answer is the one expected, so that the numbers measure real work.
//!
//! Run it (release profile; the measurements take about ten seconds, a first release
//! build of the dependencies several minutes):
//!
//! ```text
//! cargo bench -p s3-harness --bench simulator
//! ```
//!
//! What it measures, each repeated and summarised as median with min/max or p90/p99,
//! on one multi-thread tokio runtime shared by the server and the clients (so on a
//! small machine the client's SigV4 signing and the server compete for the same cores):
//!
//! 1. **Startup**: from a 100-object scenario text (inline bodies through brace
//!    expansion) to the first answered request. Timed separately: parsing the text
//!    ([`parse_scenario`]), building the world ([`World::from_scenario`]), starting the
//!    server ([`Simulator::start`]), building an aws-sdk-s3 client, and the first
//!    ListObjectsV2; plus the total. The first run of the process is shown apart (cold
//!    one-time initialisation), the summary covers the runs after it.
//! 2. **ListObjectsV2 pages** of 1,000 entries over HTTP from aws-sdk-s3, for a bucket
//!    of 1,000 keys and one of 1,000,000 keys (`t/dirNNNN/fileNNN`, sized objects,
//!    built straight into the store), served by the same server in the same run:
//!    first page, a page from the middle (start-after), the last page, a delimiter page
//!    of 1,000 common prefixes and a delimiter page of one common prefix. The ratio
//!    1M/1k shows that a page costs about the same whatever the bucket holds (a page is
//!    a range scan). The same queries are also timed against the store alone
//!    ([`listing::list`]), without HTTP, XML or signing. It also reports how long
//!    inserting the million keys takes and the process's resident memory (`VmRSS` of
//!    `/proc/self/status`) before and after.
//! 3. **Small GetObject throughput** over loopback: a 1 KiB object fetched a fixed
//!    number of times at concurrency 1 and 16 (cloned clients, one tokio task each),
//!    over plain HTTP and over HTTPS (`ServerOptions::tls`): requests per second and
//!    latency percentiles.
//!
//! Everything is bounded: fixed repetition counts, a timeout on every request, and the
//! server listens on 127.0.0.1 only (port 0).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use bytes::Bytes;
use s3_harness::Who;
use s3_harness::scenario::parse_scenario;
use s3_harness::sim::store::listing::{self, ListQuery};
use s3_harness::sim::store::{ObjKey, Object};
use s3_harness::{Simulator, World};

mod support;
use support::{fmt_dur, fmt_kib, vm_rss_kib};

const OWNER: &str = "111122223333";
const OWNER_ROOT: &str = "root-111122223333";
const REGION: &str = "eu-west-1";
/// No single request of this benchmark should come near this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs after the first (cold) one.
const STARTUP_RUNS: usize = 20;
const STARTUP_BUCKET: &str = "bench-startup";
const STARTUP_SCENARIO: &str = r#"
description = "Benchmark: one bucket of 100 small CSV objects with inline bodies"

[[buckets]]
name = "bench-startup"
region = "eu-west-1"
owner = "111122223333"

[[buckets.objects]]
key = "t/part-{000..099}.csv"
body = "id,name,score\n1,alice,10\n2,bob,20\n3,carol,30\n"
"#;

const BUCKET_1K: &str = "bench-1k";
const BUCKET_1M: &str = "bench-1m";
const DIRS: usize = 1000;
const FILES_PER_DIR_1M: usize = 1000;
const SIZED_OBJECT_BYTES: u64 = 4096;
const PAGE: i32 = 1000;
const LIST_WARMUP: usize = 3;
const LIST_RUNS: usize = 100;
const STORE_LIST_RUNS: usize = 200;

const GET_BUCKET: &str = "bench-get";
const GET_KEY: &str = "obj-1k";
const GET_BYTES: usize = 1024;
const GET_WARMUP: usize = 200;
const GET_REQUESTS: usize = 5000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a multi-thread tokio runtime can be built");
    let started = Instant::now();
    print_machine();
    runtime.block_on(async {
        startup().await;
        listing_pages().await;
        get_throughput().await;
    });
    println!();
    println!("total benchmark time: {}", fmt_dur(started.elapsed()));
}

// ---------------------------------------------------------------------------------
// Machine facts

fn print_machine() {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "unknown".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        );
    let profile = if cfg!(debug_assertions) {
        "debug (numbers are not representative)"
    } else {
        "release"
    };
    println!("s3-harness simulator benchmark");
    println!("  available parallelism: {cpus}");
    println!("  cpu: {model}");
    println!("  git commit: {commit}");
    let load = std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    );
    println!("  build: {profile}; tokio multi-thread runtime, default worker count");
    println!("  load average at start (1/5/15 min): {load} (other processes on the machine skew the numbers)");
}

// ---------------------------------------------------------------------------------
// 1. Startup

async fn startup() {
    section("1. Startup: 100-object scenario text -> first answered ListObjectsV2");
    let steps = [
        "parse scenario",
        "build world",
        "start server",
        "build client",
        "first request",
        "total",
    ];
    let mut cold = Vec::new();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); steps.len()];
    for run in 0..=STARTUP_RUNS {
        let times = startup_once().await;
        if run == 0 {
            cold = times;
        } else {
            for (s, t) in samples.iter_mut().zip(times) {
                s.push(t);
            }
        }
    }
    println!("{STARTUP_RUNS} runs after one cold run of the process:");
    println!(
        "  {:<16} {:>11} {:>11} {:>11} {:>11}",
        "step", "cold run", "median", "min", "max"
    );
    for ((step, cold), s) in steps.iter().zip(&cold).zip(&samples) {
        let st = Stats::of(s);
        println!(
            "  {:<16} {:>11} {:>11} {:>11} {:>11}",
            step,
            fmt_dur(*cold),
            fmt_dur(st.median),
            fmt_dur(st.min),
            fmt_dur(st.max)
        );
    }
}

/// One startup, returning the duration of each step and the total.
async fn startup_once() -> Vec<Duration> {
    let t0 = Instant::now();
    let scenario =
        parse_scenario(Path::new("bench-startup.toml"), STARTUP_SCENARIO).expect("the inline scenario is valid");
    let t1 = Instant::now();
    let (world, _) = World::from_scenario(&scenario).expect("the scenario's world builds");
    let t2 = Instant::now();
    let sim = Simulator::start(world).await.expect("bind 127.0.0.1:0");
    let t3 = Instant::now();
    let client = sim
        .client_in(Who::Identity(OWNER_ROOT), REGION)
        .expect("the bucket owner's root identity exists");
    let t4 = Instant::now();
    let out = bounded(client.list_objects_v2().bucket(STARTUP_BUCKET).send())
        .await
        .expect("the first ListObjectsV2 succeeds");
    let t5 = Instant::now();
    assert_eq!(
        scenario.buckets[0].objects.len(),
        100,
        "brace expansion gives 100 objects"
    );
    assert_eq!(out.key_count(), Some(100), "the first page lists all 100 objects");
    sim.shutdown().await;
    vec![t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t5 - t0]
}

// ---------------------------------------------------------------------------------
// 2. Listing

/// One listing query, as run against both buckets.
struct ListCase {
    name: &'static str,
    prefix: Option<&'static str>,
    delimiter: Option<&'static str>,
    start_after_1k: Option<&'static str>,
    start_after_1m: Option<&'static str>,
    /// Keys plus common prefixes the page holds (same for both buckets).
    entries: usize,
    /// Whether the 1M page is truncated (no 1k page is).
    truncated_1m: bool,
}

const LIST_CASES: [ListCase; 5] = [
    ListCase {
        name: "first page, no delimiter",
        prefix: None,
        delimiter: None,
        start_after_1k: None,
        start_after_1m: None,
        entries: 1000,
        truncated_1m: true,
    },
    ListCase {
        name: "middle page (start-after)*",
        prefix: None,
        delimiter: None,
        start_after_1k: Some("t/"),
        start_after_1m: Some("t/dir0499/file999"),
        entries: 1000,
        truncated_1m: true,
    },
    ListCase {
        name: "last page (start-after)*",
        prefix: None,
        delimiter: None,
        start_after_1k: Some("t/"),
        start_after_1m: Some("t/dir0998/file999"),
        entries: 1000,
        truncated_1m: false,
    },
    ListCase {
        name: "prefix t/, delimiter /",
        prefix: Some("t/"),
        delimiter: Some("/"),
        start_after_1k: None,
        start_after_1m: None,
        entries: 1000,
        truncated_1m: false,
    },
    ListCase {
        name: "delimiter /, no prefix",
        prefix: None,
        delimiter: Some("/"),
        start_after_1k: None,
        start_after_1m: None,
        entries: 1,
        truncated_1m: false,
    },
];

async fn listing_pages() {
    section("2. ListObjectsV2 pages of up to 1,000 entries: 1k-key bucket vs 1M-key bucket");
    let rss_start = vm_rss_kib();
    let mut world = World::new();
    world
        .add_bucket(BUCKET_1K, REGION, OWNER)
        .expect("a fresh world takes the bucket");
    world
        .add_bucket(BUCKET_1M, REGION, OWNER)
        .expect("a fresh world takes the bucket");
    // One template cloned per key: the zeros' MD5 is computed once, so the build time
    // is the store's cost (key, object record, map insertion), not hashing.
    let template = Object::sized(SIZED_OBJECT_BYTES, OWNER);
    let keys_1k = (0..DIRS).map(|d| {
        let key = ObjKey::parse(&format!("t/dir{d:04}/file000")).expect("a short key is valid");
        (key, template.clone())
    });
    world.store.put_all(BUCKET_1K, keys_1k).expect("bucket was just added");
    let rss_before = vm_rss_kib();
    let build_started = Instant::now();
    let keys_1m = (0..DIRS).flat_map(|d| {
        let template = template.clone();
        (0..FILES_PER_DIR_1M).map(move |f| {
            let key = ObjKey::parse(&format!("t/dir{d:04}/file{f:03}")).expect("a short key is valid");
            (key, template.clone())
        })
    });
    world.store.put_all(BUCKET_1M, keys_1m).expect("bucket was just added");
    let build_time = build_started.elapsed();
    let rss_after = vm_rss_kib();
    assert_eq!(world.store.object_count(BUCKET_1K), Ok(DIRS as u64));
    assert_eq!(
        world.store.object_count(BUCKET_1M),
        Ok((DIRS * FILES_PER_DIR_1M) as u64)
    );
    println!("1k bucket: keys t/dir{{0000..0999}}/file000; 1M bucket: keys t/dir{{0000..0999}}/file{{000..999}}");
    println!(
        "objects are sized ({SIZED_OBJECT_BYTES} B of zeros, not stored), one Object::sized template cloned per key"
    );
    println!(
        "building the 1M-key bucket (BTreeMap inserts in key order, under the store's write lock): {}",
        fmt_dur(build_time)
    );
    println!(
        "process VmRSS: {} at section start, {} before the 1M build, {} after (+{})",
        fmt_kib(rss_start),
        fmt_kib(rss_before),
        fmt_kib(rss_after),
        fmt_kib(rss_after.zip(rss_before).map(|(a, b)| a.saturating_sub(b)))
    );

    // Store only: the range scan without HTTP.
    println!();
    println!("store only (listing::list on the BTreeMap, {STORE_LIST_RUNS} runs each):");
    println!(
        "  {:<28} {:>7} {:>11} {:>11} {:>11} {:>11} {:>7}",
        "query", "entries", "1k median", "1k p90", "1M median", "1M p90", "1M/1k"
    );
    for case in &LIST_CASES {
        let s1k = store_list_samples(&world, BUCKET_1K, case, case.start_after_1k);
        let s1m = store_list_samples(&world, BUCKET_1M, case, case.start_after_1m);
        print_list_row(case, &s1k, &s1m);
    }

    // Over HTTP.
    let sim = Simulator::start(world).await.expect("bind 127.0.0.1:0");
    let client = sim
        .client_in(Who::Identity(OWNER_ROOT), REGION)
        .expect("the bucket owner's root identity exists");
    println!();
    println!(
        "ListObjectsV2 over HTTP from aws-sdk-s3, max-keys {PAGE} ({LIST_RUNS} runs each after {LIST_WARMUP} warm-up):"
    );
    println!(
        "  {:<28} {:>7} {:>11} {:>11} {:>11} {:>11} {:>7}",
        "query", "entries", "1k median", "1k p90", "1M median", "1M p90", "1M/1k"
    );
    for case in &LIST_CASES {
        // Interleave the buckets so that drift (frequency, other load) hits both.
        let mut s1k = Vec::with_capacity(LIST_RUNS);
        let mut s1m = Vec::with_capacity(LIST_RUNS);
        for run in 0..LIST_WARMUP + LIST_RUNS {
            let a = http_list(&client, BUCKET_1K, case, case.start_after_1k, false).await;
            let b = http_list(&client, BUCKET_1M, case, case.start_after_1m, case.truncated_1m).await;
            if run >= LIST_WARMUP {
                s1k.push(a);
                s1m.push(b);
            }
        }
        print_list_row(case, &s1k, &s1m);
    }
    println!("  * the 1k bucket's middle and last rows use start-after \"t/\" (its whole 1,000 keys through the");
    println!("    start-after path); the 1M bucket's start after t/dir0499/file999 and t/dir0998/file999.");
    println!("  median and p90 are over the runs of each cell; the ratio 1M/1k is of the medians.");
    sim.shutdown().await;
}

fn print_list_row(case: &ListCase, s1k: &[Duration], s1m: &[Duration]) {
    let a = Stats::of(s1k);
    let b = Stats::of(s1m);
    println!(
        "  {:<28} {:>7} {:>11} {:>11} {:>11} {:>11} {:>7.2}",
        case.name,
        case.entries,
        fmt_dur(a.median),
        fmt_dur(a.p90),
        fmt_dur(b.median),
        fmt_dur(b.p90),
        b.median.as_secs_f64() / a.median.as_secs_f64().max(1e-12)
    );
}

fn store_list_samples(world: &World, bucket: &str, case: &ListCase, start_after: Option<&str>) -> Vec<Duration> {
    let from = start_after.map(listing::after);
    let query = ListQuery {
        prefix: case.prefix.unwrap_or(""),
        delimiter: case.delimiter,
        from: from.as_deref(),
        max_keys: PAGE as usize,
    };
    let mut samples = Vec::with_capacity(STORE_LIST_RUNS);
    for _ in 0..STORE_LIST_RUNS {
        let t = Instant::now();
        let entries = world
            .store
            .list(bucket, query, |page| std::hint::black_box(page.entries.len()))
            .expect("bucket exists");
        samples.push(t.elapsed());
        assert_eq!(entries, case.entries, "{bucket}: {}", case.name);
    }
    samples
}

/// One ListObjectsV2 round trip, checked.
async fn http_list(
    client: &Client,
    bucket: &str,
    case: &ListCase,
    start_after: Option<&str>,
    truncated: bool,
) -> Duration {
    let req = client
        .list_objects_v2()
        .bucket(bucket)
        .max_keys(PAGE)
        .set_prefix(case.prefix.map(str::to_owned))
        .set_delimiter(case.delimiter.map(str::to_owned))
        .set_start_after(start_after.map(str::to_owned));
    let t = Instant::now();
    let out = bounded(req.send()).await.expect("ListObjectsV2 succeeds");
    let elapsed = t.elapsed();
    let entries = out.contents().len() + out.common_prefixes().len();
    assert_eq!(entries, case.entries, "{bucket}: {}", case.name);
    assert_eq!(out.is_truncated(), Some(truncated), "{bucket}: {}", case.name);
    elapsed
}

// ---------------------------------------------------------------------------------
// 3. GetObject throughput

async fn get_throughput() {
    section("3. GetObject of a 1 KiB object over loopback (aws-sdk-s3), plain HTTP and HTTPS");
    println!("{GET_REQUESTS} requests per row after {GET_WARMUP} warm-up; latency is send() to the last body byte");
    println!("(HTTPS: TLS 1.3 on kept-alive connections: a handshake only when the client opens a connection)");
    println!(
        "  {:<9} {:<11} {:>9} {:>11} {:>10} {:>10} {:>10} {:>10}",
        "transport", "concurrency", "requests", "wall", "req/s", "p50", "p99", "max"
    );
    for tls in [false, true] {
        let mut world = World::new();
        world
            .add_bucket(GET_BUCKET, REGION, OWNER)
            .expect("a fresh world takes the bucket");
        let body = Bytes::from(vec![b'x'; GET_BYTES]);
        world
            .store
            .put(
                GET_BUCKET,
                ObjKey::parse(GET_KEY).expect("a short key is valid"),
                Object::from_bytes(body, OWNER),
            )
            .expect("bucket was just added");
        let opts = s3_harness::ServerOptions {
            tls,
            ..s3_harness::ServerOptions::default()
        };
        let sim = Simulator::start_with(world, opts).await.expect("bind 127.0.0.1:0");
        let client = sim
            .client_in(Who::Identity(OWNER_ROOT), REGION)
            .expect("the bucket owner's root identity exists");
        for _ in 0..GET_WARMUP {
            get_once(&client).await;
        }
        for concurrency in [1, 16] {
            let served_before = sim.requests().len();
            let (wall, latencies) = run_gets(&client, concurrency).await;
            assert_eq!(latencies.len(), GET_REQUESTS);
            assert_eq!(
                sim.requests().len() - served_before,
                GET_REQUESTS,
                "the server logged each request once"
            );
            let st = Stats::of(&latencies);
            println!(
                "  {:<9} {:<11} {:>9} {:>11} {:>10.0} {:>10} {:>10} {:>10}",
                if tls { "https" } else { "http" },
                concurrency,
                GET_REQUESTS,
                fmt_dur(wall),
                GET_REQUESTS as f64 / wall.as_secs_f64(),
                fmt_dur(st.median),
                fmt_dur(st.p99),
                fmt_dur(st.max)
            );
        }
        sim.shutdown().await;
    }
}

/// `GET_REQUESTS` GetObjects shared among `concurrency` tasks; wall time and latencies.
async fn run_gets(client: &Client, concurrency: usize) -> (Duration, Vec<Duration>) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(GET_REQUESTS / concurrency + 1);
                while next.fetch_add(1, Ordering::Relaxed) < GET_REQUESTS {
                    latencies.push(get_once(&client).await);
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(GET_REQUESTS);
    for task in tasks {
        latencies.extend(task.await.expect("a GetObject task does not panic"));
    }
    (started.elapsed(), latencies)
}

async fn get_once(client: &Client) -> Duration {
    let t = Instant::now();
    let body = bounded(async {
        let out = client
            .get_object()
            .bucket(GET_BUCKET)
            .key(GET_KEY)
            .send()
            .await
            .expect("GetObject succeeds");
        out.body.collect().await.expect("the body arrives").into_bytes()
    })
    .await;
    let elapsed = t.elapsed();
    assert_eq!(body.len(), GET_BYTES);
    elapsed
}

// ---------------------------------------------------------------------------------
// Helpers

/// Awaits `fut`, panicking if it takes longer than [`REQUEST_TIMEOUT`].
async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .expect("a benchmark request finishes within the timeout")
}

fn section(title: &str) {
    println!();
    println!("== {title}");
}

/// Summary of a sample of durations (nearest-rank percentiles).
struct Stats {
    min: Duration,
    median: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(samples: &[Duration]) -> Self {
        assert!(!samples.is_empty(), "statistics of no samples");
        let mut s = samples.to_vec();
        s.sort_unstable();
        let rank = |p: f64| {
            let i = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
            s[i]
        };
        Self {
            min: s[0],
            median: rank(0.5),
            p90: rank(0.9),
            p99: rank(0.99),
            max: s[s.len() - 1],
        }
    }
}
