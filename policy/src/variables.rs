//! Policy variables: `${key}` in `Resource` and condition values, replaced by the request's value.
//!
//! The value is that of the condition key of the same name
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).
//!
//! Rules, as that page states them or as decided here where it is silent:
//! - Variables exist only in policy language version `2012-10-17`; under `2008-10-17` (or no
//!   `Version`) `${aws:username}` is literal text (documented: "variables like
//!   `${aws:username}` are treated as literal strings in the policy").
//! - `${*}`, `${?}` and `${$}` stand for the literal characters `*`, `?`, `$` (documented,
//!   "Special characters"). Outside them, `*` and `?` in the template are wildcards in the
//!   pattern form.
//! - `${key, 'default'}` uses `default` when the request lacks the key (documented,
//!   "Specifying default values"; the page writes a comma and a space, we also accept other
//!   spacing around the comma). The default, like a key's value, is inserted literally.
//! - A variable's value is inserted literally: a `*` in a user name is not a wildcard.
//!   (Decided: the page says substitution replaces the variable by "the value from the
//!   request"; treating that value as a pattern would let a user named `*` match everything.)
//! - A key absent from the request (and without a default) makes the whole template resolve
//!   to nothing (`None`): "a variable with no value matches nothing" (the page's "not present
//!   ... any attempt to match it fails").
//! - A multivalued key (several values in the request) also resolves to `None`, default or
//!   not: AWS does not allow multivalued context keys as policy variables
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>:
//!   "you can't use a multivalued context key as a policy variable"). A key present with no
//!   value at all is treated as absent, so its default applies.
//! - Malformed syntax is literal text (decided; the page defines no error): a `${` with no
//!   closing `}`, an empty `${}`, or a default that is not in single quotes leaves that `${`
//!   as the two characters `$` and `{`, and scanning resumes right after them, so a
//!   well-formed variable later in the text is still substituted. The variable ends at the
//!   first `}`, so a default value cannot contain `}`.

#[cfg(test)]
use crate::context::Context;
use crate::context::{Keys, Version};
use crate::pattern::{Pattern, Token};

/// A piece of a template, as [`parse_template`] reads it (version 2012-10-17 syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text outside any variable; in the pattern form its `*` and `?` are wildcards.
    Text(String),
    /// `${*}`, `${?}` or `${$}`: that character, always literal.
    Char(char),
    /// `${key}` or `${key, 'default'}`.
    Variable {
        /// The condition key whose value replaces the variable.
        key: String,
        /// The text in quotes after the comma, used when the key has no value.
        default: Option<String>,
    },
}

