//! Virtual key spaces: a set of keys kept as a generator, never expanded.
//!
//! A key space is a sequence of segments; a key is one string of each segment, joined.
//! A segment is a union of *pieces*, each a set of strings of one length (literal text,
//! a list of alternatives, or a run of decimal numbers such as `000..999` or
//! `10..99`). Strings of one length are never prefixes of one another, so within a piece
//! byte order is the order of the strings themselves, and a piece of numbers is searched
//! by arithmetic instead of by listing it.
//!
//! What a listing needs is [`KeySpace::first_at_least`]: the smallest key at or after a
//! byte position, found segment by segment (a few comparisons and divisions per
//! segment), so a page of keys costs the same whether the space holds a thousand keys or
//! a trillion. Keys come in S3's order (UTF-8 bytes), each once.
//!
//! A space is *unambiguous*: no key can be split into segments two ways, so counting
//! keys is multiplying and adding. [`KeySpace::new`] refuses a space where a shorter
//! string of a segment, followed by what may come next, could spell the start of a
//! longer one of the same segment (`{a,ab}{b,c}` spells `abc` twice); for numbers it
//! is cautious and refuses a run of several widths followed by a digit (`{1..10}{0,5}`).

use std::fmt;

/// Why a set of segments cannot be a key space.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySpaceError {
    /// A key of the space could be split into segments in two ways (so keys would
    /// repeat): the two pieces of one segment that clash.
    #[error("a key could be read two ways: {0}")]
    Ambiguous(String),
    /// Two pieces of one segment hold strings of one length (merge them into one list).
    #[error("two pieces of one segment hold strings of {0} bytes")]
    SameLength(usize),
    /// A piece with no string: the space would be empty.
    #[error("a segment has no string")]
    Empty,
    /// A list's strings differ in length.
    #[error("a list's strings must be of one length")]
    MixedLengths,
    /// More segments than a key space takes (searching recurses once per segment).
    #[error("more than {MAX_SEGMENTS} segments")]
    TooManySegments,
}

/// Most segments a space may have: a key is at most 1,024 bytes, so only segments that
/// may be empty could make more, and searching recurses once per segment.
pub const MAX_SEGMENTS: usize = 1024;

/// Strings of one length, in byte order.
#[derive(Clone, PartialEq, Eq)]
pub enum Piece {
    /// Listed strings (sorted and made unique by [`Piece::strings`]).
    Strings {
        /// Their common length in bytes.
        len: usize,
        /// The strings, sorted, no repeats.
        items: Vec<String>,
    },
    /// The numbers `first, first + step, ...` up to `last`, written in decimal with
    /// exactly `width` digits (zero-padded): every one of them has that many digits.
    Numbers {
        /// Digits of each number.
        width: usize,
        /// The smallest number.
        first: u64,
        /// The largest number (`first + k * step` for some k).
        last: u64,
        /// The distance between neighbours, at least 1.
        step: u64,
    },
}

impl fmt::Debug for Piece {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Strings { items, .. } if items.len() <= 4 => write!(f, "{items:?}"),
            Self::Strings { items, len } => write!(f, "[{} strings of {len} bytes]", items.len()),
            Self::Numbers {
                width,
                first,
                last,
                step,
            } => write!(f, "{first:0width$}..{last:0width$} step {step}"),
        }
    }
}

impl Piece {
    /// A list of strings of one length; repeats are dropped.
    pub fn strings(mut items: Vec<String>) -> Result<Self, KeySpaceError> {
        let len = items.first().ok_or(KeySpaceError::Empty)?.len();
        if items.iter().any(|s| s.len() != len) {
            return Err(KeySpaceError::MixedLengths);
        }
        items.sort_unstable();
        items.dedup();
        Ok(Self::Strings { len, items })
    }

