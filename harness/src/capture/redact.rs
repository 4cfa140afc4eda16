//! `--redact`: samples a customer can send. Values become synthetic ones of the same
//! type and shape, so that schema inference reads the same columns and types:
//!
//! - CSV (plain or gzipped): the first line (the header, whose names are the schema) is
//!   kept; after it every digit becomes another digit (a leading non-zero digit stays
//!   non-zero), every letter another letter of the same case, other bytes are kept,
//!   so delimiters, quotes, line breaks and lengths stay. Dates (`2025-01-31`) and times
//!   (`12:34:56`) become other valid ones; `true`, `false`, `null`, `NaN` and the like
//!   are kept, since inference reads them as types rather than values (and so are the
//!   single letters `T`, `F` and `Z`, which also shape timestamps). Non-ASCII
//!   characters become `x` bytes of the same length.
//! - Parquet footers: column statistics (min/max values), page index locations and
//!   key-value metadata are dropped; the schema, and the `ARROW:schema` entry that
//!   types it, are kept.
//!
//! The replacement is a keyed hash of the position, so redacting the same sample twice
//! gives the same bytes and nothing of the original value survives.

use std::io::{Read as _, Write as _};

use bytes::Bytes;
use parquet::file::metadata::{
    FileMetaData, KeyValue, ParquetMetaDataBuilder, ParquetMetaDataReader, ParquetMetaDataWriter,
};

use super::samples::{Captured, Sample};

/// Redacts every sample; one that cannot be redacted is dropped (and named in the
/// notes), so its object stays "bytes unknown" rather than leaking.
pub fn redact_all(samples: Vec<Captured>) -> (Vec<Captured>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for c in samples {
        match redact_one(&c) {
            Ok(sample) => out.push(Captured { sample, ..c }),
            Err(why) => notes.push(format!("sample of `{}` left out: it cannot be redacted ({why})", c.key)),
        }
    }
    (out, notes)
}

fn redact_one(c: &Captured) -> Result<Sample, String> {
    let is_parquet = matches!(c.sample, Sample::Tail(_));
    let gz = match &c.sample {
        Sample::Whole(b) | Sample::Head(b) => b.starts_with(&[0x1f, 0x8b]),
        Sample::Tail(_) => false,
    };
    match &c.sample {
        Sample::Tail(b) if is_parquet => parquet_footer(b).map(Sample::Tail),
        Sample::Whole(b) if gz => gzip_csv(b, None).map(Sample::Whole),
        Sample::Head(b) if gz => gzip_csv(b, Some(b.len())).map(Sample::Head),
        Sample::Whole(b) => Ok(Sample::Whole(Bytes::from(csv_text(b)))),
        Sample::Head(b) => Ok(Sample::Head(Bytes::from(csv_text(b)))),
        Sample::Tail(b) => Ok(Sample::Tail(b.clone())),
    }
}

/// A gzipped CSV sample: decompressed as far as it goes, redacted, compressed again
/// without compression (stored blocks) so that the first `keep` bytes still hold at
/// least as much text as the original's did.
fn gzip_csv(bytes: &[u8], keep: Option<usize>) -> Result<Bytes, String> {
    let mut text = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes);
    // A head sample ends mid-stream: keep what decompressed before the cut.
    let mut buf = [0u8; 8192];
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
            Err(_) if keep.is_some() => break,
            Err(e) => return Err(e.to_string()),
        }
    }
    let redacted = csv_text(&text);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    enc.write_all(&redacted).map_err(|e| e.to_string())?;
    let mut out = enc.finish().map_err(|e| e.to_string())?;
    if let Some(keep) = keep {
        out.truncate(keep);
    }
    Ok(Bytes::from(out))
}

