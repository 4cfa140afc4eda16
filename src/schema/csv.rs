//! CSV schema inference from the first bytes of an object.
//!
//! The caller fetches a prefix of the object with one ranged GET (at most 64 KiB) and hands
//! it here with two facts it knows better than we do: whether the prefix is the whole object
//! and whether the object is gzip-compressed. Everything here is pure: no I/O, bounded
//! memory (decompression is capped at [`MAX_DECOMPRESSED`], rows at [`MAX_ROWS`]) and no
//! panics on arbitrary input (there is a property test for that).
//!
//! Rows are split with the `csv` crate, i.e. RFC 4180 (<https://www.rfc-editor.org/rfc/rfc4180>)
//! with its usual relaxations: `"` quotes fields, `""` inside a quoted field is a literal
//! quote, quoted fields may contain delimiters and line breaks, records end at `\n`, `\r\n`
//! or a lone `\r`, and blank lines are skipped.
//!
//! # Heuristics
//!
//! * **Truncation.** Unless the sample is the whole object, its last record is dropped: it may
//!   have been cut mid-row, or mid-quoted-field, which a plain "cut at the last newline" gets
//!   wrong. (A sentinel byte appended to the sample lands in the last record whether or not
//!   that record was terminated, so dropping the last parsed record is always right.)
//! * **Delimiter.** Each of `,` tab `;` `|` is tried; a candidate's score is the share of
//!   sampled records whose field count equals its most common field count, which must be
//!   greater than one. The best share wins, then the larger field count, then the order
//!   `,` tab `;` `|` (so ties go to `,`). When no candidate splits rows, the file is a
//!   single column and the delimiter is reported as `,`.
//! * **Header.** The first record is a header when none of its non-empty cells looks typed
//!   (number, boolean, date, timestamp) and either
//!   1. some column with a non-empty first cell has a typed (non-string) type in the later
//!      rows (`id,name` over `1,Ada`), or
//!   2. every column is a string column (so types cannot tell), and the first record's
//!      non-empty cells are distinct (ignoring ASCII case), look like identifiers (a letter or
//!      `_` first, then letters, digits, spaces and `_-.()/#%`, at most 128 characters), and
//!      none of them reappears as a value further down its own column (data rows repeat;
//!      a header name in its own column usually means the first row is data).
//!
//!   Without a header the columns are named `column_1`, `column_2`, ...
//! * **Types.** Values are classified as they are, without trimming, because the loader will
//!   parse the same bytes: `int64` (optional sign, digits, fits in i64, no leading zero so
//!   that ZIP codes and zero-padded IDs stay strings), `float64` (decimal with a `.` and/or
//!   exponent; no `NaN`/`inf`), `boolean` (`true`/`false`, any case), `date` (strict
//!   `YYYY-MM-DD`, a real calendar day), `timestamp` (ISO 8601 / RFC 3339
//!   `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|±HH:MM]`), otherwise `string`. Empty fields are
//!   nulls and do not vote. A column mixing `int64` and `float64` is `float64`; any other
//!   mix is `string`; a column with no non-null value is `string` (with a warning).
//! * **Encoding.** A UTF-8 BOM is stripped and reported. Invalid UTF-8 (e.g. Latin-1) is not
//!   an error: it is decoded lossily, with a warning. Binary content is rejected as
//!   [`CsvError::NotText`]: known magics (Parquet `PAR1`, gzip without the gzip flag, ZIP —
//!   an `.xlsx` named `.csv` —, zstd, UTF-16 BOMs), any NUL byte, or more than 1% control
//!   bytes in the first 8 KiB.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{ErrorKind, Read};

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Time, UtcOffset};

use super::data_type::parse_iso_date;
use super::{Column, DataType, is_gzip_magic, is_parquet_magic};

/// Decompressed bytes used at most, so that a small gzip sample cannot expand without bound
/// (a deflate stream can reach ~1000:1).
pub const MAX_DECOMPRESSED: usize = 1 << 20;

/// Records (header included) used at most for detection and typing.
pub const MAX_ROWS: usize = 10_000;

/// Candidate delimiters, in tie-breaking order.
pub const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// Bytes scanned for control characters when deciding whether the sample is text.
const TEXT_PROBE: usize = 8 * 1024;

