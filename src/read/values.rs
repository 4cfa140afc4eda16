//! One CSV field as a typed value: the same rules CSV inference typed the column by, so
//! a value inference would have typed differently is a bad row, never a silent null.

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType as ArrowType, TimeUnit};
use std::sync::Arc;
use time::macros::format_description;
use time::{PrimitiveDateTime, Time, UtcOffset};

use crate::schema::DataType;
use crate::schema::data_type::parse_iso_date;

/// The Arrow type a column of `data_type` is read as. Only the named types come from CSV
/// inference and partition typing; anything else is read as text.
pub(crate) fn arrow_type(data_type: &DataType) -> ArrowType {
    match data_type {
        DataType::Int64 => ArrowType::Int64,
        DataType::Float64 => ArrowType::Float64,
        DataType::Boolean => ArrowType::Boolean,
        DataType::Date => ArrowType::Date32,
        // Offsets are applied (the instant is kept, in UTC); a value without one is read
        // as written.
        DataType::Timestamp => ArrowType::Timestamp(TimeUnit::Microsecond, None),
        _ => ArrowType::Utf8,
    }
}

/// A parsed, non-null value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01T00:00:00.
    Timestamp(i64),
    Text(String),
}

/// Days from 0000-03-01-based Julian day numbering to the Unix epoch.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

/// `text` read as `data_type`; `Ok(None)` for an empty field (a null, as inference took it).
pub(crate) fn parse(data_type: &DataType, text: &str) -> Result<Option<Value>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || format!("not {} {data_type}", article(data_type));
    let value = match data_type {
        DataType::Int64 => Value::Int(text.parse().map_err(|_| bad())?),
        DataType::Float64 => {
            let f: f64 = text.parse().map_err(|_| bad())?;
            if !f.is_finite() {
                return Err(bad());
            }
            Value::Float(f)
        }
        DataType::Boolean => {
            if text.eq_ignore_ascii_case("true") {
                Value::Bool(true)
            } else if text.eq_ignore_ascii_case("false") {
                Value::Bool(false)
            } else {
                return Err(bad());
            }
        }
        DataType::Date => Value::Date(iso_date(text).map(days_since_epoch).ok_or_else(bad)?),
        DataType::Timestamp => Value::Timestamp(timestamp_micros(text).ok_or_else(bad)?),
        _ => Value::Text(text.to_owned()),
    };
    Ok(Some(value))
}

fn article(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int64 => "an",
        _ => "a",
    }
}

fn days_since_epoch(date: time::Date) -> i32 {
    date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY
}

/// Two ASCII digits as a number.
fn two_digits(b: &[u8]) -> Option<u8> {
    match b {
        [t @ b'0'..=b'9', u @ b'0'..=b'9'] => Some((t - b'0') * 10 + (u - b'0')),
        _ => None,
    }
}

/// `YYYY-MM-DD` read without a format description (the reader meets one per row); any
/// other shape goes to inference's own parser, so both accept exactly the same dates.
fn iso_date(text: &str) -> Option<time::Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !b[..4].iter().all(u8::is_ascii_digit) {
        return parse_iso_date(text);
    }
    let year = b[..4].iter().fold(0i32, |y, d| y * 10 + i32::from(d - b'0'));
    let month = time::Month::try_from(two_digits(&b[5..7])?).ok()?;
    let date = time::Date::from_calendar_date(year, month, two_digits(&b[8..10])?).ok()?;
    (year >= 1).then_some(date)
}

