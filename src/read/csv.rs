//! CSV files: the body streamed from S3, gunzipped as it comes (every gzip member), split
//! into records by the `csv` crate with the table's dialect, each field parsed as its
//! column's type.
//!
//! Records are split and typed here rather than by a batch CSV decoder so that one bad
//! row is one [`Problem`] at its physical line (a quoted line break counts) while the rows
//! around it are kept; a batch decoder fails the whole batch and numbers records, not lines.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::mpsc;

use super::values::{self, ColumnBuilder};
use super::{Context, Event, Location, Problem};
use crate::diagnostic::Code;
use crate::layout::classify::FileFormat;
use crate::layout::tables::DataFile;
use crate::schema::{CsvSchema, LineEnding};

/// The events of one CSV file; nothing is fetched until the stream is first polled.
pub(super) fn events(ctx: Arc<Context>, file: DataFile) -> BoxStream<'static, Event> {
    stream::once(async move {
        let body = match ctx.s3.get_stream(&ctx.bucket, &file.key).await {
            Ok(body) => body,
            Err(failure) => return stream::iter([Event::Failed(Context::s3_error(&file.key, &failure))]).boxed(),
        };
        let reader = tokio_util::io::SyncIoBridge::new(body.into_async_read());
        // One event in the channel at most: the decoder waits for the consumer.
        let (tx, rx) = mpsc::channel(1);
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || decode(&ctx, &file, reader, &tx, &handle));
        stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }).boxed()
    })
    .flatten()
    .boxed()
}

/// Sends `event`; false once the consumer has gone (the read stopped).
fn send(tx: &mpsc::Sender<Event>, event: Event) -> bool {
    tx.blocking_send(event).is_ok()
}

fn decode(ctx: &Context, file: &DataFile, body: impl Read, tx: &mpsc::Sender<Event>, handle: &tokio::runtime::Handle) {
    let gzipped = file.format == FileFormat::CsvGzip;
    let input: Box<dyn Read> = if gzipped {
        // Concatenated members (`cat a.gz b.gz`, parallel writers) are one file.
        Box::new(flate2::read::MultiGzDecoder::new(body))
    } else {
        Box::new(body)
    };
    let dialect = ctx.csv.as_ref();
    let mut reader = reader_builder(dialect).from_reader(input);
    let has_header = dialect.is_some_and(|d| d.has_header);
    let columns = &ctx.file_columns;
    let problem =
        |line: u64, column: Option<String>, value: Option<String>, reason: String, code: Code, rows: u64| Problem {
            code,
            file: file.key.clone(),
            location: if line == 0 {
                Location::File
            } else {
                Location::Line { line }
            },
            column,
            value,
            reason,
            rows,
        };

    let mut record = csv::ByteRecord::new();
    // Which field of a record feeds each table column (fields of partition columns that
    // the files also hold are dropped: the path's value wins).
    let mut positions: Vec<usize> = (0..columns.len()).collect();
    let mut width = columns.len();
    let mut first = true;
    let mut builders: Vec<ColumnBuilder> = columns.iter().map(|c| ColumnBuilder::new(&c.data_type)).collect();
    let mut rows = 0usize;
    let mut parsed: Vec<Option<values::Value>> = Vec::with_capacity(columns.len());
    let mut drifted: Option<Problem> = None;
    let flush = |builders: &mut Vec<ColumnBuilder>, rows: &mut usize| -> bool {
        if *rows == 0 {
            return true;
        }
        let arrays = builders.iter_mut().map(ColumnBuilder::finish).collect();
        let n = std::mem::take(rows);
        match ctx.finish_batch(file, arrays, n) {
            Ok(batch) => send(tx, Event::Batch(handle.block_on(ctx.hold(batch)))),
            Err(e) => {
                send(tx, Event::Failed(e));
                false
            }
        }
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map_or_else(|| reader.position().line(), csv::Position::line);
                let reason = match e.kind() {
                    csv::ErrorKind::Io(io) if gzipped => format!("the gzip stream cannot be decoded further: {io}"),
                    csv::ErrorKind::Io(io) => format!("the body cannot be read further: {io}"),
                    other => format!("{other:?}"),
                };
                // What was read before the fault is sent; the rest of the file is lost.
                let ok = flush(&mut builders, &mut rows);
                if ok {
                    send(
                        tx,
                        Event::Problem(problem(line, None, None, reason, Code::CorruptFile, 1)),
                    );
                }
                return;
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        if first {
            first = false;
            if has_header {
                match header_positions(&record, columns, &ctx.partition_columns) {
                    Ok((p, w)) => {
                        positions = p;
                        width = w;
                    }
                    Err(reason) => {
                        drifted = Some(problem(0, None, None, reason, Code::SchemaDrift, 0));
                    }
                }
                continue;
            }
        }
        if let Some(d) = drifted.as_mut() {
            d.rows += 1;
            continue;
        }
        // A trailing delimiter adds an empty last field, as inference allowed.
        let fields = if record.len() == width + 1 && record.get(width).is_some_and(<[u8]>::is_empty) {
            width
        } else {
            record.len()
        };
        if fields != width {
            let delimiter = char::from(dialect.map_or(b',', |d| d.delimiter)).to_string();
            let value = record
                .iter()
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(&delimiter);
            let reason = format!("{} fields, the table has {width}", record.len());
            if !send(
                tx,
                Event::Problem(problem(line, None, Some(value), reason, Code::BadRow, 1)),
            ) {
                return;
            }
            continue;
        }
        // Typed fields are parsed first, so a bad one keeps the whole row out; text
        // fields cannot be bad and are copied straight into their builders after.
        parsed.clear();
        let mut bad = None;
        let text = RecordText::new(&record);
        for ((column, &pos), builder) in columns.iter().zip(&positions).zip(&builders) {
            if builder.is_text() {
                parsed.push(None);
                continue;
            }
            let text = text.field(pos);
            match values::parse(&column.data_type, &text) {
                Ok(v) => parsed.push(v),
                Err(reason) => {
                    bad = Some(problem(
                        line,
                        Some(column.name.clone()),
                        Some(text.into_owned()),
                        reason,
                        Code::BadRow,
                        1,
                    ));
                    break;
                }
            }
        }
        if let Some(p) = bad {
            if !send(tx, Event::Problem(p)) {
                return;
            }
            continue;
        }
        for ((b, v), &pos) in builders.iter_mut().zip(parsed.drain(..)).zip(&positions) {
            if b.is_text() {
                b.append_text(&text.field(pos));
            } else {
                b.append(v);
            }
        }
        rows += 1;
        if rows >= ctx.batch_rows && !flush(&mut builders, &mut rows) {
            return;
        }
    }
    match drifted {
        Some(d) => {
            send(tx, Event::Problem(d));
        }
        None => {
            flush(&mut builders, &mut rows);
        }
    }
}

