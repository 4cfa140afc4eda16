//! Lossless folding of listed keys into brace patterns that the scenario loader expands
//! back into exactly the same keys.
//!
//! Unlike `run::fold` (a display summary that may elide values), every pattern here is
//! exact: expanding it with the scenario's brace expander gives back precisely the keys
//! it was made from, and each pattern carries the sizes of its keys in expansion order.
//!
//! How: every key is cut into literal text and digit runs. Keys with the same literal
//! text (the same *shape*) differ only in their numbers; those are folded one number
//! position at a time, left to right: the values of the first number are grouped by
//! what follows them (the folded rest), and values with the same rest share one line,
//! written as a range (`{01..31}`, padding kept) or a set of alternatives. Months with
//! 31 days thus share `2025-{01,03,05,{07..08},10,12}-{01..31}`. Every pattern is then
//! expanded with the loader's own expander and checked against its keys; a pattern
//! that would not give its keys back (never expected) falls back to its literal keys.

use std::collections::{BTreeMap, HashMap};

use crate::scenario::expand_braces;

/// One folded line: a brace pattern and the sizes of the keys it expands to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedKeys {
    /// A brace pattern (special characters of the keys escaped with `\`).
    pub pattern: String,
    /// The sizes, one per key in expansion order.
    pub sizes: Vec<u64>,
}

impl FoldedKeys {
    /// The one size every key has, when they all have the same.
    pub fn common_size(&self) -> Option<u64> {
        let first = *self.sizes.first()?;
        self.sizes.iter().all(|s| *s == first).then_some(first)
    }
}

/// Longest digit run treated as a number: longer ones (hashes, nanosecond stamps past
/// 64 bits) stay literal text so ranges never overflow.
const MAX_DIGITS: usize = 18;

/// Fewest consecutive values written as a range rather than listed.
const MIN_RANGE: usize = 3;

/// Folds `objects` (key, size; keys unique) into patterns, in key order of their first key.
pub fn fold_keys(objects: &[(String, u64)]) -> Vec<FoldedKeys> {
    let mut shapes: BTreeMap<Vec<String>, Vec<(Vec<&str>, &str)>> = BTreeMap::new();
    for (key, _) in objects {
        let (literals, numbers) = split(key);
        shapes.entry(literals).or_default().push((numbers, key.as_str()));
    }
    let sizes: HashMap<&str, u64> = objects.iter().map(|(k, s)| (k.as_str(), *s)).collect();
    let mut out: Vec<(String, FoldedKeys)> = Vec::new();
    for (literals, members) in shapes {
        let rows: Vec<&[&str]> = members.iter().map(|(n, _)| n.as_slice()).collect();
        let escaped: Vec<String> = literals.iter().map(|l| escape(l)).collect();
        let patterns = fold_level(&escaped, &rows, 0);
        let mut keys: Vec<&str> = members.iter().map(|(_, k)| *k).collect();
        keys.sort_unstable();
        out.extend(verified(patterns, &keys, &sizes));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, f)| f).collect()
}

/// The patterns with their sizes, each keyed by its first key; falls back to one literal
/// pattern per key if the patterns do not expand to exactly `keys`.
fn verified(patterns: Vec<String>, keys: &[&str], sizes: &HashMap<&str, u64>) -> Vec<(String, FoldedKeys)> {
    let mut out = Vec::with_capacity(patterns.len());
    let mut expanded_all: Vec<String> = Vec::with_capacity(keys.len());
    for pattern in patterns {
        let Ok(expanded) = expand_braces(&pattern) else {
            return literal(keys, sizes);
        };
        let Some(found) = expanded
            .iter()
            .map(|k| sizes.get(k.as_str()).copied())
            .collect::<Option<Vec<u64>>>()
        else {
            return literal(keys, sizes);
        };
        let first = expanded.iter().min().cloned().unwrap_or_default();
        expanded_all.extend(expanded);
        out.push((first, FoldedKeys { pattern, sizes: found }));
    }
    expanded_all.sort_unstable();
    if expanded_all.len() != keys.len() || expanded_all.iter().zip(keys).any(|(a, b)| a != b) {
        return literal(keys, sizes);
    }
    out
}

fn literal(keys: &[&str], sizes: &HashMap<&str, u64>) -> Vec<(String, FoldedKeys)> {
    keys.iter()
        .map(|k| {
            let folded = FoldedKeys {
                pattern: escape(k),
                sizes: vec![sizes.get(k).copied().unwrap_or_default()],
            };
            ((*k).to_owned(), folded)
        })
        .collect()
}

