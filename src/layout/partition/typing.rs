//! Partition column types, inferred over every value a table's directories hold, and values
//! of one column that are probably the same.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::schema::DataType;
use crate::schema::data_type::parse_iso_date;

use super::segment::PartitionValue;

/// Infers one partition column's type from **all** its values in the table (not a sample).
///
/// The rule behind every case: a type is chosen only if each value is the exact text that
/// type would print back, so typing never changes what the directory said.
///
/// - `int64`: a canonical decimal `i64`: `0`, `42`, `-5`. Not `007` (zip codes), `+5`, `-0`,
///   ` 5`, or anything out of range.
/// - `date`: strict ISO `YYYY-MM-DD`, a real Gregorian calendar date, year 0001-9999
///   (`2024-02-29` yes; `2023-02-29`, `2024-1-5`, `2024-01-05T00:00` no).
/// - `string`: anything else, any mix of the two (`2024` and `2024-01-01`), or no typed
///   value at all.
///
/// Nulls are ignored, and so are empty values (`k=`), which become null once typed; a column
/// whose every value is null (`__HIVE_DEFAULT_PARTITION__`) is a `string` column of nulls
/// (pyarrow fails on it, Spark types it `void`). Raw values (not UTF-8) are strings.
/// Booleans and floats are not inferred: the partition decisions (`docs/partitions.md`) name
/// neither, and float text rarely survives a round trip (`1.10`).
pub fn infer_partition_type<'a>(values: impl IntoIterator<Item = &'a PartitionValue>) -> DataType {
    let mut seen: Option<DataType> = None;
    for value in values {
        let ty = match value {
            PartitionValue::Null => continue,
            PartitionValue::Value(s) if s.is_empty() => continue,
            PartitionValue::Value(s) if is_canonical_i64(s) => DataType::Int64,
            PartitionValue::Value(s) if parse_iso_date(s).is_some() => DataType::Date,
            PartitionValue::Value(_) | PartitionValue::Raw(_) => return DataType::String,
        };
        match &seen {
            Some(prev) if *prev != ty => return DataType::String,
            _ => seen = Some(ty),
        }
    }
    seen.unwrap_or(DataType::String)
}

/// Two distinct values of one partition column that are probably the same, if any: `("01",
/// "1")`, `("2025-01-05", "2025-1-5")`. Two writers disagree, and queries will split the
/// partition; the values stay distinct (and the column is typed as usual, over all values).
///
/// "Probably the same" means equal after this normalisation, and nothing more (`1` and `2`
/// merely differ):
/// - all-ASCII-digit values lose their leading zeros (`007` -> `7`, `00` -> `0`); a sign or
///   any other character makes a value not all-digit;
/// - `Y-M-D`-shaped values (one to four digits, `-`, one or two digits, `-`, one or two
///   digits) are zero-padded to `YYYY-MM-DD` (`2025-1-5` -> `2025-01-05`), whether or not that
///   is a real date;
/// - anything else is its own form (no case folding, no trimming, no Unicode normalisation).
///
/// Nulls, empty values and raw (not UTF-8) values take no part. The pair returned is the two
/// least values (by text) of the first group (by normalised form) that holds two, so it never
/// depends on the order of the values.
pub fn equivalent_values<'a>(values: impl IntoIterator<Item = &'a PartitionValue>) -> Option<(String, String)> {
    let mut groups: BTreeMap<Cow<'_, str>, BTreeSet<&str>> = BTreeMap::new();
    for value in values {
        let PartitionValue::Value(s) = value else {
            continue;
        };
        if s.is_empty() {
            continue;
        }
        groups.entry(normalise(s)).or_default().insert(s);
    }
    groups.into_values().find_map(|spellings| {
        let mut it = spellings.into_iter();
        match (it.next(), it.next()) {
            (Some(a), Some(b)) => Some((a.to_owned(), b.to_owned())),
            _ => None,
        }
    })
}

/// The form two spellings of one value share (see [`equivalent_values`]).
///
/// Borrowed when the value is its own form (the common case: every value of a column
/// written by one writer), so a column of many values allocates only for the odd ones.
fn normalise(s: &str) -> Cow<'_, str> {
    let digits = |p: &str, max: usize| !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit());
    if digits(s, usize::MAX) {
        let stripped = s.trim_start_matches('0');
        return Cow::Borrowed(if stripped.is_empty() { "0" } else { stripped });
    }
    let mut parts = s.split('-');
    if let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        && digits(y, 4)
        && digits(m, 2)
        && digits(d, 2)
    {
        return if (y.len(), m.len(), d.len()) == (4, 2, 2) {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(format!("{y:0>4}-{m:0>2}-{d:0>2}"))
        };
    }
    Cow::Borrowed(s)
}

