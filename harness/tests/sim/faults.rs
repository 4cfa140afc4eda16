//! Each fault kind as a client sees it, the request log's record of it, and the
//! connector absorbing it.

use std::time::Duration;

use s3_connector::connector::{ConnectionStatus, Connector, ConnectorOptions};
use s3_connector::diagnostic::Code;
use s3_connector::retry::RetryOptions;
use s3_harness::sim::faults::{FaultConfig, FaultKind, FaultRule};
use s3_harness::{ServerOptions, Simulator, Who, World};

use crate::support::{BUCKET, OWNER, OWNER_ROOT, REGION, code, put, status};

fn rule(kind: FaultKind, rate: f64, operations: &[&str], prefix: Option<&str>) -> FaultRule {
    FaultRule {
        operations: operations.iter().map(|o| (*o).to_owned()).collect(),
        prefix: prefix.map(str::to_owned),
        stall: Duration::from_millis(300),
        ..FaultRule::everywhere(kind, rate)
    }
}

/// A world with `keys` put by the owner (before faults apply: the world is built
/// directly), served with `rules`.
async fn faulted(keys: &[(&str, &str)], rules: Vec<FaultRule>) -> Simulator {
    let mut world = World::new();
    world.add_bucket(BUCKET, REGION, OWNER).expect("fresh world");
    let sim = Simulator::start(world).await.expect("binds");
    let c = sim.client_in(Who::Identity(OWNER_ROOT), REGION).expect("owner");
    for (k, body) in keys {
        put(&c, k, body.as_bytes()).await;
    }
    let world = sim.world().fork();
    sim.shutdown().await;
    Simulator::start_with(
        world,
        ServerOptions {
            faults: Some(FaultConfig {
                rules,
                seed: 1,
                ..FaultConfig::default()
            }),
            ..ServerOptions::default()
        },
    )
    .await
    .expect("binds")
}

