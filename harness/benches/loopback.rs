//! The simulator against the loopback ceiling: a plain binary (`harness = false`)
//! that prints requests per second for the simulator and for a trivial hyper server
//! answering the very same bytes with no signature check, no authorization and no
//! store, and the ratio of the two. It asserts nothing about speed; it checks that
//! every answer is the one expected.
//!
//! ```text
//! cargo bench -p s3-harness --bench loopback
//! ```
//!
//! How the ceiling answers the same bytes: it starts as a recording proxy in front of
//! the simulator; the first request of each kind (GetObject, PutObject,
//! ListObjectsV2) is forwarded and its response (status, headers, body) kept; from
//! then on the ceiling replays the kept response without reading anything but the
//! request line and draining the body.
//!
//! Both servers run on one tokio runtime of two workers, the clients on another of
//! two workers; each server has its own aws-sdk-s3 client (same configuration). The
//! rows run in rounds; in each round a row's requests are split into ten slices and
//! the two servers take turns slice by slice (whoever went first in a slice goes
//! second in the next), so drift and other load on the machine hit both; the table
//! shows medians over the rounds, and for each row the rounds' own ratios: their
//! median, and their mean with the half-width of its 95% interval. Servers listen on
//! 127.0.0.1 only.
//!
//! Rates on a shared machine move with everything else that runs; the second table
//! is steadier: the CPU time the server threads spent per request (Linux
//! `/proc/self/task/*/schedstat`, the threads of the server runtime), which counts
//! the server's own work whatever else competes for the cores. The difference of
//! the two columns is what the simulator adds per request. The third takes the
//! concurrency-1 rows apart: a request's time against the CPU time of the server's and
//! the client's threads and their time waiting to run (on a virtual machine, waking a
//! halted virtual CPU shows up there, tens of microseconds a time).
//!
//! `LOOPBACK_CEILING=hashing` makes the ceiling do, before each replay, the hashing
//! that no faithful server can skip ([`faithful_floor`]): what is left between the
//! two servers is then the simulator's own work.
//!
//! `LOOPBACK_ROUNDS` sets the number of rounds (default 5). `LOOPBACK_OFF` turns
//! shortcuts of the simulator off, to measure before and after with one binary:
//! `header_sigv4` (s3s checks every signature), `direct_list_pages` (s3s
//! serialises every listing), `direct_get` and `direct_put` (s3s answers every
//! GetObject, every PutObject), comma-separated.
//!
//! For instruction counts, which a busy machine does not skew,
//! `LOOPBACK_COUNT=KIND:N:TARGET` (KIND `get`, `put` or `list`, TARGET `sim` or
//! `ceiling`) sends one request of each kind to both servers and then `N` requests of
//! one kind to one server, and prints nothing. Run it under
//! `valgrind --tool=callgrind --separate-threads=yes`: the server runtime's two
//! worker threads are the second and third threads of the process; the difference
//! between two values of `N`, divided by their difference, is the server's
//! instructions per request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use s3_harness::sim::server::client;
use s3_harness::sim::store::{ObjKey, Object};
use s3_harness::{ServerOptions, Simulator, Who, World};

const OWNER: &str = "111122223333";
const OWNER_ROOT: &str = "root-111122223333";
const REGION: &str = "eu-west-1";
const BUCKET: &str = "bench-loop";
const GET_KEY: &str = "get-1k";
const PUT_KEY: &str = "put-1k";
const LIST_KEYS: usize = 1000;
const BODY_BYTES: usize = 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const WARMUP: usize = 100;

fn count_mode() -> Option<(Kind, usize, bool)> {
    let spec = std::env::var("LOOPBACK_COUNT").ok()?;
    let mut parts = spec.split(':');
    let kind = match parts.next()? {
        "get" => Kind::Get,
        "put" => Kind::Put,
        "list" => Kind::List,
        _ => return None,
    };
    let n = parts.next()?.parse().ok()?;
    let on_sim = parts.next()? == "sim";
    Some((kind, n, on_sim))
}

/// The simulator's options, less the shortcuts `LOOPBACK_OFF` names.
fn server_options() -> ServerOptions {
    let off = std::env::var("LOOPBACK_OFF").unwrap_or_default();
    let mut opts = ServerOptions::default();
    for name in off.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "header_sigv4" => opts.header_sigv4 = false,
            "direct_list_pages" => opts.direct_list_pages = false,
            "direct_get" => opts.direct_get = false,
            "direct_put" => opts.direct_put = false,
            other => panic!("LOOPBACK_OFF: no shortcut named {other:?}"),
        }
    }
    opts
}

