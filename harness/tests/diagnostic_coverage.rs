//! Every diagnostic code (docs/diagnostics.md) is produced by at least one bundled
//! scenario (read from the reviewed JSON snapshots).

use std::path::Path;

#[test]
fn every_diagnostic_code_has_a_scenario() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".json.snap") {
            all.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    let missing: Vec<&str> = s3_connector::diagnostic::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|code| !all.contains(&format!("\"code\":\"{code}\"")))
        .collect();
    assert!(missing.is_empty(), "no scenario produces {missing:?}");
}
