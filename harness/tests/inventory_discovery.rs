//! Discovery from an S3 Inventory report instead of a listing (`[platform] inventory`),
//! end to end through the simulator: what is read, and each way a report cannot be used
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html>).

use s3_connector::connector::ConnectionStatus;
use s3_connector::diagnostic::Code;
use s3_harness::run::{ScenarioRun, run_scenario};
use s3_harness::scenario::parse_scenario;

const ROLE: &str = "arn:aws:iam::999988887777:role/connector-acme";

/// A bucket `acme-logs` with two tables, and a bucket `acme-inventory` holding
/// `objects` (TOML `[[buckets.objects]]` entries) readable by the platform role.
fn scenario(inventory: &str, objects: &str, list_inventory: bool) -> String {
    let list = if list_inventory {
        format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{ROLE}"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-inventory"}},"#
        )
    } else {
        String::new()
    };
    format!(
        r#"description = "inventory"

[connection]
name = "logs"
region = "eu-west-1"
bucket = "acme-logs"
schema_prefix = "data/"
format = "csv"
partitioning = "none"

[platform]
account = "999988887777"
role = "connector-acme"
inventory = "{inventory}"

[[buckets]]
name = "acme-logs"
region = "eu-west-1"
owner = "111122223333"
policy = "generated"

[[buckets.objects]]
key = "data/{{events,users}}/part-0.csv"
body = "id,name\n1,a\n"

[[buckets]]
name = "acme-inventory"
region = "eu-west-1"
owner = "111122223333"
policy = '''{{"Version":"2012-10-17","Statement":[{list}{{"Effect":"Allow","Principal":{{"AWS":"{ROLE}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-inventory/*"}}]}}'''

{objects}
"#
    )
}

fn manifest(source: &str, format: &str, created_ms: i128, files: &str) -> String {
    format!(
        r#"{{"sourceBucket":"{source}","fileFormat":"{format}","fileSchema":"Bucket, Key, Size","creationTimestamp":"{created_ms}","files":[{files}]}}"#
    )
}

fn now_ms() -> i128 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000
}

/// The report's one data file, gzipped by the simulator, listing both tables' files.
const DATA: &str = r#"
[[buckets.objects]]
key = "inv/logs/cfg/data/a.csv.gz"
body = "\"acme-logs\",\"data/events/part-0.csv\",\"12\"\n\"acme-logs\",\"data/users/part-0.csv\",\"12\"\n\"acme-logs\",\"elsewhere/x.csv\",\"3\"\n"
gzip = true
"#;

fn object(key: &str, body: &str) -> String {
    format!("[[buckets.objects]]\nkey = \"{key}\"\nbody = '''{body}'''\n")
}

async fn run_text(text: &str) -> ScenarioRun {
    let scenario = parse_scenario(std::path::Path::new("inventory.toml"), text).expect("the scenario parses");
    run_scenario("inventory.toml", &scenario)
        .await
        .expect("the scenario runs")
}

fn codes(run: &ScenarioRun) -> Vec<Code> {
    run.report.diagnostics.iter().map(|d| d.code).collect()
}

fn unreadable_message(run: &ScenarioRun) -> String {
    assert_eq!(
        run.report.status,
        ConnectionStatus::Failed,
        "{:?}",
        run.report.diagnostics
    );
    let d = run
        .report
        .diagnostics
        .iter()
        .find(|d| d.code == Code::InventoryUnreadable)
        .unwrap_or_else(|| panic!("no inventory_unreadable in {:?}", run.report.diagnostics));
    format!("{} / {}", d.message, d.hint)
}

#[tokio::test]
async fn a_fresh_manifest_given_directly_is_read_without_any_listing() {
    let m = manifest("acme-logs", "CSV", now_ms(), r#"{"key":"inv/logs/cfg/data/a.csv.gz"}"#);
    let objects = object("inv/logs/cfg/2026-12-01T01-00Z/manifest.json", &m) + DATA;
    let run = run_text(&scenario(
        "s3://acme-inventory/inv/logs/cfg/2026-12-01T01-00Z/manifest.json",
        &objects,
        false,
    ))
    .await;
    assert_eq!(
        run.report.status,
        ConnectionStatus::Active,
        "{:?}",
        run.report.diagnostics
    );
    let tables: Vec<&str> = run.report.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["events", "users"]);
    assert_eq!(codes(&run), [Code::InventoryUsed]);
    assert!(
        run.report.diagnostics[0]
            .message
            .contains("2 of its 3 objects under `data/`"),
        "{}",
        run.report.diagnostics[0].message
    );
    // Neither bucket is listed: the report stands in for the listing.
    assert_eq!(run.requests.get("ListObjectsV2"), None, "{:?}", run.requests);
}

