//! The request context (condition keys and their values) and the policy language version.
//!
//! Keys are looked up case-insensitively as IAM does
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>:
//! "Condition key names are not case-sensitive").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Condition keys of one request. A key may carry several values (multivalued keys
/// such as `aws:TagKeys`); a key absent from the request is absent here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Lower-cased key -> (key as first given, values).
    entries: BTreeMap<String, (String, Vec<String>)>,
}

impl Context {
    /// A request with no condition keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a single-valued key, replacing what it held.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.insert_all(key, vec![value.into()]);
    }

    /// Sets a key to several values, replacing what it held.
    pub fn insert_all(&mut self, key: impl Into<String>, values: Vec<String>) {
        let key = key.into();
        self.entries.insert(key.to_ascii_lowercase(), (key, values));
    }

    /// A builder-style [`Context::insert`].
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Drops `key`, whatever its case.
    pub fn remove(&mut self, key: &str) {
        self.entries.remove(&key.to_ascii_lowercase());
    }

    /// The values of `key`, whatever its case; `None` when the request lacks it.
    pub(crate) fn get(&self, key: &str) -> Option<&[String]> {
        self.entries.get(&key.to_ascii_lowercase()).map(|(_, v)| v.as_slice())
    }

    /// The single value of `key` (the first, for a multivalued key).
    #[cfg(test)]
    fn first(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// Whether the request has `key`, whatever its case.
    #[cfg(test)]
    fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(&key.to_ascii_lowercase())
    }

    /// Keys (as first given) and values, in lower-cased key order.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.values().map(|(k, v)| (k.as_str(), v.as_slice()))
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
/// read from `principal` only, every other key from `request`, which is borrowed, not
/// copied.
#[derive(Debug)]
pub(crate) struct WithPrincipal<'r> {
    pub principal: Context,
    pub request: &'r Context,
}

impl Keys for WithPrincipal<'_> {
    fn values(&self, key: &str) -> Option<&[String]> {
        if PRINCIPAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            self.principal.get(key)
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
        let layered = WithPrincipal {
            principal: Context::new().with("aws:PrincipalType", "Anonymous"),
            request: &request,
        };
        assert_eq!(layered.values("AWS:PRINCIPALARN"), None);
        assert_eq!(layered.values("aws:principaltype"), Some(&["Anonymous".to_owned()][..]));
        assert_eq!(layered.values("aws:SourceIp"), Some(&["10.0.0.1".to_owned()][..]));
        assert_eq!(layered.values("aws:username"), None);
    }

    #[test]
    fn keys_are_case_insensitive() {
        let c = Context::new().with("aws:SourceIp", "127.0.0.1");
        assert_eq!(c.first("AWS:SOURCEIP"), Some("127.0.0.1"));
        assert!(c.contains("aws:sourceip"));
        assert_eq!(c.iter().next().map(|(k, _)| k), Some("aws:SourceIp"));
    }
}