/// Whether the ceiling hashes as a faithful server must before it replays an answer
/// (`LOOPBACK_CEILING=hashing`; unset or `plain`: it replays at once).
fn ceiling_hashes() -> bool {
    match std::env::var("LOOPBACK_CEILING").as_deref() {
        Err(_) | Ok("" | "plain") => false,
        Ok("hashing") => true,
        Ok(other) => panic!("LOOPBACK_CEILING: {other:?} is neither \"plain\" nor \"hashing\""),
    }
}

fn rounds() -> usize {
    std::env::var("LOOPBACK_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5)
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Get,
    Put,
    List,
}

struct Row {
    name: &'static str,
    kind: Kind,
    concurrency: usize,
    requests: usize,
}

const ROWS: [Row; 5] = [
    Row {
        name: "GET 1 KiB, concurrency 1",
        kind: Kind::Get,
        concurrency: 1,
        requests: 2000,
    },
    Row {
        name: "PUT 1 KiB, concurrency 1",
        kind: Kind::Put,
        concurrency: 1,
        requests: 2000,
    },
    Row {
        name: "LIST 1,000-key page, concurrency 1",
        kind: Kind::List,
        concurrency: 1,
        requests: 150,
    },
    Row {
        name: "GET 1 KiB, concurrency 16",
        kind: Kind::Get,
        concurrency: 16,
        requests: 4000,
    },
    Row {
        name: "PUT 1 KiB, concurrency 16",
        kind: Kind::Put,
        concurrency: 16,
        requests: 4000,
    },
];

fn main() {
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("server")
        .enable_all()
        .build()
        .expect("a server runtime can be built");
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("client")
        .enable_all()
        .build()
        .expect("a client runtime can be built");

    let sim = servers
        .block_on(Simulator::start_with(world(), server_options()))
        .expect("bind 127.0.0.1:0");
    let identity = sim
        .identity(Who::Identity(OWNER_ROOT))
        .expect("the bucket owner's root identity exists");
    let sim_addr: SocketAddr = sim
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("the simulator's endpoint is an address");
    let ceiling = Ceiling::new(sim_addr, ceiling_hashes());
    let ceiling_addr = servers.block_on(ceiling.clone().serve());
    let sim_client = client(sim.endpoint(), &identity.access_key, identity.secret_key(), REGION);
    let ceiling_client = client(
        &format!("http://{ceiling_addr}"),
        &identity.access_key,
        identity.secret_key(),
        REGION,
    );

    if let Some((kind, n, on_sim)) = count_mode() {
        // On a client worker, as the timed rows run: a loop in `block_on` runs on
        // this thread, and every answer would be a wake-up across threads.
        let counted = clients.spawn(async move {
            for kind in [Kind::Get, Kind::Put, Kind::List] {
                once(&sim_client, kind).await;
                once(&ceiling_client, kind).await;
            }
            let target = if on_sim { &sim_client } else { &ceiling_client };
            for _ in 0..n {
                once(target, kind).await;
            }
        });
        clients.block_on(counted).expect("the counted requests finish");
        drop(clients);
        servers.block_on(sim.shutdown());
        return;
    }

    let rounds = rounds();
    println!("s3-harness loopback benchmark: simulator vs a server replaying its responses");
    println!(
        "  load average at start: {}",
        std::fs::read_to_string("/proc/loadavg").map_or_else(
            |_| "unknown".to_owned(),
            |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        )
    );
    println!("  {rounds} rounds; servers on 2 tokio workers, clients on 2 tokio workers; medians over rounds");
    if ceiling.hashing {
        println!(
            "  the ceiling hashes as any faithful server must before it replays (LOOPBACK_CEILING=hashing): \
             a canonical request's SHA-256 and an HMAC, and for PUT the body's SHA-256, MD5 and CRC32"
        );
    }

    let mut samples: Vec<(Vec<f64>, Vec<f64>)> = ROWS.iter().map(|_| (Vec::new(), Vec::new())).collect();
    let mut cpu: Vec<(Vec<Spent>, Vec<Spent>)> = ROWS.iter().map(|_| (Vec::new(), Vec::new())).collect();
    clients.block_on(async {
        // Warm both: the first requests of each kind also teach the ceiling its answers.
        for row in &ROWS[..3] {
            for _ in 0..WARMUP.min(row.requests) {
                once(&sim_client, row.kind).await;
                once(&ceiling_client, row.kind).await;
            }
        }
        for round in 0..rounds {
            for ((row, (s_sim, s_ceil)), (c_sim, c_ceil)) in ROWS.iter().zip(samples.iter_mut()).zip(cpu.iter_mut()) {
                let (a, b) = both(&sim_client, &ceiling_client, row, round % 2 == 0).await;
                s_sim.push(a.0);
                s_ceil.push(b.0);
                c_sim.push(a.1);
                c_ceil.push(b.1);
            }
        }
    });
    assert_eq!(ceiling.forwarded(), 3, "the ceiling forwarded one request of each kind");

    println!();
    println!(
        "  {:<36} {:>12} {:>12} {:>7}   {:<20} ratio per round",
        "request", "s3-harness", "ceiling", "ratio", "rounds: median, mean"
    );
    for (row, (s_sim, s_ceil)) in ROWS.iter().zip(&samples) {
        let a = median(s_sim);
        let b = median(s_ceil);
        let ratios: Vec<f64> = s_sim.iter().zip(s_ceil).map(|(a, b)| a / b).collect();
        let per_round: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        let (mean, half_width) = mean_and_half_width(&ratios);
        println!(
            "  {:<36} {:>10.0}/s {:>10.0}/s {:>7.2}   {:<20} {}",
            row.name,
            a,
            b,
            a / b,
            format!("{:.2}, {mean:.2} ± {half_width:.2}", median(&ratios)),
            per_round.join(" ")
        );
    }
    println!(
        "  (ratio: median rate over median rate; rounds: the per-round ratios' median, and their mean \
         ± 1.96 standard errors)"
    );
    println!();
    println!(
        "  {:<36} {:>12} {:>12} {:>12}",
        "server CPU per request (median)", "s3-harness", "ceiling", "difference"
    );
    for (row, (c_sim, c_ceil)) in ROWS.iter().zip(&cpu) {
        let a = median_of(c_sim, |s| s.server.run);
        let b = median_of(c_ceil, |s| s.server.run);
        println!("  {:<36} {:>9.1} µs {:>9.1} µs {:>9.1} µs", row.name, a, b, a - b);
    }
    println!();
    println!("  at concurrency 1, µs per request (medians over rounds):");
    println!(
        "  {:<36} {:>8} {:>14} {:>14} {:>14} {:>14}",
        "", "request", "server CPU", "client CPU", "server waits", "client waits"
    );
    for ((row, (s_sim, s_ceil)), (c_sim, c_ceil)) in ROWS.iter().zip(&samples).zip(&cpu) {
        if row.concurrency != 1 {
            continue;
        }
        println!("  {}", row.name);
        for (who, rates, spent) in [("s3-harness", s_sim, c_sim), ("ceiling", s_ceil, c_ceil)] {
            println!(
                "    {who:<34} {:>8.1} {:>14.1} {:>14.1} {:>14.1} {:>14.1}",
                1e6 / median(rates),
                median_of(spent, |s| s.server.run),
                median_of(spent, |s| s.client.run),
                median_of(spent, |s| s.server.waiting),
                median_of(spent, |s| s.client.waiting),
            );
        }
    }
    println!(
        "  (CPU: time each runtime's threads ran, idle workers looking for work included; waits: their time \
         runnable but\n   not running, on a run queue or, on a virtual machine, while a halted virtual CPU is woken)"
    );
    drop(clients);
    servers.block_on(sim.shutdown());
}

fn world() -> World {
    let mut world = World::new();
    world
        .add_bucket(BUCKET, REGION, OWNER)
        .expect("a fresh world takes the bucket");
    let body = Bytes::from(vec![b'x'; BODY_BYTES]);
    world
        .store
        .put(
            BUCKET,
            ObjKey::parse(GET_KEY).expect("a short key is valid"),
            Object::from_bytes(body, OWNER),
        )
        .expect("bucket was just added");
    let template = Object::sized(BODY_BYTES as u64, OWNER);
    // With the two keys above, the listing's first page holds exactly 1,000 entries
    // and is truncated.
    let keys = (0..LIST_KEYS).map(|i| {
        let key = ObjKey::parse(&format!("l/dir{:02}/file{i:04}", i / 100)).expect("a short key is valid");
        (key, template.clone())
    });
    world.store.put_all(BUCKET, keys).expect("bucket was just added");
    world
}

/// How many slices a row's requests are split into in each round. The servers take
/// turns slice by slice (the first of a slice goes second in the next), so load that
/// comes and goes on a shared machine within a round falls on both alike, where one
/// server's whole turn and then the other's would hand it to just one.
const SLICES: usize = 10;

/// One round of one row on both servers, in alternating slices (`sim_first`: which
/// server opens): for the simulator and then the ceiling, requests per second and the
/// threads' time per request, over all of its slices.
async fn both(sim: &Client, ceiling: &Client, row: &Row, sim_first: bool) -> ((f64, Spent), (f64, Spent)) {
    let per_slice = row.requests.div_ceil(SLICES);
    let requests = per_slice * SLICES;
    // Per server: time spent, the threads' nanoseconds.
    let mut totals = [(Duration::ZERO, Spent::default()); 2];
    for slice in 0..SLICES {
        let order = if sim_first == (slice % 2 == 0) { [0, 1] } else { [1, 0] };
        for who in order {
            let client = if who == 0 { sim } else { ceiling };
            let (elapsed, spent) = run(client, row.kind, row.concurrency, per_slice).await;
            totals[who].0 += elapsed;
            totals[who].1 = totals[who].1.plus(spent);
        }
    }
    let [a, b] =
        totals.map(|(elapsed, spent)| (requests as f64 / elapsed.as_secs_f64(), spent.per_request_us(requests)));
    (a, b)
}

/// Sends `requests` requests of `kind` from `concurrency` tasks: the time they took
/// and the nanoseconds the server and client threads spent meanwhile.
async fn run(client: &Client, kind: Kind, concurrency: usize, requests: usize) -> (Duration, Spent) {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = Spent::now();
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let next = next.clone();
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    once(&client, kind).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a request task does not panic");
    }
    let elapsed = started.elapsed();
    (elapsed, Spent::now().minus(cpu_before))
}

