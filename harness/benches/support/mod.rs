//! Formatting and memory helpers shared by the benches that include this file.

use std::time::Duration;

pub fn fmt_dur(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

/// The process's resident set size in KiB, from `/proc/self/status` (Linux).
pub fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn fmt_kib(kib: Option<u64>) -> String {
    match kib {
        Some(k) if k >= 1024 * 1024 => format!("{:.2} GiB", k as f64 / (1024.0 * 1024.0)),
        Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
        None => "n/a".to_owned(),
    }
}
