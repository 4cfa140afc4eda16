//! What a long-running server bounds: a client that never finishes its request headers
//! is disconnected instead of holding a connection forever, and the request log keeps
//! its latest records with exact totals instead of growing with every request.

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

#[tokio::test]
async fn the_request_log_keeps_its_latest_records_and_exact_totals() {
    let mut world = World::new();
    world.add_bucket("log-bucket", "eu-west-1", "111122223333").unwrap();
    let sim = Simulator::start_with(
        world,
        ServerOptions {
            request_log_capacity: 5,
            ..ServerOptions::default()
        },
    )
    .await
    .unwrap();
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