/// Time the threads of one runtime spent (Linux `/proc/self/task/*/schedstat`: its
/// first two fields): running, and runnable but waiting to run.
#[derive(Clone, Copy, Default, Debug)]
struct Threads {
    run: f64,
    waiting: f64,
}

/// [`Threads`] of the server runtime (threads named `server`) and of the client's
/// (`client`): nanoseconds so far, or µs per request once divided.
#[derive(Clone, Copy, Default, Debug)]
struct Spent {
    server: Threads,
    client: Threads,
}

impl Spent {
    /// So far (zeros where `/proc` has no schedstat).
    fn now() -> Self {
        let mut spent = Self::default();
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return spent;
        };
        for task in tasks.flatten() {
            let Ok(comm) = std::fs::read_to_string(task.path().join("comm")) else {
                continue;
            };
            let threads = match comm.trim() {
                "server" => &mut spent.server,
                "client" => &mut spent.client,
                _ => continue,
            };
            let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            let mut fields = stat.split_whitespace().map(|n| n.parse::<f64>().unwrap_or(0.0));
            threads.run += fields.next().unwrap_or(0.0);
            threads.waiting += fields.next().unwrap_or(0.0);
        }
        spent
    }

    fn zip(self, other: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        let each = |a: Threads, b: Threads| Threads {
            run: f(a.run, b.run),
            waiting: f(a.waiting, b.waiting),
        };
        Self {
            server: each(self.server, other.server),
            client: each(self.client, other.client),
        }
    }

    fn plus(self, other: Self) -> Self {
        self.zip(other, |a, b| a + b)
    }

    fn minus(self, earlier: Self) -> Self {
        self.zip(earlier, |a, b| (a - b).max(0.0))
    }

    fn per_request_us(self, requests: usize) -> Self {
        self.zip(Self::default(), |a, _| a / 1e3 / requests as f64)
    }
}

