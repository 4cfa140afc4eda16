//! What a long-running server bounds: a client that never finishes its request headers
//! is disconnected instead of holding a connection forever, the request log keeps its
//! latest records with exact totals instead of growing with every request, and a
//! shutdown lets a request in flight finish while it closes idle connections.

use std::time::{Duration, Instant};

use s3_harness::{ServerOptions, Simulator, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let sim = Simulator::start_with(
        World::new(),
        ServerOptions {
            header_read_timeout: Duration::from_millis(300),
            ..ServerOptions::default()
        },
    )
    .await
    .unwrap();
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    stream.write_all(b"GET /bucket HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    // hyper answers 408 or just closes: either way the connection ends.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection was still open after 10 s");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );

    // A request sent in time is still served.
    let mut ok = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    ok.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    ok.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 "), "{}", String::from_utf8_lossy(&answer));
}

/// A simulator with `opts` over a world of one bucket.
async fn with_bucket(bucket: &str, opts: ServerOptions) -> Simulator {
    let mut world = World::new();
    world.add_bucket(bucket, "eu-west-1", "111122223333").unwrap();
    Simulator::start_with(world, opts).await.unwrap()
}

/// Reads until the peer closes the connection (or it fails), with what was read.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return answer,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn shutdown_finishes_a_request_in_flight_and_closes_idle_connections() {
    // A grace period far past the test's own timeouts: shutdown must end because every
    // connection was asked to close, not because the grace period ran out.
    let sim = with_bucket(
        "shut-bucket",
        ServerOptions {
            grace: Duration::from_secs(600),
            ..ServerOptions::default()
        },
    )
    .await;
    let mut idle = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let mut busy = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    busy.write_all(b"PUT /shut-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        .await
        .unwrap();
    // Both connections are open and one request is half sent when shutdown starts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let shutdown = tokio::spawn(sim.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;
    busy.write_all(b"world").await.unwrap();

    let answer = tokio::time::timeout(Duration::from_secs(30), read_until_closed(&mut busy))
        .await
        .expect("the busy connection was closed after its answer");
    assert!(answer.starts_with(b"HTTP/1.1 "), "{}", String::from_utf8_lossy(&answer));
    let idle_read = tokio::time::timeout(Duration::from_secs(30), read_until_closed(&mut idle))
        .await
        .expect("the idle connection was closed");
    assert!(idle_read.is_empty(), "{}", String::from_utf8_lossy(&idle_read));
    tokio::time::timeout(Duration::from_secs(30), shutdown)
        .await
        .expect("shutdown ended before the grace period")
        .unwrap();
}

#[tokio::test]
async fn the_request_log_keeps_its_latest_records_and_exact_totals() {
    let sim = with_bucket(
        "log-bucket",
        ServerOptions {
            request_log_capacity: 5,
            ..ServerOptions::default()
        },
    )
    .await;
    let c = sim.client(s3_harness::Who::BucketOwner("log-bucket")).unwrap();
    for _ in 0..20 {
        c.head_bucket().bucket("log-bucket").send().await.unwrap();
    }
    let kept = sim.requests().snapshot();
    assert_eq!(kept.len(), 5);
    assert_eq!(kept.last().map(|r| r.seq), Some(20));
    assert_eq!(sim.requests().len(), 20);
    assert_eq!(sim.requests().counts().get("HeadBucket"), Some(&20));
}
