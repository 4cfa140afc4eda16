//! One CSV field as a typed value: the same rules CSV inference typed the column by, so
//! a value inference would have typed differently is a bad row, never a silent null.

use arrow_array::ArrayRef;
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
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
        DataType::Date => Value::Date(parse_iso_date(text).map(days_since_epoch).ok_or_else(bad)?),
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

/// `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|±HH:MM]`, the shape CSV inference calls a timestamp.
pub(crate) fn timestamp_micros(s: &str) -> Option<i64> {
    let (date, clock, rest) = (s.get(..10)?, s.get(11..19)?, s.get(19..)?);
    let date = parse_iso_date(date)?;
    if !matches!(s.as_bytes().get(10), Some(b'T' | b' ')) {
        return None;
    }
    let clock = Time::parse(clock, format_description!("[hour]:[minute]:[second]")).ok()?;
    let (nanos, rest) = match rest.strip_prefix('.') {
        Some(fraction) => {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=9).contains(&digits) {
                return None;
            }
            let padded = format!("{:0<9}", &fraction[..digits]);
            (padded.parse::<u32>().ok()?, &fraction[digits..])
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
    i64::try_from(at.unix_timestamp_nanos() / 1000).ok()
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
    let mut builder = ColumnBuilder::new(data_type);
    for _ in 0..rows {
        builder.append(parsed.clone());
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn timestamps_apply_their_offset() {
        assert_eq!(timestamp_micros("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(timestamp_micros("1970-01-01 00:00:00.5"), Some(500_000));
        assert_eq!(timestamp_micros("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(timestamp_micros("1970-01-01T00:00:00+24:00"), None);
        assert_eq!(timestamp_micros("1970-01-01T00:00"), None);
        assert_eq!(timestamp_micros("1970-01-01X00:00:00"), None);
    }
}
