//! Bash-style brace expansion for object keys: `{a,b}`, `{01..31}`, `{a..e}`, nested groups.

use std::fmt;

use crate::sim::store::keyspace::{KeySpace, KeySpaceError, Piece};

/// Most keys one pattern may expand to; checked before anything is allocated so that a
/// typo like `{0..9999999999}` fails fast instead of exhausting memory.
pub const MAX_EXPANSION: u64 = 5_000_000;

/// Deepest brace nesting accepted; the parser recurses per level, so this bounds the stack.
const MAX_DEPTH: usize = 64;

/// Longest excerpt of a pattern quoted in an error message.
const MAX_QUOTE: usize = 60;

/// A pattern that cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset} of the pattern)")]
pub struct BraceError {
    /// Byte offset in the pattern of the offending brace.
    pub offset: usize,
    /// What is wrong there.
    pub kind: BraceErrorKind,
}

/// What is wrong with a brace pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BraceErrorKind {
    /// A `{` with no matching `}`.
    Unclosed,
    /// A `}` with no matching `{`.
    Unmatched,
    /// `{...}` holding neither a comma nor a range, like `{abc}` or `{}`.
    NotAnExpansion {
        /// The offending `{...}` group as written; past 60 characters, its start and `…`.
        text: String,
    },
    /// A range with step 0, like `{1..9..0}`.
    ZeroStep {
        /// The offending `{...}` group as written; past 60 characters, its start and `…`.
        text: String,
    },
    /// A range endpoint or step that does not fit in 64 bits.
    NumberOutOfRange {
        /// The offending `{...}` group as written; past 60 characters, its start and `…`.
        text: String,
    },
    /// A letter range from lowercase to uppercase or back, like `{a..Z}`.
    MixedCaseRange {
        /// The offending `{...}` group as written; past 60 characters, its start and `…`.
        text: String,
    },
    /// More than [`MAX_EXPANSION`] results; `count` saturates at `u128::MAX`.
    TooMany {
        /// How many keys the pattern would expand to.
        count: u128,
    },
    /// Braces nested deeper than the parser allows.
    TooDeep,
}

impl fmt::Display for BraceErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unclosed => f.write_str("unclosed `{`; write `\\{` for a literal brace"),
            Self::Unmatched => f.write_str("unmatched `}`; write `\\}` for a literal brace"),
            Self::NotAnExpansion { text } => write!(
                f,
                "`{text}` is neither a list like `{{a,b}}` nor a range like `{{1..9}}` or \
                 `{{a..e}}`; write `\\{{` for a literal brace"
            ),
            Self::ZeroStep { text } => write!(f, "range `{text}` has a step of 0"),
            Self::NumberOutOfRange { text } => {
                write!(f, "range `{text}` has a number outside the 64-bit range")
            }
            Self::MixedCaseRange { text } => write!(
                f,
                "letter range `{text}` mixes lowercase and uppercase; use the same case at both ends"
            ),
            Self::TooMany { count } if *count == u128::MAX => write!(
                f,
                "pattern expands to too many keys; the limit is {MAX_EXPANSION} per pattern"
            ),
            Self::TooMany { count } => write!(
                f,
                "pattern expands to {count} keys; the limit is {MAX_EXPANSION} per pattern"
            ),
            Self::TooDeep => write!(f, "braces are nested more than {MAX_DEPTH} levels deep"),
        }
    }
}

/// Expands every brace group in `pattern`, bash-style, left-most group varying slowest.
///
/// A backslash makes `{`, `}`, `,` or `\` literal; before any other character (or at
/// the end) it is itself literal, so keys with backslashes need no doubling.
pub fn expand_braces(pattern: &str) -> Result<Vec<String>, BraceError> {
    let nodes = Parser { src: pattern, pos: 0 }.parse_top()?;
    let count = count_seq(&nodes);
    if count > u128::from(MAX_EXPANSION) {
        return Err(BraceError {
            offset: 0,
            kind: BraceErrorKind::TooMany { count },
        });
    }
    Ok(expand_seq(&nodes))
}

