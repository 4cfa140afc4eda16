//! `import` against pyarrow and polars reading one table whole, all from the same
//! simulator endpoint in one run: a table of gzipped CSV (200 files under 30 daily
//! partitions) and the same rows as Parquet (snappy, nullable columns as pyarrow and Spark
//! write them, one file per CSV file).
//!
//! Each reader runs in its own process, one after another, so its peak RSS is its own:
//! - `import`: this binary again (`child` mode), which connects as the platform reader,
//!   discovers the table and writes it to one Parquet file exactly as `s3-harness import`
//!   does (`--memory-limit`, default 256MiB; Parquet row groups copied as they are stored
//!   once decoded); also `read`, the table read as rows (every row group decoded into
//!   batches, none copied) and the batches dropped, to tell the reader's speed from the
//!   writer's.
//! - pyarrow: `dataset(..., partitioning="hive").to_table()` over `S3FileSystem`;
//! - polars: `scan_parquet(..., hive_partitioning=True)` / `scan_csv(...)` then `collect()`
//!   (`rows_clients.py`).
//!
//! Prints rows/s and peak RSS of each, and the ratios of import and read to each engine
//! (speed above 1: faster than the engine). A plain binary, run by hand
//! with pyarrow and polars importable by `$PYTHON` (default python3):
//!
//! ```text
//! pip install pyarrow polars
//! cargo bench -p s3-harness --bench rows_vs_clients                 # 300 MB of CSV text
//! cargo bench -p s3-harness --bench rows_vs_clients -- --mb 2000    # the issue's size
//! ```
//!
//! `--mb` is the CSV table's size before gzip; `--memory-limit` is import's; `--rounds N`
//! (default 3) runs every reader N times, interleaved (import, read, pyarrow, polars, then
//! again), and reports each one's median time and highest peak RSS. `--serve` only
//! serves the table (until stdin closes) and prints the command of one import, to profile
//! it alone.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use s3_connector::config::{ConnectionForm, DataFormat, Partitioning};
use s3_connector::connector::{Connector, ConnectorOptions};
use s3_harness::import::{ImportOptions, write_parquet};
use s3_harness::sim::store::{ObjKey, Object, StoredPolicy};
use s3_harness::sim::world::{Identity, IdentityKind};
use s3_harness::{ServerOptions, Simulator, World};

const FILES: usize = 200;
const DAYS: usize = 30;
const BUCKET: &str = "bench-rows";
const TABLE: &str = "events";
const PARTITION: &str = "day";
const OWNER: &str = "111122223333";
const ACCESS_KEY: &str = "AKIAPLATFORMREADER01";
const SECRET_KEY: &str = "platform-reader-secret";
const REGION: &str = "eu-west-1";
const NAMES: [&str; 8] = [
    "ada", "grace", "edsger", "barbara", "alan", "margaret", "donald", "frances",
];

fn prefix(format: DataFormat) -> &'static str {
    match format {
        DataFormat::Csv => "csv/",
        DataFormat::Parquet => "parquet/",
    }
}

/// Row `id` of file `file`: id, user_id, name, amount (null every 50th), active, ts.
struct Row {
    id: i64,
    user: i64,
    name: &'static str,
    amount: Option<f64>,
    active: bool,
    /// Microseconds since the epoch.
    ts: i64,
}

fn day_start_micros(day: usize) -> i64 {
    // 2025-01-01T00:00:00Z is 1735689600 s.
    (1_735_689_600 + 86_400 * day as i64) * 1_000_000
}

fn row(id: i64, day: usize) -> Row {
    Row {
        id,
        user: (id * 7919) % 100_000,
        name: NAMES[(id % 8) as usize],
        amount: (id % 50 != 0).then(|| (id % 100_000) as f64 / 100.0),
        active: id % 3 == 0,
        ts: day_start_micros(day) + (id % 86_400) * 1_000_000,
    }
}