    /// The pieces of a run of numbers `first..=last` by `step`, zero-padded to `pad`
    /// digits (0: no padding), split by written length.
    pub fn numbers(first: u64, last: u64, step: u64, pad: usize) -> Vec<Self> {
        let step = step.max(1);
        let (first, last) = (first.min(last), first.max(last));
        let last = first + (last - first) / step * step;
        let mut pieces = Vec::new();
        let mut from = first;
        loop {
            let width = digits(from).max(pad);
            // The largest number written with `width` digits.
            let top = 10u64
                .checked_pow(u32::try_from(width).unwrap_or(u32::MAX))
                .map_or(u64::MAX, |p| p - 1);
            let upto = last.min(top);
            let end = from + (upto - from) / step * step;
            pieces.push(Self::Numbers {
                width,
                first: from,
                last: end,
                step,
            });
            match end.checked_add(step) {
                Some(next) if next <= last => from = next,
                _ => return pieces,
            }
        }
    }

    /// The length in bytes of each of its strings.
    pub fn len(&self) -> usize {
        match self {
            Self::Strings { len, .. } => *len,
            Self::Numbers { width, .. } => *width,
        }
    }

    /// Whether its strings are empty (a piece always holds at least one string).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many strings it holds.
    pub fn count(&self) -> u128 {
        match self {
            Self::Strings { items, .. } => items.len() as u128,
            Self::Numbers { first, last, step, .. } => u128::from((last - first) / step) + 1,
        }
    }

    fn contains(&self, s: &[u8]) -> bool {
        match self {
            Self::Strings { items, .. } => items.binary_search_by(|i| i.as_bytes().cmp(s)).is_ok(),
            Self::Numbers {
                width,
                first,
                last,
                step,
            } => {
                s.len() == *width
                    && s.iter().all(u8::is_ascii_digit)
                    && parse_digits(s).is_some_and(|v| v >= *first && v <= *last && (v - first) % step == 0)
            }
        }
    }

    /// The `i`-th string (`Pos` from [`Piece::seek`] or [`Piece::next`]) appended to `out`.
    fn write(&self, at: Pos, out: &mut Vec<u8>) {
        match (self, at) {
            (Self::Strings { items, .. }, Pos::Index(i)) => out.extend_from_slice(items[i].as_bytes()),
            (Self::Numbers { width, .. }, Pos::Value(v)) => {
                let start = out.len();
                out.resize(start + width, b'0');
                let mut v = v;
                for b in out[start..].iter_mut().rev() {
                    *b = b'0' + (v % 10) as u8;
                    v /= 10;
                }
            }
            // A position always comes from this piece.
            _ => {}
        }
    }

    fn first(&self) -> Pos {
        match self {
            Self::Strings { .. } => Pos::Index(0),
            Self::Numbers { first, .. } => Pos::Value(*first),
        }
    }

    /// The string after `at`, if any.
    fn next(&self, at: Pos) -> Option<Pos> {
        match (self, at) {
            (Self::Strings { items, .. }, Pos::Index(i)) => (i + 1 < items.len()).then_some(Pos::Index(i + 1)),
            (Self::Numbers { last, step, .. }, Pos::Value(v)) => {
                v.checked_add(*step).filter(|n| n <= last).map(Pos::Value)
            }
            _ => None,
        }
    }

    /// The smallest string `x` whose first bytes are not below `bound`'s (compared over
    /// `min(len, bound.len())` bytes), and whether `x` is exactly `bound`'s first
    /// `len` bytes (then what follows decides; otherwise anything may follow).
    fn seek(&self, bound: &[u8]) -> Option<(Pos, bool)> {
        let t = &bound[..self.len().min(bound.len())];
        match self {
            Self::Strings { items, len } => {
                let i = items.partition_point(|s| &s.as_bytes()[..t.len()] < t);
                let item = items.get(i)?;
                Some((Pos::Index(i), t.len() == *len && item.as_bytes() == t))
            }
            Self::Numbers {
                width,
                first,
                last,
                step,
            } => {
                // The smallest `width`-digit number whose digits are not below `t`, and
                // whether it spells `t` exactly.
                let (target, exact) = match t.iter().position(|b| !b.is_ascii_digit()) {
                    None if t.len() == *width => (parse_digits(t)?, true),
                    None => (parse_digits(t)?.checked_mul(pow10(width - t.len())?)?, false),
                    Some(k) if t[k] < b'0' => (parse_digits(&t[..k])?.checked_mul(pow10(width - k)?)?, false),
                    Some(k) => {
                        // `t` starts above every number of this width when its digits
                        // cannot be raised by one within their length.
                        let up = parse_digits(&t[..k])?.checked_add(1)?;
                        if k == 0 || digits(up) > k {
                            return None;
                        }
                        (up.checked_mul(pow10(width - k)?)?, false)
                    }
                };
                let v = if target <= *first {
                    *first
                } else {
                    let over = target - first;
                    first.checked_add(over.div_ceil(*step).checked_mul(*step)?)?
                };
                (v <= *last).then_some((Pos::Value(v), exact && v == target))
            }
        }
    }
}