/// Most strings a brace group may hold to be kept as a list in a virtual key space
/// (a number range is kept as a range, whatever its size).
const MAX_LISTED: u128 = 10_000;

/// Why a pattern is expanded rather than kept as a [`KeySpace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotVirtual {
    /// A group other than a plain number range holds more than 10,000 strings.
    LargeGroup,
    /// A range of negative numbers larger than a list may be.
    NegativeRange,
    /// The key space refused the pattern (a key could be read two ways).
    Refused(KeySpaceError),
}

/// The keys of `pattern` as a virtual key space, never expanded: each top-level group
/// is a segment, number ranges stay ranges. `Ok(Err(_))` when the pattern is valid but
/// must be expanded instead (see [`NotVirtual`]); `Err` when it is not a valid pattern.
pub fn key_space(pattern: &str) -> Result<Result<KeySpace, NotVirtual>, BraceError> {
    let nodes = Parser { src: pattern, pos: 0 }.parse_top()?;
    let mut segments = Vec::with_capacity(nodes.len());
    for node in &nodes {
        let segment = match node {
            Node::Lit(s) => listed(vec![s.clone()]),
            Node::Range(r) if !r.letters && r.start >= 0 && r.end() >= 0 => {
                let (lo, hi) = (r.start.min(r.end()), r.start.max(r.end()));
                match (u64::try_from(lo), u64::try_from(hi), u64::try_from(r.step.abs())) {
                    (Ok(lo), Ok(hi), Ok(step)) => Piece::numbers(lo, hi, step, r.width),
                    _ => return Ok(Err(NotVirtual::NegativeRange)),
                }
            }
            Node::Range(r) if r.count > MAX_LISTED => {
                return Ok(Err(if r.letters {
                    NotVirtual::LargeGroup
                } else {
                    NotVirtual::NegativeRange
                }));
            }
            Node::Range(r) => listed((0..r.count).map(|i| r.element(i)).collect()),
            Node::Alt(_) if count_node(node) > MAX_LISTED => return Ok(Err(NotVirtual::LargeGroup)),
            Node::Alt(_) => listed(expand_seq(std::slice::from_ref(node))),
        };
        segments.push(segment);
    }
    Ok(KeySpace::new(segments).map_err(NotVirtual::Refused))
}

/// Strings as pieces of one length each.
fn listed(strings: Vec<String>) -> Vec<Piece> {
    let mut by_len: std::collections::BTreeMap<usize, Vec<String>> = std::collections::BTreeMap::new();
    for s in strings {
        by_len.entry(s.len()).or_default().push(s);
    }
    by_len
        .into_values()
        .filter_map(|items| Piece::strings(items).ok())
        .collect()
}

#[derive(Debug)]
enum Node {
    Lit(String),
    Alt(Vec<Vec<Node>>),
    Range(Range),
}

/// A validated range; elements are `start + i * step` for `i` in `0..count`.
#[derive(Debug)]
struct Range {
    start: i128,
    step: i128,
    count: u128,
    /// Zero-pad numbers to this many characters (0 = no padding).
    width: usize,
    letters: bool,
}

impl Range {
    /// The last element's value.
    fn end(&self) -> i128 {
        let last = i128::try_from(self.count.saturating_sub(1)).unwrap_or(i128::MAX);
        self.start.saturating_add(last.saturating_mul(self.step))
    }