/// Appended to an incomplete sample so that its last record is always the one to drop
/// (see the module docs). Any byte that is neither a candidate delimiter, a quote nor a line
/// terminator works.
const SENTINEL: &[u8] = b"\x01";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The time of day of a timestamp: `HH:MM:SS`, 24-hour clock.
const CLOCK: &[BorrowedFormatItem<'static>] = format_description!("[hour]:[minute]:[second]");

/// A timestamp's UTC offset: `+HH:MM` or `-HH:MM`.
const OFFSET: &[BorrowedFormatItem<'static>] = format_description!("[offset_hour sign:mandatory]:[offset_minute]");

/// The first bytes of an object, as fetched by the caller.
#[derive(Debug, Clone, Copy)]
pub struct CsvSample<'a> {
    pub bytes: &'a [u8],
    /// `bytes` is the whole object (its size was at most what was fetched). When false, the
    /// last record is assumed to be cut and is dropped.
    pub complete: bool,
    /// The object is gzip-compressed (`.gz`, or `Content-Encoding: gzip`); `bytes` are
    /// compressed.
    pub gzipped: bool,
}

impl<'a> CsvSample<'a> {
    /// A whole, uncompressed object.
    pub fn whole(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            complete: true,
            gzipped: false,
        }
    }

    /// The first bytes of a larger, uncompressed object.
    pub fn prefix(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            complete: false,
            gzipped: false,
        }
    }

    /// The same sample, flagged as gzip-compressed.
    pub fn gzipped(self) -> Self {
        Self { gzipped: true, ..self }
    }
}

/// How records end, as seen on the first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    Lf,
    CrLf,
    /// A lone `\r` (classic Mac OS).
    Cr,
}

/// What inference found: enough to configure a loader for the object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvSchema {
    pub columns: Vec<Column>,
    /// One of [`DELIMITERS`].
    pub delimiter: u8,
    /// `Some(b'"')` when at least one field in the sample is quoted.
    pub quote: Option<u8>,
    pub has_header: bool,
    /// The sample started with a UTF-8 byte order mark (stripped before inference).
    pub bom: bool,
    pub line_ending: LineEnding,
    /// Data records (header excluded) the types were inferred from.
    pub rows_sampled: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("object is flagged as gzip but does not start with the gzip magic 1f 8b")]
    NotGzip,
    #[error("gzip data is corrupt: {0}")]
    CorruptGzip(String),
    #[error("object is empty")]
    Empty,
    #[error("object is not CSV text: {0}")]
    NotText(String),
    #[error("the sample ({0} bytes) ends before the first record does")]
    NoCompleteRow(usize),
}

/// Infers the schema of a CSV object from its first bytes.
///
/// Returns the schema and human-readable warnings (duplicate or empty header names, ragged
/// rows, all-null columns, invalid UTF-8, a gzip stream that ends early in a whole object...).
pub fn infer_csv(sample: CsvSample<'_>) -> Result<(CsvSchema, Vec<String>), CsvError> {
    let mut warnings = Vec::new();

    let (text, complete): (Cow<'_, [u8]>, bool) = if sample.gzipped {
        let (text, complete) = gunzip(sample.bytes, sample.complete, &mut warnings)?;
        (Cow::Owned(text), complete)
    } else {
        (Cow::Borrowed(sample.bytes), sample.complete)
    };

    let bom = text.starts_with(UTF8_BOM);
    let body = if bom { &text[UTF8_BOM.len()..] } else { &text[..] };
    if body.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
        return Err(CsvError::Empty);
    }
    check_text(body, sample.gzipped)?;
    check_utf8(body, complete, &mut warnings);

    // Parse with every candidate delimiter and keep the best split (module docs).
    let mut best: Option<(Split, Vec<::csv::ByteRecord>)> = None;
    for (rank, &delimiter) in DELIMITERS.iter().enumerate() {
        let records = read_records(body, delimiter, complete);
        let split = Split::measure(&records, delimiter, rank);
        if best.as_ref().is_none_or(|(b, _)| split.beats(b)) {
            best = Some((split, records));
        }
    }
    let Some((split, records)) = best else {
        return Err(CsvError::Empty);
    };
    if records.is_empty() {
        return Err(CsvError::NoCompleteRow(body.len()));
    }
    // A file that no candidate splits is a single column; report the conventional `,`.
    let delimiter = if split.fields > 1 { split.delimiter } else { b',' };

    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| r.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect())
        .collect();

    let has_header = looks_like_header(&rows);
    let (header, data) = if has_header {
        (Some(&rows[0]), &rows[1..])
    } else {
        (None, &rows[..])
    };
    // The header decides the width when there is one (a trailing delimiter on data rows then
    // adds no phantom column); otherwise the most common width does.
    let width = header.map_or(split.fields, Vec::len);

    let ragged = data.iter().filter(|r| r.len() != width).count();
    if ragged > 0 {
        warnings.push(format!(
            "{ragged} of {} sampled data rows have a field count other than {width}",
            data.len()
        ));
    }
    if has_header && data.is_empty() {
        warnings.push("the sample holds a header but no data rows; all columns typed as string".to_string());
    }

    let names = column_names(header, width, &mut warnings);
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let kind = column_kind(data, i);
            if kind.is_none() && !data.is_empty() {
                warnings.push(format!(
                    "column `{name}` has no values in the {} sampled rows; typed as string",
                    data.len()
                ));
            }
            Column::new(name, kind.unwrap_or(Kind::String).data_type())
        })
        .collect();

    let schema = CsvSchema {
        columns,
        delimiter,
        quote: has_quoted_field(body, delimiter).then_some(b'"'),
        has_header,
        bom,
        line_ending: line_ending(body, complete),
        rows_sampled: data.len(),
    };
    Ok((schema, warnings))
}

