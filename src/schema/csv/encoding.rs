//! The sample's bytes before CSV parsing: byte order mark, text or binary, UTF-8 or not.

use crate::error::Error;
use crate::schema::{is_gzip_magic, is_parquet_magic};

/// The UTF-8 byte order mark some Windows tools write first.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes scanned for control characters when deciding whether the sample is text.
const TEXT_PROBE: usize = 8 * 1024;

/// Whether `text` opens with a UTF-8 byte order mark, and the text without it.
pub(super) fn strip_bom(text: &[u8]) -> (bool, &[u8]) {
    match text.strip_prefix(UTF8_BOM) {
        Some(body) => (true, body),
        None => (false, text),
    }
}

/// Rejects content that is not text (the `csv` module docs, "Encoding").
pub(super) fn check_text(body: &[u8], gzipped: bool) -> Result<(), Error> {
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
        return Err(Error::NotText { what: what.to_owned() });
    }
    if let Some(at) = body.iter().position(|&b| b == 0) {
        return Err(Error::NotText {
            what: format!("binary data (NUL byte at offset {at})"),
        });
    }
    let probe = &body[..body.len().min(TEXT_PROBE)];
    // Tab, LF, FF and CR are legitimate in text; other C0 controls and DEL are not.
    let controls = probe
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r')) || b == 0x7F)
        .count();
    if controls * 100 > probe.len() {
        return Err(Error::NotText {
            what: format!(
                "binary data ({controls} control bytes in the first {} bytes)",
                probe.len()
            ),
        });
    }
    Ok(())
}

/// Warns when the sample is not UTF-8; inference goes on over the lossily decoded text.
pub(super) fn check_utf8(body: &[u8], complete: bool, warnings: &mut Vec<String>) {
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