fn median_of(spent: &[Spent], field: impl Fn(&Spent) -> f64) -> f64 {
    median(&spent.iter().map(field).collect::<Vec<_>>())
}

async fn once(client: &Client, kind: Kind) {
    match kind {
        Kind::Get => {
            let body = bounded(async {
                let out = client
                    .get_object()
                    .bucket(BUCKET)
                    .key(GET_KEY)
                    .send()
                    .await
                    .expect("GetObject succeeds");
                out.body.collect().await.expect("the body arrives").into_bytes()
            })
            .await;
            assert_eq!(body.len(), BODY_BYTES);
        }
        Kind::Put => {
            let out = bounded(
                client
                    .put_object()
                    .bucket(BUCKET)
                    .key(PUT_KEY)
                    .body(ByteStream::from(vec![b'y'; BODY_BYTES]))
                    .send(),
            )
            .await
            .expect("PutObject succeeds");
            assert!(out.e_tag().is_some());
        }
        Kind::List => {
            let out = bounded(client.list_objects_v2().bucket(BUCKET).max_keys(1000).send())
                .await
                .expect("ListObjectsV2 succeeds");
            assert_eq!(out.contents().len(), 1000);
        }
    }
}

async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .expect("a benchmark request finishes within the timeout")
}

/// The mean of `xs` and the half-width of its normal-approximation 95% interval
/// (1.96 standard errors; zero for fewer than two values). On a shared machine the
/// rounds' ratios scatter widely, and a row's distance from a goal means little
/// without it.
fn mean_and_half_width(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let variance = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, 1.96 * (variance / n).sqrt())
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The hashing a faithful S3 server cannot skip, over data of the same sizes: the
/// SHA-256 of a canonical request (here the request's method, path, query and headers
/// written one per line, about as long) and the HMAC of a string to sign, for every
/// request; for a PutObject also the payload's SHA-256 (`x-amz-content-sha256` is
/// checked against it), its MD5 (the ETag) and its CRC32 (the additional checksum the
/// SDK sends). The same crates the simulator uses, so the same instructions.
fn faithful_floor(parts: &hyper::http::request::Parts, body: &[u8], kind: Kind) {
    use hmac::{KeyInit, Mac};
    let mut canonical = String::with_capacity(1024);
    canonical.push_str(parts.method.as_str());
    canonical.push('\n');
    canonical.push_str(parts.uri.path());
    canonical.push('\n');
    canonical.push_str(parts.uri.query().unwrap_or(""));
    canonical.push('\n');
    for (name, value) in &parts.headers {
        canonical.push_str(name.as_str());
        canonical.push(':');
        canonical.push_str(value.to_str().unwrap_or(""));
        canonical.push('\n');
    }
    let hash = <sha2::Sha256 as sha2::Digest>::digest(canonical.as_bytes());
    let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(&[7; 32]).expect("HMAC takes a key of any length");
    mac.update(b"AWS4-HMAC-SHA256\n20261208T000000Z\n20261208/eu-west-1/s3/aws4_request\n");
    mac.update(&hash);
    std::hint::black_box(mac.finalize());
    if kind == Kind::Put {
        std::hint::black_box(<sha2::Sha256 as sha2::Digest>::digest(body));
        std::hint::black_box(<md5::Md5 as md5::Digest>::digest(body));
        std::hint::black_box(crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, body));
    }
}

