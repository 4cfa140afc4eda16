//! A ListObjectsV2 page written straight into its XML body, byte for byte what s3s
//! serialises for the same output: the same declaration, element order, escaping
//! (`<`, `>`, `&`, `'`, `"` as entities, nothing else), quoted ETags and
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` times
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>).

use s3s::dto::{ListObjectsV2Input, Owner};
use time::OffsetDateTime;

use super::list::encoded;
use crate::sim::store::Object;
use crate::sim::store::listing::{Entry, Page};

/// What a page's answer echoes of its request, besides the entries.
pub(super) struct V2Head<'a> {
    /// The request as decoded.
    pub input: &'a ListObjectsV2Input,
    /// Names URL-encoded (`encoding-type=url`).
    pub encode: bool,
    /// The `MaxKeys` echoed: the request's, or S3's default.
    pub max_keys: i32,
    /// The token of the next page, when the page is truncated.
    pub next_token: Option<&'a str>,
}

/// Bytes a `<Contents>` element takes besides its key, about: the initial capacity.
const CONTENTS_BYTES: usize = 220;

/// The answer body of one page; `owner_of` gives an object's `Owner` element when the
/// request asked for owners.
pub(super) fn v2<'p>(
    head: &V2Head<'_>,
    page: &Page<'p, Object>,
    mut owner_of: impl FnMut(&'p str) -> Option<Owner>,
) -> Vec<u8> {
    let input = head.input;
    let mut w = Writer(Vec::with_capacity(512 + page.entries.len() * CONTENTS_BYTES));
    w.raw(
        r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
    );
    w.text_element("Name", &input.bucket);
    w.text_element("Prefix", &encoded(head.encode, input.prefix.as_deref().unwrap_or("")));
    w.number_element("MaxKeys", i64::from(head.max_keys));
    w.number_element("KeyCount", i64::try_from(page.entries.len()).unwrap_or(i64::MAX));
    if let Some(t) = &input.continuation_token {
        w.text_element("ContinuationToken", t);
    }
    w.text_element("IsTruncated", if page.truncated { "true" } else { "false" });
    if let Some(t) = head.next_token {
        w.text_element("NextContinuationToken", t);
    }
    // s3s writes every object, then every common prefix.
    for e in &page.entries {
        if let Entry::Object(k, o) = e {
            let o: &'p Object = o;
            // Constant runs written whole: a page is 1,000 of these.
            w.raw("<Contents><ETag>\"");
            w.display(o.etag);
            w.raw("\"</ETag><Key>");
            w.name(head.encode, k.as_str());
            w.raw("</Key><LastModified>");
            w.timestamp(o.last_modified());
            w.raw("</LastModified>");
            if let Some(owner) = owner_of(&o.headers().owner) {
                w.raw("<Owner>");
                if let Some(name) = &owner.display_name {
                    w.text_element("DisplayName", name);
                }
                if let Some(id) = &owner.id {
                    w.text_element("ID", id);
                }
                w.raw("</Owner>");
            }
            w.raw("<Size>");
            w.raw(itoa::Buffer::new().format(i64::try_from(o.size).unwrap_or(i64::MAX)));
            w.raw("</Size><StorageClass>STANDARD</StorageClass></Contents>");
        }
    }
    for e in &page.entries {
        if let Entry::CommonPrefix(p) = e {
            w.raw("<CommonPrefixes><Prefix>");
            w.name(head.encode, p);
            w.raw("</Prefix></CommonPrefixes>");
        }
    }
    if let Some(d) = &input.delimiter {
        w.text_element("Delimiter", &encoded(head.encode, d));
    }
    if let Some(e) = &input.encoding_type {
        w.text_element("EncodingType", e.as_str());
    }
    if let Some(s) = &input.start_after {
        w.text_element("StartAfter", &encoded(head.encode, s));
    }
    w.raw("</ListBucketResult>");
    w.0
}

struct Writer(Vec<u8>);

impl Writer {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    /// A value that needs no escaping (an ETag), written without an intermediate string.
    fn display(&mut self, v: impl std::fmt::Display) {
        use std::io::Write as _;
        // Writing into a Vec cannot fail.
        let _ = write!(self.0, "{v}");
    }

    /// A key or prefix, URL-encoded when the request asked, then escaped.
    fn name(&mut self, encode: bool, name: &str) {
        if encode {
            self.escaped(&encoded(true, name));
        } else {
            self.escaped(name);
        }
    }

    fn text_element(&mut self, name: &str, text: &str) {
        self.open(name);
        self.escaped(text);
        self.close(name);
    }

    fn number_element(&mut self, name: &str, n: i64) {
        self.open(name);
        self.raw(itoa::Buffer::new().format(n));
        self.close(name);
    }

    fn open(&mut self, name: &str) {
        self.0.push(b'<');
        self.raw(name);
        self.0.push(b'>');
    }

    fn close(&mut self, name: &str) {
        self.raw("</");
        self.raw(name);
        self.0.push(b'>');
    }

    /// Text content escaped as quick-xml's `escape` does for s3s.
    fn escaped(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut from = 0;
        for (i, b) in bytes.iter().enumerate() {
            let entity: &[u8] = match b {
                b'<' => b"&lt;",
                b'>' => b"&gt;",
                b'&' => b"&amp;",
                b'\'' => b"&apos;",
                b'"' => b"&quot;",
                _ => continue,
            };
            self.0.extend_from_slice(&bytes[from..i]);
            self.0.extend_from_slice(entity);
            from = i + 1;
        }
        self.0.extend_from_slice(&bytes[from..]);
    }

    /// `[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z` of the
    /// time as given (s3s's format for XML times), without a format description.
    fn timestamp(&mut self, t: OffsetDateTime) {
        let year = t.year();
        if !(0..=9999).contains(&year) {
            // Outside four digits the sign and width rules are `time`'s; let it write.
            let format = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            );
            if let Ok(s) = t.format(format) {
                self.raw(&s);
            }
            return;
        }
        let mut buf = *b"0000-00-00T00:00:00.000Z";
        let year = year.unsigned_abs();
        digits(&mut buf[0..4], year);
        digits(&mut buf[5..7], u32::from(u8::from(t.month())));
        digits(&mut buf[8..10], u32::from(t.day()));
        digits(&mut buf[11..13], u32::from(t.hour()));
        digits(&mut buf[14..16], u32::from(t.minute()));
        digits(&mut buf[17..19], u32::from(t.second()));
        digits(&mut buf[20..23], u32::from(t.millisecond()));
        self.0.extend_from_slice(&buf);
    }
}

/// `n` as decimal digits filling `out`, zero-padded on the left.
fn digits(out: &mut [u8], mut n: u32) {
    for d in out.iter_mut().rev() {
        // A digit is below 10: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// s3s's own serialiser, for comparison.
    fn s3s_text(name: &str, text: &str) -> String {
        let mut buf = Vec::new();
        let mut ser = s3s::xml::Serializer::new(&mut buf);
        ser.content(name, text).expect("writes to a Vec");
        String::from_utf8(buf).expect("UTF-8")
    }

    fn s3s_timestamp(t: OffsetDateTime) -> String {
        let mut buf = Vec::new();
        let mut ser = s3s::xml::Serializer::new(&mut buf);
        ser.timestamp(
            "LastModified",
            &s3s::dto::Timestamp::from(t),
            s3s::dto::TimestampFormat::DateTime,
        )
        .expect("writes to a Vec");
        String::from_utf8(buf).expect("UTF-8")
    }

    proptest! {
        #[test]
        fn text_is_escaped_as_s3s_escapes_it(text in "[a-z<>&'\" \t\r\n%é한\u{1}]{0,24}") {
            let mut w = Writer(Vec::new());
            w.text_element("Key", &text);
            prop_assert_eq!(String::from_utf8(w.0).expect("UTF-8"), s3s_text("Key", &text));
        }

        #[test]
        fn times_are_written_as_s3s_writes_them(
            // Years -7537 to 9892: negative years take the fallback, the rest the fast path.
            secs in -300_000_000_000i64..250_000_000_000i64,
            nanos in 0u32..1_000_000_000,
            offset_hours in -12i8..=12,
        ) {
            let t = OffsetDateTime::from_unix_timestamp(secs).expect("in range")
                .replace_nanosecond(nanos).expect("in range")
                .to_offset(time::UtcOffset::from_hms(offset_hours, 0, 0).expect("in range"));
            let mut w = Writer(Vec::new());
            w.raw("<LastModified>");
            w.timestamp(t);
            w.raw("</LastModified>");
            prop_assert_eq!(String::from_utf8(w.0).expect("UTF-8"), s3s_timestamp(t));
        }
    }

    #[test]
    fn numbers_are_plain_decimals() {
        let mut w = Writer(Vec::new());
        w.number_element("Size", -12);
        w.number_element("Size", 0);
        w.number_element("Size", i64::MAX);
        assert_eq!(
            String::from_utf8(w.0).expect("UTF-8"),
            "<Size>-12</Size><Size>0</Size><Size>9223372036854775807</Size>"
        );
    }
}