    fn element(&self, i: u128) -> String {
        // i < count, and start + (count-1)*step is the last element, which lies between
        // the endpoints, so this stays within i64 range and cannot overflow i128.
        let i = i128::try_from(i).unwrap_or(i128::MAX);
        let v = self.start.saturating_add(i.saturating_mul(self.step));
        if self.letters {
            u8::try_from(v).map(char::from).unwrap_or('?').to_string()
        } else {
            format!("{v:0width$}", width = self.width)
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    /// Always on a char boundary: it only advances by whole chars.
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
    }

    fn error(&self, offset: usize, kind: BraceErrorKind) -> BraceError {
        BraceError { offset, kind }
    }

    fn parse_top(mut self) -> Result<Vec<Node>, BraceError> {
        self.parse_seq(0, false)
    }

    /// Parses up to the end, or inside a group up to the next top-level `,` or `}`.
    fn parse_seq(&mut self, depth: usize, in_group: bool) -> Result<Vec<Node>, BraceError> {
        let mut nodes = Vec::new();
        let mut lit = String::new();
        while let Some(c) = self.peek() {
            match c {
                '\\' => {
                    self.bump();
                    match self.peek() {
                        Some(n @ ('{' | '}' | ',' | '\\')) => {
                            lit.push(n);
                            self.bump();
                        }
                        _ => lit.push('\\'),
                    }
                }
                '{' => {
                    if !lit.is_empty() {
                        nodes.push(Node::Lit(std::mem::take(&mut lit)));
                    }
                    nodes.push(self.parse_group(depth + 1)?);
                }
                '}' | ',' if in_group => break,
                '}' => return Err(self.error(self.pos, BraceErrorKind::Unmatched)),
                _ => {
                    lit.push(c);
                    self.bump();
                }
            }
        }
        if !lit.is_empty() {
            nodes.push(Node::Lit(lit));
        }
        Ok(nodes)
    }

    /// Parses `{...}` starting at the `{`.
    fn parse_group(&mut self, depth: usize) -> Result<Node, BraceError> {
        let open = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.error(open, BraceErrorKind::TooDeep));
        }
        self.bump();
        let mut alts = vec![self.parse_seq(depth, true)?];
        loop {
            match self.peek() {
                Some(',') => {
                    self.bump();
                    alts.push(self.parse_seq(depth, true)?);
                }
                Some('}') => {
                    self.bump();
                    break;
                }
                _ => return Err(self.error(open, BraceErrorKind::Unclosed)),
            }
        }
        if alts.len() >= 2 {
            return Ok(Node::Alt(alts));
        }
        let whole = self.src.get(open..self.pos).unwrap_or_default();
        let inner = self.src.get(open + 1..self.pos - 1).unwrap_or_default();
        match parse_range(inner, whole) {
            Ok(Some(range)) => Ok(Node::Range(range)),
            Ok(None) => Err(self.error(open, BraceErrorKind::NotAnExpansion { text: quote(whole) })),
            Err(kind) => Err(self.error(open, kind)),
        }
    }
}

/// Shortens `s` for an error message, on a char boundary.
fn quote(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTE) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_owned(),
    }
}

/// An endpoint as written: the number, its written length, whether it is zero-padded.
fn parse_number(s: &str) -> Option<Result<(i64, usize, bool), ()>> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Like bash: only a multi-digit endpoint starting with 0 asks for padding, so
    // `{0..10}` is not padded but `{00..10}` is.
    let padded = digits.len() > 1 && digits.starts_with('0');
    Some(s.parse::<i64>().map(|n| (n, s.len(), padded)).map_err(|_| ()))
}

fn single_letter(s: &str) -> Option<u8> {
    match s.as_bytes() {
        [b] if b.is_ascii_alphabetic() => Some(*b),
        _ => None,
    }
}