fn csv_line(out: &mut Vec<u8>, r: &Row, day: usize) {
    let secs = r.id % 86_400;
    let _ = write!(out, "{},{},{},", r.id, r.user, r.name);
    if let Some(a) = r.amount {
        let _ = write!(out, "{a:.2}");
    }
    let _ = writeln!(
        out,
        ",{},2025-01-{:02}T{:02}:{:02}:{:02}Z",
        r.active,
        day + 1,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
}

fn parquet_file(rows: &[Row]) -> Vec<u8> {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.id)))),
        (
            "user_id",
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.user))),
        ),
        (
            "name",
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.name))),
        ),
        (
            "amount",
            Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.amount))),
        ),
        (
            "active",
            Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.active)))),
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.ts)).with_timezone("UTC")),
        ),
    ];
    // Nullable columns (OPTIONAL in Parquet), as pyarrow and Spark write them by default.
    let batch = RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(name, array)| (name, array, true)))
        .expect("columns of one length");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    out
}

struct Generated {
    objects: Vec<(String, Vec<u8>)>,
    rows: u64,
    csv_bytes: u64,
    gz_bytes: u64,
    parquet_bytes: u64,
}

/// `mb` MB of CSV text in `FILES` files, gzipped, and the same rows as Parquet.
fn generate(mb: u64) -> Generated {
    // One line is about 70 bytes.
    let rows_per_file = (mb * 1_000_000 / 70 / FILES as u64).max(1) as i64;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let made = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let f = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if f >= FILES {
                        break;
                    }
                    let day = f % DAYS;
                    let first = f as i64 * rows_per_file;
                    let rows: Vec<Row> = (first..first + rows_per_file).map(|id| row(id, day)).collect();
                    let mut text = b"id,user_id,name,amount,active,ts\n".to_vec();
                    for r in &rows {
                        csv_line(&mut text, r, day);
                    }
                    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    gz.write_all(&text).expect("in memory");
                    let gz = gz.finish().expect("in memory");
                    let pq = parquet_file(&rows);
                    let dir = format!("{TABLE}/{PARTITION}=2025-01-{:02}", day + 1);
                    let text_len = text.len() as u64;
                    made.lock().expect("no panic while held").push((
                        [
                            (format!("csv/{dir}/part-{f:03}.csv.gz"), gz),
                            (format!("parquet/{dir}/part-{f:03}.parquet"), pq),
                        ],
                        text_len,
                    ));
                }
            });
        }
    });
    let mut g = Generated {
        objects: Vec::new(),
        rows: rows_per_file as u64 * FILES as u64,
        csv_bytes: 0,
        gz_bytes: 0,
        parquet_bytes: 0,
    };
    for ([csv, pq], text) in made.into_inner().expect("no panic while held") {
        g.csv_bytes += text;
        g.gz_bytes += csv.1.len() as u64;
        g.parquet_bytes += pq.1.len() as u64;
        g.objects.push(csv);
        g.objects.push(pq);
    }
    g
}

fn world(objects: Vec<(String, Vec<u8>)>) -> World {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("new bucket");
    let caller = s3_policy::iam::Caller::from_arn("arn:aws:iam::999988887777:role/bench", "s3-connector")
        .expect("valid role ARN");
    world
        .add_identity(
            Identity::new("platform", IdentityKind::Platform, caller, ACCESS_KEY, SECRET_KEY).with_policy(Some(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
                    .to_owned(),
            )),
        )
        .expect("new identity");
    let policy = s3_connector::bucket_policy::generated_policy(BUCKET, "999988887777", "bench").to_string();
    let policy = StoredPolicy::parse(&policy, BUCKET).expect("the generated policy is valid");
    world.store.set_policy(BUCKET, Some(policy)).expect("bucket exists");
    let objects: Vec<_> = objects
        .into_iter()
        .map(|(k, body)| {
            (
                ObjKey::parse(&k).expect("short key"),
                Object::from_bytes(bytes::Bytes::from(body), OWNER),
            )
        })
        .collect();
    world.store.put_all(BUCKET, objects).expect("bucket exists");
    world
}