/// A record's fields as text: invalid UTF-8 replaced by U+FFFD, as
/// `String::from_utf8_lossy` does field by field.
///
/// The record's bytes are checked once, not field by field: per-field checks were 8-9% of
/// a CSV import's CPU on short fields. A field of a valid record is valid text whenever it
/// starts and ends on character boundaries, which `str::get` checks.
struct RecordText<'a> {
    record: &'a csv::ByteRecord,
    whole: Option<&'a str>,
}

impl<'a> RecordText<'a> {
    fn new(record: &'a csv::ByteRecord) -> Self {
        Self {
            record,
            whole: std::str::from_utf8(record.as_slice()).ok(),
        }
    }

    fn field(&self, pos: usize) -> Cow<'a, str> {
        let checked = self
            .whole
            .zip(self.record.range(pos))
            .and_then(|(whole, range)| whole.get(range));
        match checked {
            Some(text) => Cow::Borrowed(text),
            None => String::from_utf8_lossy(self.record.get(pos).unwrap_or_default()),
        }
    }
}

/// A record splitter for `dialect` (`None`: comma, `"`, any line ending).
///
/// The quote is the one discovery found; a sample without quoted fields says nothing
/// about the rest of the file, so `"` still quotes there, as inference read its sample.
fn reader_builder(dialect: Option<&CsvSchema>) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .has_headers(false)
        .flexible(true)
        .delimiter(dialect.map_or(b',', |d| d.delimiter))
        .quote(dialect.and_then(|d| d.quote).unwrap_or(b'"'))
        .double_quote(true);
    if dialect.is_some_and(|d| d.line_ending == LineEnding::Cr) {
        builder.terminator(csv::Terminator::Any(b'\r'));
    }
    builder
}