fn is_canonical_i64(s: &str) -> bool {
    // `i64::from_str` accepts `+5` and `-0`; printing back rejects them and leading zeros.
    s.parse::<i64>().is_ok_and(|n| n.to_string() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(values: &[Option<&str>]) -> String {
        let values: Vec<PartitionValue> = values
            .iter()
            .map(|v| v.map_or(PartitionValue::Null, |s| PartitionValue::Value(s.to_owned())))
            .collect();
        infer_partition_type(&values).to_string()
    }

    // | typing | infer over all partition values of the table, not a sample: int64 only without
    // leading zeros (`007` stays a string: zip codes), date only for strict ISO `YYYY-MM-DD`,
    // any conflict -> string |
    #[test]
    fn typing() {
        assert_eq!(types(&[Some("0"), Some("-5"), Some("42")]), "int64");
        assert_eq!(types(&[Some("1"), Some("007")]), "string");
        assert_eq!(types(&[Some("+5")]), "string");
        assert_eq!(types(&[Some("-0")]), "string");
        assert_eq!(
            types(&[Some("9223372036854775807"), Some("-9223372036854775808")]),
            "int64"
        );
        assert_eq!(types(&[Some("9223372036854775808")]), "string");
        assert_eq!(types(&[Some(" 5")]), "string");
        assert_eq!(
            types(&[Some("2024-01-31"), Some("2024-02-29"), Some("2000-02-29")]),
            "date"
        );
        assert_eq!(types(&[Some("2023-02-29")]), "string");
        assert_eq!(types(&[Some("1900-02-29")]), "string");
        assert_eq!(types(&[Some("2024-04-31")]), "string");
        assert_eq!(types(&[Some("2024-13-01")]), "string");
        assert_eq!(types(&[Some("0000-01-01")]), "string");
        assert_eq!(types(&[Some("2024-1-05")]), "string");
        assert_eq!(types(&[Some("2024/01/05")]), "string");
        assert_eq!(types(&[Some("2024-01-05T00:00")]), "string");
        assert_eq!(types(&[Some("２０２４-01-05")]), "string");
        // Any conflict, anywhere in the values (not a sample).
        let mut many: Vec<Option<&str>> = vec![Some("1"); 10_000];
        many.push(Some("x"));
        assert_eq!(types(&many), "string");
        assert_eq!(types(&[Some("2024"), Some("2024-01-01")]), "string");
        // Nulls and empty values are ignored; nothing typed -> string.
        assert_eq!(types(&[None, Some("3"), Some("")]), "int64");
        assert_eq!(types(&[None, None]), "string");
        assert_eq!(types(&[]), "string");
        assert_eq!(types(&[Some("")]), "string");
        // Not inferred: booleans, floats.
        assert_eq!(types(&[Some("true"), Some("false")]), "string");
        assert_eq!(types(&[Some("1.5")]), "string");
        let raw = [PartitionValue::Value("1".into()), PartitionValue::Raw("%FF".into())];
        assert_eq!(infer_partition_type(&raw), DataType::String);
    }

    // | every value of a partition column is null (`__HIVE_DEFAULT_PARTITION__`) | the column
    // is a string column of nulls (pyarrow fails, Spark says `void`) |
    #[test]
    fn all_null_partition_column() {
        assert_eq!(
            infer_partition_type(&[PartitionValue::Null, PartitionValue::Null]),
            DataType::String
        );
        assert_eq!(infer_partition_type(&[PartitionValue::Null]), DataType::String);
        // Null and empty values together: still nothing typed.
        assert_eq!(types(&[None, Some(""), None]), "string");
    }

    fn pair(values: &[&str]) -> Option<(String, String)> {
        let values: Vec<PartitionValue> = values.iter().map(|s| PartitionValue::Value((*s).to_owned())).collect();
        equivalent_values(&values)
    }

    fn some(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.to_owned(), b.to_owned()))
    }

    // | values of one column that are probably the same (`month=01` and `month=1`; `2025-1-5`
    // and `2025-01-05`) | kept as distinct values, typed by the usual rule, with an
    // `equivalent_partition_values` warning naming both |
    #[test]
    fn equivalent_partition_values() {
        // Leading zeros of all-digit values.
        assert_eq!(pair(&["1", "01", "2"]), some("01", "1"));
        assert_eq!(pair(&["007", "7"]), some("007", "7"));
        assert_eq!(pair(&["0", "00"]), some("0", "00"));
        // Zero-padded `Y-M-D`.
        assert_eq!(pair(&["2025-1-5", "2025-01-05"]), some("2025-01-05", "2025-1-5"));
        assert_eq!(pair(&["2025-01-5", "2025-1-05"]), some("2025-01-5", "2025-1-05"));
        // Typed by the usual rule, over all values: the column is a string.
        let typed = |vs: &[&str]| {
            let vs: Vec<PartitionValue> = vs.iter().map(|s| PartitionValue::Value((*s).to_owned())).collect();
            infer_partition_type(&vs)
        };
        assert_eq!(typed(&["01", "1"]), DataType::String);
        assert_eq!(typed(&["2025-1-5", "2025-01-05"]), DataType::String);
        // Values that merely differ are not flagged.
        assert_eq!(pair(&["1", "2", "10"]), None);
        assert_eq!(pair(&["2025-01-05", "2025-01-06"]), None);
        assert_eq!(pair(&["a", "A"]), None);
        assert_eq!(pair(&["5", "+5"]), None);
        assert_eq!(pair(&["-5", "-05"]), None);
        assert_eq!(pair(&["1", "1.0"]), None);
        assert_eq!(pair(&["2025-001-05", "2025-01-05"]), None);
        // The same value twice is one value.
        assert_eq!(pair(&["01", "01"]), None);
        // Nulls, empty and raw values take no part.
        let values = [
            PartitionValue::Null,
            PartitionValue::Value(String::new()),
            PartitionValue::Raw("%FF".into()),
            PartitionValue::Value("0".into()),
        ];
        assert_eq!(equivalent_values(&values), None);
        // The first group by normalised form, whatever the order.
        assert_eq!(pair(&["2", "02", "1", "001", "01"]), some("001", "01"));
        assert_eq!(pair(&["01", "02", "001", "1", "2"]), some("001", "01"));
    }
}
