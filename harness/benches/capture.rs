//! Capture of a 1,000,000-key bucket from `serve`: a plain binary (`harness = false`)
//! that prints keys listed per second, the folded scenario's size in lines and bytes,
//! and the capture process's peak resident memory. It asserts nothing about speed; it
//! checks that the captured scenario loads back to exactly the served keys and sizes.
//!
//! ```text
//! cargo bench -p s3-harness --bench capture
//! ```
//!
//! The served world is one table, `events/date=YYYY-MM-DD/hour=HH/part-NNNNN.parquet`,
//! two years of days (2023 and 2024), 24 hours a day and 57 files an hour (1,000,008 keys), every file
//! with its own size (so the capture carries size lists). `s3-harness serve` and
//! `s3-harness capture` run as child processes of this one, over HTTP on 127.0.0.1;
//! the capture's peak memory is its `VmHWM` (Linux `/proc/PID/status`), read until it
//! exits. `CAPTURE_BENCH_EXPECT=1` also lets the capture run the captured scenario for
//! its `[expect]` block (the connector then lists the million keys once more).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_s3-harness");

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A file's size: 1 to 2 MB, fixed per key number, one of 1,000 values (`serve`
/// computes each distinct size's ETag from that many zero bytes once).
fn size_of(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    1_000_000 + ((z ^ (z >> 27)) % 1_000) * 997
}

/// Writes the served scenario (one entry per month, sizes listed); returns its keys
/// and sizes.
fn write_world(path: &Path) -> Vec<(String, u64)> {
    let mut text = String::from(
        "description = \"capture benchmark: a million daily/hourly keys\"\n\n\
         [[buckets]]\nname = \"bench-data\"\nregion = \"eu-west-1\"\nowner = \"111122223333\"\n",
    );
    let mut all = Vec::new();
    let mut n = 0u64;
    for year in [2023u32, 2024] {
        for month in 1..=12 {
            let days = days_in(year, month);
            let mut sizes = Vec::new();
            for day in 1..=days {
                for hour in 0..24 {
                    for part in 0..57 {
                        let size = size_of(n);
                        n += 1;
                        sizes.push(size.to_string());
                        all.push((
                            format!("events/date={year}-{month:02}-{day:02}/hour={hour:02}/part-{part:05}.parquet"),
                            size,
                        ));
                    }
                }
            }
            text.push_str(&format!(
                "\n[[buckets.objects]]\nkey = \"events/date={year}-{month:02}-{{01..{days:02}}}/hour={{00..23}}/part-{{00000..00056}}.parquet\"\nsize = [{}]\n",
                sizes.join(",")
            ));
        }
    }
    let mut f = std::fs::File::create(path).expect("world file");
    f.write_all(text.as_bytes()).expect("written");
    all.sort();
    all
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let world = dir.path().join("world.toml");
    let want = write_world(&world);
    println!("served keys: {}", want.len());

    let mut serve = Command::new(BIN)
        .args(["serve", &world.to_string_lossy(), "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(serve.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("endpoint line");
    let endpoint = line.trim().strip_prefix("endpoint: ").expect("endpoint").to_owned();

    let out = dir.path().join("capture");
    let mut args = vec![
        "capture".to_owned(),
        "s3://bench-data/events/".to_owned(),
        "--out".to_owned(),
        out.to_string_lossy().into_owned(),
        "--endpoint-url".to_owned(),
        endpoint,
        "--region".to_owned(),
        "eu-west-1".to_owned(),
    ];
    if std::env::var_os("CAPTURE_BENCH_EXPECT").is_none() {
        args.push("--no-expect".to_owned());
    }
    let started = Instant::now();
    let mut capture = Command::new(BIN)
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", "AKIAROOT111122223333")
        .env("AWS_SECRET_ACCESS_KEY", "root-secret-111122223333")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .spawn()
        .expect("capture starts");
    let pid = capture.id();
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = capture.try_wait().expect("waits") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let mut stdout = String::new();
    if let Some(mut s) = capture.stdout.take() {
        std::io::Read::read_to_string(&mut s, &mut stdout).expect("stdout");
    }
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(status.success(), "capture failed: {stdout}");

    let scenario = out.join("scenario.toml");
    let text = std::fs::read_to_string(&scenario).expect("scenario written");
    let loaded = s3_harness::scenario::load_scenario(&scenario).expect("the capture loads");
    let mut got: Vec<(String, u64)> = loaded.buckets[0]
        .objects
        .iter()
        .map(|o| match &o.source {
            s3_harness::scenario::ObjectSource::Partial { size, .. }
            | s3_harness::scenario::ObjectSource::Sized(size) => (o.key.clone(), *size),
            other => panic!("{} is not a sized capture: {other:?}", o.key),
        })
        .collect();
    got.sort();
    assert!(got == want, "the capture gives back every key and size");

    let secs = elapsed.as_secs_f64();
    println!("capture stdout:\n{}", stdout.trim_end());
    println!("capture time: {secs:.2} s");
    println!("keys per second: {:.0}", want.len() as f64 / secs);
    println!(
        "folded scenario: {} lines, {} bytes ({} object entries)",
        text.lines().count(),
        text.len(),
        text.matches("[[buckets.objects]]").count()
    );
    println!("capture peak RSS: {:.1} MiB", peak as f64 / 1024.0);
}
