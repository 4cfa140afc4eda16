//! The dialect of a CSV sample: delimiter, quotes, line endings, and whether it has a header.
//!
//! Also how a sample cut mid-record is read (its last record dropped).

use std::collections::HashMap;
use std::io::Read;

use super::types::{Kind, classify, column_kind};
use super::{LineEnding, MAX_ROWS};

/// Candidate delimiters, in tie-breaking order.
pub(crate) const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// Appended to an incomplete sample so that its last record is always the one to drop
/// (see the module docs). Any byte that is neither a candidate delimiter, a quote nor a line
/// terminator works.
const SENTINEL: &[u8] = b"\x01";

/// Parses the sample with every candidate delimiter and keeps the best split (module docs
/// of `csv`), with its records; `None` only if there were no candidates.
pub(super) fn best_split(body: &[u8], complete: bool) -> Option<(Split, Vec<::csv::ByteRecord>)> {
    let mut best: Option<(Split, Vec<::csv::ByteRecord>)> = None;
    for (rank, &delimiter) in DELIMITERS.iter().enumerate() {
        let records = read_records(body, delimiter, complete);
        let split = Split::measure(&records, delimiter, rank);
        if best.as_ref().is_none_or(|(b, _)| split.beats(b)) {
            best = Some((split, records));
        }
    }
    best
}

/// Parses up to [`MAX_ROWS`] records, dropping the last one when the sample is a prefix.
pub(super) fn read_records(body: &[u8], delimiter: u8, complete: bool) -> Vec<::csv::ByteRecord> {
    let tail: &[u8] = if complete { b"" } else { SENTINEL };
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .quoting(true)
        .double_quote(true)
        .from_reader(body.chain(tail));
    let mut records = Vec::new();
    // With byte records and `flexible`, reading from memory cannot fail; stop on an error
    // anyway rather than loop or panic.
    for record in reader.byte_records().take(MAX_ROWS + 1) {
        match record {
            Ok(r) => records.push(r),
            Err(_) => break,
        }
    }
    if records.len() > MAX_ROWS {
        // Stopped early: every kept record is followed by another, so all are complete.
        records.truncate(MAX_ROWS);
    } else if !complete {
        // The last record holds the sentinel: it is the cut one, or the sentinel alone.
        records.pop();
    }
    records
}

/// How well one delimiter splits the sampled records.
#[derive(Debug, Clone, Copy)]
pub(super) struct Split {
    pub(super) delimiter: u8,
    /// Preference among equals: lower is better.
    rank: usize,
    /// The most common field count.
    pub(super) fields: usize,
    /// Records with that count, out of `total`.
    consistent: usize,
    total: usize,
}

impl Split {
    fn measure(records: &[::csv::ByteRecord], delimiter: u8, rank: usize) -> Self {
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for r in records {
            *counts.entry(r.len()).or_default() += 1;
        }
        // Most common count; among equally common counts the wider one.
        let (fields, consistent) = counts
            .into_iter()
            .max_by_key(|&(fields, n)| (n, fields))
            .unwrap_or((0, 0));
        Self {
            delimiter,
            rank,
            fields,
            consistent,
            total: records.len(),
        }
    }

    fn splits(&self) -> bool {
        self.fields > 1
    }

    fn beats(&self, other: &Split) -> bool {
        if self.splits() != other.splits() {
            return self.splits();
        }
        // Compare consistent/total shares exactly by cross-multiplying.
        let mine = self.consistent * other.total.max(1);
        let theirs = other.consistent * self.total.max(1);
        (mine, self.fields, std::cmp::Reverse(self.rank)) > (theirs, other.fields, std::cmp::Reverse(other.rank))
    }
}

/// Identifier-like header cell (module docs, header rule 2).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    s.chars().count() <= 128
        && (first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || " _-.()/#%".contains(c))
}

