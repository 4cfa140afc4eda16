//! Progress on a terminal: keys listed, bytes sampled. Silent when standard error is
//! not a terminal (CI logs, pipes) or when turned off.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A spinner line on standard error, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Shows progress only when `enabled` and standard error is a terminal.
    pub fn new(enabled: bool) -> Self {
        use std::io::IsTerminal as _;
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    /// `n` keys listed so far.
    pub fn listed(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("listed {n} keys"));
        }
    }

    /// `files` sample files read so far, `bytes` bytes in all.
    pub fn sampled(&self, files: u64, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("sampled {files} files, {bytes} bytes"));
        }
    }

    /// What is being done now.
    pub fn step(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_owned());
        }
    }

    /// Clears the line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