#[tokio::test]
async fn a_folder_without_a_dated_report_is_unreadable() {
    let objects = object("inv/logs/cfg/hive/dt=1/symlink.txt", "x") + DATA;
    let run = run_text(&scenario("s3://acme-inventory/inv/logs/cfg/", &objects, true)).await;
    let said = unreadable_message(&run);
    assert!(
        said.contains("no S3 Inventory report is under s3://acme-inventory/inv/logs/cfg/"),
        "{said}"
    );
    assert!(said.contains("48 hours"), "{said}");
}

#[tokio::test]
async fn a_report_of_another_bucket_is_refused() {
    let m = manifest("acme-other", "CSV", now_ms(), r#"{"key":"inv/logs/cfg/data/a.csv.gz"}"#);
    let objects = object("inv/logs/cfg/2026-12-01T01-00Z/manifest.json", &m) + DATA;
    let run = run_text(&scenario("s3://acme-inventory/inv/logs/cfg/", &objects, true)).await;
    let said = unreadable_message(&run);
    assert!(said.contains("lists bucket `acme-other`, not `acme-logs`"), "{said}");
}

#[tokio::test]
async fn a_data_file_unlike_the_manifest_says_is_refused() {
    let m = manifest(
        "acme-logs",
        "CSV",
        now_ms(),
        r#"{"key":"inv/logs/cfg/data/a.csv.gz","MD5checksum":"00000000000000000000000000000000"}"#,
    );
    let objects = object("inv/logs/cfg/2026-12-01T01-00Z/manifest.json", &m) + DATA;
    let run = run_text(&scenario("s3://acme-inventory/inv/logs/cfg/", &objects, true)).await;
    let said = unreadable_message(&run);
    assert!(
        said.contains("but the manifest says 00000000000000000000000000000000"),
        "{said}"
    );
}

#[tokio::test]
async fn orc_reports_and_missing_data_files_are_unreadable() {
    let m = manifest("acme-logs", "ORC", now_ms(), r#"{"key":"inv/logs/cfg/data/a.orc"}"#);
    let objects = object("inv/logs/cfg/2026-12-01T01-00Z/manifest.json", &m);
    let run = run_text(&scenario("s3://acme-inventory/inv/logs/cfg/", &objects, true)).await;
    assert!(unreadable_message(&run).contains("ORC Inventory reports are not supported"));

    let m = manifest(
        "acme-logs",
        "CSV",
        now_ms(),
        r#"{"key":"inv/logs/cfg/data/gone.csv.gz"}"#,
    );
    let objects = object("inv/logs/cfg/2026-12-01T01-00Z/manifest.json", &m);
    let run = run_text(&scenario("s3://acme-inventory/inv/logs/cfg/", &objects, true)).await;
    let said = unreadable_message(&run);
    assert!(
        said.contains("no S3 Inventory file at s3://acme-inventory/inv/logs/cfg/data/gone.csv.gz"),
        "{said}"
    );
}

#[tokio::test]
async fn the_newest_of_several_reports_is_used_and_an_old_one_is_stale() {
    let day = 86_400_000i128;
    let old = manifest(
        "acme-logs",
        "CSV",
        now_ms() - 20 * day,
        r#"{"key":"inv/logs/cfg/data/old.csv.gz"}"#,
    );
    let newer = manifest(
        "acme-logs",
        "CSV",
        now_ms() - 9 * day,
        r#"{"key":"inv/logs/cfg/data/a.csv.gz"}"#,
    );
    let objects = object("inv/logs/cfg/2026-11-01T01-00Z/manifest.json", &old)
        + &object("inv/logs/cfg/2026-11-20T01-00Z/manifest.json", &newer)
        + DATA;
    let run = run_text(&scenario("s3://acme-inventory/inv/logs/cfg/", &objects, true)).await;
    assert_eq!(
        run.report.status,
        ConnectionStatus::Active,
        "{:?}",
        run.report.diagnostics
    );
    assert_eq!(run.report.tables.len(), 2);
    assert_eq!(codes(&run), [Code::InventoryStale, Code::InventoryUsed]);
    assert!(
        run.report.diagnostics[1]
            .subject
            .ends_with("2026-11-20T01-00Z/manifest.json")
    );
    // One listing: the folder of reports, for the newest.
    assert_eq!(run.requests.get("ListObjectsV2"), Some(&1), "{:?}", run.requests);
}
