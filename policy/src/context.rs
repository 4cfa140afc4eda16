//! The request context (condition keys and their values) and the policy language version.
//!
//! Keys are looked up case-insensitively as IAM does
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>:
//! "Condition key names are not case-sensitive").

use std::borrow::Cow;
use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::iam::Caller;

/// Condition keys of one request. A key may carry several values (multivalued keys
/// such as `aws:TagKeys`); a key absent from the request is absent here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// (key as last given, values), one entry per key whatever its case, in lower-cased
    /// key order. A request has a dozen keys or so: a sorted vector looked up without
    /// lower-casing is cheaper to build, search and drop than a map of lower-cased
    /// copies, and a key given as a literal is not copied at all.
    entries: Vec<(Cow<'static, str>, Values)>,
}

/// The values of one key: most keys have one, held without a vector of its own.
#[derive(Debug, Clone)]
enum Values {
    One(String),
    Many(Vec<String>),
}

impl Values {
    fn as_slice(&self) -> &[String] {
        match self {
            Self::One(v) => std::slice::from_ref(v),
            Self::Many(v) => v,
        }
    }
}

// Equal when the values are, however they are held.
impl PartialEq for Values {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Values {}

// As a list of strings, whatever the number, as when every key held a vector.
impl Serialize for Values {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(d).map(Values::Many)
    }
}

/// `a` and `b` compared as their ASCII lower-casings are.
fn cmp_folded(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

impl Context {
    /// A request with no condition keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A request with no condition keys yet, with room for `keys` of them.
    pub fn with_capacity(keys: usize) -> Self {
        Self {
            entries: Vec::with_capacity(keys),
        }
    }

    /// Where `key` is, or would go, whatever its case.
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| cmp_folded(k, key))
    }

    /// Sets a single-valued key, replacing what it held.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.set(key.into(), Values::One(value.into()));
    }

    /// Sets a key to several values, replacing what it held.
    pub fn insert_all(&mut self, key: impl Into<Cow<'static, str>>, values: Vec<String>) {
        self.set(key.into(), Values::Many(values));
    }

    fn set(&mut self, key: Cow<'static, str>, values: Values) {
        // Keys given in order (as a request's are built) go at the end after one
        // comparison, without a search.
        if self
            .entries
            .last()
            .is_none_or(|(last, _)| cmp_folded(last, &key) == Ordering::Less)
        {
            self.entries.push((key, values));
            return;
        }
        match self.position(&key) {
            Ok(i) => self.entries[i] = (key, values),
            Err(i) => self.entries.insert(i, (key, values)),
        }
    }

    /// A builder-style [`Context::insert`].
    pub fn with(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Drops `key`, whatever its case.
    pub fn remove(&mut self, key: &str) {
        if let Ok(i) = self.position(key) {
            self.entries.remove(i);
        }
    }

    /// The values of `key`, whatever its case; `None` when the request lacks it.
    pub(crate) fn get(&self, key: &str) -> Option<&[String]> {
        self.position(key).ok().map(|i| self.entries[i].1.as_slice())
    }

    /// The single value of `key` (the first, for a multivalued key).
    #[cfg(test)]
    fn first(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// Whether the request has `key`, whatever its case.
    #[cfg(test)]
    fn contains(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Keys (as last given) and values, in lower-cased key order.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (&**k, v.as_slice()))
    }
}

/// Where a policy looks condition keys up: a request's [`Context`], or (inside the
/// evaluation) that context with the caller's principal keys laid over it.
pub trait Keys {
    /// The values of `key`, whatever its case; `None` when the request lacks it.
    fn values(&self, key: &str) -> Option<&[String]>;
}

impl Keys for Context {
    fn values(&self, key: &str) -> Option<&[String]> {
        self.get(key)
    }
}

/// The keys IAM sets from the caller, whatever the request sent for them
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>).
pub(crate) const PRINCIPAL_KEYS: [&str; 5] = [
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
];

/// A request's context with the caller's principal keys laid over it: those keys are
/// read from the caller only, every other key from `request`, which is borrowed, not
/// copied. The caller's keys are built when a policy first reads one: most requests
/// are decided without.
#[derive(Debug)]
pub(crate) struct WithPrincipal<'r> {
    caller: &'r Caller,
    principal: std::cell::OnceCell<Context>,
    request: &'r Context,
}

impl<'r> WithPrincipal<'r> {
    pub(crate) fn new(caller: &'r Caller, request: &'r Context) -> Self {
        Self {
            caller,
            principal: std::cell::OnceCell::new(),
            request,
        }
    }
}

impl Keys for WithPrincipal<'_> {
    fn values(&self, key: &str) -> Option<&[String]> {
        if PRINCIPAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            self.principal
                .get_or_init(|| crate::eval::principal_keys(self.caller))
                .get(key)
        } else {
            self.request.get(key)
        }
    }
}

/// The policy language version, which decides whether `${...}` is a variable
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
    /// `2008-10-17`, or no `Version` at all: `${...}` is literal text.
    V2008_10_17,
}

impl Version {
    /// Whether `${...}` in policy text is a policy variable rather than literal text.
    pub(crate) fn variables_enabled(self) -> bool {
        self == Self::V2012_10_17
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request cannot claim a principal key: those come from the caller alone, even
    /// when the caller has none of them (an anonymous caller has no aws:PrincipalArn).
    #[test]
    fn principal_keys_come_from_the_caller_only() {
        let request = Context::new()
            .with("aws:PrincipalArn", "arn:aws:iam::999999999999:root")
            .with("aws:SourceIp", "10.0.0.1");
        let layered = WithPrincipal::new(&Caller::Anonymous, &request);
        assert_eq!(layered.values("AWS:PRINCIPALARN"), None);
        assert_eq!(layered.values("aws:principaltype"), Some(&["Anonymous".to_owned()][..]));
        assert_eq!(layered.values("aws:SourceIp"), Some(&["10.0.0.1".to_owned()][..]));
        assert_eq!(layered.values("aws:username"), None);
    }

    proptest::proptest! {
        /// However keys arrive (in order, as the simulator builds a request's, or not),
        /// each is held once whatever its case, the last value given wins, and the
        /// entries stay in lower-cased key order.
        #[test]
        fn insertion_order_does_not_matter(
            pairs in proptest::collection::vec(("[a-cA-C:]{1,4}", "[a-z]{0,3}"), 0..24),
        ) {
            let mut c = Context::new();
            for (k, v) in &pairs {
                c.insert(k.clone(), v.clone());
            }
            let mut expected: Vec<(String, String)> = Vec::new();
            for (k, v) in &pairs {
                match expected.iter_mut().find(|(e, _)| e.eq_ignore_ascii_case(k)) {
                    Some(e) => *e = (k.clone(), v.clone()),
                    None => expected.push((k.clone(), v.clone())),
                }
            }
            expected.sort_by_key(|(k, _)| k.to_ascii_lowercase());
            let held: Vec<(String, String)> = c.iter().map(|(k, v)| (k.to_owned(), v[0].clone())).collect();
            proptest::prop_assert_eq!(held, expected.clone());
            for (k, v) in &expected {
                proptest::prop_assert_eq!(c.first(&k.to_ascii_uppercase()), Some(v.as_str()));
            }
        }
    }

    #[test]
    fn keys_are_case_insensitive() {
        let c = Context::new().with("aws:SourceIp", "127.0.0.1");
        assert_eq!(c.first("AWS:SOURCEIP"), Some("127.0.0.1"));
        assert!(c.contains("aws:sourceip"));
        assert_eq!(c.iter().next().map(|(k, _)| k), Some("aws:SourceIp"));
    }
}