/// Where a string is in its piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pos {
    Index(usize),
    Value(u64),
}

fn digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |d| d as usize + 1)
}

fn pow10(n: usize) -> Option<u64> {
    10u64.checked_pow(u32::try_from(n).ok()?)
}

/// Decimal digits as a number; the empty string is 0.
fn parse_digits(s: &[u8]) -> Option<u64> {
    s.iter()
        .try_fold(0u64, |acc, b| acc.checked_mul(10)?.checked_add(u64::from(b - b'0')))
}

/// A set of keys kept as segments of pieces (module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpace {
    segments: Vec<Vec<Piece>>,
    /// The smallest string of `segments[i..]`, for each `i` (and `""` past the end).
    least: Vec<Vec<u8>>,
    count: u128,
}

impl KeySpace {
    /// The keys made of one string of each segment (each a union of pieces of distinct
    /// lengths), or why they cannot be held this way.
    pub fn new(segments: Vec<Vec<Piece>>) -> Result<Self, KeySpaceError> {
        if segments.len() > MAX_SEGMENTS {
            return Err(KeySpaceError::TooManySegments);
        }
        for segment in &segments {
            if segment.is_empty() {
                return Err(KeySpaceError::Empty);
            }
            let mut lens: Vec<usize> = segment.iter().map(Piece::len).collect();
            lens.sort_unstable();
            if let Some(w) = lens.windows(2).find(|w| w[0] == w[1]) {
                return Err(KeySpaceError::SameLength(w[0]));
            }
        }
        let mut least = vec![Vec::new(); segments.len() + 1];
        for i in (0..segments.len()).rev() {
            let mut best: Option<Vec<u8>> = None;
            for piece in &segments[i] {
                let mut s = Vec::new();
                piece.write(piece.first(), &mut s);
                s.extend_from_slice(&least[i + 1]);
                if best.as_ref().is_none_or(|b| s < *b) {
                    best = Some(s);
                }
            }
            least[i] = best.unwrap_or_default();
        }
        let count = segments.iter().fold(1u128, |acc, segment| {
            acc.saturating_mul(segment.iter().map(Piece::count).fold(0u128, u128::saturating_add))
        });
        let space = Self { segments, least, count };
        space.check_unambiguous()?;
        Ok(space)
    }

    /// One of its longest keys.
    pub fn longest(&self) -> Vec<u8> {
        let mut key = Vec::new();
        for segment in &self.segments {
            if let Some(piece) = segment.iter().max_by_key(|p| p.len()) {
                piece.write(piece.first(), &mut key);
            }
        }
        key
    }

    /// How many keys it holds (saturating).
    pub fn count(&self) -> u128 {
        self.count
    }

