//! `s3-harness preview` and `import` as a user runs them: output, exit status, and no
//! file left behind by an import a bad row stopped.

use std::path::{Path, PathBuf};
use std::process::Command;

fn harness() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_s3-harness"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")));
    c
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s3-harness-cli-import-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn import_skip_prints_rows_and_bad_rows_and_writes_the_file() {
    let dir = out_dir("skip");
    let out = dir.join("users.parquet");
    let run = harness()
        .args([
            "import",
            "scenarios/rows/csv_bad_values.toml",
            "--table",
            "users",
            "--on-bad-row",
            "skip",
        ])
        .args(["--memory-limit", "1MiB", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.starts_with("rows: 10\nbad_rows: 3\n"), "{stdout}");
    assert!(out.exists());
    assert!(!dir.join("users.parquet.partial").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn import_fail_stops_on_the_first_bad_row_and_writes_nothing() {
    let dir = out_dir("fail");
    let out = dir.join("users.parquet");
    let run = harness()
        .args([
            "import",
            "scenarios/rows/csv_bad_values.toml",
            "--table",
            "users",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: bad_row: data/users/part-1.csv:4: column `user_id`: value \"n/a\": not an int64"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing is written half-way"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn preview_json_and_an_unknown_table() {
    let run = harness()
        .args([
            "preview",
            "scenarios/rows/gzip_cut_short.toml",
            "--table",
            "users",
            "--rows",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(run.status.success());
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["columns"][0]["name"], "user_id");

    let run = harness()
        .args(["preview", "scenarios/rows/gzip_cut_short.toml", "--table", "nope"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("no table `nope`; discovered: users"));
}

#[test]
fn a_memory_limit_must_be_a_size() {
    let run = harness()
        .args([
            "import",
            "scenarios/rows/gzip_cut_short.toml",
            "--table",
            "users",
            "--out",
            "x.parquet",
        ])
        .args(["--memory-limit", "lots"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

/// `scenarios/rows/csv_bad_values.toml` with its `[expect]` row counts replaced.
fn bad_values_expecting(dir: &Path, rows: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("."));
    let text = std::fs::read_to_string(root.join("scenarios/rows/csv_bad_values.toml")).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("rows =") && !l.starts_with("bad_rows ="))
        .collect();
    let path = dir.join("bad_values.toml");
    std::fs::write(&path, format!("{}\n{rows}\n", kept.join("\n"))).unwrap();
    // `users.csv` is a bundled fixture, so the copy loads from any folder.
    path
}

fn run_json(path: &Path) -> (Option<i32>, serde_json::Value) {
    let run = harness().args(["run", "--json"]).arg(path).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    let value =
        serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&run.stderr)));
    (run.status.code(), value)
}

#[test]
fn expect_rows_and_bad_rows_are_checked_against_an_import_that_skips() {
    let dir = out_dir("expect-rows");
    let (code, met) = run_json(&bad_values_expecting(&dir, "rows = 10\nbad_rows = 3"));
    assert_eq!(code, Some(0), "{met}");
    assert_eq!(met["expect"], serde_json::json!({ "checked": 4, "unmet": [] }));

    let (code, unmet) = run_json(&bad_values_expecting(&dir, "rows = 11\nbad_rows = 0"));
    assert_eq!(code, Some(3), "{unmet}");
    assert_eq!(
        unmet["expect"]["unmet"],
        serde_json::json!(["rows: expected 11, found 10", "bad_rows: expected 0, found 3"])
    );

    // Reading rows does not show in the report's requests: they are discovery's.
    let (_, without) = run_json(&bad_values_expecting(&dir, ""));
    assert_eq!(without["expect"]["checked"], 2);
    assert_eq!(met["requests"], without["requests"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