/// For each table column, the header field that holds it, and the header's width; or
/// why the header is not the table's.
fn header_positions(
    header: &csv::ByteRecord,
    columns: &[crate::schema::Column],
    partitions: &[crate::schema::Column],
) -> Result<(Vec<usize>, usize), String> {
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = String::from_utf8_lossy(f);
            let name = if i == 0 {
                name.trim_start_matches('\u{feff}')
            } else {
                &name
            };
            name.trim().to_owned()
        })
        .collect();
    let mut positions = Vec::with_capacity(columns.len());
    let mut next = 0;
    for (i, name) in names.iter().enumerate() {
        if partitions.iter().any(|p| &p.name == name) {
            continue;
        }
        let Some(expected) = columns.get(next) else {
            return Err(format!(
                "the header has column `{name}` beyond the table's {} columns",
                columns.len()
            ));
        };
        // Discovery names an empty header cell itself; any other name must match.
        if !name.is_empty() && name != &expected.name {
            return Err(format!(
                "header column {} is `{name}`, the table's is `{}`",
                i + 1,
                expected.name
            ));
        }
        positions.push(i);
        next += 1;
    }
    if let Some(missing) = columns.get(next) {
        return Err(format!("the header lacks the table's column `{}`", missing.name));
    }
    Ok((positions, names.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn header(fields: &[&str]) -> csv::ByteRecord {
        csv::ByteRecord::from(fields.to_vec())
    }

    fn dialect(delimiter: u8, quote: Option<u8>) -> CsvSchema {
        CsvSchema {
            columns: vec![Column::new("a", "string"), Column::new("b", "string")],
            delimiter,
            quote,
            has_header: false,
            bom: false,
            line_ending: LineEnding::Lf,
            rows_sampled: 1,
        }
    }

    fn split(dialect: &CsvSchema, text: &str) -> Vec<Vec<String>> {
        reader_builder(Some(dialect))
            .from_reader(text.as_bytes())
            .byte_records()
            .map(|r| {
                r.unwrap()
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect()
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn fields_read_as_text_as_from_utf8_lossy_reads_them(
            fields in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..6), 0..6),
        ) {
            // Random bytes split anywhere: fields that end or start inside a character
            // of an otherwise valid record included.
            let record = csv::ByteRecord::from(fields.clone());
            let text = RecordText::new(&record);
            for (pos, raw) in fields.iter().enumerate() {
                proptest::prop_assert_eq!(text.field(pos), String::from_utf8_lossy(raw));
            }
        }
    }

    #[test]
    fn a_character_split_between_fields_is_invalid_in_both() {
        // Together the bytes are "é", valid; apart each is not.
        let record = csv::ByteRecord::from(vec![vec![b'a', 0xC3], vec![0xA9], "ok".into()]);
        let text = RecordText::new(&record);
        assert_eq!(text.field(0), "a\u{FFFD}");
        assert_eq!(text.field(1), "\u{FFFD}");
        assert_eq!(text.field(2), "ok");
    }

    #[test]
    fn the_discovered_quote_character_quotes_fields() {
        let single = dialect(b';', Some(b'\''));
        assert_eq!(
            split(&single, "'x;y';'it''s'\n\"q\";z\n"),
            [vec!["x;y", "it's"], vec!["\"q\"", "z"]]
        );
        // No quoted field in the sample: a later `"` field is still a quoted one.
        let none = dialect(b',', None);
        assert_eq!(split(&none, "a,\"b,c\"\n"), [vec!["a", "b,c"]]);
    }

    #[test]
    fn header_maps_table_columns_and_drops_partition_columns() {
        let columns = [Column::new("id", "int64"), Column::new("name", "string")];
        let partitions = [Column::new("date", "date")];
        assert_eq!(
            header_positions(&header(&["\u{feff}id", "date", " name"]), &columns, &partitions),
            Ok((vec![0, 2], 3))
        );
        let extra = header_positions(&header(&["id", "name", "country"]), &columns, &partitions);
        assert_eq!(
            extra,
            Err("the header has column `country` beyond the table's 2 columns".to_owned())
        );
        let missing = header_positions(&header(&["id"]), &columns, &partitions);
        assert_eq!(missing, Err("the header lacks the table's column `name`".to_owned()));
        let renamed = header_positions(&header(&["id", "full_name"]), &columns, &partitions);
        assert_eq!(
            renamed,
            Err("header column 2 is `full_name`, the table's is `name`".to_owned())
        );
    }
}