    /// Whether `key` is one of its keys.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.matches(0, key)
    }

    fn matches(&self, i: usize, rest: &[u8]) -> bool {
        let Some(segment) = self.segments.get(i) else {
            return rest.is_empty();
        };
        segment
            .iter()
            .any(|p| p.len() <= rest.len() && p.contains(&rest[..p.len()]) && self.matches(i + 1, &rest[p.len()..]))
    }

    /// The smallest key at or after `bound` (bytes), if any.
    pub fn first_at_least(&self, bound: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.seek(0, bound, &mut out).then_some(out)
    }

    /// Appends to `out` the smallest string of `segments[i..]` not below `bound`.
    fn seek(&self, i: usize, bound: &[u8], out: &mut Vec<u8>) -> bool {
        let Some(segment) = self.segments.get(i) else {
            return bound.is_empty();
        };
        let start = out.len();
        let mut best: Option<Vec<u8>> = None;
        let mut candidate = Vec::new();
        for piece in segment {
            candidate.clear();
            let Some((at, exact)) = piece.seek(bound) else { continue };
            piece.write(at, &mut candidate);
            let found = if exact {
                // The rest decides; failing that, this piece's next string and the least rest.
                self.seek(i + 1, &bound[piece.len()..], &mut candidate)
                    || piece.next(at).is_some_and(|next| {
                        candidate.clear();
                        piece.write(next, &mut candidate);
                        candidate.extend_from_slice(&self.least[i + 1]);
                        true
                    })
            } else {
                candidate.extend_from_slice(&self.least[i + 1]);
                true
            };
            if found && best.as_ref().is_none_or(|b| candidate < *b) {
                best = Some(candidate.clone());
            }
        }
        match best {
            Some(b) => {
                out.truncate(start);
                out.extend_from_slice(&b);
                true
            }
            None => false,
        }
    }

    /// Keys in order from `bound` on (inclusive).
    pub fn keys_from<'s>(&'s self, bound: &[u8]) -> impl Iterator<Item = Vec<u8>> + use<'s> {
        let mut cursor = self.cursor(bound);
        std::iter::from_fn(move || cursor.take())
    }

    /// A cursor at the first key from `bound` on (inclusive), found when first looked at.
    pub fn cursor(&self, bound: &[u8]) -> Cursor<'_> {
        Cursor {
            space: self,
            state: CursorState::Seek(bound.to_vec()),
        }
    }
}

/// A position in a key space that seeks only when looked at: a listing that takes one
/// key and then seeks elsewhere (past a common prefix) never pays for the key after it.
#[derive(Debug)]
pub struct Cursor<'s> {
    space: &'s KeySpace,
    state: CursorState,
}

#[derive(Debug, Default)]
enum CursorState {
    /// The next key is the first at least this.
    Seek(Vec<u8>),
    At(Vec<u8>),
    #[default]
    Done,
}

impl Cursor<'_> {
    /// The key at the cursor.
    pub fn peek(&mut self) -> Option<&[u8]> {
        if let CursorState::Seek(bound) = &self.state {
            self.state = match self.space.first_at_least(bound) {
                Some(key) => CursorState::At(key),
                None => CursorState::Done,
            };
        }
        match &self.state {
            CursorState::At(key) => Some(key),
            _ => None,
        }
    }

    /// The key at the cursor; the cursor moves past it without seeking yet.
    pub fn take(&mut self) -> Option<Vec<u8>> {
        self.peek()?;
        let CursorState::At(key) = std::mem::replace(&mut self.state, CursorState::Done) else {
            return None;
        };
        let mut after = Vec::with_capacity(key.len() + 1);
        after.extend_from_slice(&key);
        after.push(0);
        self.state = CursorState::Seek(after);
        Some(key)
    }

    /// Moves past the key at the cursor when it is at most `key`. Only for a cursor
    /// already looked at (one not looked at stays where it is).
    pub fn step_past(&mut self, key: &[u8]) {
        if let CursorState::At(at) = &self.state
            && at.as_slice() <= key
        {
            let mut after = std::mem::take(&mut self.state);
            if let CursorState::At(at) = &mut after {
                at.push(0);
                self.state = CursorState::Seek(std::mem::take(at));
            }
        }
    }
}

