//! `s3-harness run`: each scenario through the connector, reported for people or as
//! JSON lines, with one summary line at the end and the exit status of the worst
//! outcome.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use s3_connector::connector::ConnectionStatus;
use s3_harness::run::render::{Style, render};
use s3_harness::scenario::LoadOptions;

use super::ColorChoice;

/// Exit status when a scenario's `[expect]` is not met.
const EXPECTATIONS_UNMET: u8 = 3;

/// How `run` prints.
pub(super) struct Format {
    json: bool,
    files: bool,
    style: Style,
}

impl Format {
    pub(super) fn new(json: bool, files: bool, color: ColorChoice) -> Self {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        Self {
            json,
            files,
            style: Style { color },
        }
    }
}

/// What a whole run came to.
#[derive(Default)]
struct Tally {
    active: usize,
    failed: usize,
    not_loaded: usize,
    unmet: usize,
}

impl Tally {
    fn line(&self, scenarios: usize) -> String {
        let mut line = format!(
            "{scenarios} scenario{}: {} active, {} failed, {} expectation{} unmet",
            if scenarios == 1 { "" } else { "s" },
            self.active,
            self.failed,
            self.unmet,
            if self.unmet == 1 { "" } else { "s" },
        );
        if self.not_loaded > 0 {
            line.push_str(&format!(", {} could not be loaded", self.not_loaded));
        }
        line
    }

    fn exit_code(&self) -> ExitCode {
        if self.not_loaded > 0 {
            ExitCode::from(1)
        } else if self.unmet > 0 {
            ExitCode::from(EXPECTATIONS_UNMET)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// A bar on a terminal when there are several scenarios, a spinner for one (a large
/// discovery can take a while); nothing when standard error is not a terminal.
fn progress(n: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = if n > 1 {
        ProgressBar::new(n as u64).with_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} scenarios {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    } else {
        ProgressBar::new_spinner()
    };
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub(super) async fn run(paths: &[PathBuf], format: Format, options: &LoadOptions) -> anyhow::Result<ExitCode> {
    let files = super::scenario_files(paths)?;
    let bar = progress(files.len());
    let mut tally = Tally::default();
    let mut stdout = std::io::stdout().lock();
    for file in &files {
        bar.set_message(file.display().to_string());
        let outcome = s3_harness::run::run_scenario_file_with(file, options).await;
        bar.inc(1);
        let text = match outcome {
            Ok(r) => {
                match r.report.status {
                    ConnectionStatus::Active => tally.active += 1,
                    ConnectionStatus::Failed => tally.failed += 1,
                }
                tally.unmet += r.expectations.as_ref().map_or(0, |e| e.unmet.len());
                if format.json {
                    let mut v = r.to_json();
                    if format.files {
                        v = s3_harness::run::with_file_lists(v, &r);
                    }
                    v.to_string()
                } else {
                    render(&r, format.style)
                }
            }
            Err(e) => {
                tally.not_loaded += 1;
                bar.suspend(|| eprintln!("error: {e}"));
                continue;
            }
        };
        bar.suspend(|| writeln!(stdout, "{text}"))?;
    }
    bar.finish_and_clear();
    let summary = tally.line(files.len());
    if format.json {
        // Standard output stays one JSON object per line.
        eprintln!("{summary}");
    } else {
        writeln!(stdout, "{summary}")?;
    }
    Ok(tally.exit_code())
}