/// The literal text between digit runs (one more than the runs) and the digit runs.
fn split(key: &str) -> (Vec<String>, Vec<&str>) {
    let mut literals = Vec::new();
    let mut numbers = Vec::new();
    let mut lit_start = 0;
    let bytes = key.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start <= MAX_DIGITS {
                literals.push(key[lit_start..start].to_owned());
                numbers.push(&key[start..i]);
                lit_start = i;
            }
        } else {
            i += 1;
        }
    }
    literals.push(key[lit_start..].to_owned());
    (literals, numbers)
}

/// Patterns for number positions `at..` of `rows` (all of one shape), each starting with
/// the literal before position `at`.
fn fold_level(literals: &[String], rows: &[&[&str]], at: usize) -> Vec<String> {
    let lead = literals.get(at).map_or("", String::as_str);
    if rows.first().is_none_or(|r| r.len() <= at) {
        return vec![lead.to_owned()];
    }
    // Values of this position, each with the rows that have it.
    let mut by_value: BTreeMap<&str, Vec<&[&str]>> = BTreeMap::new();
    for row in rows {
        by_value.entry(row[at]).or_default().push(row);
    }
    // Values whose rests fold the same share a line.
    let mut by_rest: Vec<(Vec<String>, Vec<&str>)> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    for (value, sub) in by_value {
        let rest = fold_level(literals, &sub, at + 1);
        match index.get(&rest) {
            Some(&i) => by_rest[i].1.push(value),
            None => {
                index.insert(rest.clone(), by_rest.len());
                by_rest.push((rest, vec![value]));
            }
        }
    }
    let mut out = Vec::new();
    for (rest, values) in by_rest {
        let numbers = numbers_expr(&values);
        for r in rest {
            out.push(format!("{lead}{numbers}{r}"));
        }
    }
    out
}

/// A brace expression for a set of digit strings: one value as itself, else runs of
/// consecutive numbers as ranges and the others as alternatives.
fn numbers_expr(values: &[&str]) -> String {
    let mut sorted: Vec<(u64, &str)> = values.iter().filter_map(|v| v.parse().ok().map(|n| (n, *v))).collect();
    if sorted.len() != values.len() {
        // Not expected (digit runs are bounded), but never lose a value.
        return alternatives(values.iter().map(|v| (*v).to_owned()).collect());
    }
    if let [(_, one)] = sorted.as_slice() {
        return (*one).to_owned();
    }
    sorted.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i + 1;
        while j < sorted.len() && continues(&sorted[i..j], sorted[j]) {
            j += 1;
        }
        if j - i >= MIN_RANGE {
            parts.push(format!("{{{}..{}}}", sorted[i].1, sorted[j - 1].1));
        } else {
            parts.extend(sorted[i..j].iter().map(|(_, s)| (*s).to_owned()));
        }
        i = j;
    }
    match parts.as_slice() {
        [one] if one.starts_with('{') => one.clone(),
        _ => alternatives(parts),
    }
}

fn alternatives(parts: Vec<String>) -> String {
    format!("{{{}}}", parts.join(","))
}

/// Whether `next` extends the run: the next number, written the way the expander writes
/// the run's range (all of one width when padded, else without leading zeros).
fn continues(run: &[(u64, &str)], next: (u64, &str)) -> bool {
    let (last_n, last_s) = run[run.len() - 1];
    let first_s = run[0].1;
    if next.0 != last_n + 1 {
        return false;
    }
    let natural = |s: &str| s.len() == 1 || !s.starts_with('0');
    let same_width = first_s.len() == next.1.len() && last_s.len() == next.1.len();
    let all_natural = natural(first_s) && natural(next.1);
    // A padded run keeps one width; an unpadded one may grow (`{8..11}`), but only if
    // no member has a leading zero, which `natural(first)` and increasing values imply.
    same_width || all_natural
}