impl KeySpace {
    /// Refuses a space whose keys could be split two ways: a shorter string of a segment
    /// that is a prefix of a longer one of the same segment, where what may follow the
    /// shorter one can start with the longer one's next byte. Numbers are judged
    /// conservatively (any digit that may follow a string of digits is a clash).
    fn check_unambiguous(&self) -> Result<(), KeySpaceError> {
        for (i, segment) in self.segments.iter().enumerate() {
            if segment.len() < 2 {
                continue;
            }
            let follow = self.first_bytes(i + 1);
            for short in segment {
                let n = short.len();
                for long in segment.iter().filter(|p| p.len() > n) {
                    let clash = match long {
                        Piece::Strings { items, .. } => items.iter().any(|s| {
                            let s = s.as_bytes();
                            follow[usize::from(s[n])] && short.contains(&s[..n])
                        }),
                        Piece::Numbers { .. } => short.may_be_digits() && (b'0'..=b'9').any(|d| follow[usize::from(d)]),
                    };
                    if clash {
                        return Err(KeySpaceError::Ambiguous(format!("{short:?} and {long:?}")));
                    }
                }
            }
        }
        Ok(())
    }

    /// Which bytes a string of `segments[i..]` may start with (an empty rest adds none).
    fn first_bytes(&self, i: usize) -> [bool; 256] {
        let mut bytes = [false; 256];
        let Some(segment) = self.segments.get(i) else {
            return bytes;
        };
        for piece in segment {
            if piece.is_empty() {
                let rest = self.first_bytes(i + 1);
                for (b, r) in bytes.iter_mut().zip(rest) {
                    *b |= r;
                }
                continue;
            }
            match piece {
                Piece::Strings { items, .. } => items.iter().for_each(|s| bytes[usize::from(s.as_bytes()[0])] = true),
                Piece::Numbers { .. } => (b'0'..=b'9').for_each(|d| bytes[usize::from(d)] = true),
            }
        }
        bytes
    }
}

