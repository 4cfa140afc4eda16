//! `s3-harness serve` as docs/cli.md describes it: the endpoint on the first
//! line, a working S3 endpoint behind it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn serve_prints_the_endpoint_first_and_serves_the_scenario() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(["serve", "scenarios/valid/daily_csv.toml"])
        .current_dir(repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Stops the server however the test ends.
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let endpoint = first
        .strip_prefix("endpoint: ")
        .unwrap_or_else(|| panic!("first line: {first}"))
        .to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let rest: Vec<String> = lines.by_ref().take(4).map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|l| l.starts_with("identity: platform ") && l.contains("access_key=AKIAPLATFORMREADER01")),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.contains("access_key=AKIAROOT111122223333")),
        "{rest:?}"
    );

    let client = s3_harness::sim::server::client(
        &endpoint,
        "AKIAROOT111122223333",
        "root-secret-111122223333",
        "eu-west-1",
    );
    let out = client
        .list_objects_v2()
        .bucket("acme-data")
        .prefix("data/audiences/")
        .delimiter("/")
        .send()
        .await;
    let prefixes: Vec<String> = out
        .unwrap()
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix().map(str::to_owned))
        .collect();
    assert_eq!(prefixes, ["data/audiences/clicks/", "data/audiences/users/"]);
}

/// `serve --tls`: the https endpoint first, the CA file second; a client trusting that
/// CA is served, and the CA file goes when serve is stopped with SIGTERM.
#[cfg(unix)]
#[tokio::test]
async fn serve_tls_prints_the_https_endpoint_and_the_ca_file_and_removes_it_on_sigterm() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args([
            "serve",
            "scenarios/valid/daily_csv.toml",
            "--tls",
            "--domain",
            "s3.example.test",
        ])
        .current_dir(repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let endpoint = first
        .strip_prefix("endpoint: ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    let second = lines.next().unwrap().unwrap();
    let ca_path = std::path::PathBuf::from(second.strip_prefix("ca: ").unwrap_or_else(|| panic!("{second}")));
    let ca = std::fs::read_to_string(&ca_path).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    // The banner ends with the `try:` line.
    let try_line = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|l| l.starts_with("try: "))
        .unwrap();
    assert!(
        try_line.starts_with(&format!("try: AWS_CA_BUNDLE={} ", ca_path.display()))
            && try_line.contains(&format!("--endpoint-url {endpoint} ")),
        "{try_line}"
    );

    let client = s3_harness::sim::server::client_trusting(
        &endpoint,
        &ca,
        "AKIAROOT111122223333",
        "root-secret-111122223333",
        "eu-west-1",
    );
    client.head_bucket().bucket("acme-data").send().await.unwrap();

    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(!ca_path.exists(), "{} is left behind", ca_path.display());
}

#[test]
fn serve_tls_writes_the_ca_where_ca_out_says_and_refuses_a_bad_domain() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args([
            "serve",
            "scenarios/valid/daily_csv.toml",
            "--tls",
            "--domain",
            "https://x:1",
        ])
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--domain https://x:1: expected a DNS name"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(["serve", "scenarios/valid/daily_csv.toml", "--ca-out", "x.pem"])
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls"));

    let ca_out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ca-out-{}.pem", std::process::id()));
    let _ = std::fs::remove_file(&ca_out);
    let child = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(["serve", "scenarios/valid/daily_csv.toml", "--tls", "--ca-out"])
        .arg(&ca_out)
        .current_dir(repo)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let _endpoint = lines.next().unwrap().unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), format!("ca: {}", ca_out.display()));
    assert!(
        std::fs::read_to_string(&ca_out)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
