//! `[expect]` checked against what a run found: one line per unmet expectation, each
//! saying what was expected and what was found.

use std::collections::BTreeSet;

use s3_connector::connector::{ConnectionReport, ConnectionStatus};
use serde::Serialize;

use crate::scenario::ExpectSpec;

/// The outcome of a scenario's `[expect]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectations {
    /// How many expectations the scenario states (a status, a table set, each code).
    pub checked: usize,
    /// The unmet ones, in words.
    pub unmet: Vec<String>,
}

impl Expectations {
    /// Whether every expectation held.
    pub fn met(&self) -> bool {
        self.unmet.is_empty()
    }
}

fn status_name(s: ConnectionStatus) -> &'static str {
    match s {
        ConnectionStatus::Active => "active",
        ConnectionStatus::Failed => "failed",
    }
}

/// The rows of every imported table, read as an import reads them with bad rows
/// skipped; or why they could not be read.
pub(crate) type RowCounts = Result<Counted, String>;

/// Rows read and rows kept out, summed over the imported tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counted {
    pub rows: u64,
    pub bad_rows: u64,
}

/// Checks `expect` against `report` and, when `expect` counts rows, the rows read
/// (`None`: not read).
pub(crate) fn check(expect: &ExpectSpec, report: &ConnectionReport, rows: Option<&RowCounts>) -> Expectations {
    let mut checked = 0;
    let mut unmet = Vec::new();
    if let Some(status) = expect.status {
        checked += 1;
        if status != report.status {
            unmet.push(format!(
                "status: expected {}, found {}",
                status_name(status),
                status_name(report.status)
            ));
        }
    }
    if let Some(tables) = &expect.tables {
        checked += 1;
        let want: BTreeSet<&str> = tables.iter().map(String::as_str).collect();
        let got: BTreeSet<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
        if want != got {
            let missing: Vec<&str> = want.difference(&got).copied().collect();
            let extra: Vec<&str> = got.difference(&want).copied().collect();
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("missing {}", missing.join(", ")));
            }
            if !extra.is_empty() {
                parts.push(format!("not expected {}", extra.join(", ")));
            }
            unmet.push(format!(
                "tables: expected [{}], found [{}] ({})",
                want.into_iter().collect::<Vec<_>>().join(", "),
                got.into_iter().collect::<Vec<_>>().join(", "),
                parts.join("; ")
            ));
        }
    }
    let present: BTreeSet<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    for code in &expect.diagnostics {
        checked += 1;
        if !present.contains(code.as_str()) {
            unmet.push(format!("diagnostics: expected {}, which did not appear", code.as_str()));
        }
    }
    for code in &expect.absent_diagnostics {
        checked += 1;
        if present.contains(code.as_str()) {
            unmet.push(format!("absent_diagnostics: {} appeared", code.as_str()));
        }
    }
    for (key, want, found) in [
        ("rows", expect.rows, rows.map(|r| r.as_ref().map(|c| c.rows))),
        (
            "bad_rows",
            expect.bad_rows,
            rows.map(|r| r.as_ref().map(|c| c.bad_rows)),
        ),
    ] {
        let Some(want) = want else { continue };
        checked += 1;
        match found {
            Some(Ok(found)) if found == want => {}
            Some(Ok(found)) => unmet.push(format!("{key}: expected {want}, found {found}")),
            Some(Err(why)) => unmet.push(format!("{key}: expected {want}, but the rows could not be read: {why}")),
            None => unmet.push(format!("{key}: expected {want}, but the rows were not read")),
        }
    }
    Expectations { checked, unmet }
}