/// Escapes the characters the brace expander treats specially.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '{' | '}' | ',' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn expand_all(folded: &[FoldedKeys]) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for f in folded {
            let keys = expand_braces(&f.pattern).expect("a folded pattern expands");
            assert_eq!(keys.len(), f.sizes.len(), "one size per key of {}", f.pattern);
            out.extend(keys.into_iter().zip(f.sizes.iter().copied()));
        }
        out.sort();
        out
    }

    fn daily(days: &[(u32, u32, u32)], parts: u32) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for (y, m, d) in days {
            for p in 0..parts {
                out.push((
                    format!("data/events/date={y}-{m:02}-{d:02}/part-{p:05}.parquet"),
                    1000 + u64::from(p),
                ));
            }
        }
        out
    }

    fn calendar(years: std::ops::Range<u32>) -> Vec<(u32, u32, u32)> {
        let mut out = Vec::new();
        for y in years {
            for m in 1..=12 {
                let days = match m {
                    2 if y.is_multiple_of(4) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                out.extend((1..=days).map(|d| (y, m, d)));
            }
        }
        out
    }

    #[test]
    fn a_month_of_daily_files_is_one_line_with_a_common_size() {
        let objects: Vec<(String, u64)> = (1..=31)
            .map(|d| (format!("t/date=2025-01-{d:02}/part-0.csv"), 42))
            .collect();
        let folded = fold_keys(&objects);
        assert_eq!(folded.len(), 1);
        assert_eq!(folded[0].pattern, "t/date=2025-01-{01..31}/part-0.csv");
        assert_eq!(folded[0].common_size(), Some(42));
    }

    #[test]
    fn months_with_the_same_days_share_a_line() {
        let objects = daily(&calendar(2025..2026), 1);
        let folded = fold_keys(&objects);
        let patterns: Vec<&str> = folded.iter().map(|f| f.pattern.as_str()).collect();
        assert_eq!(
            patterns,
            [
                "data/events/date=2025-{01,03,05,07,08,10,12}-{01..31}/part-00000.parquet",
                "data/events/date=2025-02-{01..28}/part-00000.parquet",
                "data/events/date=2025-{04,06,09,11}-{01..30}/part-00000.parquet",
            ]
        );
        assert_eq!(expand_all(&folded), {
            let mut o = objects.clone();
            o.sort();
            o
        });
    }

    #[test]
    fn a_hundred_thousand_daily_keys_fold_into_a_few_dozen_lines() {
        // Four years (one leap) of 69 files a day: 100,809 keys.
        let objects = daily(&calendar(2022..2026), 69);
        assert!(objects.len() > 100_000);
        let folded = fold_keys(&objects);
        assert!(folded.len() <= 36, "{} lines", folded.len());
        let mut want = objects;
        want.sort();
        assert_eq!(expand_all(&folded), want);
    }

    #[test]
    fn special_characters_are_escaped_and_come_back() {
        let objects = vec![
            ("a{b}/c,d\\e-1.csv".to_owned(), 1),
            ("a{b}/c,d\\e-2.csv".to_owned(), 2),
            ("a{b}/c,d\\e-3.csv".to_owned(), 3),
        ];
        let folded = fold_keys(&objects);
        assert_eq!(folded.len(), 1);
        assert_eq!(expand_all(&folded), objects);
    }

    #[test]
    fn padding_and_natural_numbers_are_not_mixed() {
        let objects: Vec<(String, u64)> = ["p-8", "p-9", "p-10", "p-11", "p-07", "p-08", "p-09", "p-010"]
            .iter()
            .map(|k| ((*k).to_owned(), 5))
            .collect();
        let mut want = objects.clone();
        want.sort();
        assert_eq!(expand_all(&fold_keys(&objects)), want);
    }

    fn key_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            // hourly layouts
            (2020u32..2023, 1u32..13, 1u32..29, 0u32..24, 0u32..3)
                .prop_map(|(y, m, d, h, p)| format!("t/year={y}/month={m:02}/day={d:02}/hour={h:02}/part-{p}.csv")),
            // daily layouts, unpadded
            (1u32..13, 1u32..32, 0u32..12).prop_map(|(m, d, p)| format!("x/dt=2025-{m}-{d}/f{p}.parquet")),
            // irregular keys: any printable text, including brace characters
            "[a-c0-9{},\\\\/=._-]{0,12}",
        ]
    }

    proptest! {
        #[test]
        fn fold_then_expand_gives_back_every_key_and_size(
            keys in proptest::collection::btree_map(key_strategy(), 0u64..5, 0..120)
        ) {
            let objects: Vec<(String, u64)> = keys.into_iter().collect();
            let folded = fold_keys(&objects);
            prop_assert!(folded.len() <= objects.len());
            prop_assert_eq!(expand_all(&folded), objects);
        }
    }
}
