//! The dialect of a CSV sample: delimiter, quotes, line endings, and whether it has a header.
//!
//! Also how a sample cut mid-record is read (its last record dropped).

use std::cell::RefCell;
use std::collections::HashMap;

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
///
/// Parsed by `csv_core` as the `csv` crate's reader parses (same quoting, terminators,
/// blank lines and BOM; any field count), but with one parser per delimiter kept by each
/// thread: building one (its DFA) costs more than parsing a small sample, and discovery
/// parses every sampled file with each candidate delimiter.
pub(super) fn read_records(body: &[u8], delimiter: u8, complete: bool) -> Vec<::csv::ByteRecord> {
    let tail: &[u8] = if complete { b"" } else { SENTINEL };
    let records = with_parser(delimiter, |parser| parse_records(parser, [body, tail], MAX_ROWS + 1));
    let mut records = records;
    if records.len() > MAX_ROWS {
        // Stopped early: every kept record is followed by another, so all are complete.
        records.truncate(MAX_ROWS);
    } else if !complete {
        // The last record holds the sentinel: it is the cut one, or the sentinel alone.
        records.pop();
    }
    records
}

/// Runs `f` with this thread's parser for `delimiter`, reset to the start of a file.
fn with_parser<T>(delimiter: u8, f: impl FnOnce(&mut csv_core::Reader) -> T) -> T {
    thread_local! {
        static PARSERS: RefCell<Vec<(u8, csv_core::Reader)>> = const { RefCell::new(Vec::new()) };
    }
    PARSERS.with(|parsers| {
        let mut parsers = parsers.borrow_mut();
        let at = match parsers.iter().position(|(d, _)| *d == delimiter) {
            Some(at) => at,
            None => {
                // The `csv` crate's defaults, which `ReaderBuilder::new()` gave before.
                let parser = csv_core::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .quoting(true)
                    .double_quote(true)
                    .build();
                parsers.push((delimiter, parser));
                parsers.len() - 1
            }
        };
        let parser = &mut parsers[at].1;
        parser.reset();
        f(parser)
    })
}

/// Up to `limit` records of `pieces` read one after another as one input.
fn parse_records(parser: &mut csv_core::Reader, pieces: [&[u8]; 2], limit: usize) -> Vec<::csv::ByteRecord> {
    use csv_core::ReadRecordResult;
    let mut pieces = pieces.into_iter().filter(|p| !p.is_empty());
    let mut input: &[u8] = &[];
    let mut fields = vec![0u8; 1024];
    let mut ends = vec![0usize; 64];
    let (mut out, mut nends) = (0, 0);
    let mut records = Vec::new();
    while records.len() < limit {
        if input.is_empty() {
            // An empty input is the end of the file to the parser: only once every piece is read.
            input = pieces.next().unwrap_or_default();
        }
        let (result, nin, nout, nend) = parser.read_record(input, &mut fields[out..], &mut ends[nends..]);
        input = &input[nin..];
        out += nout;
        nends += nend;
        match result {
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::OutputFull => fields.resize(fields.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record => {
                let mut record = ::csv::ByteRecord::with_capacity(out, nends);
                let mut start = 0;
                for &end in &ends[..nends] {
                    record.push_field(&fields[start..end]);
                    start = end;
                }
                records.push(record);
                (out, nends) = (0, 0);
            }
            ReadRecordResult::End => break,
        }
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
    use std::io::Read as _;

    use proptest::prelude::*;

    use super::*;

    /// What `read_records` read with the `csv` crate's own reader, built anew per call.
    fn csv_crate_records(body: &[u8], delimiter: u8, complete: bool) -> Vec<::csv::ByteRecord> {
        let tail: &[u8] = if complete { b"" } else { SENTINEL };
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .quoting(true)
            .double_quote(true)
            .from_reader(body.chain(tail));
        let mut records: Vec<_> = reader.byte_records().take(MAX_ROWS + 1).map_while(Result::ok).collect();
        if records.len() > MAX_ROWS {
            records.truncate(MAX_ROWS);
        } else if !complete {
            records.pop();
        }
        records
    }

    fn fields(records: &[::csv::ByteRecord]) -> Vec<Vec<Vec<u8>>> {
        records.iter().map(|r| r.iter().map(<[u8]>::to_vec).collect()).collect()
    }

    proptest! {
        /// The reused `csv_core` parser reads what the `csv` crate reads, whichever
        /// delimiters were parsed before on this thread: quotes, doubled quotes, every
        /// terminator, blank lines, a BOM, long fields and many fields.
        #[test]
        fn reused_parser_reads_as_the_csv_crate(
            bodies in prop::collection::vec(
                prop::collection::vec(
                    prop_oneof![
                        8 => prop::sample::select(b"ab1,;|\t\"\r\n ".to_vec()),
                        1 => any::<u8>(),
                    ],
                    0..400,
                ),
                1..4,
            ),
            bom in any::<bool>(),
            long in 0usize..3000,
            complete in any::<bool>(),
        ) {
            for (i, mut body) in bodies.into_iter().enumerate() {
                if bom && i == 0 {
                    body.splice(0..0, *b"\xef\xbb\xbf");
                }
                if i == 1 {
                    body.extend(std::iter::repeat_n(b'x', long));
                    body.extend(std::iter::repeat_n(b',', long / 10));
                }
                for delimiter in DELIMITERS {
                    prop_assert_eq!(
                        fields(&read_records(&body, delimiter, complete)),
                        fields(&csv_crate_records(&body, delimiter, complete))
                    );
                }
            }
        }
    }

    #[test]
    fn stops_after_max_rows() {
        let body = "1\n".repeat(MAX_ROWS * 2);
        assert_eq!(read_records(body.as_bytes(), b',', true).len(), MAX_ROWS);
        assert_eq!(
            fields(&read_records(body.as_bytes(), b',', false)),
            fields(&csv_crate_records(body.as_bytes(), b',', false))
        );
    }

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
