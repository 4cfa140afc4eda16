//! Buckets of any size: virtual key spaces against stored keys, in one run. A plain
//! binary (`harness = false`) that prints tables; it asserts only that every answer is
//! the one expected, never how fast it came.
//!
//! ```text
//! cargo bench -p s3-harness --bench scale
//! ```
//!
//! 1. **Start-up** of a scenario of 10^9 keys (one sized pattern): parsing the text,
//!    building the world, starting the server, the first ListObjectsV2; and the
//!    process's resident memory (`VmRSS`) before and after.
//! 2. **ListObjectsV2 pages** of up to 1,000 entries over HTTP from aws-sdk-s3, for a
//!    bucket of 10^3 keys stored one by one, the same 10^3 keys as a key space, and 10^9
//!    keys as a key space (`t/dirNNNN/fileNNNNNN`), interleaved in one run: first page,
//!    a middle page and the last page (start-after), a delimiter page of 1,000 common
//!    prefixes, and a delimiter page of one.
//! 3. **Memory for 1,000,000 objects of 1 KiB** (sized: the record, not the bytes),
//!    each way in a process of its own: stored by one `Store::put` per key (a record
//!    each, as PutObject makes them), loaded in one go with a record each, loaded
//!    sharing one record (as a scenario's list of sizes makes them), and one key space.
//! 4. **`run` on 1,000 tables x 365 daily partitions x 2 CSV files** (730,000 keys)
//!    from a scenario file: loading it, the time to the first request, and the whole run.
//!
//! Everything is bounded: fixed repetition counts, a timeout on every request, and the
//! server listens on 127.0.0.1 only.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use s3_harness::run::run_scenario;
use s3_harness::scenario::parse_scenario;
use s3_harness::sim::store::{ObjKey, Object};
use s3_harness::{Simulator, Who, World};

mod support;
use support::{fmt_dur, fmt_kib, vm_rss_kib};

const OWNER: &str = "111122223333";
const REGION: &str = "eu-west-1";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const LIST_WARMUP: usize = 3;
const LIST_RUNS: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--memory") {
        memory_child(args.get(i + 1).map_or("per-key", String::as_str));
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a multi-thread tokio runtime can be built");
    let started = Instant::now();
    println!("load average at start: {}", load_average());
    runtime.block_on(async {
        startup().await;
        listing_pages().await;
        memory_for_a_million();
        run_1000x365().await;
    });
    println!();
    println!(
        "total {}; load average at the end: {}",
        fmt_dur(started.elapsed()),
        load_average()
    );
}

fn bucket(name: &str, objects: &str) -> String {
    format!(
        "description = \"bench\"\n\n[[buckets]]\nname = \"{name}\"\nregion = \"{REGION}\"\nowner = \"{OWNER}\"\n{objects}"
    )
}

async fn startup() {
    section("1. Start-up of a 10^9-key scenario (one sized pattern, kept as a key space)");
    let text = bucket(
        "bench-1g",
        "\n[[buckets.objects]]\nkey = \"t/dir{0000..0999}/file{000000..999999}\"\nsize = 1024\n",
    );
    let rss_before = vm_rss_kib();
    let t = Instant::now();
    let scenario = parse_scenario(std::path::Path::new("bench.toml"), &text).expect("the scenario parses");
    let parsed = t.elapsed();
    let (world, _) = World::from_scenario(&scenario).expect("the world builds");
    let built = t.elapsed();
    assert_eq!(world.store.object_count("bench-1g"), Ok(1_000_000_000));
    let sim = Simulator::start(world).await.expect("bind 127.0.0.1:0");
    let started = t.elapsed();
    let client = sim.client(Who::BucketOwner("bench-1g")).expect("the owner exists");
    let out = bounded(client.list_objects_v2().bucket("bench-1g").send())
        .await
        .expect("ListObjectsV2 succeeds");
    assert_eq!(out.contents().len(), 1000);
    let first = t.elapsed();
    let rss_after = vm_rss_kib();
    println!(
        "  parse {}, world {}, server {}, first page {} (total {})",
        fmt_dur(parsed),
        fmt_dur(built - parsed),
        fmt_dur(started - built),
        fmt_dur(first - started),
        fmt_dur(first)
    );
    println!(
        "  VmRSS {} before, {} after (+{})",
        fmt_kib(rss_before),
        fmt_kib(rss_after),
        fmt_kib(rss_after.zip(rss_before).map(|(a, b)| a.saturating_sub(b)))
    );
    sim.shutdown().await;
}

