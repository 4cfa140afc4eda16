//! `s3-harness run`: each scenario through the connector, reported for people or as
//! JSON lines.

use std::path::PathBuf;

pub(super) async fn run(paths: &[PathBuf], json: bool, color: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let files = s3_harness::scenario::discover(paths)?;
    let color = match color {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let style = s3_harness::run::render::Style { color };
    let mut failed = 0;
    for file in &files {
        match s3_harness::run_scenario_file(file).await {
            Ok(r) if json => println!("{}", r.to_json()),
            Ok(r) => println!("{}", s3_harness::run::render::render(&r, style)),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} scenario file(s) could not be loaded", files.len());
    }
    Ok(())
}