/// Decompresses as much of `bytes` as decodes, up to [`MAX_DECOMPRESSED`].
///
/// Returns the text and whether it is the whole of the object's content. A stream that stops
/// mid-way after producing output is what a ranged GET of a `.gz` object looks like, so it is
/// not an error; only a stream that yields nothing is ([`CsvError::CorruptGzip`]).
fn gunzip(bytes: &[u8], complete: bool, warnings: &mut Vec<String>) -> Result<(Vec<u8>, bool), CsvError> {
    if !is_gzip_magic(bytes) {
        return Err(CsvError::NotGzip);
    }
    let mut out = Vec::new();
    // Multi-member: concatenated gzip members (e.g. from `cat a.gz b.gz`) are one valid
    // stream per RFC 1952 section 2.2.
    let result = MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out);
    let capped = out.len() > MAX_DECOMPRESSED;
    out.truncate(MAX_DECOMPRESSED);
    match result {
        // A clean end is the end of the content only if the compressed bytes were the whole
        // object: a prefix may end exactly at a member boundary.
        Ok(_) => Ok((out, complete && !capped)),
        Err(e) if out.is_empty() => Err(CsvError::CorruptGzip(e.to_string())),
        Err(e) => {
            // `UnexpectedEof` is the stream running out of input: expected for a prefix.
            // Anything else (corrupt deflate data, bad CRC, garbage after a member) or running
            // out in a whole object is worth telling the user about.
            if complete || e.kind() != ErrorKind::UnexpectedEof {
                warnings.push(format!(
                    "gzip stream stops after {} decompressed bytes ({e}); inferring from those",
                    out.len()
                ));
            }
            Ok((out, false))
        }
    }
}

/// Rejects content that is not text (module docs).
fn check_text(body: &[u8], gzipped: bool) -> Result<(), CsvError> {
    let magic = if is_parquet_magic(body) {
        Some("Parquet data (PAR1 magic)")
    } else if is_gzip_magic(body) {
        Some(if gzipped {
            "gzip data inside gzip"
        } else {
            "gzip-compressed data (1f 8b magic) not flagged as gzip"
        })
    } else if body.starts_with(b"PK\x03\x04") {
        Some("a ZIP archive (an Excel .xlsx workbook?)")
    } else if body.starts_with(b"\x28\xB5\x2F\xFD") {
        Some("zstd-compressed data")
    } else if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        Some("UTF-16 text (byte order mark FF FE / FE FF); only UTF-8 is supported")
    } else {
        None
    };
    if let Some(what) = magic {
        return Err(CsvError::NotText(what.to_string()));
    }
    if let Some(at) = body.iter().position(|&b| b == 0) {
        return Err(CsvError::NotText(format!("binary data (NUL byte at offset {at})")));
    }
    let probe = &body[..body.len().min(TEXT_PROBE)];
    // Tab, LF, FF and CR are legitimate in text; other C0 controls and DEL are not.
    let controls = probe
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r')) || b == 0x7F)
        .count();
    if controls * 100 > probe.len() {
        return Err(CsvError::NotText(format!(
            "binary data ({controls} control bytes in the first {} bytes)",
            probe.len()
        )));
    }
    Ok(())
}

