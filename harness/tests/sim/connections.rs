//! Connections as a production server bounds them: a client that never finishes its
//! request headers is disconnected instead of holding a connection forever.

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
