//! The report for people: connection status, the bucket under the schema prefix drawn
//! as a tree annotated with what discovery decided, diagnostics with hints, requests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use s3_connector::connector::{ConnectionStatus, Table};
use s3_connector::diagnostic::{Code, Diagnostic, Severity};
use s3_connector::layout::tables::IgnoredKey;

use super::ScenarioRun;
use super::fold::fold;

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to colour the report (status, severities, bold and dim text) with ANSI
    /// escape codes; the CLI's `run --color` decides it.
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
    fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }
    fn severity(self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("31", "error  "),
            Severity::Warning => self.paint("33", "warning"),
            Severity::Info => self.paint("36", "info   "),
        }
    }
}

/// `1 file`, `2 files`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `1.2 KiB` and friends.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn table_of(key: &str, prefix: &str) -> Option<String> {
    let rest = key.strip_prefix(prefix)?;
    let (t, _) = rest.split_once('/')?;
    Some(t.to_owned())
}

/// Partition directories of a table folded per level, with counts.
fn partition_line(t: &Table) -> Option<String> {
    let files = &t.layout.files;
    let depth = files.iter().map(|f| f.dirs.len()).max().unwrap_or(0);
    if depth == 0 {
        return None;
    }
    let mut levels = Vec::new();
    for level in 0..depth {
        let segments: BTreeSet<&str> = files
            .iter()
            .filter_map(|f| f.dirs.get(level).map(String::as_str))
            .collect();
        let keys: BTreeSet<&str> = segments
            .iter()
            .filter_map(|s| s.split_once('=').map(|(k, _)| k))
            .collect();
        let folded = match (keys.len(), keys.iter().next()) {
            (1, Some(k)) if segments.iter().all(|s| s.contains('=')) => {
                let values: Vec<String> = segments
                    .iter()
                    .filter_map(|s| s.split_once('=').map(|(_, v)| v.to_owned()))
                    .collect();
                format!("{k}={}", fold(&values))
            }
            _ => fold(&segments.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()),
        };
        levels.push(folded);
    }
    // Plain directories below the last partition level belong to their partition, so
    // partitions are counted by their partition levels alone.
    let columns = t.partition_columns.len();
    let dirs: BTreeSet<String> = files
        .iter()
        .map(|f| {
            let levels = if columns == 0 {
                f.dirs.len()
            } else {
                columns.min(f.dirs.len())
            };
            f.dirs[..levels].join("/")
        })
        .collect();
    let what = match (t.partition_columns.is_empty(), dirs.len() == 1) {
        (true, true) => "1 directory".to_owned(),
        (true, false) => format!("{} directories", dirs.len()),
        (false, _) => plural(dirs.len(), "partition"),
    };
    Some(format!(
        "{}/  {what}, {}",
        levels.join("/"),
        plural(files.len(), "file")
    ))
}

fn ignored_lines(keys: &[&IgnoredKey]) -> Vec<String> {
    let mut by_code: BTreeMap<&str, Vec<&IgnoredKey>> = BTreeMap::new();
    for k in keys {
        by_code.entry(k.code.as_str()).or_default().push(k);
    }
    by_code
        .into_iter()
        .map(|(code, ks)| match ks.as_slice() {
            [one] => format!("ignored {code}: {} ({})", one.key, one.reason),
            many => format!(
                "ignored {code}: {} keys, e.g. {} ({})",
                many.len(),
                many[0].key,
                many[0].reason
            ),
        })
        .collect()
}

fn why_skipped<'a>(prefix: &str, diagnostics: &'a [Diagnostic]) -> Option<&'a Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.subject == prefix)
        .min_by_key(|d| d.severity)
}