struct Case {
    name: &'static str,
    prefix: Option<&'static str>,
    delimiter: Option<&'static str>,
    /// Start-after for the 10^3-key buckets, then for the 10^9-key one.
    after: [Option<&'static str>; 2],
    entries: usize,
    /// Whether the 10^9 page is truncated (no 10^3 page is).
    truncated_1g: bool,
}

const CASES: [Case; 5] = [
    Case {
        name: "first page",
        prefix: None,
        delimiter: None,
        after: [None, None],
        entries: 1000,
        truncated_1g: true,
    },
    Case {
        name: "middle page (start-after)*",
        prefix: None,
        delimiter: None,
        after: [Some("t/"), Some("t/dir0499/file499999")],
        entries: 1000,
        truncated_1g: true,
    },
    Case {
        name: "last page (start-after)*",
        prefix: None,
        delimiter: None,
        after: [Some("t/"), Some("t/dir0999/file998999")],
        entries: 1000,
        truncated_1g: false,
    },
    Case {
        name: "prefix t/, delimiter /",
        prefix: Some("t/"),
        delimiter: Some("/"),
        after: [None, None],
        entries: 1000,
        truncated_1g: false,
    },
    Case {
        name: "delimiter /, no prefix",
        prefix: None,
        delimiter: Some("/"),
        after: [None, None],
        entries: 1,
        truncated_1g: false,
    },
];

async fn listing_pages() {
    section("2. ListObjectsV2 pages over HTTP: 10^3 keys stored, 10^3 keys virtual, 10^9 keys virtual");
    let text = format!(
        "{}{}",
        bucket(
            "bench-1k-virtual",
            "\n[[buckets.objects]]\nkey = \"t/dir{0000..0999}/file000000\"\nsize = 1024\n"
        ),
        "\n[[buckets]]\nname = \"bench-1g\"\nregion = \"eu-west-1\"\nowner = \"111122223333\"\n\
         [[buckets.objects]]\nkey = \"t/dir{0000..0999}/file{000000..999999}\"\nsize = 1024\n\
         [[buckets]]\nname = \"bench-1k-stored\"\nregion = \"eu-west-1\"\nowner = \"111122223333\"\n"
    );
    let scenario = parse_scenario(std::path::Path::new("bench.toml"), &text).expect("the scenario parses");
    let (world, _) = World::from_scenario(&scenario).expect("the world builds");
    let template = Object::sized(1024, OWNER);
    world
        .store
        .put_all(
            "bench-1k-stored",
            (0..1000).map(|d| {
                let key = ObjKey::parse(&format!("t/dir{d:04}/file000000")).expect("a short key is valid");
                (key, template.clone())
            }),
        )
        .expect("the bucket exists");
    let sim = Simulator::start(world).await.expect("bind 127.0.0.1:0");
    let client = sim
        .client(Who::Identity("root-111122223333"))
        .expect("the owner's root exists");
    println!("  max-keys 1000, {LIST_RUNS} runs per cell after {LIST_WARMUP} warm-up, the three buckets interleaved");
    println!(
        "  {:<28} {:>7} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "query", "entries", "1k stored", "1k virtual", "1G virtual", "1G/1k st", "1G/1k vi"
    );
    for case in &CASES {
        let mut samples = [Vec::new(), Vec::new(), Vec::new()];
        for run in 0..LIST_WARMUP + LIST_RUNS {
            let times = [
                list(&client, "bench-1k-stored", case, case.after[0], false).await,
                list(&client, "bench-1k-virtual", case, case.after[0], false).await,
                list(&client, "bench-1g", case, case.after[1], case.truncated_1g).await,
            ];
            if run >= LIST_WARMUP {
                for (s, t) in samples.iter_mut().zip(times) {
                    s.push(t);
                }
            }
        }
        let [stored, small, large] = samples.map(|s| median(&s));
        println!(
            "  {:<28} {:>7} {:>12} {:>12} {:>12} {:>9.2} {:>9.2}",
            case.name,
            case.entries,
            fmt_dur(stored),
            fmt_dur(small),
            fmt_dur(large),
            large.as_secs_f64() / stored.as_secs_f64(),
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
    println!("  * the 10^3 buckets' middle and last rows start after \"t/\" (all their keys); the 10^9");
    println!("    bucket's start after t/dir0499/file499999 and t/dir0999/file998999. Medians.");
    sim.shutdown().await;
}

async fn list(client: &Client, bucket: &str, case: &Case, after: Option<&str>, truncated: bool) -> Duration {
    let req = client
        .list_objects_v2()
        .bucket(bucket)
        .max_keys(1000)
        .set_prefix(case.prefix.map(str::to_owned))
        .set_delimiter(case.delimiter.map(str::to_owned))
        .set_start_after(after.map(str::to_owned));
    let t = Instant::now();
    let out = bounded(req.send()).await.expect("ListObjectsV2 succeeds");
    let elapsed = t.elapsed();
    assert_eq!(
        out.contents().len() + out.common_prefixes().len(),
        case.entries,
        "{bucket}: {}",
        case.name
    );
    assert_eq!(out.is_truncated(), Some(truncated), "{bucket}: {}", case.name);
    elapsed
}

/// Each way of holding a million objects is measured in a process of its own (this
/// binary again), so that memory freed by one is not reused by the next.
fn memory_for_a_million() {
    section("3. Memory for 1,000,000 objects of 1 KiB (sized: no bytes stored), each in its own process");
    let Ok(me) = std::env::current_exe() else {
        println!("  skipped: this binary cannot find itself");
        return;
    };
    for mode in ["put", "per-key", "shared", "virtual"] {
        match std::process::Command::new(&me).args(["--memory", mode]).output() {
            Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
            Ok(out) => println!("  {mode}: failed: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) => println!("  {mode}: cannot run: {e}"),
        }
    }
}

/// One million objects held one way; prints the resident memory they added.
fn memory_child(mode: &str) {
    let key = |i: usize| {
        ObjKey::parse(&format!(
            "data/t{:03}/day={:03}/part-{i:07}.csv",
            i % 1000,
            i / 1000 % 365
        ))
        .expect("a short key is valid")
    };
    let before = vm_rss_kib();
    let t = Instant::now();
    let world = match mode {
        "virtual" => {
            let text = bucket(
                "bench-mem",
                "\n[[buckets.objects]]\nkey = \"data/t{000..999}/part-{0000..0999}.csv\"\nsize = 1024\n",
            );
            let scenario = parse_scenario(std::path::Path::new("bench.toml"), &text).expect("the scenario parses");
            World::from_scenario(&scenario).expect("the world builds").0
        }
        _ => {
            let mut world = World::new();
            world
                .add_bucket("bench-mem", REGION, OWNER)
                .expect("a fresh world takes it");
            match mode {
                // One Store::put per key, each a record of its own, as PutObject stores
                // them (one insert at a time, headers shared through the store's pool).
                "put" => {
                    for i in 0..1_000_000 {
                        world
                            .store
                            .put("bench-mem", key(i), Object::sized(1024, OWNER))
                            .expect("the bucket exists");
                    }
                }
                // Records of their own loaded in one go, as a world's objects are.
                "per-key" => world
                    .store
                    .put_all(
                        "bench-mem",
                        (0..1_000_000).map(|i| (key(i), std::sync::Arc::new(Object::sized(1024, OWNER)))),
                    )
                    .expect("the bucket exists"),
                _ => {
                    let template = std::sync::Arc::new(Object::sized(1024, OWNER));
                    world
                        .store
                        .put_all(
                            "bench-mem",
                            (0..1_000_000).map(|i| (key(i), std::sync::Arc::clone(&template))),
                        )
                        .expect("the bucket exists");
                }
            }
            world
        }
    };
    let took = t.elapsed();
    let after = vm_rss_kib();
    assert_eq!(world.store.object_count("bench-mem"), Ok(1_000_000));
    let label = match mode {
        "put" => "stored by one put each, a record per key (as PutObject stores them)",
        "per-key" => "stored in one load, a record per key",
        "shared" => "stored, keys sharing one record (as a scenario's list of sizes makes them)",
        _ => "one virtual key space",
    };
    println!(
        "  {label}: +{} VmRSS ({} to build)",
        fmt_kib(after.zip(before).map(|(a, b)| a.saturating_sub(b))),
        fmt_dur(took)
    );
}

async fn run_1000x365() {
    section("4. `run` on 1,000 tables x 365 daily partitions x 2 CSV files from a scenario file");
    let text = r#"description = "1,000 x 365 x 2"

[connection]
name = "wide"
region = "eu-west-1"
bucket = "acme-wide"
schema_prefix = "data/"
format = "csv"
partitioning = "all"

[platform]
account = "999988887777"
role = "connector-acme"

[[buckets]]
name = "acme-wide"
region = "eu-west-1"
owner = "111122223333"
policy = "generated"

[[buckets.objects]]
key = "data/t{0000..0999}/day={001..365}/part-{0..1}.csv"
fixture = "clicks.csv"
"#;
    let t = Instant::now();
    let scenario = parse_scenario(std::path::Path::new("bench.toml"), text).expect("the scenario parses");
    let parsed = t.elapsed();
    let (world, _) = World::from_scenario(&scenario).expect("the world builds");
    let built = t.elapsed();
    let sim = Simulator::start(world).await.expect("bind 127.0.0.1:0");
    let served = t.elapsed();
    sim.shutdown().await;
    let t = Instant::now();
    let run = run_scenario("bench.toml", &scenario).await.expect("the run completes");
    let total = t.elapsed();
    assert_eq!(run.report.tables.len(), 1000);
    println!(
        "  load {}, world {}, server up {} (the time to a first request); the whole run {} ({} tables)",
        fmt_dur(parsed),
        fmt_dur(built - parsed),
        fmt_dur(served),
        fmt_dur(total),
        run.report.tables.len()
    );
}

async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .expect("no request of this benchmark takes a minute")
}

fn section(title: &str) {
    println!();
    println!("{title}");
}

fn median(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    s.get(s.len() / 2).copied().unwrap_or_default()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".to_owned())
}
