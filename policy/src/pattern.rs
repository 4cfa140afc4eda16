//! IAM's wildcard patterns, where `*` matches any run of characters and `?` exactly one.
//!
//! IAM uses them in `Resource`/`NotResource`, `Action`/`NotAction` and the
//! `StringLike`/`ArnLike` condition operators; `*` runs over `/` and `:` too
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String>).
//!
//! Inside the crate a pattern is a list of tokens rather than a string so that a literal `*`
//! or `?` (written `${*}` / `${?}` in a policy, or coming from a policy variable's value) can
//! be told apart from a wildcard.

use std::fmt;

/// One element of a [`Pattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Token {
    /// A character that must be present as is (or, case-insensitively, in another case).
    Literal(char),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character (one Unicode scalar value, not one byte).
    Question,
}

/// A wildcard pattern. Runs of consecutive [`Token::Star`] are collapsed into one when
/// the pattern is built, since `**` matches exactly what `*` matches; this keeps
/// equality closer to "matches the same strings".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// A pattern without wildcards: every character of `s`, `*` and `?` included, is literal.
    #[cfg(test)]
    pub fn literal(s: &str) -> Self {
        Self::from_tokens(s.chars().map(Token::Literal))
    }

    /// A pattern where `*` is any run of characters and `?` is exactly one character.
    pub fn wildcard(s: &str) -> Self {
        Self::from_tokens(s.chars().map(|c| match c {
            '*' => Token::Star,
            '?' => Token::Question,
            c => Token::Literal(c),
        }))
    }

    /// A pattern made of these tokens (consecutive stars collapsed).
    pub fn from_tokens(tokens: impl IntoIterator<Item = Token>) -> Self {
        let mut p = Self::default();
        for t in tokens {
            p.push(t);
        }
        p
    }

    /// Appends one token (a star right after a star is dropped: same language).
    pub fn push(&mut self, token: Token) {
        if token == Token::Star && self.tokens.last() == Some(&Token::Star) {
            return;
        }
        self.tokens.push(token);
    }

    /// Appends every character of `s` as a literal.
    pub fn push_literal_str(&mut self, s: &str) {
        self.tokens.extend(s.chars().map(Token::Literal));
    }

    /// Appends `s` read as wildcard text (`*` and `?` are wildcards).
    pub fn push_wildcard_str(&mut self, s: &str) {
        for t in Self::wildcard(s).tokens {
            self.push(t);
        }
    }

    #[cfg(test)]
    fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// True when the pattern has neither `*` nor `?`, i.e. it matches one string only
    /// (case-sensitively).
    #[cfg(test)]
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }

    /// The string this pattern matches, if it has no wildcards.
    #[cfg(test)]
    fn as_literal(&self) -> Option<String> {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Literal(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Splits on literal `sep` characters into at most `n` patterns; the last one keeps
    /// any further separators (as `str::splitn` does). Wildcards never split: this is what
    /// ARN matching needs, where a segment's `*` must not run into the next segment
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>).
    pub fn splitn(&self, n: usize, sep: char) -> Vec<Pattern> {
        let mut parts = Vec::new();
        if n == 0 {
            return parts;
        }
        let mut current = Pattern::default();
        for &t in &self.tokens {
            if t == Token::Literal(sep) && parts.len() + 1 < n {
                parts.push(std::mem::take(&mut current));
            } else {
                current.push(t);
            }
        }
        parts.push(current);
        parts
    }

    /// Whether `text` matches the whole pattern.
    ///
    /// The classic greedy algorithm with backtracking to the most recent star only: when a
    /// later star is reached, earlier stars never need to absorb more (whatever they could
    /// absorb, the later star can), so the worst case is O(pattern × text) and there is no
    /// exponential blow-up on patterns such as `*a*a*a*b`.
    pub fn matches(&self, text: &str, case_insensitive: bool) -> bool {
        let text: Vec<char> = text.chars().collect();
        let p = &self.tokens;
        let (mut pi, mut ti) = (0usize, 0usize);
        // (pattern index just after the last star seen, text index that star resumes from)
        let mut backtrack: Option<(usize, usize)> = None;
        while ti < text.len() {
            match p.get(pi) {
                Some(Token::Star) => {
                    backtrack = Some((pi + 1, ti));
                    pi += 1;
                    continue;
                }
                Some(Token::Question) => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                Some(Token::Literal(c)) if chars_eq(*c, text[ti], case_insensitive) => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
            // Mismatch (or pattern exhausted): let the last star swallow one more character.
            match backtrack {
                Some((after_star, from)) => {
                    backtrack = Some((after_star, from + 1));
                    pi = after_star;
                    ti = from + 1;
                }
                None => return false,
            }
        }
        p[pi..].iter().all(|t| *t == Token::Star)
    }
}

/// Renders the pattern as policy text: wildcards as `*`/`?`, literal `*`, `?` and `$` as
/// the policy variables `${*}`, `${?}`, `${$}`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>),
/// so the text reads back to the same pattern under policy version 2012-10-17.
impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tokens {
            match t {
                Token::Star => f.write_str("*")?,
                Token::Question => f.write_str("?")?,
                Token::Literal(c @ ('*' | '?' | '$')) => write!(f, "${{{c}}}")?,
                Token::Literal(c) => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// Character equality, optionally ignoring case. Case folding compares the full Unicode
/// lowercase mappings of the two characters (what `char::to_lowercase` yields); for ASCII,
/// which is what matters for action names and most keys, this is plain ASCII folding.
fn chars_eq(a: char, b: char, case_insensitive: bool) -> bool {
    a == b || (case_insensitive && a.to_lowercase().eq(b.to_lowercase()))
}

/// Whole-string equality with the same notion of case folding as [`Pattern::matches`]
/// (character by character, so `ß` never equals `ss`).
pub(crate) fn str_eq(a: &str, b: &str, case_insensitive: bool) -> bool {
    if !case_insensitive {
        return a == b;
    }
    let (mut x, mut y) = (a.chars(), b.chars());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(c), Some(d)) if chars_eq(c, d, true) => {}
            _ => return false,
        }
    }
}

