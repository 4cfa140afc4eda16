//! The type of each CSV value and column, in the connector's vocabulary.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Time, UtcOffset};

use crate::schema::DataType;
use crate::schema::data_type::parse_iso_date;

/// The time of day of a timestamp: `HH:MM:SS`, 24-hour clock.
const CLOCK: &[BorrowedFormatItem<'static>] = format_description!("[hour]:[minute]:[second]");

/// A timestamp's UTC offset: `+HH:MM` or `-HH:MM`.
const OFFSET: &[BorrowedFormatItem<'static>] = format_description!("[offset_hour sign:mandatory]:[offset_minute]");

/// The type of one value, `None` for a null (empty field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Float,
    Bool,
    Date,
    Timestamp,
    String,
}

impl Kind {
    pub(super) fn data_type(self) -> DataType {
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

pub(super) fn classify(value: &str) -> Option<Kind> {
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
pub(super) fn column_kind(rows: &[Vec<String>], index: usize) -> Option<Kind> {
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
}