/// Peak resident set of this process, from /proc.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// `child import|read FORMAT ENDPOINT MEMORY_LIMIT OUT`: one import, as JSON on stdout.
async fn child(args: &[String]) {
    let [mode, format, endpoint, limit, out] = args else {
        panic!("child import|read csv|parquet ENDPOINT MEMORY_LIMIT OUT");
    };
    let format = if format == "csv" {
        DataFormat::Csv
    } else {
        DataFormat::Parquet
    };
    let options = ImportOptions {
        memory_limit: limit.parse().expect("a byte count"),
        on_bad_row: s3_connector::read::BadRowPolicy::Fail,
    };
    let t0 = Instant::now();
    let connector = Connector::new(
        s3_harness::sim::server::client(endpoint, ACCESS_KEY, SECRET_KEY, REGION),
        ConnectorOptions {
            platform: Some(("999988887777".to_owned(), "bench".to_owned())),
            ..ConnectorOptions::default()
        },
    );
    let form = ConnectionForm {
        name: "bench".into(),
        region: REGION.into(),
        bucket: BUCKET.into(),
        schema_prefix: prefix(format).into(),
        format,
        partitioning: Partitioning::All,
    };
    let report = connector.connect(&form).await;
    let table = report
        .tables
        .iter()
        .find(|t| t.name == TABLE)
        .expect("the table is discovered");
    let config = report.config.as_ref().expect("a valid form");
    let connected = t0.elapsed().as_secs_f64();
    // `read` reads rows only: no row group comes whole, to be copied.
    let read_options = s3_connector::read::ReadOptions {
        copy_row_groups: mode == "import",
        ..options.read_options()
    };
    let mut rows = connector
        .read_table(config, table, read_options)
        .await
        .expect("the table opens");
    if mode == "import" {
        write_parquet(&mut rows, std::path::Path::new(out), &options)
            .await
            .expect("the import completes");
    } else {
        while let Some(b) = rows.next_batch().await {
            b.expect("no bad row");
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    let stats = rows.stats();
    let _ = std::fs::remove_file(out);
    println!(
        "{}",
        serde_json::json!({ "rows": stats.rows, "bad_rows": stats.bad_rows, "seconds": seconds, "connect_seconds": connected, "peak_rss": peak_rss() })
    );
}

/// The readers, in the order each round runs them.
const READERS: [&str; 4] = ["import", "read", "pyarrow", "polars"];

/// A reader's runs: the median time, the highest peak RSS.
struct Summary {
    rows: u64,
    seconds: f64,
    peak_rss: u64,
    rss_before: Option<u64>,
}

impl Summary {
    fn of(runs: &[Measured]) -> Option<Summary> {
        let mut seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        let mid = seconds.len() / 2;
        let median = if seconds.len().is_multiple_of(2) {
            (seconds.get(mid.checked_sub(1)?)? + seconds.get(mid)?) / 2.0
        } else {
            *seconds.get(mid)?
        };
        Some(Summary {
            rows: runs.first()?.rows,
            seconds: median,
            peak_rss: runs.iter().map(|r| r.peak_rss).max()?,
            rss_before: runs.iter().filter_map(|r| r.rss_before).max(),
        })
    }
}

struct Measured {
    rows: u64,
    seconds: f64,
    peak_rss: u64,
    rss_before: Option<u64>,
}

fn run_json(cmd: &mut Command) -> Option<Measured> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        eprintln!("  failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(Measured {
        rows: v["rows"].as_u64()?,
        seconds: v["seconds"].as_f64()?,
        peak_rss: v["peak_rss"].as_u64()?,
        rss_before: v["rss_before"].as_u64(),
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn arg_after(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if args.first().map(String::as_str) == Some("child") {
        // As `s3-harness import` sets it.
        s3_harness::import::tune_allocator();
        runtime.block_on(child(&args[1..]));
        return;
    }
    let mb: u64 = arg_after(&args, "--mb").and_then(|v| v.parse().ok()).unwrap_or(300);
    let limit: u64 = arg_after(&args, "--memory-limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(256 << 20);
    let rounds: usize = arg_after(&args, "--rounds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let t0 = Instant::now();
    let g = generate(mb);
    println!(
        "table `{TABLE}`: {} rows in {FILES} files under {DAYS} partitions: CSV {:.0} MiB ({:.0} MiB gzipped), Parquet {:.0} MiB (generated in {:.1}s)",
        g.rows,
        mib(g.csv_bytes),
        mib(g.gz_bytes),
        mib(g.parquet_bytes),
        t0.elapsed().as_secs_f64()
    );
    let expected_rows = g.rows;
    let sim = runtime
        .block_on(Simulator::start_with(world(g.objects), ServerOptions::default()))
        .expect("bind 127.0.0.1:0");
    let endpoint = sim.endpoint().to_owned();
    println!("endpoint {endpoint}; import --memory-limit {:.0} MiB", mib(limit));
    let exe = std::env::current_exe().expect("this binary");
    if args.iter().any(|a| a == "--serve") {
        // For profiling one reader by hand: the table stays served until stdin closes.
        println!(
            "serving until stdin closes; one import: {} child import csv|parquet {endpoint} {limit} OUT.parquet",
            exe.display()
        );
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        runtime.block_on(sim.shutdown());
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/rows_clients.py");
    let out: PathBuf = std::env::temp_dir().join(format!("rows-bench-{}.parquet", std::process::id()));
    for (format, name) in [(DataFormat::Csv, "csv"), (DataFormat::Parquet, "parquet")] {
        println!(
            "\n{name} ({}), {rounds} rounds, readers interleaved:",
            if name == "csv" { "gzipped" } else { "snappy" }
        );
        println!(
            "  {:<8} {:>10} {:>9} {:>12} {:>14}   each round's seconds",
            "reader", "rows", "median s", "rows/s", "peak RSS MiB"
        );
        let mut results: Vec<(&str, Vec<Measured>)> = READERS.iter().map(|&r| (r, Vec::new())).collect();
        for _ in 0..rounds {
            for (who, runs) in &mut results {
                let m = if matches!(*who, "import" | "read") {
                    run_json(Command::new(&exe).args([
                        "child",
                        who,
                        name,
                        &endpoint,
                        &limit.to_string(),
                        &out.display().to_string(),
                    ]))
                } else {
                    run_json(Command::new(&python).args([
                        script,
                        who,
                        name,
                        &endpoint,
                        BUCKET,
                        prefix(format),
                        TABLE,
                        PARTITION,
                        ACCESS_KEY,
                        SECRET_KEY,
                        REGION,
                    ]))
                };
                runs.extend(m);
            }
        }
        let summaries: Vec<(&str, Option<Summary>)> =
            results.iter().map(|(who, runs)| (*who, Summary::of(runs))).collect();
        for ((who, summary), (_, runs)) in summaries.iter().zip(&results) {
            let Some(m) = summary else {
                println!("  {who:<8} failed");
                continue;
            };
            let before = m
                .rss_before
                .map(|b| format!(" (after import of the module: {:.0})", mib(b)))
                .unwrap_or_default();
            let check = if runs.iter().all(|r| r.rows == expected_rows) {
                ""
            } else {
                "  ROW COUNT DIFFERS"
            };
            let each: Vec<String> = runs.iter().map(|r| format!("{:.2}", r.seconds)).collect();
            println!(
                "  {who:<8} {:>10} {:>9.2} {:>12.0} {:>14.0}   {}{before}{check}",
                m.rows,
                m.seconds,
                m.rows as f64 / m.seconds,
                mib(m.peak_rss),
                each.join(" ")
            );
        }
        let find = |who: &str| summaries.iter().find(|(w, _)| *w == who).and_then(|(_, s)| s.as_ref());
        for mine in ["import", "read"] {
            let Some(m) = find(mine) else { continue };
            for other in ["pyarrow", "polars"] {
                if let Some(o) = find(other) {
                    println!(
                        "  {mine} / {other}: speed x{:.2}, peak RSS x{:.2}",
                        o.seconds / m.seconds,
                        m.peak_rss as f64 / o.peak_rss as f64
                    );
                }
            }
        }
    }
    runtime.block_on(sim.shutdown());
}