/// Splits a template into text, special characters and variables. Malformed `${...}` is
/// kept as text (see the module documentation).
fn parse_template(template: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        text.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let parsed = after
            .find('}')
            .and_then(|end| parse_inner(&after[..end]).map(|p| (p, end)));
        match parsed {
            Some((part, end)) => {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(part);
                rest = &after[end + 1..];
            }
            None => {
                // Not a variable: keep "${" as text and look for variables after it.
                text.push_str("${");
                rest = after;
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// The inside of `${...}`; `None` when it is not a well-formed variable.
fn parse_inner(inner: &str) -> Option<Part> {
    match inner {
        "*" => return Some(Part::Char('*')),
        "?" => return Some(Part::Char('?')),
        "$" => return Some(Part::Char('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, default)) => {
            let d = default.trim();
            let quoted = d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'');
            if !quoted {
                return None;
            }
            (key.trim(), Some(d[1..d.len() - 1].to_string()))
        }
    };
    // A key containing `$` or `{` means nested or stray syntax (e.g. `${a${b}`): not a variable.
    if key.is_empty() || key.contains(['$', '{']) {
        return None;
    }
    Some(Part::Variable {
        key: key.to_string(),
        default,
    })
}

/// The value a variable takes in `ctx`, `None` when it has none (see the module docs).
fn variable_value(key: &str, default: Option<&str>, ctx: &(impl Keys + ?Sized)) -> Option<String> {
    match ctx.values(key) {
        None | Some([]) => default.map(str::to_string),
        Some([value]) => Some(value.clone()),
        Some(_) => None,
    }
}

/// Substitutes variables into a template that is then used as a wildcard pattern
/// (`Resource`, `StringLike`, `ArnLike`): `*` and `?` in the template text are wildcards;
/// `${*}`, `${?}`, `${$}` are the literal characters; a variable's value is inserted
/// literally. `None` when a variable has no value (absent key without default, or a
/// multivalued key): such a value matches nothing.
///
/// Under [`Version::V2008_10_17`] the template is taken as written: `${aws:username}` is
/// literal text, while `*` and `?` are still wildcards.
pub(crate) fn resolve_pattern(template: &str, ctx: &(impl Keys + ?Sized), version: Version) -> Option<Pattern> {
    if !version.variables_enabled() {
        return Some(Pattern::wildcard(template));
    }
    let mut pattern = Pattern::default();
    for part in parse_template(template) {
        match part {
            Part::Text(t) => pattern.push_wildcard_str(&t),
            Part::Char(c) => pattern.push(Token::Literal(c)),
            Part::Variable { key, default } => {
                pattern.push_literal_str(&variable_value(&key, default.as_deref(), ctx)?);
            }
        }
    }
    Some(pattern)
}

/// The same substitution for operators without wildcards (`StringEquals`, `ArnEquals`...
/// as the caller decides): returns the literal string, with `${*}` as `*` and so on.
/// `None` when a variable has no value. Under [`Version::V2008_10_17`] the template itself.
pub(crate) fn resolve_literal(template: &str, ctx: &(impl Keys + ?Sized), version: Version) -> Option<String> {
    if !version.variables_enabled() {
        return Some(template.to_string());
    }
    let mut out = String::with_capacity(template.len());
    for part in parse_template(template) {
        match part {
            Part::Text(t) => out.push_str(&t),
            Part::Char(c) => out.push(c),
            Part::Variable { key, default } => out.push_str(&variable_value(&key, default.as_deref(), ctx)?),
        }
    }
    Some(out)
}

/// Whether the template has anything [`resolve_literal`] would replace (under 2012-10-17).
#[cfg(test)]
fn has_variables(template: &str) -> bool {
    parse_template(template).iter().any(|p| !matches!(p, Part::Text(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V12: Version = Version::V2012_10_17;
    const V08: Version = Version::V2008_10_17;

    fn ctx() -> Context {
        let mut c = Context::new()
            .with("aws:username", "alice")
            .with("aws:userid", "AIDAEXAMPLE")
            .with("aws:PrincipalAccount", "111122223333")
            .with("aws:PrincipalTag/team", "blue")
            .with("s3:prefix", "home/");
        c.insert_all("aws:TagKeys", vec!["a".into(), "b".into()]);
        c.insert_all("empty:key", vec![]);
        c
    }

    #[test]
    fn substitutes_known_keys_case_insensitively() {
        let c = ctx();
        assert_eq!(
            resolve_literal("home/${aws:username}/", &c, V12).as_deref(),
            Some("home/alice/")
        );
        assert_eq!(resolve_literal("${AWS:UserName}", &c, V12).as_deref(), Some("alice"));
        assert_eq!(
            resolve_literal("${aws:userid}", &c, V12).as_deref(),
            Some("AIDAEXAMPLE")
        );
        assert_eq!(
            resolve_literal("${aws:principalaccount}", &c, V12).as_deref(),
            Some("111122223333")
        );
        assert_eq!(
            resolve_literal("t-${aws:PrincipalTag/team}", &c, V12).as_deref(),
            Some("t-blue")
        );
        assert_eq!(resolve_literal("${s3:prefix}x", &c, V12).as_deref(), Some("home/x"));
    }

    #[test]
    fn pattern_keeps_template_wildcards_and_inserts_values_literally() {
        let mut c = ctx();
        let p = resolve_pattern("home/${aws:username}/*", &c, V12).unwrap();
        assert!(p.matches("home/alice/x/y", false));
        assert!(!p.matches("home/bob/x", false));

        // A `*` inside the user name is not a wildcard.
        c.insert("aws:username", "a*?");
        let p = resolve_pattern("home/${aws:username}/*", &c, V12).unwrap();
        assert!(p.matches("home/a*?/file", false));
        assert!(!p.matches("home/aXY/file", false));
        assert!(!p.matches("home/a*z/file", false));
    }

    #[test]
    fn special_character_variables_are_literal() {
        let c = Context::new();
        let p = resolve_pattern("a${*}b${?}c${$}d", &c, V12).unwrap();
        assert!(p.is_literal());
        assert!(p.matches("a*b?c$d", false));
        assert!(!p.matches("aXbYc$d", false));
        assert_eq!(resolve_literal("${*}${?}${$}", &c, V12).as_deref(), Some("*?$"));
    }

    #[test]
    fn absent_key_resolves_to_nothing() {
        let c = ctx();
        assert_eq!(resolve_literal("home/${aws:TokenIssueTime}", &c, V12), None);
        assert_eq!(resolve_pattern("home/${aws:TokenIssueTime}/*", &c, V12), None);
    }

    #[test]
    fn default_value_used_only_when_absent() {
        let c = ctx();
        assert_eq!(
            resolve_literal("${aws:missing, 'anonymous'}", &c, V12).as_deref(),
            Some("anonymous")
        );
        assert_eq!(
            resolve_literal("${aws:username, 'anonymous'}", &c, V12).as_deref(),
            Some("alice")
        );
        assert_eq!(resolve_literal("${aws:missing,'x'}", &c, V12).as_deref(), Some("x"));
        assert_eq!(resolve_literal("${aws:missing, ''}", &c, V12).as_deref(), Some(""));
        // A key present with no values counts as absent.
        assert_eq!(resolve_literal("${empty:key, 'd'}", &c, V12).as_deref(), Some("d"));
        assert_eq!(resolve_literal("${empty:key}", &c, V12), None);
        // The default is literal in the pattern form too.
        let p = resolve_pattern("${aws:missing, '*'}", &c, V12).unwrap();
        assert!(p.matches("*", false) && !p.matches("x", false));
    }

    #[test]
    fn multivalued_key_resolves_to_nothing_even_with_default() {
        let c = ctx();
        assert_eq!(resolve_literal("${aws:TagKeys}", &c, V12), None);
        assert_eq!(resolve_literal("${aws:TagKeys, 'd'}", &c, V12), None);
    }

    #[test]
    fn version_2008_takes_the_template_as_written() {
        let c = ctx();
        assert_eq!(
            resolve_literal("home/${aws:username}", &c, V08).as_deref(),
            Some("home/${aws:username}")
        );
        let p = resolve_pattern("home/${aws:username}/*", &c, V08).unwrap();
        assert!(p.matches("home/${aws:username}/x", false));
        assert!(!p.matches("home/alice/x", false));
        // Wildcards still work, and even an absent key is just text.
        assert!(
            resolve_pattern("${aws:nothing}?", &c, V08)
                .unwrap()
                .matches("${aws:nothing}!", false)
        );
    }

    #[test]
    fn malformed_syntax_is_literal_text() {
        let c = ctx();
        assert_eq!(
            resolve_literal("home/${aws:username", &c, V12).as_deref(),
            Some("home/${aws:username")
        );
        assert_eq!(resolve_literal("a${}b", &c, V12).as_deref(), Some("a${}b"));
        assert_eq!(
            resolve_literal("${aws:username, anonymous}", &c, V12).as_deref(),
            Some("${aws:username, anonymous}")
        );
        assert_eq!(resolve_literal("$x {y} $", &c, V12).as_deref(), Some("$x {y} $"));
        // Scanning resumes after a malformed `${`: the inner variable is still substituted.
        assert_eq!(
            resolve_literal("${a${aws:username}}", &c, V12).as_deref(),
            Some("${aalice}")
        );
        // A malformed template keeps its wildcards in the pattern form.
        let p = resolve_pattern("${oops*", &c, V12).unwrap();
        assert!(p.matches("${oops and more", false));
    }

    #[test]
    fn parse_template_parts() {
        assert_eq!(
            parse_template("a*${x:y, 'd'}${?}"),
            vec![
                Part::Text("a*".into()),
                Part::Variable {
                    key: "x:y".into(),
                    default: Some("d".into())
                },
                Part::Char('?'),
            ]
        );
        assert!(has_variables("${aws:username}"));
        assert!(has_variables("${*}"));
        assert!(!has_variables("plain*text"));
        assert!(!has_variables("${unterminated"));
    }

    fn token() -> impl proptest::strategy::Strategy<Value = Token> {
        use proptest::prelude::*;
        prop_oneof![
            4 => prop::sample::select(vec!['a', '$', '{', '}', '*', '?', ',', '\'']).prop_map(Token::Literal),
            1 => Just(Token::Star),
            1 => Just(Token::Question),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        /// A pattern's display form (literal `*`, `?`, `$` written as `${*}`, `${?}`, `${$}`)
        /// reads back to the same pattern: the escapes are exactly the policy's.
        #[test]
        fn pattern_display_reads_back(tokens in proptest::collection::vec(token(), 0..10)) {
            let p = Pattern::from_tokens(tokens);
            proptest::prop_assert_eq!(resolve_pattern(&p.to_string(), &Context::new(), V12), Some(p));
        }
    }
}
