//! Soak: does a long-running `serve` hold its memory flat, and what does it cost? A
//! plain binary (`harness = false`) that starts `s3-harness serve` as a child process,
//! talks to it with aws-sdk-s3 and reads the server's memory from `/proc/PID/status`
//! (`VmRSS`, resident now; `VmHWM`, the peak). It asserts only that every answer is
//! right, so the numbers measure real requests. Phases, each against a fresh `serve`:
//!
//! - `gets`: one million 1 KiB GetObject requests (16 at a time); RSS at checkpoints.
//! - `puts`: RSS per stored object: 50,000 PutObject of 1 KiB, and 50,000 of 0 bytes
//!   (the per-key overhead), after a warm-up that fills the request log.
//! - `bigput`: the peak RSS while one 1 GiB PutObject is received and stored.
//! - `stall`: the latency of small GETs and of listings from a second client while a
//!   512 MiB CompleteMultipartUpload (64 parts of 8 MiB) runs.
//! - `cold`: time from starting `serve` on a scenario of 1,000 sized objects of 64 MiB
//!   to its `endpoint:` line.
//!
//! ```text
//! cargo bench -p s3-harness --bench soak                      # every phase
//! SOAK=puts,stall cargo bench -p s3-harness --bench soak      # some phases
//! SOAK_REQUESTS=100000 cargo bench -p s3-harness --bench soak # fewer GETs
//! SOAK_SERVE_BIN=/path/to/s3-harness cargo bench ...          # another build's serve
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

const CONCURRENCY: u64 = 16;
const CHECKPOINTS: [u64; 5] = [10_000, 100_000, 250_000, 500_000, 1_000_000];
const BUCKET: &str = "soak-bucket";
const ACCESS_KEY: &str = "AKIAROOT111122223333";
const SECRET_KEY: &str = "root-secret-111122223333";
const REGION: &str = "eu-west-1";

fn proc_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn rss_kib(pid: u32) -> Option<u64> {
    proc_kib(pid, "VmRSS:")
}

fn hwm_kib(pid: u32) -> Option<u64> {
    proc_kib(pid, "VmHWM:")
}

/// A running `serve`, killed when dropped.
struct Serve {
    child: std::process::Child,
    pid: u32,
    endpoint: String,
    /// From spawning the process to reading its `endpoint:` line.
    startup: Duration,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_bin() -> PathBuf {
    std::env::var_os("SOAK_SERVE_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_s3-harness")), PathBuf::from)
}

impl Serve {
    fn start(scenario: &Path) -> Self {
        let started = Instant::now();
        let mut child = Command::new(serve_bin())
            .args(["serve", scenario.to_str().expect("UTF-8 path")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let pid = child.id();
        let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        lines.read_line(&mut first).expect("endpoint line");
        let startup = started.elapsed();
        // The rest of the banner is read (and dropped) so that the server never blocks
        // on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while lines.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        let endpoint = first
            .trim()
            .strip_prefix("endpoint: ")
            .expect("endpoint first")
            .to_owned();
        Self {
            child,
            pid,
            endpoint,
            startup,
        }
    }

    fn client(&self) -> Client {
        s3_harness::sim::server::client(&self.endpoint, ACCESS_KEY, SECRET_KEY, REGION)
    }
}

/// A scenario file with the soak bucket and `objects` (TOML `[[buckets.objects]]`
/// entries, already written).
fn scenario(dir: &Path, name: &str, objects: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "description = \"soak\"\n[[buckets]]\nname = \"{BUCKET}\"\nregion = \"{REGION}\"\nowner = \"111122223333\"\n{objects}"
        ),
    )
    .expect("scenario written");
    path
}