fn check_utf8(body: &[u8], complete: bool, warnings: &mut Vec<String>) {
    if let Err(e) = std::str::from_utf8(body) {
        // `error_len() == None` means a multi-byte character cut by the end of the sample,
        // which is expected when the sample is a prefix.
        if e.error_len().is_some() || complete {
            warnings.push(format!(
                "not valid UTF-8 (first bad byte at offset {}); invalid bytes were replaced for inference",
                e.valid_up_to()
            ));
        }
    }
}

/// Parses up to [`MAX_ROWS`] records, dropping the last one when the sample is a prefix.
fn read_records(body: &[u8], delimiter: u8, complete: bool) -> Vec<::csv::ByteRecord> {
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
struct Split {
    delimiter: u8,
    /// Preference among equals: lower is better.
    rank: usize,
    /// The most common field count.
    fields: usize,
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

/// The type of one value, `None` for a null (empty field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
    Date,
    Timestamp,
    String,
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Date => DataType::Date,
            Kind::Timestamp => DataType::Timestamp,
            Kind::String => DataType::String,
        }
    }

    /// The type of a column holding values of both types.
    fn merge(self, other: Kind) -> Kind {
        match (self, other) {
            (a, b) if a == b => a,
            (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
            _ => Kind::String,
        }
    }
}

fn classify(value: &str) -> Option<Kind> {
    let kind = if value.is_empty() {
        return None;
    } else if is_int(value) {
        Kind::Int
    } else if is_float(value) {
        Kind::Float
    } else if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
        Kind::Bool
    } else if parse_iso_date(value).is_some() {
        Kind::Date
    } else if is_timestamp(value) {
        Kind::Timestamp
    } else {
        Kind::String
    };
    Some(kind)
}

/// The type of column `index` over `rows`; `None` when every value is null or missing.
fn column_kind(rows: &[Vec<String>], index: usize) -> Option<Kind> {
    let mut kind: Option<Kind> = None;
    for value in rows.iter().filter_map(|r| r.get(index)) {
        if let Some(k) = classify(value) {
            let merged = kind.map_or(k, |prev| prev.merge(k));
            kind = Some(merged);
            if merged == Kind::String {
                break; // nothing widens a string
            }
        }
    }
    kind
}

fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'))
        && s.parse::<i64>().is_ok()
}

