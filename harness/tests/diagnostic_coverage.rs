//! Every diagnostic code (docs/diagnostics.md) is produced by at least one bundled
//! scenario (read from the reviewed JSON snapshots).

use std::path::Path;

const CONTRACT_CODES: [&str; 19] = [
    "invalid_config",
    "bucket_not_found",
    "region_mismatch",
    "list_access_denied",
    "read_access_denied",
    "prefix_not_found",
    "no_tables",
    "file_outside_table",
    "empty_table",
    "hidden_file",
    "unsupported_file",
    "format_mismatch",
    "mixed_formats",
    "table_not_partitioned",
    "partitions_ignored",
    "partition_mismatch",
    "invalid_partition",
    "schema_mismatch",
    "unreadable_file",
];

#[test]
fn every_contract_code_has_a_scenario() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".json.snap") {
            all.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    let missing: Vec<&str> = CONTRACT_CODES
        .iter()
        .copied()
        .filter(|code| !all.contains(&format!("\"code\":\"{code}\"")))
        .collect();
    assert!(missing.is_empty(), "no scenario produces {missing:?}");
}