/// A kept response.
#[derive(Clone)]
struct Canned {
    status: hyper::StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
}

/// The trivial server: records one response of each kind from the simulator, then
/// replays it.
#[derive(Clone)]
struct Ceiling {
    upstream: SocketAddr,
    canned: Arc<Mutex<HashMap<Kind, Canned>>>,
    forwarded: Arc<AtomicUsize>,
    /// Whether a replayed answer first does the hashing no faithful server can skip
    /// (`LOOPBACK_CEILING=hashing`, see [`faithful_floor`]).
    hashing: bool,
}

impl Ceiling {
    fn new(upstream: SocketAddr, hashing: bool) -> Self {
        Self {
            upstream,
            canned: Arc::default(),
            forwarded: Arc::default(),
            hashing,
        }
    }

    fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::Relaxed)
    }

    async fn serve(self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound listener has an address");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let this = self.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| this.clone().answer(req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    }

    async fn answer(self, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        let kind = match *req.method() {
            hyper::Method::PUT => Kind::Put,
            _ if req.uri().query().is_some_and(|q| q.contains("list-type=2")) => Kind::List,
            _ => Kind::Get,
        };
        let kept = self
            .canned
            .lock()
            .expect("the canned map is not poisoned")
            .get(&kind)
            .cloned();
        let canned = match kept {
            Some(c) => {
                // Read (and drop) the request body as a real server would.
                if self.hashing {
                    let (parts, body) = req.into_parts();
                    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    faithful_floor(&parts, &body, kind);
                } else {
                    let _ = req.into_body().collect().await;
                }
                c
            }
            None => {
                let c = self.forward(req).await;
                self.forwarded.fetch_add(1, Ordering::Relaxed);
                self.canned
                    .lock()
                    .expect("the canned map is not poisoned")
                    .insert(kind, c.clone());
                c
            }
        };
        let mut resp = Response::new(Full::new(canned.body));
        *resp.status_mut() = canned.status;
        *resp.headers_mut() = canned.headers;
        Ok(resp)
    }

    /// Sends `req` unchanged to the simulator (its Host header too, so the signature
    /// still verifies) and returns the whole answer.
    async fn forward(&self, req: Request<Incoming>) -> Canned {
        let stream = tokio::net::TcpStream::connect(self.upstream)
            .await
            .expect("the simulator accepts");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("an HTTP/1 handshake with the simulator");
        tokio::spawn(conn);
        let (parts, body) = req.into_parts();
        let body = body.collect().await.expect("the request body arrives").to_bytes();
        let resp = sender
            .send_request(Request::from_parts(parts, Full::new(body)))
            .await
            .expect("the simulator answers");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("the response body arrives").to_bytes();
        Canned {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}
