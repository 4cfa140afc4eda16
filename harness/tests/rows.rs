//! `preview` and `import` on the bundled scenarios with row-level faults
//! (`scenarios/rows/`): each table's first rows, the summary of an import that skips bad
//! rows, and the outcome of one that fails on the first, as insta snapshots of JSON lines.

use std::path::Path;

use s3_connector::read::BadRowPolicy;
use s3_harness::import::{ImportOptions, import, preview};
use s3_harness::run::run_scenario;
use s3_harness::scenario::load_scenario;

fn read_table(path: &Path) -> datatest_stable::Result<()> {
    let shown = path.to_string_lossy().trim_start_matches("../").to_owned();
    let scenario = load_scenario(path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let name = shown
        .trim_start_matches("scenarios/")
        .trim_end_matches(".toml")
        .replace('/', "__");
    let out_dir = std::env::temp_dir().join(format!("s3-harness-rows-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&out_dir)?;
    let tables: Vec<String> = runtime
        .block_on(run_scenario(&shown, &scenario))?
        .report
        .tables
        .iter()
        .map(|t| t.name.clone())
        .collect();
    for table in tables {
        let mut lines = Vec::new();
        let p = runtime.block_on(preview(&shown, &scenario, &table, 5))?;
        lines.push(serde_json::json!({ "preview": table, "columns": p.columns, "bad_rows": p.bad_rows }).to_string());
        lines.extend(p.rows.iter().map(|r| serde_json::to_string(r).unwrap_or_default()));
        lines.extend(p.problems.iter().map(|x| serde_json::to_string(x).unwrap_or_default()));
        for policy in [BadRowPolicy::Skip, BadRowPolicy::Fail] {
            let out = out_dir.join(format!("{table}-{policy:?}.parquet"));
            let options = ImportOptions {
                memory_limit: 1 << 20,
                on_bad_row: policy,
            };
            match runtime.block_on(import(&shown, &scenario, &table, &out, &options)) {
                Ok(s) => {
                    let written = parquet_rows(&out);
                    lines.push(
                        serde_json::json!({ "import": policy, "rows": s.rows, "bad_rows": s.bad_rows, "rows_in_file": written })
                            .to_string(),
                    );
                    lines.extend(s.problems.iter().map(|x| serde_json::to_string(x).unwrap_or_default()));
                }
                Err(e) => {
                    let leftovers: Vec<_> = std::fs::read_dir(&out_dir)?
                        .filter_map(Result::ok)
                        .filter(|e| e.file_name().to_string_lossy().contains("Fail"))
                        .collect();
                    assert!(leftovers.is_empty(), "a failed import left {leftovers:?}");
                    lines.push(serde_json::json!({ "import": policy, "error": e.to_string() }).to_string());
                }
            }
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(path);
        settings.bind(|| insta::assert_snapshot!(format!("{name}.{table}.read.json"), lines.join("\n")));
    }
    std::fs::remove_dir_all(&out_dir)?;
    Ok(())
}

/// The rows of the Parquet file an import wrote, read back.
fn parquet_rows(path: &Path) -> i64 {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::File::open(path).expect("the import wrote its file");
    let reader = SerializedFileReader::new(file).expect("the import wrote Parquet");
    reader.metadata().file_metadata().num_rows()
}

datatest_stable::harness! {
    { test = read_table, root = "../scenarios/rows", pattern = r"\.toml$" },
}