impl Piece {
    /// Whether some string of it is all digits (the empty string is).
    fn may_be_digits(&self) -> bool {
        match self {
            Self::Strings { items, .. } => items.iter().any(|s| s.bytes().all(|b| b.is_ascii_digit())),
            Self::Numbers { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn strings(items: &[&str]) -> Piece {
        Piece::strings(items.iter().map(|s| (*s).to_owned()).collect()).unwrap()
    }

    fn space(segments: Vec<Vec<Piece>>) -> KeySpace {
        KeySpace::new(segments).unwrap()
    }

    fn all(space: &KeySpace) -> Vec<String> {
        space.keys_from(b"").map(|k| String::from_utf8(k).unwrap()).collect()
    }

    /// Every key of the segments, by brute force.
    fn expand(segments: &[Vec<Piece>]) -> BTreeSet<Vec<u8>> {
        let mut keys = BTreeSet::from([Vec::new()]);
        for segment in segments {
            let mut next = BTreeSet::new();
            for piece in segment {
                let mut at = Some(piece.first());
                while let Some(p) = at {
                    for k in &keys {
                        let mut k = k.clone();
                        piece.write(p, &mut k);
                        next.insert(k);
                    }
                    at = piece.next(p);
                }
            }
            keys = next;
        }
        keys
    }

    #[test]
    fn unpadded_numbers_list_in_byte_order() {
        let s = space(vec![
            vec![strings(&["part-"])],
            Piece::numbers(0, 12, 1, 0),
            vec![strings(&[".csv"])],
        ]);
        assert_eq!(
            all(&s),
            [
                "part-0.csv",
                "part-1.csv",
                "part-10.csv",
                "part-11.csv",
                "part-12.csv",
                "part-2.csv",
                "part-3.csv",
                "part-4.csv",
                "part-5.csv",
                "part-6.csv",
                "part-7.csv",
                "part-8.csv",
                "part-9.csv",
            ]
        );
        assert_eq!(s.count(), 13);
        assert!(s.contains(b"part-10.csv"));
        assert!(!s.contains(b"part-010.csv"));
        assert!(!s.contains(b"part-13.csv"));
    }

    #[test]
    fn a_trillion_keys_seek_without_listing() {
        // 1,000 tables x 10^9 numbered files.
        let s = space(vec![
            vec![strings(&["t"])],
            Piece::numbers(0, 999, 1, 3),
            vec![strings(&["/f"])],
            Piece::numbers(0, 999_999_999, 1, 9),
        ]);
        assert_eq!(s.count(), 1_000_000_000_000);
        assert_eq!(s.first_at_least(b"t500/f0000012345x").unwrap(), b"t500/f000001235");
        assert_eq!(s.first_at_least(b"t500/g").unwrap(), b"t501/f000000000");
        assert_eq!(s.first_at_least(b"t999/f999999999").unwrap(), b"t999/f999999999");
        assert_eq!(s.first_at_least(b"t999/f999999999\0"), None);
        assert_eq!(s.first_at_least(b"s").unwrap(), b"t000/f000000000");
    }

    #[test]
    fn ambiguous_spaces_are_refused() {
        let e = KeySpace::new(vec![
            vec![strings(&["a"]), strings(&["ab"])],
            vec![strings(&["b", "c"])],
        ]);
        assert!(matches!(e, Err(KeySpaceError::Ambiguous(_))), "{e:?}");
        let e = KeySpace::new(vec![Piece::numbers(1, 10, 1, 0), vec![strings(&["0", "5"])]]);
        assert!(matches!(e, Err(KeySpaceError::Ambiguous(_))), "{e:?}");
        // Followed by a non-digit, several widths are fine.
        assert!(KeySpace::new(vec![Piece::numbers(1, 10, 1, 0), vec![strings(&["/"])]]).is_ok());
        let e = KeySpace::new(vec![vec![strings(&["a"]), strings(&["b"])]]);
        assert_eq!(e, Err(KeySpaceError::SameLength(1)));
        let e = KeySpace::new(vec![vec![strings(&["a"]), strings(&[""])]; MAX_SEGMENTS + 1]);
        assert_eq!(e, Err(KeySpaceError::TooManySegments));
    }

    fn piece() -> impl Strategy<Value = Vec<Piece>> {
        prop_oneof![
            (
                0usize..3,
                prop::collection::vec(prop::sample::select(b"ab/-09".to_vec()), 1..4)
            )
                .prop_map(|(len, bytes)| {
                    let items: Vec<String> = bytes
                        .iter()
                        .map(|b| String::from_utf8(vec![*b; len]).unwrap_or_default())
                        .collect();
                    vec![Piece::strings(items).unwrap()]
                }),
            (0u64..150, 0u64..150, 1u64..40, 0usize..4).prop_map(|(a, b, step, pad)| Piece::numbers(a, b, step, pad)),
        ]
    }

    fn segments() -> impl Strategy<Value = Vec<Vec<Piece>>> {
        prop::collection::vec(prop::collection::vec(piece(), 1..3).prop_map(|p| p.concat()), 0..4)
    }

    proptest! {
        /// Seeking into the space finds what a sorted expansion of it finds, at any bound;
        /// its count and membership are the expansion's.
        #[test]
        fn seeking_is_searching_the_expansion(
            segments in segments(),
            bounds in prop::collection::vec(prop::collection::vec(prop::sample::select(b"ab/-0129\x00\xff".to_vec()), 0..8), 1..12),
        ) {
            let Ok(space) = KeySpace::new(segments.clone()) else {
                return Ok(());
            };
            let keys = expand(&segments);
            prop_assert_eq!(space.count(), keys.len() as u128);
            let listed: Vec<Vec<u8>> = space.keys_from(b"").collect();
            prop_assert_eq!(&listed, &keys.iter().cloned().collect::<Vec<_>>());
            for bound in bounds {
                let want = keys.range(bound.clone()..).next().cloned();
                prop_assert_eq!(space.first_at_least(&bound), want, "bound {:?}", bound);
                prop_assert_eq!(space.contains(&bound), keys.contains(&bound));
            }
            for key in keys.iter().take(20) {
                prop_assert!(space.contains(key));
            }
        }
    }
}
