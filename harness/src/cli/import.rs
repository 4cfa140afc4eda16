//! `s3-harness preview` and `s3-harness import`: a discovered table's rows, shown or
//! written to Parquet.

use std::io::Write as _;
use std::path::Path;

use s3_connector::read::BadRowPolicy;
use s3_harness::import::{ImportOptions, Preview};
use s3_harness::scenario::{LoadOptions, load_scenario_with};
use serde_json::Value;

/// `--on-bad-row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum OnBadRow {
    /// The first bad row stops the import; nothing is written.
    Fail,
    /// Bad rows are skipped, counted and listed.
    Skip,
}

impl From<OnBadRow> for BadRowPolicy {
    fn from(o: OnBadRow) -> Self {
        match o {
            OnBadRow::Fail => Self::Fail,
            OnBadRow::Skip => Self::Skip,
        }
    }
}

/// `256MiB`, `1GiB`, `64KiB`, `500MB`, `1048576`: a byte count with an optional unit.
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 256MiB"))?;
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => return Err(format!("unknown unit `{other}`; use B, KiB, MiB, GiB, KB, MB or GB")),
    };
    match n.checked_mul(scale) {
        Some(0) | None => Err(format!("`{text}` is not a usable memory limit")),
        Some(bytes) => Ok(bytes),
    }
}

pub(super) async fn preview(
    path: &Path,
    table: &str,
    rows: usize,
    json: bool,
    load: &LoadOptions,
) -> anyhow::Result<()> {
    let scenario = load_scenario_with(path, load)?;
    let preview = s3_harness::import::preview(&path.display().to_string(), &scenario, table, rows).await?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&preview)?)?;
    } else {
        out.write_all(render_preview(&preview).as_bytes())?;
    }
    Ok(())
}

pub(super) async fn import(
    path: &Path,
    table: &str,
    target: &Path,
    options: &ImportOptions,
    load: &LoadOptions,
) -> anyhow::Result<()> {
    let scenario = load_scenario_with(path, load)?;
    s3_harness::import::tune_allocator();
    let summary = s3_harness::import::import(&path.display().to_string(), &scenario, table, target, options).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "rows: {}", summary.rows)?;
    writeln!(out, "bad_rows: {}", summary.bad_rows)?;
    for p in &summary.problems {
        writeln!(out, "  {p}")?;
    }
    if summary.unlisted_problems > 0 {
        writeln!(out, "  ... and {} more", summary.unlisted_problems)?;
    }
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::String(s) => s.escape_debug().to_string(),
        other => other.to_string(),
    }
}

/// The rows as an aligned text table, header `name (type)`, then the problems met.
pub(crate) fn render_preview(p: &Preview) -> String {
    let header: Vec<String> = p
        .columns
        .iter()
        .map(|c| format!("{} ({})", c.name, c.data_type))
        .collect();
    let cells: Vec<Vec<String>> = p.rows.iter().map(|r| r.iter().map(text).collect()).collect();
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            cells
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String]| -> String {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        format!("{}\n", padded.join(" | ").trim_end())
    };
    let mut out = line(&header);
    out.push_str(&format!(
        "{}\n",
        widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-")
    ));
    for r in &cells {
        out.push_str(&line(r));
    }
    out.push_str(&format!("({} rows)\n", p.rows.len()));
    if p.bad_rows > 0 {
        out.push_str(&format!("bad_rows: {}\n", p.bad_rows));
        for problem in &p.problems {
            out.push_str(&format!("  {problem}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("256MiB"), Ok(256 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0MiB").is_err());
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("MiB").is_err());
    }
}