/// `Ok(None)` when `inner` is not range-shaped at all.
fn parse_range(inner: &str, whole: &str) -> Result<Option<Range>, BraceErrorKind> {
    let parts: Vec<&str> = inner.split("..").collect();
    let (lhs, rhs, step) = match parts.as_slice() {
        [a, b] => (*a, *b, None),
        [a, b, s] => (*a, *b, Some(*s)),
        _ => return Ok(None),
    };
    let out_of_range = || BraceErrorKind::NumberOutOfRange { text: quote(whole) };
    let step = match step {
        None => 1,
        Some(s) => match parse_number(s) {
            None => return Ok(None),
            Some(Err(())) => return Err(out_of_range()),
            // Like bash, the step's sign is ignored: the endpoints give the direction.
            Some(Ok((n, _, _))) => i128::from(n).abs(),
        },
    };
    let (start, end, width, letters) = match (parse_number(lhs), parse_number(rhs)) {
        (Some(a), Some(b)) => {
            let ((a, alen, apad), (b, blen, bpad)) = match (a, b) {
                (Ok(a), Ok(b)) => (a, b),
                _ => return Err(out_of_range()),
            };
            let width = if apad || bpad { alen.max(blen) } else { 0 };
            (i128::from(a), i128::from(b), width, false)
        }
        (None, None) => match (single_letter(lhs), single_letter(rhs)) {
            (Some(a), Some(b)) => {
                if a.is_ascii_lowercase() != b.is_ascii_lowercase() {
                    return Err(BraceErrorKind::MixedCaseRange { text: quote(whole) });
                }
                (i128::from(a), i128::from(b), 0, true)
            }
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    if step == 0 {
        return Err(BraceErrorKind::ZeroStep { text: quote(whole) });
    }
    let span = (end - start).abs();
    let count = u128::try_from(span / step + 1).unwrap_or(u128::MAX);
    let step = if end < start { -step } else { step };
    Ok(Some(Range {
        start,
        step,
        count,
        width,
        letters,
    }))
}

fn count_seq(nodes: &[Node]) -> u128 {
    nodes
        .iter()
        .fold(1u128, |acc, node| acc.saturating_mul(count_node(node)))
}

fn count_node(node: &Node) -> u128 {
    match node {
        Node::Lit(_) => 1,
        Node::Alt(alts) => alts.iter().fold(0u128, |acc, seq| acc.saturating_add(count_seq(seq))),
        Node::Range(r) => r.count,
    }
}

/// Every group has at least one result, so intermediate vectors never exceed the
/// final count, which the caller has already bounded.
fn expand_seq(nodes: &[Node]) -> Vec<String> {
    let mut acc = vec![String::new()];
    for node in nodes {
        acc = match node {
            Node::Lit(s) => {
                for prefix in &mut acc {
                    prefix.push_str(s);
                }
                acc
            }
            Node::Alt(alts) => product(acc, alts.iter().flat_map(|seq| expand_seq(seq)).collect()),
            Node::Range(r) => product(acc, (0..r.count).map(|i| r.element(i)).collect()),
        };
    }
    acc
}

fn product(prefixes: Vec<String>, mut suffixes: Vec<String>) -> Vec<String> {
    // One prefix (the common case: a single group, or the first one) is prepended in
    // place, so a 5-million-key range is not held twice.
    if let [prefix] = prefixes.as_slice() {
        if !prefix.is_empty() {
            for s in &mut suffixes {
                s.insert_str(0, prefix);
            }
        }
        return suffixes;
    }
    let mut out = Vec::with_capacity(prefixes.len().saturating_mul(suffixes.len()));
    for p in &prefixes {
        for s in &suffixes {
            let mut k = String::with_capacity(p.len() + s.len());
            k.push_str(p);
            k.push_str(s);
            out.push(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(p: &str) -> Vec<String> {
        match expand_braces(p) {
            Ok(v) => v,
            Err(e) => panic!("{p:?}: {e}"),
        }
    }

    fn err(p: &str) -> BraceError {
        match expand_braces(p) {
            Ok(v) => panic!("{p:?} expanded to {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn large_number_ranges_stay_ranges() {
        let Ok(Ok(space)) = key_space("t{000..999}/day={1..1000000}/part-{0..9}.csv") else {
            panic!("not a key space");
        };
        assert_eq!(space.count(), 10_000_000_000);
        assert_eq!(space.first_at_least(b"t500/").unwrap(), b"t500/day=1/part-0.csv");
        assert_eq!(
            key_space("{a,ab}{b,c}")
                .ok()
                .and_then(Result::err)
                .map(|e| matches!(e, NotVirtual::Refused(_))),
            Some(true)
        );
        assert_eq!(
            key_space("{-100000..0}").ok().and_then(Result::err),
            Some(NotVirtual::NegativeRange)
        );
        assert!(key_space("{").is_err());
        // Thousands of groups that may be empty: refused as a space, and too many to expand.
        let pattern = "{a,}".repeat(5000);
        assert!(matches!(key_space(&pattern), Ok(Err(NotVirtual::Refused(_)))));
        assert!(expand_braces(&pattern).is_err());
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(ok("data/x.csv"), ["data/x.csv"]);
        assert_eq!(ok(""), [""]);
        assert_eq!(ok("a,b"), ["a,b"]);
    }

    #[test]
    fn alternatives() {
        assert_eq!(ok("x{a,b,c}y"), ["xay", "xby", "xcy"]);
        assert_eq!(ok("{a,}"), ["a", ""]);
        assert_eq!(ok("{,}"), ["", ""]);
        assert_eq!(ok("{a,a}"), ["a", "a"]);
    }

    #[test]
    fn numeric_ranges() {
        assert_eq!(ok("{0..3}"), ["0", "1", "2", "3"]);
        assert_eq!(ok("{3..0}"), ["3", "2", "1", "0"]);
        assert_eq!(ok("{0..10..2}"), ["0", "2", "4", "6", "8", "10"]);
        assert_eq!(ok("{10..0..-4}"), ["10", "6", "2"]);
        assert_eq!(ok("{0..10..20}"), ["0"]);
        assert_eq!(ok("{5..5}"), ["5"]);
        assert_eq!(ok("{-2..1}"), ["-2", "-1", "0", "1"]);
        assert_eq!(ok("{0..10}").len(), 11);
        assert_eq!(ok("{0..10}")[0], "0");
    }

    #[test]
    fn zero_padding_follows_bash() {
        let days = ok("{01..31}");
        assert_eq!(days.len(), 31);
        assert_eq!(days[0], "01");
        assert_eq!(days[30], "31");
        assert_eq!(ok("{1..010..3}"), ["001", "004", "007", "010"]);
        assert_eq!(ok("{-05..1}")[4..], ["-01", "000", "001"]);
        assert_eq!(ok("{9..11}"), ["9", "10", "11"]);
    }

    #[test]
    fn letter_ranges() {
        assert_eq!(ok("{a..e}"), ["a", "b", "c", "d", "e"]);
        assert_eq!(ok("{E..A..2}"), ["E", "C", "A"]);
    }

    #[test]
    fn cartesian_product_left_most_slowest() {
        assert_eq!(ok("{a,b}{1..2}"), ["a1", "a2", "b1", "b2"]);
        assert_eq!(
            ok("d=2025-01-{01..02}/p-{0..1}.csv"),
            [
                "d=2025-01-01/p-0.csv",
                "d=2025-01-01/p-1.csv",
                "d=2025-01-02/p-0.csv",
                "d=2025-01-02/p-1.csv"
            ]
        );
    }

    #[test]
    fn nested_groups() {
        assert_eq!(ok("{a,b{1,2}}"), ["a", "b1", "b2"]);
        assert_eq!(ok("x{a{1,2},b}y"), ["xa1y", "xa2y", "xby"]);
        assert_eq!(ok("{a,{1..3}}"), ["a", "1", "2", "3"]);
        // A comma takes precedence over `..`, as in bash.
        assert_eq!(ok("{1..3,a}"), ["1..3", "a"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(ok(r"\{abc\}"), ["{abc}"]);
        assert_eq!(ok(r"{a\,b,c}"), ["a,b", "c"]);
        assert_eq!(ok(r"a\\b"), [r"a\b"]);
        assert_eq!(ok(r"a\b"), [r"a\b"]);
        assert_eq!(ok(r"end\"), [r"end\"]);
        assert_eq!(ok(r"{\},\{}"), ["}", "{"]);
    }

    #[test]
    fn non_expansions_are_errors_suggesting_escape() {
        for (p, at) in [
            ("a{abc}", 1),
            ("{}", 0),
            ("{a..1}", 0),
            ("{1...3}", 0),
            ("x{a{1,2}}", 1),
        ] {
            let e = err(p);
            assert!(matches!(e.kind, BraceErrorKind::NotAnExpansion { .. }), "{p}: {e}");
            assert_eq!(e.offset, at, "{p}");
            assert!(e.to_string().contains(r"\{"), "{e}");
        }
    }

    #[test]
    fn unbalanced_braces() {
        assert_eq!(err("ab{c,d").kind, BraceErrorKind::Unclosed);
        assert_eq!(err("ab{c,d").offset, 2);
        assert_eq!(err("ab}").kind, BraceErrorKind::Unmatched);
        assert_eq!(err("ab}").offset, 2);
        assert_eq!(err("{a,b}}").offset, 5);
        assert!(err("{").to_string().contains(r"\{"));
        assert!(err("}").to_string().contains(r"\}"));
    }

    #[test]
    fn bad_ranges() {
        assert!(matches!(err("{1..9..0}").kind, BraceErrorKind::ZeroStep { .. }));
        assert!(matches!(
            err("{0..99999999999999999999}").kind,
            BraceErrorKind::NumberOutOfRange { .. }
        ));
        assert!(matches!(err("{a..Z}").kind, BraceErrorKind::MixedCaseRange { .. }));
    }

    #[test]
    fn expansion_is_capped_before_allocating() {
        assert_eq!(ok("{1..5000000}").len(), 5_000_000);
        assert_eq!(err("{0..5000000}").kind, BraceErrorKind::TooMany { count: 5_000_001 });
        // Would be 2^64 results if it were materialised.
        let huge = "{-9223372036854775808..9223372036854775807}".repeat(3);
        assert_eq!(err(&huge).kind, BraceErrorKind::TooMany { count: u128::MAX });
        assert!(matches!(err(&"{a,b}".repeat(40)).kind, BraceErrorKind::TooMany { .. }));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "{a,".repeat(10_000), "}".repeat(10_000));
        assert_eq!(err(&deep).kind, BraceErrorKind::TooDeep);
        let ok_depth = format!("{}{}", "{a,".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert_eq!(ok(&ok_depth).len(), MAX_DEPTH + 1);
    }

    #[test]
    fn multibyte_text_is_kept() {
        assert_eq!(ok("é{ß,ü}"), ["éß", "éü"]);
        assert_eq!(err("日本{語}").offset, "日本".len());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,64}") {
            let _ = expand_braces(&s);
        }

        #[test]
        fn never_panics_on_brace_heavy_input(s in "[{},.\\\\a0-9-]{0,40}") {
            let _ = expand_braces(&s);
        }

        #[test]
        fn list_expands_to_its_items(items in prop::collection::vec("[a-zA-Z0-9/_.=-]{0,8}", 2..8)) {
            let pattern = format!("{{{}}}", items.join(","));
            prop_assert_eq!(expand_braces(&pattern).ok(), Some(items));
        }

        /// A pattern kept as a key space holds exactly the keys it expands to, in byte
        /// order, each once.
        #[test]
        fn key_space_is_the_sorted_expansion(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-c/=._-]{1,3}",
                    (0i64..130, 0i64..130, 1i64..9, prop::bool::ANY).prop_map(|(a, b, step, pad)| {
                        if pad { format!("{{{a:03}..{b}..{step}}}") } else { format!("{{{a}..{b}..{step}}}") }
                    }),
                    (-20i64..5, -3i64..20).prop_map(|(a, b)| format!("{{{a}..{b}}}")),
                    prop::collection::vec("[a-c0-9/]{0,3}", 2..5).prop_map(|alts| format!("{{{}}}", alts.join(","))),
                    Just("{a..e}".to_owned()),
                    Just("{x,y{1..3}}".to_owned()),
                ],
                0..5,
            ),
        ) {
            let pattern = parts.concat();
            let Ok(Ok(space)) = key_space(&pattern) else {
                return Ok(());
            };
            let mut keys: Vec<Vec<u8>> = ok(&pattern).into_iter().map(String::into_bytes).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(space.count(), keys.len() as u128);
            prop_assert_eq!(space.keys_from(b"").collect::<Vec<_>>(), keys);
        }

        #[test]
        fn range_has_distance_plus_one_items(m in -2000i64..2000, n in -2000i64..2000) {
            let keys = ok(&format!("{{{m}..{n}}}"));
            prop_assert_eq!(keys.len() as u64, m.abs_diff(n) + 1);
            prop_assert_eq!(keys.first().cloned(), Some(m.to_string()));
            prop_assert_eq!(keys.last().cloned(), Some(n.to_string()));
        }
    }
}