/// `[+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?` with a `.` or an exponent (else it is an integer, or
/// an integer too large for i64, which stays a string rather than lose digits).
fn is_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(0);
    let mut i = int;
    let mut frac = 0;
    let dot = b.get(i) == Some(&b'.');
    if dot {
        i += 1;
        frac = digits(i);
        i += frac;
    }
    if int + frac == 0 {
        return false;
    }
    let exp = matches!(b.get(i), Some(b'e' | b'E'));
    if exp {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let e = digits(i);
        if e == 0 {
            return false;
        }
        i += e;
    }
    i == b.len() && (dot || exp) && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|±HH:MM]` (ISO 8601 extended format; RFC 3339 section 5.6
/// plus the space separator and the optional offset that SQL exports use): the date as
/// [`parse_iso_date`] reads it, a 24-hour clock time with seconds (no leap second), one to
/// nine fraction digits, and an offset of at most 23:59.
fn is_timestamp(s: &str) -> bool {
    let (Some(date), Some(clock), Some(rest)) = (s.get(..10), s.get(11..19), s.get(19..)) else {
        return false;
    };
    if parse_iso_date(date).is_none() || !matches!(s.as_bytes()[10], b'T' | b' ') || Time::parse(clock, CLOCK).is_err()
    {
        return false;
    }
    let rest = match rest.strip_prefix('.') {
        Some(fraction) => {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=9).contains(&digits) {
                return false;
            }
            &fraction[digits..]
        }
        None => rest,
    };
    // `time` accepts offsets up to ±25:59 (what UTC offsets can be); ISO 8601's hour stops at 23.
    rest.is_empty() || rest == "Z" || UtcOffset::parse(rest, OFFSET).is_ok_and(|o| o.whole_hours().unsigned_abs() <= 23)
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
fn looks_like_header(rows: &[Vec<String>]) -> bool {
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
fn column_names(header: Option<&Vec<String>>, width: usize, warnings: &mut Vec<String>) -> Vec<String> {
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
fn has_quoted_field(body: &[u8], delimiter: u8) -> bool {
    body.iter()
        .enumerate()
        .any(|(i, &b)| b == b'"' && (i == 0 || matches!(body[i - 1], b'\n' | b'\r') || body[i - 1] == delimiter))
}

/// The first record terminator outside quotes; `Lf` for a single unterminated line.
fn line_ending(body: &[u8], complete: bool) -> LineEnding {
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
    fn classify_values() {
        let cases: &[(&str, Option<Kind>)] = &[
            ("", None),
            ("0", Some(Kind::Int)),
            ("-42", Some(Kind::Int)),
            ("+7", Some(Kind::Int)),
            ("007", Some(Kind::String)),
            ("9223372036854775807", Some(Kind::Int)),
            ("9223372036854775808", Some(Kind::String)),
            ("1.5", Some(Kind::Float)),
            ("-.5", Some(Kind::Float)),
            ("5.", Some(Kind::Float)),
            ("1e10", Some(Kind::Float)),
            ("2.5E-3", Some(Kind::Float)),
            ("1e", Some(Kind::String)),
            (".", Some(Kind::String)),
            ("NaN", Some(Kind::String)),
            ("inf", Some(Kind::String)),
            ("1e999", Some(Kind::String)),
            (" 42", Some(Kind::String)),
            ("1,5", Some(Kind::String)),
            ("TRUE", Some(Kind::Bool)),
            ("false", Some(Kind::Bool)),
            ("yes", Some(Kind::String)),
            ("2024-02-29", Some(Kind::Date)),
            ("2023-02-29", Some(Kind::String)),
            ("2024-13-01", Some(Kind::String)),
            ("2024-1-01", Some(Kind::String)),
            ("0000-01-01", Some(Kind::String)),
            ("2024-01-01T10:00:00", Some(Kind::Timestamp)),
            ("2024-01-01 10:00:00", Some(Kind::Timestamp)),
            ("2024-01-01T10:00:00Z", Some(Kind::Timestamp)),
            ("2024-01-01T10:00:00.123456+05:30", Some(Kind::Timestamp)),
            ("2024-01-01T10:00:00.123456789-08:00", Some(Kind::Timestamp)),
            ("2024-01-01T10:00:00.1234567890", Some(Kind::String)),
            ("2024-01-01T10:00:00.", Some(Kind::String)),
            ("2024-01-01T24:00:00", Some(Kind::String)),
            ("2024-01-01T10:60:00", Some(Kind::String)),
            ("2024-01-01T10:00", Some(Kind::String)),
            ("2024-01-01T10:00:00+0530", Some(Kind::String)),
            ("2024-01-01T10:00:00z", Some(Kind::String)),
            ("2024-01-01X10:00:00", Some(Kind::String)),
            ("2024-01-01T10:00:60", Some(Kind::String)),
            ("2024-01-01T10:00:00+23:59", Some(Kind::Timestamp)),
            ("2024-01-01T10:00:00+24:00", Some(Kind::String)),
            ("2024-01-01T10:00:00-05:60", Some(Kind::String)),
            ("2024-02-30 10:00:00", Some(Kind::String)),
            ("0000-01-01T10:00:00", Some(Kind::String)),
            ("+2024-01-01", Some(Kind::String)),
            ("hello", Some(Kind::String)),
        ];
        for (value, kind) in cases {
            assert_eq!(classify(value), *kind, "{value:?}");
        }
    }

    #[test]
    fn merge_rules() {
        assert_eq!(Kind::Int.merge(Kind::Float), Kind::Float);
        assert_eq!(Kind::Float.merge(Kind::Int), Kind::Float);
        assert_eq!(Kind::Date.merge(Kind::Timestamp), Kind::String);
        assert_eq!(Kind::Bool.merge(Kind::Int), Kind::String);
        assert_eq!(Kind::Date.merge(Kind::Date), Kind::Date);
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