/// A client that does not retry, so each call is one request.
fn one_shot(sim: &Simulator) -> aws_sdk_s3::Client {
    let c = sim.client_in(Who::Identity(OWNER_ROOT), REGION).expect("owner");
    let config = c
        .config()
        .to_builder()
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// S3's error body shape (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html):
/// Code, Message, RequestId, HostId, and the request id in x-amz-request-id too.
#[tokio::test]
async fn injected_errors_have_s3s_error_shape_and_status() {
    for (kind, want_status, want_code) in [
        (FaultKind::SlowDown, 503, "SlowDown"),
        (FaultKind::InternalError, 500, "InternalError"),
        (FaultKind::RequestTimeout, 400, "RequestTimeout"),
    ] {
        let sim = faulted(&[("a.csv", "id\n1\n")], vec![rule(kind, 1.0, &["GetObject"], None)]).await;
        let err = one_shot(&sim)
            .get_object()
            .bucket(BUCKET)
            .key("a.csv")
            .send()
            .await
            .unwrap_err();
        assert_eq!((status(&err), code(&err).as_str()), (want_status, want_code));
        let raw = err.raw_response().expect("an answer");
        let id = raw.headers().get("x-amz-request-id").expect("a request id").to_owned();
        let body = std::str::from_utf8(raw.body().bytes().expect("a body"))
            .unwrap()
            .to_owned();
        assert!(body.contains(&format!("<RequestId>{id}</RequestId>")), "{body}");
        assert!(body.contains("<HostId>"), "{body}");
        let records = sim.requests().snapshot();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].fault, Some(kind));
        assert!(records[0].injected_fault);
        assert_eq!(records[0].error_code.as_deref(), Some(want_code));
        // Listing is not selected by the rule.
        one_shot(&sim).list_objects_v2().bucket(BUCKET).send().await.unwrap();
        assert_eq!(sim.requests().injected_faults_by_kind().get(kind.name()), Some(&1));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_reset_closes_the_connection_before_any_answer() {
    let sim = faulted(&[("a.csv", "id\n1\n")], vec![rule(FaultKind::Reset, 1.0, &[], None)]).await;
    let err = one_shot(&sim)
        .get_object()
        .bucket(BUCKET)
        .key("a.csv")
        .send()
        .await
        .unwrap_err();
    assert!(err.raw_response().is_none(), "{err:?}");
    assert!(
        matches!(err, aws_sdk_s3::error::SdkError::DispatchFailure(_)),
        "{err:?}"
    );
    let records = sim.requests().snapshot();
    assert_eq!((records[0].status, records[0].fault), (0, Some(FaultKind::Reset)));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_truncated_body_promises_its_length_and_stops_halfway() {
    let body = "id,name\n".repeat(100);
    let sim = faulted(
        &[("a.csv", &body)],
        vec![rule(FaultKind::TruncatedBody, 1.0, &["GetObject"], None)],
    )
    .await;
    let out = one_shot(&sim)
        .get_object()
        .bucket(BUCKET)
        .key("a.csv")
        .send()
        .await
        .expect("the head arrives");
    assert_eq!(out.content_length(), Some(body.len() as i64));
    assert!(out.body.collect().await.is_err(), "the body is cut short");
    // A HEAD has no body to cut: it is answered and not counted as faulted.
    one_shot(&sim)
        .head_object()
        .bucket(BUCKET)
        .key("a.csv")
        .send()
        .await
        .unwrap();
    let faults: Vec<Option<FaultKind>> = sim.requests().snapshot().iter().map(|r| r.fault).collect();
    assert_eq!(faults, [Some(FaultKind::TruncatedBody), None]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_stalled_body_arrives_whole_after_the_stall() {
    let body = "id,name\n".repeat(100);
    let sim = faulted(
        &[("a.csv", &body)],
        vec![rule(FaultKind::StalledBody, 1.0, &["GetObject"], None)],
    )
    .await;
    let started = tokio::time::Instant::now();
    let out = one_shot(&sim)
        .get_object()
        .bucket(BUCKET)
        .key("a.csv")
        .send()
        .await
        .unwrap();
    let got = out.body.collect().await.expect("the whole body").into_bytes();
    assert_eq!(got.len(), body.len());
    // The stall is part of the answer (300 ms here); no upper bound is asserted.
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.shutdown().await;
}

/// S3 may answer CopyObject and CompleteMultipartUpload 200 with an error body
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html); the SDK reads it
/// as the error it is.
#[tokio::test]
async fn an_error_in_a_200_is_an_error_to_the_sdk() {
    let sim = faulted(
        &[("a.csv", "id\n1\n")],
        vec![rule(FaultKind::ErrorIn200, 1.0, &[], None)],
    )
    .await;
    let c = one_shot(&sim);
    let err = c
        .copy_object()
        .bucket(BUCKET)
        .key("b.csv")
        .copy_source(format!("{BUCKET}/a.csv"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (200, "InternalError"));
    // Nothing was copied, and a GetObject (not selectable by this kind) is untouched.
    assert!(c.get_object().bucket(BUCKET).key("b.csv").send().await.is_err());
    c.get_object().bucket(BUCKET).key("a.csv").send().await.unwrap();
    sim.shutdown().await;
}

#[tokio::test]
async fn a_request_never_answered_is_let_go_on_shutdown() {
    let sim = faulted(&[("a.csv", "id\n1\n")], vec![rule(FaultKind::NoAnswer, 1.0, &[], None)]).await;
    let c = one_shot(&sim);
    let pending = tokio::time::timeout(
        Duration::from_millis(300),
        c.head_object().bucket(BUCKET).key("a.csv").send(),
    )
    .await;
    assert!(pending.is_err(), "no answer");
    assert_eq!(sim.requests().snapshot()[0].fault, Some(FaultKind::NoAnswer));
    sim.shutdown().await;
}

fn connector(sim: &Simulator, retry: RetryOptions) -> Connector {
    Connector::new(
        sim.client_in(Who::Identity(OWNER_ROOT), REGION).expect("owner"),
        ConnectorOptions {
            retry,
            ..ConnectorOptions::default()
        },
    )
}

fn form() -> s3_connector::config::ConnectionForm {
    s3_connector::config::ConnectionForm {
        name: "n".into(),
        region: REGION.into(),
        bucket: BUCKET.into(),
        schema_prefix: "data/".into(),
        format: s3_connector::config::DataFormat::Csv,
        partitioning: s3_connector::config::Partitioning::None,
    }
}

const TABLES: [(&str, &str); 2] = [
    ("data/good/a.csv", "id,name\n1,ada\n"),
    ("data/flaky/a.csv", "id,total\n1,2.5\n"),
];

/// A read that keeps being cut short is `s3_unavailable` on that key, never
/// `unreadable_file`; the other table is still reported.
#[tokio::test]
async fn a_read_cut_short_past_the_retries_is_s3_unavailable_not_a_bad_file() {
    let sim = faulted(
        &TABLES,
        vec![rule(FaultKind::TruncatedBody, 1.0, &["GetObject"], Some("data/flaky/"))],
    )
    .await;
    let report = connector(&sim, RetryOptions::without_backoff()).connect(&form()).await;
    let names: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["good"]);
    assert_eq!(report.status, ConnectionStatus::Failed);
    let codes: Vec<(Code, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.code, d.subject.as_str()))
        .collect();
    assert_eq!(codes, [(Code::S3Unavailable, "data/flaky/a.csv")]);
    let d = &report.diagnostics[0];
    assert!(
        d.message.starts_with(
            "S3 kept failing: GetObject of `data/flaky/a.csv` failed 10 times; last error: the body was cut short"
        ),
        "{}",
        d.message
    );
    sim.shutdown().await;
}

/// A table directory S3 keeps failing to list is `s3_unavailable` on it; the other
/// tables are still discovered.
#[tokio::test]
async fn a_table_listing_past_the_retries_leaves_the_other_tables() {
    let sim = faulted(
        &TABLES,
        vec![rule(FaultKind::SlowDown, 1.0, &["ListObjectsV2"], Some("data/flaky/"))],
    )
    .await;
    let report = connector(&sim, RetryOptions::without_backoff()).connect(&form()).await;
    let names: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["good"]);
    let codes: Vec<(Code, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.code, d.subject.as_str()))
        .collect();
    assert_eq!(codes, [(Code::S3Unavailable, "data/flaky/")]);
    sim.shutdown().await;
}

