//! Soak: does a long-running `serve` hold its memory flat? A plain binary (`harness =
//! false`) that starts `s3-harness serve` as a child process, sends it one million
//! small GetObject requests from aws-sdk-s3 (16 at a time), and prints the server's
//! resident memory (`VmRSS` of `/proc/PID/status`) at checkpoints. It asserts only that
//! every answer is the object, so the numbers measure real requests.
//!
//! ```text
//! cargo bench -p s3-harness --bench soak            # 1,000,000 requests
//! SOAK_REQUESTS=100000 cargo bench -p s3-harness --bench soak
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CONCURRENCY: u64 = 16;
const CHECKPOINTS: [u64; 5] = [10_000, 100_000, 250_000, 500_000, 1_000_000];

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let total: u64 = std::env::var("SOAK_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("s3-harness-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let scenario = dir.join("soak.toml");
    let body = "x".repeat(1024);
    std::fs::write(
        &scenario,
        format!(
            "description = \"one 1 KiB object\"\n[[buckets]]\nname = \"soak-bucket\"\nregion = \"eu-west-1\"\nowner = \"111122223333\"\n[[buckets.objects]]\nkey = \"k\"\nbody = \"{body}\"\n"
        ),
    )
    .expect("scenario written");
    let child = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(["serve", scenario.to_str().expect("UTF-8 path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut child = KillOnDrop(child);
    let pid = child.0.id();
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout"));
    let mut first = String::new();
    lines.read_line(&mut first).expect("endpoint line");
    // The rest of the banner is read (and dropped) so that the server never blocks on
    // a full pipe.
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("s3-harness serve (pid {pid}), 1 KiB GetObject x {total}, concurrency {CONCURRENCY}");
    println!("  {:>9}  {:>10}  {:>9}", "requests", "server RSS", "req/s");
    println!("  {:>9}  {:>10}", 0, fmt(rss_kib(pid)));
    runtime.block_on(async move {
        let client = s3_harness::sim::server::client(
            &endpoint,
            "AKIAROOT111122223333",
            "root-secret-111122223333",
            "eu-west-1",
        );
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
                            client.get_object().bucket("soak-bucket").key("k").send(),
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
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn fmt(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".to_owned(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}