fn main() {
    let phases = std::env::var("SOAK").unwrap_or_else(|_| "gets,puts,bigput,stall,cold".to_owned());
    let dir = std::env::temp_dir().join(format!("s3-harness-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    println!("serve binary: {}", serve_bin().display());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for phase in phases.split(',').map(str::trim) {
        match phase {
            "gets" => runtime.block_on(gets(&dir)),
            "puts" => runtime.block_on(puts(&dir)),
            "bigput" => runtime.block_on(big_put(&dir)),
            "stall" => runtime.block_on(stall(&dir)),
            "cold" => cold(&dir),
            other => eprintln!("unknown phase {other:?} (gets, puts, bigput, stall, cold)"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn gets(dir: &Path) {
    let total: u64 = std::env::var("SOAK_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let body = "x".repeat(1024);
    let path = scenario(
        dir,
        "gets",
        &format!("[[buckets.objects]]\nkey = \"k\"\nbody = \"{body}\"\n"),
    );
    let serve = Serve::start(&path);
    let pid = serve.pid;
    println!("\n[gets] 1 KiB GetObject x {total}, concurrency {CONCURRENCY}");
    println!("  {:>9}  {:>10}  {:>9}", "requests", "server RSS", "req/s");
    println!("  {:>9}  {:>10}", 0, fmt(rss_kib(pid)));
    let client = serve.client();
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut from = 0;
    for checkpoint in CHECKPOINTS.iter().copied().filter(|c| *c <= total).chain([total]) {
        if checkpoint <= from {
            continue;
        }
        let mut tasks = tokio::task::JoinSet::new();
        let next = Arc::new(AtomicU64::new(from));
        for _ in 0..CONCURRENCY {
            let (client, next, done) = (client.clone(), next.clone(), done.clone());
            tasks.spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < checkpoint {
                    let out = tokio::time::timeout(
                        Duration::from_secs(60),
                        client.get_object().bucket(BUCKET).key("k").send(),
                    )
                    .await
                    .expect("no request takes a minute")
                    .expect("GetObject succeeds");
                    let bytes = out.body.collect().await.expect("body").into_bytes();
                    assert_eq!(bytes.len(), 1024);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.expect("a client task failed");
        }
        from = checkpoint;
        let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
        println!("  {:>9}  {:>10}  {:>9.0}", checkpoint, fmt(rss_kib(pid)), rate);
    }
}

/// PUTs `count` objects of `size` bytes named `prefix` + a six-digit number,
/// [`CONCURRENCY`] at a time.
async fn put_many(client: &Client, prefix: &str, count: u64, size: usize) {
    let body = bytes::Bytes::from(vec![b'x'; size]);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (client, next, body, prefix) = (client.clone(), next.clone(), body.clone(), prefix.to_owned());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                client
                    .put_object()
                    .bucket(BUCKET)
                    .key(format!("{prefix}{i:06}"))
                    .body(ByteStream::from(body.clone()))
                    .send()
                    .await
                    .expect("PutObject succeeds");
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a client task failed");
    }
}

/// RSS growth per stored object for `count` PUTs of `size` bytes, on a fresh serve.
async fn rss_per_object(dir: &Path, size: usize, count: u64) -> f64 {
    let path = scenario(dir, "puts", "");
    let serve = Serve::start(&path);
    let client = serve.client();
    // The warm-up overwrites one key until the request log (10,000 records) is full
    // and the connections and allocator are warm, so what grows after is the store.
    for _ in 0..12 {
        let next = Arc::new(AtomicU64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CONCURRENCY {
            let (client, next) = (client.clone(), next.clone());
            tasks.spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < 1_000 {
                    client
                        .put_object()
                        .bucket(BUCKET)
                        .key("warm/000000")
                        .body(ByteStream::from(vec![b'x'; size]))
                        .send()
                        .await
                        .expect("PutObject succeeds");
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.expect("a client task failed");
        }
    }
    let before = rss_kib(serve.pid).unwrap_or(0);
    let started = Instant::now();
    put_many(&client, "keys/", count, size).await;
    let elapsed = started.elapsed();
    let after = rss_kib(serve.pid).unwrap_or(0);
    let per = (after.saturating_sub(before) * 1024) as f64 / count as f64;
    println!(
        "  {size:>5} B x {count}: RSS {} -> {} ({:.0} PUT/s): {per:.0} bytes per object",
        fmt(Some(before)),
        fmt(Some(after)),
        count as f64 / elapsed.as_secs_f64()
    );
    per
}

async fn puts(dir: &Path) {
    let count = 50_000;
    println!("\n[puts] RSS per stored object (keys/NNNNNN), concurrency {CONCURRENCY}");
    let empty = rss_per_object(dir, 0, count).await;
    let kib = rss_per_object(dir, 1024, count).await;
    println!(
        "  per-key overhead (0-byte objects): {empty:.0} B; 1 KiB object: {kib:.0} B = overhead + {:.0} B for 1024 B of body; goal <= 2 x 1024 + overhead = {:.0} B: {}",
        kib - empty,
        2048.0 + empty,
        if kib <= 2048.0 + empty { "met" } else { "NOT met" }
    );
}

async fn big_put(dir: &Path) {
    const SIZE: usize = 1 << 30;
    let path = scenario(dir, "bigput", "");
    let serve = Serve::start(&path);
    let client = serve.client();
    // One small PUT first, so the baseline includes a served request.
    put_many(&client, "small/", 1, 1024).await;
    let before = rss_kib(serve.pid).unwrap_or(0);
    let body = bytes::Bytes::from(vec![0x5a; SIZE]);
    let started = Instant::now();
    client
        .put_object()
        .bucket(BUCKET)
        .key("big")
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("1 GiB PutObject succeeds");
    let elapsed = started.elapsed();
    let peak = hwm_kib(serve.pid).unwrap_or(0);
    let after = rss_kib(serve.pid).unwrap_or(0);
    println!(
        "\n[bigput] one 1 GiB PutObject in {:.2} s: RSS before {}, peak {} ({:.2}x the body above the baseline), after {}",
        elapsed.as_secs_f64(),
        fmt(Some(before)),
        fmt(Some(peak)),
        (peak.saturating_sub(before) * 1024) as f64 / SIZE as f64,
        fmt(Some(after)),
    );
}

async fn stall(dir: &Path) {
    const PART: usize = 8 << 20;
    const PARTS: i32 = 64;
    let path = scenario(
        dir,
        "stall",
        "[[buckets.objects]]\nkey = \"small\"\nbody = \"0123456789\"\n",
    );
    let serve = Serve::start(&path);
    let client = serve.client();
    let reader = serve.client();
    let upload = client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .send()
        .await
        .expect("CreateMultipartUpload");
    let id = upload.upload_id().expect("upload id").to_owned();
    let part = bytes::Bytes::from(vec![0x33; PART]);
    let mut done = Vec::new();
    for n in 1..=PARTS {
        let out = client
            .upload_part()
            .bucket(BUCKET)
            .key("big")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .expect("UploadPart");
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap_or_default())
                .build(),
        );
    }
    drop(part);
    // A second client reads the small object and lists the bucket in turn, and records
    // each request's kind, start and end (offsets from `origin`).
    let origin = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let reads = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut spans = Vec::new();
            let mut list = false;
            while !stop.load(Ordering::Relaxed) {
                let t0 = origin.elapsed();
                if list {
                    reader
                        .list_objects_v2()
                        .bucket(BUCKET)
                        .send()
                        .await
                        .expect("ListObjectsV2");
                } else {
                    let out = reader
                        .get_object()
                        .bucket(BUCKET)
                        .key("small")
                        .send()
                        .await
                        .expect("GET small");
                    out.body.collect().await.expect("body");
                }
                spans.push((list, t0, origin.elapsed()));
                list = !list;
            }
            spans
        })
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let c0 = origin.elapsed();
    client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .expect("CompleteMultipartUpload");
    let c1 = origin.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let spans = reads.await.expect("reader");
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pct = |v: &[f64], p: f64| {
        v.get(((v.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "\n[stall] CompleteMultipartUpload of 512 MiB ({PARTS} x 8 MiB) took {:.1} ms (client side)",
        ms(c1 - c0)
    );
    for (kind, name) in [(false, "GetObject (10 B)"), (true, "ListObjectsV2")] {
        let mut baseline: Vec<f64> = spans
            .iter()
            .filter(|(k, _, e)| *k == kind && *e < c0)
            .map(|(_, s, e)| ms(*e - *s))
            .collect();
        baseline.sort_by(f64::total_cmp);
        let during: Vec<f64> = spans
            .iter()
            .filter(|(k, s, e)| *k == kind && *e >= c0 && *s <= c1)
            .map(|(_, s, e)| ms(*e - *s))
            .collect();
        println!(
            "  {name}: before it {} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; overlapping it {} requests, max {:.2} ms",
            baseline.len(),
            pct(&baseline, 0.5),
            pct(&baseline, 0.99),
            baseline.last().copied().unwrap_or(f64::NAN),
            during.len(),
            during.iter().copied().fold(f64::NAN, f64::max)
        );
    }
}

fn cold(dir: &Path) {
    let path = scenario(
        dir,
        "cold",
        "[[buckets.objects]]\nkey = \"big/{000..999}.bin\"\nsize = 67108864\n",
    );
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..5 {
        let serve = Serve::start(&path);
        times.push(serve.startup.as_secs_f64() * 1000.0);
        rss = rss_kib(serve.pid).unwrap_or(0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "\n[cold] serve of 1,000 sized objects of 64 MiB, start to `endpoint:` line, 5 runs: min {:.1} ms, median {:.1} ms, max {:.1} ms; RSS after start {}",
        times[0],
        times[2],
        times[4],
        fmt(Some(rss))
    );
}

fn fmt(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}