/// Keeps the first line, synthesizes the values after it.
pub fn csv_text(bytes: &[u8]) -> Vec<u8> {
    let header_end = bytes.iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| i + 1);
    let mut out = bytes[..header_end].to_vec();
    let body = &bytes[header_end..];
    let mut i = 0;
    while i < body.len() {
        if let Some(n) = date_at(body, i) {
            out.extend_from_slice(&synthetic_date(i));
            i += n;
            continue;
        }
        if let Some(n) = time_at(body, i) {
            out.extend_from_slice(&synthetic_time(i, n));
            i += n;
            continue;
        }
        let b = body[i];
        if b.is_ascii_alphabetic() {
            let end = body[i..]
                .iter()
                .position(|c| !c.is_ascii_alphabetic())
                .map_or(body.len(), |n| i + n);
            let word = &body[i..end];
            if is_type_word(word) {
                out.extend_from_slice(word);
            } else {
                for (j, c) in word.iter().enumerate() {
                    out.push(synthetic_char(*c, i + j, j == 0));
                }
            }
            i = end;
            continue;
        }
        if b.is_ascii_digit() {
            let first = i == 0 || !body[i - 1].is_ascii_digit();
            out.push(synthetic_char(b, i, first));
        } else if b >= 0x80 {
            out.push(b'x');
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// Words inference reads as a type, not a value.
fn is_type_word(word: &[u8]) -> bool {
    // `T` and `Z` also join and end ISO 8601 timestamps (`2025-01-01T10:00:00Z`).
    const WORDS: [&str; 11] = [
        "true", "false", "null", "nan", "inf", "infinity", "none", "na", "t", "f", "z",
    ];
    let lower = word.to_ascii_lowercase();
    WORDS.iter().any(|w| w.as_bytes() == lower.as_slice())
}

fn mix(pos: usize) -> u64 {
    // splitmix64 of the position: a fixed, well-spread replacement per byte.
    let mut z = (pos as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn synthetic_char(c: u8, pos: usize, leading: bool) -> u8 {
    let h = mix(pos);
    if c.is_ascii_digit() {
        // A leading zero stays (padding is shape); a leading non-zero digit stays non-zero.
        if leading && c == b'0' {
            b'0'
        } else if leading {
            b'1' + (h % 9) as u8
        } else {
            b'0' + (h % 10) as u8
        }
    } else if c.is_ascii_lowercase() {
        b'a' + (h % 26) as u8
    } else if c.is_ascii_uppercase() {
        b'A' + (h % 26) as u8
    } else {
        c
    }
}

/// `YYYY-MM-DD` at `i` (not inside a longer digit run): its length.
fn date_at(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 10)?;
    let d = |k: usize| s[k].is_ascii_digit();
    let shape = d(0) && d(1) && d(2) && d(3) && s[4] == b'-' && d(5) && d(6) && s[7] == b'-' && d(8) && d(9);
    let alone = (i == 0 || !b[i - 1].is_ascii_digit()) && b.get(i + 10).is_none_or(|c| !c.is_ascii_digit());
    (shape && alone).then_some(10)
}

/// `HH:MM` or `HH:MM:SS` at `i`: its length.
fn time_at(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 5)?;
    let d = |k: usize| s[k].is_ascii_digit();
    if !(d(0) && d(1) && s[2] == b':' && d(3) && d(4)) || (i > 0 && b[i - 1].is_ascii_digit()) {
        return None;
    }
    let secs = b
        .get(i + 5..i + 8)
        .is_some_and(|t| t[0] == b':' && t[1].is_ascii_digit() && t[2].is_ascii_digit());
    Some(if secs { 8 } else { 5 })
}

fn synthetic_date(pos: usize) -> Vec<u8> {
    let h = mix(pos);
    format!(
        "{:04}-{:02}-{:02}",
        2000 + h % 30,
        1 + (h >> 8) % 12,
        1 + (h >> 16) % 28
    )
    .into_bytes()
}

fn synthetic_time(pos: usize, len: usize) -> Vec<u8> {
    let h = mix(pos);
    let t = format!("{:02}:{:02}:{:02}", h % 24, (h >> 8) % 60, (h >> 16) % 60);
    t.as_bytes()[..len].to_vec()
}

/// A Parquet tail (data pages, footer, its length, `PAR1`) without statistics and
/// key-value metadata other than `ARROW:schema`, and with the data pages before the
/// footer zeroed. The result is as long as the tail (zeros before a shorter footer), so
/// every read the connector makes from the end still lands in captured bytes.
fn parquet_footer(tail: &[u8]) -> Result<Bytes, String> {
    let footer = s3_connector::schema::parquet::footer_len(tail).map_err(|e| format!("not a Parquet footer: {e}"))?;
    let meta_end = tail.len() - 8;
    let Some(meta_start) = meta_end.checked_sub(footer as usize) else {
        return Err("the captured tail is shorter than the footer it announces".to_owned());
    };
    let meta = ParquetMetaDataReader::decode_metadata(&tail[meta_start..meta_end]).map_err(|e| e.to_string())?;
    let fm = meta.file_metadata();
    let kv: Option<Vec<KeyValue>> = fm
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .filter(|k| k.key == "ARROW:schema")
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|kv| !kv.is_empty());
    let file = FileMetaData::new(
        fm.version(),
        fm.num_rows(),
        fm.created_by().map(str::to_owned),
        kv,
        fm.schema_descr_ptr(),
        fm.column_orders().cloned(),
    );
    let mut groups = Vec::new();
    for rg in meta.row_groups() {
        let mut columns = Vec::new();
        for c in rg.columns() {
            let c = c
                .clone()
                .into_builder()
                .clear_statistics()
                .set_column_index_offset(None)
                .set_column_index_length(None)
                .set_offset_index_offset(None)
                .set_offset_index_length(None)
                .build()
                .map_err(|e| e.to_string())?;
            columns.push(c);
        }
        let rg = rg
            .clone()
            .into_builder()
            .set_column_metadata(columns)
            .build()
            .map_err(|e| e.to_string())?;
        groups.push(rg);
    }
    let meta = ParquetMetaDataBuilder::new(file).set_row_groups(groups).build();
    let mut out = Vec::new();
    ParquetMetaDataWriter::new(&mut out, &meta)
        .with_preserve_page_index_locations(false)
        .finish()
        .map_err(|e| e.to_string())?;
    let mut padded = vec![0u8; tail.len().saturating_sub(out.len())];
    padded.extend_from_slice(&out);
    Ok(Bytes::from(padded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_values_change_but_keep_their_shape_and_the_header_stays() {
        let text = b"id,name,day,ok,at\n17,Alice,2025-03-14,true,2025-01-01T10:01:37Z\n\"2,5\",\"O'Neil\",2024-12-31,false,23:59\n";
        let red = csv_text(text);
        assert_eq!(red.len(), text.len());
        let red = String::from_utf8(red).expect("ASCII in, ASCII out");
        let lines: Vec<&str> = red.lines().collect();
        assert_eq!(lines[0], "id,name,day,ok,at");
        assert!(!red.contains("Alice") && !red.contains("2025-03-14") && !red.contains("O'Neil"));
        let row: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(row.len(), 5);
        assert!(row[0].bytes().all(|b| b.is_ascii_digit()) && !row[0].starts_with('0'));
        assert!(
            row[1].starts_with(|c: char| c.is_ascii_uppercase()) && row[1][1..].bytes().all(|b| b.is_ascii_lowercase())
        );
        assert!(time::Date::parse(row[2], time::macros::format_description!("[year]-[month]-[day]")).is_ok());
        assert_eq!(row[3], "true");
        let ts = time::format_description::well_known::Rfc3339;
        assert!(time::OffsetDateTime::parse(row[4], &ts).is_ok(), "{}", row[4]);
        assert_ne!(row[4], "2025-01-01T10:01:37Z");
        assert!(lines[2].starts_with('"') && lines[2].contains("false"));
    }

    #[test]
    fn a_redacted_parquet_footer_has_the_same_schema_and_no_statistics() {
        use arrow_array::{Int64Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as arrow_array::ArrayRef),
            (
                "secret",
                Arc::new(StringArray::from(vec!["alpha", "bravo", "charlie"])) as _,
            ),
        ])
        .expect("batch");
        let mut file = Vec::new();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "owner".to_owned(),
                "alice@example.com".to_owned(),
            )]))
            .build();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut file, batch.schema(), Some(props)).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        // The connector's first read of a small file is all of it: data pages included.
        let tail = &file[..];
        assert!(tail.windows(7).any(|w| w == b"charlie"));
        let red = parquet_footer(tail).expect("redacts");
        assert_eq!(red.len(), tail.len(), "reads from the end still land in the sample");
        assert!(!red.windows(7).any(|w| w == b"charlie") && !red.windows(5).any(|w| w == b"alice"));
        let before = s3_connector::schema::parquet::parse_footer(tail, file.len() as u64).expect("original parses");
        let after = s3_connector::schema::parquet::parse_footer(&red, file.len() as u64).expect("redacted parses");
        assert_eq!(before.columns, after.columns);
        let footer = s3_connector::schema::parquet::footer_len(&red).expect("footer length") as usize;
        let meta =
            ParquetMetaDataReader::decode_metadata(&red[red.len() - 8 - footer..red.len() - 8]).expect("decodes");
        assert!(meta.row_groups()[0].columns().iter().all(|c| c.statistics().is_none()));
    }
}
