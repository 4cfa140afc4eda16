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

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