/// The whole report of one scenario.
pub fn render(run: &ScenarioRun, style: Style) -> String {
    let r = &run.report;
    let f = &run.form;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", style.bold("=="), style.bold(&run.path));
    let _ = writeln!(out, "   {}", run.description);
    // A connection that imports nothing is not a success to a reader skimming the
    // headline, so the headline counts tables.
    let found = r.tables.len() + r.skipped_tables.len();
    let status = match r.status {
        ConnectionStatus::Active => {
            let colour = if r.tables.is_empty() { "33;1" } else { "32;1" };
            let counts = format!("{} of {} imported", r.tables.len(), plural(found, "table"));
            format!("{}, {}", style.paint(colour, "ACTIVE"), style.paint(colour, &counts))
        }
        ConnectionStatus::Failed => style.paint("31;1", "FAILED"),
    };
    let _ = writeln!(
        out,
        "connection: {status}  bucket {} ({})  prefix {:?}  format {}  partitioning {}",
        f.bucket, f.region, f.schema_prefix, f.format, f.partitioning
    );
    for p in &run.rejected_policies {
        let _ = writeln!(
            out,
            "bucket policy of {} refused by S3: {}: {}",
            p.bucket, p.code, p.message
        );
    }

    if let Some(config) = &r.config {
        let prefix = &config.schema_prefix;
        let mut names: BTreeSet<String> = r.tables.iter().map(|t| t.name.clone()).collect();
        names.extend(r.skipped_tables.iter().map(|t| t.name.clone()));
        let mut ignored_by_table: BTreeMap<Option<String>, Vec<&IgnoredKey>> = BTreeMap::new();
        for k in &r.ignored {
            let t = table_of(&k.key, prefix);
            if let Some(name) = &t {
                names.insert(name.clone());
            }
            ignored_by_table.entry(t).or_default().push(k);
        }
        if !names.is_empty() || ignored_by_table.contains_key(&None) {
            let _ = writeln!(out, "\ns3://{}/{prefix}", config.bucket);
        }
        // Each table as (name, what it is, detail lines); runs of tables that read the
        // same are folded into one entry (`t{0000..1000}/  1001 tables, ...`).
        let mut entries: Vec<(String, String, Vec<String>)> = Vec::new();
        for name in &names {
            let table_prefix = format!("{prefix}{name}/");
            let mut lines = Vec::new();
            let rest = match r.tables.iter().find(|t| &t.name == name) {
                Some(t) => {
                    let cols = t
                        .columns
                        .iter()
                        .map(|c| {
                            let part = if t.partition_columns.contains(&c.name) {
                                " (partition)"
                            } else {
                                ""
                            };
                            format!("{} {}{part}", c.name, c.data_type)
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    // A table without sampled bytes has only its partition columns: say the
                    // file columns are unknown rather than let the line pass for a schema.
                    let unknown = r
                        .diagnostics
                        .iter()
                        .any(|d| d.code == Code::SchemaUnknown && d.subject == table_prefix);
                    if unknown {
                        let cols = if cols.is_empty() {
                            String::new()
                        } else {
                            format!(", {cols}")
                        };
                        lines.push(format!("columns: file columns unknown (schema_unknown){cols}"));
                    } else {
                        lines.push(format!("columns: {cols}"));
                    }
                    lines.extend(partition_line(t));
                    format!(
                        "table, {}, {}, {}",
                        t.format,
                        plural(t.files, "file"),
                        human_bytes(t.bytes)
                    )
                }
                None => {
                    let skipped = r.skipped_tables.iter().find(|t| &t.name == name);
                    let code = skipped
                        .map(|t| t.code)
                        .or_else(|| why_skipped(&table_prefix, &r.diagnostics).map(|d| d.code));
                    if let Some(t) = skipped.filter(|t| !t.files.is_empty()) {
                        lines.push(format!(
                            "{}, {}",
                            plural(t.files.len(), "data file"),
                            human_bytes(t.files.iter().map(|f| f.size).sum())
                        ));
                    }
                    match code {
                        Some(code) => format!("{} ({code})", style.dim("not imported")),
                        None => style.dim("not imported"),
                    }
                }
            };
            if let Some(keys) = ignored_by_table.get(&Some(name.clone())) {
                lines.extend(ignored_lines(keys));
            }
            entries.push((name.clone(), rest, lines));
        }
        let mut groups: Vec<(Vec<String>, String, Vec<String>)> = Vec::new();
        for (name, rest, lines) in entries {
            match groups.last_mut() {
                Some((names, r, l)) if *r == rest && *l == lines => names.push(name),
                _ => groups.push((vec![name], rest, lines)),
            }
        }
        let groups: Vec<(Vec<String>, String, Vec<String>)> = groups
            .into_iter()
            .flat_map(|(names, rest, lines)| {
                if names.len() > 3 {
                    vec![(names, rest, lines)]
                } else {
                    names
                        .into_iter()
                        .map(|n| (vec![n], rest.clone(), lines.clone()))
                        .collect()
                }
            })
            .collect();
        let count = groups.len();
        for (i, (group, rest, lines)) in groups.into_iter().enumerate() {
            let last = i + 1 == count && !ignored_by_table.contains_key(&None);
            let (branch, pipe) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            let head = if group.len() == 1 {
                format!("{}  {rest}", style.bold(&format!("{}/", group[0])))
            } else {
                format!(
                    "{}  {} tables, each: {rest}",
                    style.bold(&format!("{}/", fold(&group))),
                    group.len()
                )
            };
            let _ = writeln!(out, "{branch}{head}");
            for l in lines {
                let _ = writeln!(out, "{pipe}    {l}");
            }
        }
        if let Some(keys) = ignored_by_table.get(&None) {
            let _ = writeln!(out, "└── (outside tables)");
            for l in ignored_lines(keys) {
                let _ = writeln!(out, "        {l}");
            }
        }
    }

    if !r.diagnostics.is_empty() {
        let _ = writeln!(out, "\ndiagnostics ({}):", r.diagnostics.len());
        for d in &r.diagnostics {
            let _ = writeln!(out, "  {} {}  {}", style.severity(d.severity), d.code, d.subject);
            let _ = writeln!(out, "          {}", d.message);
            if !d.hint.is_empty() {
                let _ = writeln!(out, "          {} {}", style.dim("hint:"), d.hint);
            }
        }
    }
    if !run.denials.is_empty() {
        let _ = writeln!(out, "\ndenied by the simulator's policy evaluation:");
        for d in &run.denials {
            let _ = writeln!(out, "  {} {}: {}", d.operation, d.resource, d.reason);
            for t in &d.trace {
                let _ = writeln!(out, "          {t}");
            }
        }
    }
    let total: u64 = run.requests.values().sum();
    let list = run
        .requests
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut faults = match run.injected_faults {
        0 => String::new(),
        n => format!("; {n} answered by injected faults and retried"),
    };
    if let Some(n) = run.throttled {
        faults.push_str(&format!(
            "; besides, {n} throttled by bursts or request rate and retried (varies from run to run)"
        ));
    }
    if list.is_empty() {
        let _ = writeln!(out, "\nrequests: {total}{faults}");
    } else {
        let _ = writeln!(out, "\nrequests: {total} ({list}){faults}");
    }
    if let Some(e) = &run.expectations {
        if e.met() {
            let _ = writeln!(out, "expect: {} met", plural(e.checked, "expectation"));
        } else {
            let _ = writeln!(
                out,
                "expect: {} of {} {}",
                e.unmet.len(),
                plural(e.checked, "expectation"),
                style.paint("31;1", "UNMET")
            );
            for line in &e.unmet {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    printable(&out)
}

/// Control characters in keys would move a terminal's cursor or ring its bell: they are
/// shown as escapes (the JSON report carries them as they are).
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\x1b' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
