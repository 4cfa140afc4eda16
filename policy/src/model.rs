//! The policy document as IAM's grammar defines it
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>),
//! after parsing: single values and one-element lists are the same thing here.

use std::collections::BTreeMap;
use std::fmt;

use super::condition::Condition;
use super::context::Version;

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `None` when the document has no `Version` (which behaves as 2008-10-17).
    pub version: Option<Version>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl Policy {
    /// The version that governs evaluation.
    pub fn effective_version(&self) -> Version {
        self.version.unwrap_or(Version::V2008_10_17)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        })
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; absent in identity policies.
    pub principal: Option<PrincipalElement>,
    pub action: ActionElement,
    /// `Resource` or `NotResource`.
    pub resource: Option<ResourceElement>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// How the statement is named in messages: its Sid, or its position.
    pub fn label(&self, index: usize) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("`{sid}`"),
            _ => format!("#{}", index + 1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalElement {
    Principal(Principals),
    NotPrincipal(Principals),
}

/// The value of a `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// `"Principal": "*"`: everyone, including anonymous callers.
    Everyone,
    /// `{"AWS": [...], "Service": [...], ...}`.
    Typed(BTreeMap<PrincipalType, Vec<String>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalType {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Service => "Service",
            Self::Federated => "Federated",
            Self::CanonicalUser => "CanonicalUser",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "AWS" => Some(Self::Aws),
            "Service" => Some(Self::Service),
            "Federated" => Some(Self::Federated),
            "CanonicalUser" => Some(Self::CanonicalUser),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionElement {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceElement {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}
