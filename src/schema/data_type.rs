//! `DataType`: the connector's column types, named as reports show them.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// The type of a column, in the connector's vocabulary.
///
/// CSV inference and partition typing produce only the named variants. A Parquet column of
/// any other Arrow type keeps Arrow's own name, lower-cased, as [`DataType::Other`]
/// (`int32`, `decimal128(10, 2)`, `list(...)`), so nothing the footer says is lost.
///
/// The serde form and `Display` are the name alone (`"int64"`), the strings reports, JSON
/// output and saved catalogs carry; converting a name back (`From<&str>`, `FromStr`) never
/// fails, since an unknown name is an [`DataType::Other`].
///
/// ```
/// use s3_connector::schema::DataType;
///
/// assert_eq!(DataType::Int64.to_string(), "int64");
/// assert_eq!(DataType::from("date"), DataType::Date);
/// assert_eq!(DataType::from("decimal128(10, 2)"), DataType::Other("decimal128(10, 2)".into()));
/// assert_eq!(serde_json::to_string(&DataType::Timestamp).unwrap(), r#""timestamp""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum DataType {
    /// `int64`: whole numbers that fit in 64 signed bits.
    Int64,
    /// `float64`: decimal or exponent notation, double precision.
    Float64,
    /// `boolean`: `true` / `false`.
    Boolean,
    /// `date`: a calendar day, no time of day.
    Date,
    /// `timestamp`: a date and a time of day; unit and time zone are not kept.
    Timestamp,
    /// `string`: text, and the type of any column no other type fits.
    String,
    /// Another Arrow type of a Parquet column, by Arrow's lower-cased name. Never one of the
    /// names above: the conversions from a name map those to their own variant.
    Other(String),
}

impl DataType {
    /// The type's name, as reports and JSON show it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Int64 => "int64",
            Self::Float64 => "float64",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Timestamp => "timestamp",
            Self::String => "string",
            Self::Other(name) => name,
        }
    }

    /// The named variant spelled `name`, if there is one.
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "int64" => Self::Int64,
            "float64" => Self::Float64,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "timestamp" => Self::Timestamp,
            "string" => Self::String,
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for DataType {
    fn from(name: &str) -> Self {
        Self::named(name).unwrap_or_else(|| Self::Other(name.to_owned()))
    }
}

impl From<String> for DataType {
    fn from(name: String) -> Self {
        Self::named(&name).unwrap_or(Self::Other(name))
    }
}

impl From<DataType> for String {
    fn from(data_type: DataType) -> Self {
        match data_type {
            DataType::Other(name) => name,
            named => named.as_str().to_owned(),
        }
    }
}

impl FromStr for DataType {
    type Err = Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(name))
    }
}

/// The text of a [`DataType::Date`] value: ISO 8601's calendar date, `YYYY-MM-DD`.
const ISO_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Reads `text` as a strict ISO 8601 calendar date, `YYYY-MM-DD`: a real day of the
/// proleptic Gregorian calendar (`2024-02-29` yes, `2023-02-29` no), year 0001 to 9999,
/// exactly two digits of month and day, nothing before or after.
///
/// This is what both CSV inference and partition typing call a `date`, so that a value
/// typed `date` is the exact text a date prints as.
pub(crate) fn parse_iso_date(text: &str) -> Option<time::Date> {
    // `[year]` also reads a signed year (`+2024`, `-0001`) and year 0, which a plain ISO date
    // has neither of; unsigned, it takes exactly four ASCII digits.
    if !text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    time::Date::parse(text, ISO_DATE).ok().filter(|d| d.year() >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for ty in [
            DataType::Int64,
            DataType::Float64,
            DataType::Boolean,
            DataType::Date,
            DataType::Timestamp,
            DataType::String,
            DataType::Other("int32".to_owned()),
        ] {
            let name = ty.to_string();
            assert_eq!(DataType::from(name.as_str()), ty);
            assert_eq!(DataType::from(name.clone()), ty);
            assert_eq!(String::from(ty.clone()), name);
            let json = serde_json::to_string(&ty).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<DataType>(&json).unwrap(), ty);
        }
    }

    #[test]
    fn iso_dates_are_strict() {
        for ok in ["2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "0024-07-04"] {
            assert!(parse_iso_date(ok).is_some(), "{ok}");
        }
        for no in [
            "2023-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "0000-01-01",
            "+2024-01-05",
            "-2024-01-05",
            "+024-01-05",
            "2024-1-05",
            "2024-01-5",
            "24-01-05",
            "2024/01/05",
            "20240105",
            "2024-01-05T00:00",
            "2024-01-05 ",
            " 2024-01-05",
            "２０２４-01-05",
            "",
        ] {
            assert!(parse_iso_date(no).is_none(), "{no}");
        }
    }

    #[test]
    fn known_names_never_become_other() {
        assert_eq!(DataType::from("string".to_owned()), DataType::String);
        assert_eq!("float64".parse::<DataType>(), Ok(DataType::Float64));
        assert_eq!(DataType::from("Int64"), DataType::Other("Int64".to_owned()));
    }
}
