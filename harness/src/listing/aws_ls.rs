//! `aws s3 ls s3://BUCKET/PREFIX --recursive [--summarize]` output.
//!
//! The aws CLI prints one object per line as `DATE TIME SIZE KEY`: the last-modified
//! time in the listing machine's local zone as `YYYY-MM-DD HH:MM:SS`, the size in bytes
//! right-aligned in ten columns (wider for sizes of eleven digits or more), one space,
//! then the key exactly, spaces included. `--summarize` adds a blank line and
//! `Total Objects: N` / `   Total Size: BYTES`.
//!
//! Pitfalls this parser refuses rather than guesses around:
//! - without `--recursive` the CLI prints names relative to the prefix and folders as
//!   `PRE name/` lines, so the keys are not recoverable;
//! - `--human-readable` prints `1.5 MiB` instead of the byte count;
//! - a key containing a line break is split over two lines, which nothing can undo;
//! - `aws s3 ls` with no bucket lists buckets (`DATE TIME NAME`, no size).
//!
//! A file saved with Windows line endings has them removed when every line has one.

use std::path::Path;

use super::{ListedObject, ListingError, Position};

const UNITS: [&str; 7] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"];

struct ObjectLine<'a> {
    line: usize,
    when: &'a str,
    size_text: &'a str,
    /// What follows the size: the key, or for `--human-readable` the unit and the key.
    rest: &'a str,
}

pub(super) fn parse(path: &Path, text: &str) -> Result<Vec<ListedObject>, ListingError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let crlf = uses_crlf(text);
    let mut lines = Vec::new();
    let mut total_objects: Option<(usize, u64)> = None;
    let mut total_size: Option<(usize, &str)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = if crlf {
            raw.strip_suffix('\r').unwrap_or(raw)
        } else {
            raw
        };
        if line.trim().is_empty() {
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(v) = trimmed.strip_prefix("Total Objects: ") {
            let count = v
                .trim()
                .parse::<u64>()
                .map_err(|_| bad(path, n, format!("`Total Objects:` is not a count: `{}`", v.trim())))?;
            total_objects = Some((n, count));
            continue;
        }
        if let Some(v) = trimmed.strip_prefix("Total Size: ") {
            total_size = Some((n, v.trim()));
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("PRE ") {
            return Err(bad(
                path,
                n,
                format!(
                    "`PRE {name}` is a folder line: this is `aws s3 ls` without --recursive, \
                     which prints names relative to the prefix and hides what folders hold; \
                     run `aws s3 ls s3://BUCKET/PREFIX --recursive` instead"
                ),
            ));
        }
        lines.push(object_line(path, n, line)?);
    }

    let human = total_size.is_some_and(|(_, v)| v.parse::<u64>().is_err())
        || lines
            .iter()
            .any(|l| l.size_text.contains('.') && unit_of(l.rest).is_some())
        || (!lines.is_empty() && lines.iter().all(|l| matches!(first_word(l.rest), "Byte" | "Bytes")));
    if human {
        return Err(ListingError::invalid(
            path,
            Position::File,
            "this is `aws s3 ls --human-readable` output: sizes like `1.5 MiB` are rounded \
             and cannot give exact object sizes; run `aws s3 ls s3://BUCKET/PREFIX \
             --recursive` without --human-readable",
        ));
    }

    let mut objects = Vec::with_capacity(lines.len());
    let mut sum: u64 = 0;
    for l in &lines {
        let size = l
            .size_text
            .parse::<u64>()
            .map_err(|_| bad(path, l.line, format!("size `{}` is not a byte count", l.size_text)))?;
        sum = sum.saturating_add(size);
        objects.push(ListedObject {
            key: l.rest.to_owned(),
            size,
            last_modified: Some(l.when.to_owned()),
            etag: None,
            storage_class: None,
        });
    }

    // The summary is the one check a pasted listing carries: a paste cut short (a
    // terminal's scrollback, `head`) no longer adds up.
    if let Some((n, count)) = total_objects
        && count != objects.len() as u64
    {
        return Err(bad(
            path,
            n,
            format!(
                "the summary says {count} objects but {} are listed: the listing is incomplete \
                 or was edited",
                objects.len()
            ),
        ));
    }
    if let Some((n, v)) = total_size {
        let total: u64 = v
            .parse()
            .map_err(|_| bad(path, n, format!("`Total Size:` is not a byte count: `{v}`")))?;
        if total != sum {
            return Err(bad(
                path,
                n,
                format!(
                    "the summary says {total} bytes but the listed sizes add up to {sum}: the \
                     listing is incomplete or was edited"
                ),
            ));
        }
    }
    Ok(objects)
}

