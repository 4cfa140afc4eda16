//! Partition column types, inferred over every value a table's directories hold.

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
/// Nulls are ignored, and so are empty values (`k=`), which become null once typed.
/// Raw values (not UTF-8) are strings. Booleans and floats are not inferred: `PARTITIONS.md`
/// names neither, and float text rarely survives a round trip (`1.10`).
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
}
