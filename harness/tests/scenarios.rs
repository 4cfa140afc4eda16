//! Every scenario file under `scenarios/` is its own test: it runs through the connector
//! against the simulator, and its report for people and its JSON are insta snapshots
//! (`harness/tests/snapshots/`), one pair per scenario.

use std::path::Path;

use s3_harness::ScenarioRun;
use s3_harness::run::render::{Style, render as render_report};
use s3_harness::run::run_scenario;
use s3_harness::scenario::load_scenario;

fn scenario(path: &Path) -> datatest_stable::Result<()> {
    // Paths come relative to the harness crate (`../scenarios/...`); reports name them
    // relative to the repository.
    let shown = path.to_string_lossy().trim_start_matches("../").to_owned();
    let loaded = load_scenario(path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let run = runtime.block_on(run_scenario(&shown, &loaded))?;
    let name = shown
        .trim_start_matches("scenarios/")
        .trim_end_matches(".toml")
        .replace('/', "__");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    if !snapshots.join(format!("{name}.report.snap")).exists() {
        eprintln!(
            "{shown} is a new scenario with no reviewed snapshot yet: run \
             `INSTA_UPDATE=always cargo test -p s3-harness --test scenarios -- {shown}` (or, with \
             cargo-insta installed, `cargo insta review --workspace`), read \
             harness/tests/snapshots/{name}.*.snap, and commit them (docs/adding-a-scenario.md)"
        );
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_input_file(path);
    settings.set_description(loaded.description.clone());
    settings.bind(|| {
        insta::assert_snapshot!(format!("{name}.report"), render(&run, Style { color: false }));
        insta::assert_snapshot!(format!("{name}.json"), json_lines(&run.to_json()));
    });
    Ok(())
}

/// The report for people, with the one number that depends on timing (how many
/// requests bursts and request rates throttled) replaced by `N`: everything else in a
/// run is the same on every run, and so is its snapshot.
fn render(run: &ScenarioRun, style: Style) -> String {
    let report = render_report(run, style);
    let Some(n) = run.throttled else {
        return report;
    };
    let count = format!("; besides, {n} throttled");
    assert!(report.contains(&count), "{report}");
    report.replacen(&count, "; besides, N throttled", 1)
}

/// The report's JSON with one line per field and one line per array element, so that a
/// snapshot reads and diffs line by line even with a thousand tables.
fn json_lines(v: &serde_json::Value) -> String {
    let serde_json::Value::Object(map) = v else {
        return v.to_string();
    };
    // How many requests bursts and request rates throttled depends on timing.
    let mut map = map.clone();
    if let Some(n) = map.get_mut("throttled") {
        assert!(n.is_u64(), "{n}");
        *n = "N".into();
    }
    let mut out = String::from("{\n");
    for (i, (k, v)) in map.iter().enumerate() {
        let comma = if i + 1 < map.len() { "," } else { "" };
        match v {
            serde_json::Value::Array(items) if !items.is_empty() => {
                out.push_str(&format!("  {k:?}: [\n"));
                for (j, item) in items.iter().enumerate() {
                    let c = if j + 1 < items.len() { "," } else { "" };
                    out.push_str(&format!("    {item}{c}\n"));
                }
                out.push_str(&format!("  ]{comma}\n"));
            }
            other => out.push_str(&format!("  {k:?}: {other}{comma}\n")),
        }
    }
    out.push('}');
    out
}

datatest_stable::harness! {
    { test = scenario, root = "../scenarios", pattern = r"\.toml$" },
}
