//! `s3-harness run`, `check` and `serve` as a user meets them on a terminal or in a
//! script: exit statuses, the summary line, `[expect]`, `--files`, a closed pipe, and
//! the papercuts that used to surprise (a mistyped folder, `--color alwasy`, `serve`
//! given a folder, `--addr localhost:PORT`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ sits in the repository")
}

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch folder of this test binary's own.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-run-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

const SCENARIO: &str = r#"description = "one table, two days"
[connection]
name = "t"
region = "eu-west-1"
bucket = "acme-data"
schema_prefix = "data/"
format = "csv"
partitioning = "all"
[platform]
account = "999988887777"
role = "connector-acme"
[[buckets]]
name = "acme-data"
region = "eu-west-1"
owner = "111122223333"
policy = "generated"
[[buckets.objects]]
key = "data/events/date=2025-01-0{1,2}/part-0.csv"
body = "id,name\n1,a\n"
[[buckets.objects]]
key = "data/events/_SUCCESS"
body = ""
"#;

#[test]
fn a_mistyped_or_empty_path_is_an_error_never_a_silent_success() {
    let out = harness(&["run", "scenarios/no-such-folder"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no such file or folder"),
        "{}",
        text(&out.stderr)
    );
    let empty = scratch("empty");
    let out = harness(&["run", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no scenario file"), "{}", text(&out.stderr));
    let out = harness(&["check", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_report_ends_with_one_summary_line() {
    let out = harness(&[
        "run",
        "--color",
        "never",
        "scenarios/valid/daily_csv.toml",
        "scenarios/policy/no_bucket_policy.toml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("2 scenarios: 1 active, 1 failed, 0 expectations unmet"),
        "{stdout}"
    );
    assert!(
        stdout.contains("connection: ACTIVE, 2 of 2 tables imported"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "--color never writes no escape codes");
}

#[test]
fn an_unmet_expectation_is_listed_and_exits_3() {
    let dir = scratch("expect");
    let path = dir.join("wrong.toml");
    std::fs::write(
        &path,
        format!(
            "{SCENARIO}[expect]\nstatus = \"active\"\ntables = [\"events\", \"users\"]\ndiagnostics = [\"hidden_file\", \"schema_mismatch\"]\nabsent_diagnostics = [\"hidden_file\"]\n"
        ),
    )
    .unwrap();
    let out = harness(&["run", "--color", "never", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("expect: 3 of 5 expectations UNMET"), "{stdout}");
    assert!(
        stdout.contains("tables: expected [events, users], found [events] (missing users)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("diagnostics: expected schema_mismatch, which did not appear"),
        "{stdout}"
    );
    assert!(stdout.contains("absent_diagnostics: hidden_file appeared"), "{stdout}");
    assert!(
        stdout.ends_with("1 scenario: 1 active, 0 failed, 3 expectations unmet\n"),
        "{stdout}"
    );

    let json = harness(&["run", "--json", path.to_str().unwrap()]);
    assert_eq!(json.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["expect"]["checked"], 5);
    assert_eq!(v["expect"]["unmet"].as_array().map(Vec::len), Some(3));
    // Standard output stays JSON lines; the summary goes to standard error.
    assert!(text(&json.stderr).contains("3 expectations unmet"));

    std::fs::write(&path, format!("{SCENARIO}[expect]\nstatus = \"activ\"\n")).unwrap();
    let out = harness(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(":24:10: `status` must be \"active\" or \"failed\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn files_lists_every_file_with_its_decoded_partition_values() {
    let dir = scratch("files");
    let path = dir.join("escaped.toml");
    let scenario = SCENARIO
        .replace(
            "date=2025-01-0{1,2}",
            "city=S%C3%A3o Paulo/date=__HIVE_DEFAULT_PARTITION__",
        )
        .replace(
            "data/events/_SUCCESS",
            "data/flat/part-0.csv\"\nbody = \"a\\n1\\n\"\n[[buckets.objects]]\nkey = \"data/flat/x=1/part-1.csv",
        );
    std::fs::write(&path, scenario).unwrap();
    let out = harness(&["run", "--json", "--files", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = &v["tables"][0]["file_list"];
    assert_eq!(
        files[0]["key"],
        "data/events/city=S%C3%A3o Paulo/date=__HIVE_DEFAULT_PARTITION__/part-0.csv"
    );
    assert_eq!(files[0]["size"], 12);
    assert_eq!(
        files[0]["partition"],
        serde_json::json!({"city": "São Paulo", "date": null})
    );
    let skipped = &v["skipped"][0];
    assert_eq!(skipped["name"], "flat");
    assert_eq!(skipped["reason"], "partition_mismatch");
    assert_eq!(skipped["files"], 2);
    assert_eq!(skipped["file_list"].as_array().map(Vec::len), Some(2));
    let without = harness(&["run", "--json", path.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&without.stdout).unwrap();
    assert!(v["tables"][0].get("file_list").is_none());
    assert_eq!(v["skipped"][0]["files"], 2);
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(["run", "--color", "never", "scenarios/"])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("== scenarios/"), "{first}");
    drop(stdout); // as `| head -n 1` does
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}

#[test]
fn color_is_a_choice_and_a_typo_is_refused() {
    let out = harness(&["run", "--color", "alwasy", "scenarios/valid/daily_csv.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid value 'alwasy'") && stderr.contains("auto, always, never"),
        "{stderr}"
    );
    let out = harness(&["run", "--color", "always", "scenarios/valid/daily_csv.toml"]);
    assert!(text(&out.stdout).contains("\x1b[32;1mACTIVE"), "{}", text(&out.stdout));
}

#[test]
fn serve_takes_one_file_and_host_names_in_addr() {
    let out = harness(&["serve", "scenarios/valid"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("serve takes one scenario file, not a folder"),
        "{}",
        text(&out.stderr)
    );

    let child = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(["serve", "scenarios/valid/daily_csv.toml", "--addr", "localhost:0"])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.starts_with("endpoint: http://127.0.0.1:") || first.starts_with("endpoint: http://[::1]:"),
        "{first}"
    );
    // The reader took one line and closed the pipe (as `| head -n 1` does): the server
    // goes on serving.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let addr = first.trim().trim_start_matches("endpoint: http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).expect("serve still listens");
    std::io::Write::write_all(&mut stream, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
}

#[test]
fn help_explains_paths_and_exit_statuses() {
    let out = harness(&["run", "--help"]);
    let help = text(&out.stdout);
    assert!(
        help.contains("Scenario files, or folders searched recursively"),
        "{help}"
    );
    assert!(help.contains("3 when a scenario's [expect] was not met"), "{help}");
    let out = harness(&["policy", "generate", "--help"]);
    let help = text(&out.stdout);
    assert!(
        help.contains("--prefix") && help.contains("The customer's bucket"),
        "{help}"
    );
}

#[test]
fn a_prefix_scoped_generated_policy_passes_the_check_for_that_prefix() {
    let out = harness(&[
        "policy",
        "generate",
        "--bucket",
        "acme-data",
        "--account",
        "999988887777",
        "--role",
        "r",
        "--prefix",
        "data/",
    ]);
    assert!(out.status.success());
    let dir = scratch("prefix");
    let path = dir.join("policy.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let policy = path.to_str().unwrap();
    let ok = harness(&[
        "policy",
        "check",
        "--bucket",
        "acme-data",
        "--account",
        "999988887777",
        "--role",
        "r",
        "--prefix",
        "data/",
        policy,
    ]);
    assert!(ok.status.success(), "{}", text(&ok.stdout));
    let other = harness(&[
        "policy",
        "check",
        "--bucket",
        "acme-data",
        "--account",
        "999988887777",
        "--role",
        "r",
        "--prefix",
        "other/",
        policy,
    ]);
    assert_eq!(other.status.code(), Some(1), "{}", text(&other.stdout));
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_documented_example_scenario_meets_its_expectations() {
    let out = harness(&["run", "--color", "never", "docs/examples/shared_bucket.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("expectations met"), "{}", text(&out.stdout));
}

#[test]
fn a_fixture_outside_the_scenario_folders_needs_an_explicit_flag() {
    let dir = scratch("outside");
    std::fs::create_dir_all(dir.join("s")).unwrap();
    std::fs::write(dir.join("private.csv"), "a\n1\n").unwrap();
    let path = dir.join("s/leak.toml");
    std::fs::write(
        &path,
        SCENARIO.replace("body = \"id,name\\n1,a\\n\"", "fixture = \"../private.csv\""),
    )
    .unwrap();
    let out = harness(&["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("outside the scenario's folder"),
        "{}",
        text(&out.stdout)
    );
    let out = harness(&["check", "--allow-fixtures-anywhere", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = harness(&["serve", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--allow-fixtures-anywhere"),
        "{}",
        text(&out.stderr)
    );
}