/// A stall longer than the read timeout is given up and retried; the retry's body is
/// whole, so nothing is reported.
#[tokio::test]
async fn a_stall_past_the_read_timeout_is_retried() {
    // Three sampled files in the flaky table, so that at half the reads some are stalled.
    let keys = [
        TABLES[0],
        ("data/flaky/a.csv", "id,total\n1,2.5\n"),
        ("data/flaky/b.csv", "id,total\n2,3.5\n"),
        ("data/flaky/c.csv", "id,total\n3,4.5\n"),
    ];
    let sim = faulted(
        &keys,
        vec![rule(FaultKind::StalledBody, 0.5, &["GetObject"], Some("data/flaky/"))],
    )
    .await;
    let retry = RetryOptions {
        read_timeout: Duration::from_millis(100),
        ..RetryOptions::without_backoff()
    };
    let report = connector(&sim, retry).connect(&form()).await;
    assert_eq!(report.status, ConnectionStatus::Active, "{:?}", report.diagnostics);
    assert_eq!(report.tables.len(), 2);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    let stalled = sim
        .requests()
        .injected_faults_by_kind()
        .get("stalled_body")
        .copied()
        .unwrap_or(0);
    assert!(stalled > 0);
    // Every stall was followed by another attempt of the same read (four reads without).
    assert!(report.requests.get("GetObject").copied().unwrap_or(0) >= 4 + stalled);
    sim.shutdown().await;
}