/// Whether `text` matches the wildcard pattern `pattern` (`*` any run of characters, `?`
/// exactly one), optionally ignoring case as action names do.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    Pattern::wildcard(pattern).matches(text, case_insensitive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious exponential matcher, as an oracle for the linear one.
    fn reference(p: &[Token], t: &[char], ci: bool) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((Token::Star, rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..], ci)),
            Some((Token::Question, rest)) => !t.is_empty() && reference(rest, &t[1..], ci),
            Some((Token::Literal(c), rest)) => !t.is_empty() && chars_eq(*c, t[0], ci) && reference(rest, &t[1..], ci),
        }
    }

    #[test]
    fn table_of_cases() {
        // (pattern, text, case-insensitive, expected)
        let cases: &[(&str, &str, bool, bool)] = &[
            ("", "", false, true),
            ("", "a", false, false),
            ("*", "", false, true),
            ("*", "anything:at/all", false, true),
            ("?", "", false, false),
            ("?", "é", false, true), // one char, two bytes
            ("??", "é", false, false),
            ("a*c", "abbbc", false, true),
            ("a*c", "ac", false, true),
            ("a*c", "acb", false, false),
            ("a?c", "abc", false, true),
            ("a?c", "ac", false, false),
            ("s3:Get*", "s3:GetObject", false, true),
            ("s3:get*", "s3:GetObject", false, false),
            ("s3:get*", "s3:GetObject", true, true),
            ("S3:GETOBJECT", "s3:getobject", true, true),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", false, true),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false, false),
            ("arn:aws:s3:::*/x", "arn:aws:s3:::b:c/d/x", false, true), // `*` spans ':' and '/'
            ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false),
            ("*a*a*a*b", "aaaaaaaaaaaaaaab", false, true),
            ("**", "x", false, true),
            ("a*", "a", false, true),
            ("*?", "", false, false),
            ("*?", "x", false, true),
            ("ß", "SS", true, false),
            ("ǅ", "ǆ", true, true),
        ];
        for &(p, t, ci, want) in cases {
            assert_eq!(wildcard_match(p, t, ci), want, "pattern {p:?} text {t:?} ci {ci}");
        }
    }

    #[test]
    fn literal_patterns_have_no_wildcards() {
        let p = Pattern::literal("a*?");
        assert!(p.is_literal());
        assert!(p.matches("a*?", false));
        assert!(!p.matches("abc", false));
        assert_eq!(p.as_literal().as_deref(), Some("a*?"));
        assert_eq!(Pattern::wildcard("a*").as_literal(), None);
    }

    #[test]
    fn consecutive_stars_collapse() {
        assert_eq!(Pattern::wildcard("a***b"), Pattern::wildcard("a*b"));
        assert_eq!(Pattern::wildcard("a***b").tokens().len(), 3);
    }

    #[test]
    fn display_escapes_literal_specials() {
        let mut p = Pattern::wildcard("a*");
        p.push_literal_str("*?$");
        p.push(Token::Question);
        assert_eq!(p.to_string(), "a*${*}${?}${$}?");
    }

    #[test]
    fn splitn_keeps_the_rest_together() {
        let p = Pattern::wildcard("arn:aws:s3:::b/*:x");
        let parts: Vec<String> = p.splitn(6, ':').iter().map(|p| p.to_string()).collect();
        assert_eq!(parts, ["arn", "aws", "s3", "", "", "b/*:x"]);
        assert_eq!(Pattern::wildcard("*").splitn(6, ':').len(), 1);
        assert!(Pattern::wildcard("a").splitn(0, ':').is_empty());
    }

    #[test]
    fn str_eq_folds_per_char() {
        assert!(str_eq("Hello", "hELLO", true));
        assert!(!str_eq("Hello", "hELLO", false));
        assert!(!str_eq("Hello", "Hell", true));
        assert!(!str_eq("straße", "STRASSE", true));
    }

    fn token() -> impl Strategy<Value = Token> {
        prop_oneof![
            3 => prop::sample::select(vec!['a', 'b', 'A', 'B', ':', '/']).prop_map(Token::Literal),
            1 => Just(Token::Star),
            1 => Just(Token::Question),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn agrees_with_reference(
            tokens in prop::collection::vec(token(), 0..8),
            text in "[abAB:/]{0,10}",
            ci in any::<bool>(),
        ) {
            let p = Pattern::from_tokens(tokens.clone());
            let chars: Vec<char> = text.chars().collect();
            prop_assert_eq!(p.matches(&text, ci), reference(&tokens, &chars, ci));
        }

        #[test]
        fn literal_matches_itself_only(s in "[abAB*?]{0,6}", t in "[abAB*?]{0,6}") {
            prop_assert!(Pattern::literal(&s).matches(&s, false));
            prop_assert_eq!(Pattern::literal(&s).matches(&t, false), s == t);
            prop_assert_eq!(Pattern::literal(&s).matches(&t, true), str_eq(&s, &t, true));
        }
    }
}
