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
//!   [`Error::NotText`]: known magics (Parquet `PAR1`, gzip without the gzip flag, ZIP —
//!   an `.xlsx` named `.csv` —, zstd, UTF-16 BOMs), any NUL byte, or more than 1% control
//!   bytes in the first 8 KiB.

mod dialect;
mod encoding;
mod gzip;
mod types;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Column, DataType};
use crate::error::Error;

/// Decompressed bytes used at most, so that a small gzip sample cannot expand without bound
/// (a deflate stream can reach ~1000:1).
pub const MAX_DECOMPRESSED: usize = 1 << 20;

/// Records (header included) used at most for detection and typing.
pub const MAX_ROWS: usize = 10_000;

/// The first bytes of an object, as fetched by the caller.
#[derive(Debug, Clone, Copy)]
pub struct CsvSample<'a> {
    /// The bytes fetched, from the start of the object.
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
    /// `\n` (Unix).
    Lf,
    /// `\r\n` (Windows, RFC 4180).
    CrLf,
    /// A lone `\r` (classic Mac OS).
    Cr,
}

/// What inference found: enough to configure a loader for the object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvSchema {
    /// The columns in file order, named from the header (or `column_N`) and typed.
    pub columns: Vec<Column>,
    /// One of `,`, tab, `;`, `|`.
    pub delimiter: u8,
    /// `Some(b'"')` when at least one field in the sample is quoted.
    pub quote: Option<u8>,
    /// The first record is a header (the module docs say how that is decided).
    pub has_header: bool,
    /// The sample started with a UTF-8 byte order mark (stripped before inference).
    pub bom: bool,
    /// How the first record ends.
    pub line_ending: LineEnding,
    /// Data records (header excluded) the types were inferred from.
    pub rows_sampled: usize,
}

/// Infers the schema of a CSV object from its first bytes.
///
/// Returns the schema and human-readable warnings (duplicate or empty header names, ragged
/// rows, all-null columns, invalid UTF-8, a gzip stream that ends early in a whole object...).
pub fn infer_csv(sample: CsvSample<'_>) -> Result<(CsvSchema, Vec<String>), Error> {
    let mut warnings = Vec::new();

    let (text, complete): (Cow<'_, [u8]>, bool) = if sample.gzipped {
        let (text, complete) = gzip::gunzip(sample.bytes, sample.complete, &mut warnings)?;
        (Cow::Owned(text), complete)
    } else {
        (Cow::Borrowed(sample.bytes), sample.complete)
    };

    let (bom, body) = encoding::strip_bom(&text);
    if body.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
        return Err(Error::EmptyObject);
    }
    encoding::check_text(body, sample.gzipped)?;
    encoding::check_utf8(body, complete, &mut warnings);

    let Some((split, records)) = dialect::best_split(body, complete) else {
        return Err(Error::EmptyObject);
    };
    if records.is_empty() {
        return Err(Error::NoCompleteRow { sample_len: body.len() });
    }
    // A file that no candidate splits is a single column; report the conventional `,`.
    let delimiter = if split.fields > 1 { split.delimiter } else { b',' };

    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| r.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect())
        .collect();

    let has_header = dialect::looks_like_header(&rows);
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

    let names = dialect::column_names(header, width, &mut warnings);
    let columns = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let kind = types::column_kind(data, i);
            if kind.is_none() && !data.is_empty() {
                warnings.push(format!(
                    "column `{name}` has no values in the {} sampled rows; typed as string",
                    data.len()
                ));
            }
            Column::new(name, kind.map_or(DataType::String, types::Kind::data_type))
        })
        .collect();

    let schema = CsvSchema {
        columns,
        delimiter,
        quote: dialect::has_quoted_field(body, delimiter).then_some(b'"'),
        has_header,
        bom,
        line_ending: dialect::line_ending(body, complete),
        rows_sampled: data.len(),
    };
    Ok((schema, warnings))
}