/// `YYYY-MM-DD HH:MM:SS SIZE KEY`, the size right-aligned.
fn object_line<'a>(path: &Path, n: usize, line: &'a str) -> Result<ObjectLine<'a>, ListingError> {
    let not_a_line = || {
        let shown: String = line.chars().take(80).collect();
        bad(
            path,
            n,
            format!(
                "not a line of `aws s3 ls --recursive` output (`DATE TIME SIZE KEY`): `{shown}`; \
                 a key containing a line break cannot be listed this way, use `aws s3api \
                 list-objects-v2 --output json`"
            ),
        )
    };
    let (when, after) = match (line.get(..19), line.get(19..)) {
        (Some(when), Some(after)) if is_timestamp(when) => (when, after),
        _ => {
            if let Some(output) = other_cli_output(line) {
                return Err(bad(
                    path,
                    n,
                    format!(
                        "this is `aws s3api ... --output {output}`, which does not keep keys \
                         exact; run it with `--output json`"
                    ),
                ));
            }
            return Err(not_a_line());
        }
    };
    let sized = after.strip_prefix(' ').ok_or_else(not_a_line)?;
    let sized = sized.trim_start_matches(' ');
    let end = sized.find(' ').ok_or_else(|| {
        // `aws s3 ls` without a bucket: `DATE TIME BUCKET-NAME`.
        if sized.bytes().all(|b| b.is_ascii_digit()) {
            not_a_line()
        } else {
            bad(
                path,
                n,
                format!(
                    "`{sized}` has no size: this looks like the bucket list of `aws s3 ls`; \
                     list the bucket's objects with `aws s3 ls s3://BUCKET/PREFIX --recursive`"
                ),
            )
        }
    })?;
    let (size_text, rest) = (&sized[..end], &sized[end + 1..]);
    if size_text.is_empty() || !size_text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(not_a_line());
    }
    if rest.is_empty() {
        return Err(not_a_line());
    }
    Ok(ObjectLine {
        line: n,
        when,
        size_text,
        rest,
    })
}

/// The aws CLI's other output formats, by their first line.
fn other_cli_output(line: &str) -> Option<&'static str> {
    let first = line.split('\t').next().unwrap_or(line);
    if matches!(first, "CONTENTS" | "COMMONPREFIXES") {
        Some("text")
    } else if matches!(
        line.trim_end(),
        "Contents:" | "CommonPrefixes:" | "IsTruncated: true" | "IsTruncated: false"
    ) || line.starts_with("- ETag:")
        || line.starts_with("- Key:")
    {
        Some("yaml")
    } else if line.starts_with("---") || line.starts_with('|') || line.starts_with('+') {
        Some("table")
    } else {
        None
    }
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or("")
}

fn unit_of(rest: &str) -> Option<&str> {
    let w = first_word(rest);
    UNITS.iter().find(|u| **u == w).copied()
}

/// True when every line break is `\r\n` (a file saved on Windows). A lone `\r` before
/// some line breaks only is part of a key and kept.
fn uses_crlf(text: &str) -> bool {
    let mut breaks = 0usize;
    for (i, _) in text.match_indices('\n') {
        if i == 0 || text.as_bytes()[i - 1] != b'\r' {
            return false;
        }
        breaks += 1;
    }
    breaks > 0
}

fn bad(path: &Path, line: usize, what: impl Into<String>) -> ListingError {
    ListingError::invalid(path, Position::Line(line), what)
}
