//! Folding many partition values into one readable line: `2025-01-{01..31}`.

/// Values folded as bash brace expansion writes them: a contiguous numeric run becomes
/// `P{a..b}S` (zero padding kept), a few values become `{a,b,c}`, many others
/// `{a,b,…,z}`.
pub fn fold(values: &[String]) -> String {
    let mut v: Vec<&str> = values.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.dedup();
    match v.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        _ => numeric_range(&v).unwrap_or_else(|| {
            if v.len() <= 5 {
                format!("{{{}}}", v.join(","))
            } else {
                format!("{{{},{},…,{}}}", v[0], v[1], v[v.len() - 1])
            }
        }),
    }
}

fn numeric_range(v: &[&str]) -> Option<String> {
    let first = v[0];
    let common_prefix = v.iter().fold(first.len(), |n, s| {
        first.bytes().zip(s.bytes()).take(n).take_while(|(a, b)| a == b).count()
    });
    let common_suffix = v.iter().fold(first.len(), |n, s| {
        first
            .bytes()
            .rev()
            .zip(s.bytes().rev())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    // Whole digit runs only: `2025-01-0{1..9}` reads worse than `2025-01-{01..09}`.
    let mut p = common_prefix;
    while p > 0 && first.as_bytes()[p - 1].is_ascii_digit() {
        p -= 1;
    }
    let mut s = common_suffix;
    while s > 0 && first.as_bytes()[first.len() - s].is_ascii_digit() {
        s -= 1;
    }
    if !first.is_char_boundary(p) {
        return None;
    }
    let mut nums = Vec::with_capacity(v.len());
    for value in v {
        if value.len() < p + s {
            return None;
        }
        let mid = &value[p..value.len() - s];
        if mid.is_empty() || !mid.bytes().all(|b| b.is_ascii_digit()) || mid.len() > 18 {
            return None;
        }
        nums.push((mid.parse::<u64>().ok()?, mid.len()));
    }
    let width = nums[0].1;
    let padded = nums.iter().any(|(n, len)| *len > 1 && n.to_string().len() < *len);
    if padded && nums.iter().any(|(_, len)| *len != width) {
        return None;
    }
    nums.sort_unstable();
    if nums.windows(2).any(|w| w[1].0 != w[0].0 + 1) {
        return None;
    }
    let (lo, hi) = (nums[0].0, nums[nums.len() - 1].0);
    let (lo, hi) = if padded {
        (format!("{lo:0width$}"), format!("{hi:0width$}"))
    } else {
        (lo.to_string(), hi.to_string())
    };
    Some(format!("{}{{{lo}..{hi}}}{}", &first[..p], &first[first.len() - s..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(values: &[&str]) -> String {
        fold(&values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn folds_days_and_parts() {
        let days: Vec<String> = (1..=31).map(|d| format!("2025-01-{d:02}")).collect();
        assert_eq!(fold(&days), "2025-01-{01..31}");
        assert_eq!(f(&["part-0", "part-1", "part-2"]), "part-{0..2}");
        assert_eq!(f(&["1", "2", "10", "3", "4", "5", "6", "7", "8", "9"]), "{1..10}");
        let hours: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
        assert_eq!(fold(&hours), "{00..23}");
    }

    #[test]
    fn lists_when_not_a_range() {
        assert_eq!(f(&["eu", "us"]), "{eu,us}");
        assert_eq!(f(&["2025-01-01", "2025-01-03"]), "{2025-01-01,2025-01-03}");
        assert_eq!(f(&["a", "b", "c", "d", "e", "f", "g"]), "{a,b,…,g}");
        assert_eq!(f(&["x"]), "x");
        assert_eq!(f(&["é1", "é2"]), "é{1..2}");
    }
}