/// `HH:MM:SS` with each field in range.
fn clock(b: &[u8]) -> Option<Time> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Time::from_hms(two_digits(&b[..2])?, two_digits(&b[3..5])?, two_digits(&b[6..8])?).ok()
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|±HH:MM]`, the shape CSV inference calls a timestamp.
pub(crate) fn timestamp_micros(s: &str) -> Option<i64> {
    let (date, clock_text, rest) = (s.get(..10)?, s.get(11..19)?, s.get(19..)?);
    let date = iso_date(date)?;
    if !matches!(s.as_bytes().get(10), Some(b'T' | b' ')) {
        return None;
    }
    let clock = clock(clock_text.as_bytes())?;
    let (nanos, rest) = match rest.strip_prefix('.') {
        Some(fraction) => {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=9).contains(&digits) {
                return None;
            }
            let value: u32 = fraction[..digits].parse().ok()?;
            (value * 10u32.pow(9 - digits as u32), &fraction[digits..])
        }
        None => (0, rest),
    };
    let offset = match rest {
        "" | "Z" => UtcOffset::UTC,
        other => UtcOffset::parse(
            other,
            format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
        )
        .ok()
        .filter(|o| o.whole_hours().unsigned_abs() <= 23)?,
    };
    let at = PrimitiveDateTime::new(date, clock.replace_nanosecond(nanos).ok()?).assume_offset(offset);
    // In i64 while the nanoseconds fit (years 1678 to 2262): 128-bit division was a
    // visible share of a CSV read. Both truncate toward zero.
    match at
        .unix_timestamp()
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(i64::from(nanos)))
    {
        Some(n) => Some(n / 1000),
        None => i64::try_from(at.unix_timestamp_nanos() / 1000).ok(),
    }
}

/// A column being built, one row at a time.
pub(crate) enum ColumnBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Text(StringBuilder),
}

impl ColumnBuilder {
    pub(crate) fn new(data_type: &DataType) -> Self {
        match data_type {
            DataType::Int64 => Self::Int(Int64Builder::new()),
            DataType::Float64 => Self::Float(Float64Builder::new()),
            DataType::Boolean => Self::Bool(BooleanBuilder::new()),
            DataType::Date => Self::Date(Date32Builder::new()),
            DataType::Timestamp => Self::Timestamp(TimestampMicrosecondBuilder::new()),
            _ => Self::Text(StringBuilder::new()),
        }
    }

    /// Appends `value` (parsed for this builder's type) or a null.
    pub(crate) fn append(&mut self, value: Option<Value>) {
        match (self, value) {
            (Self::Int(b), Some(Value::Int(v))) => b.append_value(v),
            (Self::Float(b), Some(Value::Float(v))) => b.append_value(v),
            (Self::Bool(b), Some(Value::Bool(v))) => b.append_value(v),
            (Self::Date(b), Some(Value::Date(v))) => b.append_value(v),
            (Self::Timestamp(b), Some(Value::Timestamp(v))) => b.append_value(v),
            (Self::Text(b), Some(Value::Text(v))) => b.append_value(v),
            (Self::Int(b), _) => b.append_null(),
            (Self::Float(b), _) => b.append_null(),
            (Self::Bool(b), _) => b.append_null(),
            (Self::Date(b), _) => b.append_null(),
            (Self::Timestamp(b), _) => b.append_null(),
            (Self::Text(b), _) => b.append_null(),
        }
    }

    /// Whether the column is text, which any field is: [`Self::append_text`] takes it as is.
    pub(crate) fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Appends a text field (empty: a null, as [`parse`] reads it) without copying it first.
    pub(crate) fn append_text(&mut self, text: &str) {
        if let Self::Text(b) = self {
            if text.is_empty() {
                b.append_null();
            } else {
                b.append_value(text);
            }
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Int(b) => Arc::new(b.finish()),
            Self::Float(b) => Arc::new(b.finish()),
            Self::Bool(b) => Arc::new(b.finish()),
            Self::Date(b) => Arc::new(b.finish()),
            Self::Timestamp(b) => Arc::new(b.finish()),
            Self::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// A column of `rows` copies of one partition value (`None`: null).
pub(crate) fn constant(data_type: &DataType, value: Option<&str>, rows: usize) -> Result<ArrayRef, String> {
    let parsed = match value {
        Some(v) => parse(data_type, v)?,
        None => None,
    };
    // Built whole rather than row by row: every batch of a partitioned table has one.
    let array: ArrayRef = match parsed {
        None => arrow_array::new_null_array(&arrow_type(data_type), rows),
        Some(Value::Int(v)) => Arc::new(Int64Array::from_value(v, rows)),
        Some(Value::Float(v)) => Arc::new(Float64Array::from_value(v, rows)),
        Some(Value::Bool(v)) => Arc::new(BooleanArray::from(vec![v; rows])),
        Some(Value::Date(v)) => Arc::new(Date32Array::from_value(v, rows)),
        Some(Value::Timestamp(v)) => Arc::new(TimestampMicrosecondArray::from_value(v, rows)),
        Some(Value::Text(v)) => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v.as_str(), rows))),
    };
    Ok(array)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_column_is_the_value_appended_rows_times() {
        let cases = [
            (DataType::Int64, Some("-7")),
            (DataType::Float64, Some("2.5")),
            (DataType::Boolean, Some("true")),
            (DataType::Boolean, Some("false")),
            (DataType::Date, Some("2025-01-31")),
            (DataType::Timestamp, Some("2025-01-31 10:00:00")),
            (DataType::String, Some("eu-west-1")),
            (DataType::Int64, None),
            (DataType::String, None),
        ];
        for (data_type, value) in cases {
            for rows in [0, 1, 3] {
                let mut builder = ColumnBuilder::new(&data_type);
                let parsed = value.map(|v| parse(&data_type, v).unwrap()).unwrap_or(None);
                for _ in 0..rows {
                    builder.append(parsed.clone());
                }
                let want = builder.finish();
                let got = constant(&data_type, value, rows).unwrap();
                assert_eq!(got.as_ref(), want.as_ref(), "{data_type} {value:?} x{rows}");
            }
        }
        assert!(constant(&DataType::Int64, Some("x"), 2).is_err());
    }

    #[test]
    fn values_parse_as_inference_typed_them() {
        assert_eq!(parse(&DataType::Int64, "-42"), Ok(Some(Value::Int(-42))));
        assert_eq!(parse(&DataType::Int64, ""), Ok(None));
        assert_eq!(parse(&DataType::Int64, "4.2"), Err("not an int64".to_owned()));
        assert_eq!(parse(&DataType::Float64, "1e3"), Ok(Some(Value::Float(1000.0))));
        assert!(parse(&DataType::Float64, "inf").is_err());
        assert_eq!(parse(&DataType::Boolean, "TRUE"), Ok(Some(Value::Bool(true))));
        assert!(parse(&DataType::Boolean, "yes").is_err());
        assert_eq!(parse(&DataType::Date, "1970-01-02"), Ok(Some(Value::Date(1))));
        assert_eq!(parse(&DataType::Date, "2023-02-29"), Err("not a date".to_owned()));
        assert_eq!(parse(&DataType::String, "x"), Ok(Some(Value::Text("x".into()))));
    }

    #[test]
    fn the_fast_date_and_clock_readers_agree_with_inference() {
        for text in [
            "2025-01-31",
            "2024-02-29",
            "2023-02-29",
            "0000-01-01",
            "0001-01-01",
            "2025-00-10",
            "2025-13-01",
            "2025-1-01",
            "+2025-01-01",
            "2025-01-3x",
            "9999-12-31",
        ] {
            assert_eq!(iso_date(text), parse_iso_date(text), "{text}");
        }
        for text in [
            "00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1:00:00", "12-00-00",
        ] {
            let slow = Time::parse(text, format_description!("[hour]:[minute]:[second]")).ok();
            assert_eq!(clock(text.as_bytes()), slow, "{text}");
        }
        assert_eq!(timestamp_micros("1970-01-01T00:00:00.000001Z"), Some(1));
        assert_eq!(timestamp_micros("1970-01-01T00:00:00.123456789Z"), Some(123_456));
    }

    #[test]
    fn timestamps_apply_their_offset() {
        assert_eq!(timestamp_micros("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(timestamp_micros("1970-01-01 00:00:00.5"), Some(500_000));
        assert_eq!(timestamp_micros("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(timestamp_micros("1970-01-01T00:00:00+24:00"), None);
        assert_eq!(timestamp_micros("1970-01-01T00:00"), None);
        assert_eq!(timestamp_micros("1970-01-01X00:00:00"), None);
        // Before the epoch with a fraction: truncated toward zero, as 1.5 us before is -1.
        assert_eq!(timestamp_micros("1969-12-31T23:59:59.9999985Z"), Some(-1));
        // Past 2262 the nanoseconds overflow i64; the microseconds do not.
        assert_eq!(timestamp_micros("9999-12-31T23:59:59Z"), Some(253_402_300_799_000_000));
    }

    proptest::proptest! {
        /// The i64 path gives what 128-bit nanoseconds give, on either side of the epoch
        /// and past i64 nanoseconds.
        #[test]
        fn timestamps_equal_their_128_bit_reading(
            year in 1i32..=9999, month in 1u8..=12, day in 1u8..=28,
            hour in 0u8..24, minute in 0u8..60, second in 0u8..60,
            nanos in 0u32..1_000_000_000, offset_minutes in -(23i32 * 60)..=23 * 60,
        ) {
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let text = format!(
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{nanos:09}{sign}{:02}:{:02}",
                offset_minutes.unsigned_abs() / 60,
                offset_minutes.unsigned_abs() % 60
            );
            let date = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), day).unwrap();
            let clock = Time::from_hms_nano(hour, minute, second, nanos).unwrap();
            let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
            let at = PrimitiveDateTime::new(date, clock).assume_offset(offset);
            let want = i64::try_from(at.unix_timestamp_nanos() / 1000).ok();
            proptest::prop_assert_eq!(timestamp_micros(&text), want, "{}", text);
        }
    }
}