/// The header rule of the module docs.
pub(super) fn looks_like_header(rows: &[Vec<String>]) -> bool {
    let Some((first, rest)) = rows.split_first() else {
        return false;
    };
    let named: Vec<(usize, &String)> = first.iter().enumerate().filter(|(_, v)| !v.is_empty()).collect();
    if named.is_empty() || named.iter().any(|(_, v)| classify(v) != Some(Kind::String)) {
        return false;
    }
    // Rule 1: a named column whose values are typed.
    let typed = named
        .iter()
        .any(|&(i, _)| column_kind(rest, i).is_some_and(|k| k != Kind::String));
    if typed {
        return true;
    }
    // Rule 2: all strings; decide from the names themselves.
    let mut seen = std::collections::HashSet::new();
    named.iter().all(|&(i, v)| {
        is_identifier(v)
            && seen.insert(v.to_ascii_lowercase())
            && !rest.iter().any(|r| r.get(i).is_some_and(|x| x == v))
    })
}

/// Column names: the header's (trimmed), `column_N` for empty or missing ones.
pub(super) fn column_names(header: Option<&Vec<String>>, width: usize, warnings: &mut Vec<String>) -> Vec<String> {
    let mut names = Vec::with_capacity(width);
    for i in 0..width {
        let name = header.and_then(|h| h.get(i)).map(|s| s.trim()).unwrap_or_default();
        if name.is_empty() {
            if header.is_some() {
                warnings.push(format!(
                    "header name of column {} is empty; named column_{}",
                    i + 1,
                    i + 1
                ));
            }
            names.push(format!("column_{}", i + 1));
        } else {
            names.push(name.to_string());
        }
    }
    // Warehouses commonly fold identifier case, so `Id` and `id` collide there too.
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(&j) = first_seen.get(&name.to_lowercase()) {
            warnings.push(format!(
                "duplicate column name `{name}` (columns {} and {}, compared ignoring case)",
                j + 1,
                i + 1
            ));
        } else {
            first_seen.insert(name.to_lowercase(), i);
        }
    }
    names
}

/// Whether some field starts with `"` (the csv crate only treats a quote at the start of a
/// field as quoting; a `"` elsewhere is a literal character).
pub(super) fn has_quoted_field(body: &[u8], delimiter: u8) -> bool {
    body.iter()
        .enumerate()
        .any(|(i, &b)| b == b'"' && (i == 0 || matches!(body[i - 1], b'\n' | b'\r') || body[i - 1] == delimiter))
}

/// The first record terminator outside quotes; `Lf` for a single unterminated line.
pub(super) fn line_ending(body: &[u8], complete: bool) -> LineEnding {
    let mut in_quotes = false;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => return LineEnding::Lf,
            b'\r' if !in_quotes => {
                return match body.get(i + 1) {
                    Some(b'\n') => LineEnding::CrLf,
                    // A prefix ending right after `\r` most likely cut a `\r\n`.
                    None if !complete => LineEnding::CrLf,
                    _ => LineEnding::Cr,
                };
            }
            _ => {}
        }
    }
    LineEnding::Lf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_drops_exactly_the_cut_record() {
        // Ends on a terminator: the last row is complete, so only the sentinel is dropped.
        assert_eq!(read_records(b"a,b\n1,2\n3,4\n", b',', false).len(), 3);
        // Cut mid-row.
        assert_eq!(read_records(b"a,b\n1,2\n3,", b',', false).len(), 2);
        // Cut inside a quoted field that contains a line break.
        assert_eq!(read_records(b"a,b\n1,2\n3,\"x\ny", b',', false).len(), 2);
        // Whole object without a final newline: the last row is complete.
        assert_eq!(read_records(b"a,b\n1,2\n3,4", b',', true).len(), 3);
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("user_id"));
        assert!(is_identifier("Order ID"));
        assert!(is_identifier("price (USD)"));
        assert!(is_identifier("naïve"));
        assert!(!is_identifier("1st"));
        assert!(!is_identifier("a@b.com"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn line_endings() {
        assert_eq!(line_ending(b"a\nb", true), LineEnding::Lf);
        assert_eq!(line_ending(b"a\r\nb", true), LineEnding::CrLf);
        assert_eq!(line_ending(b"a\rb", true), LineEnding::Cr);
        assert_eq!(line_ending(b"a\r", false), LineEnding::CrLf);
        assert_eq!(line_ending(b"\"x\ny\"\r\nz", true), LineEnding::CrLf);
        assert_eq!(line_ending(b"abc", true), LineEnding::Lf);
    }
}
