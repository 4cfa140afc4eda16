//! The parsed policy document: statements and their elements.
//!
//! The shapes are those of IAM's grammar
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>), after
//! parsing: single values and one-element lists are the same thing here.

use std::collections::BTreeMap;
use std::fmt;

use crate::condition::Condition;
use crate::context::Version;

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `None` when the document has no `Version` (which behaves as 2008-10-17).
    pub version: Option<Version>,
    /// The document's `Id`, which IAM keeps but never evaluates.
    pub id: Option<String>,
    /// The statements in document order (a lone statement object is a list of one).
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Whether evaluating the policy can read a request's condition keys: a statement
    /// has a `Condition`, or a `Resource` or `NotResource` pattern has a policy
    /// variable (`${...}`, counted whatever the version). A policy with neither
    /// decides every request the same whatever its [`crate::Context`] holds, so a
    /// caller may leave the context empty for it.
    pub fn reads_request_keys(&self) -> bool {
        self.statements.iter().any(|s| {
            !s.conditions.is_empty()
                || s.resource.as_ref().is_some_and(|r| match r {
                    ResourceElement::Resource(p) | ResourceElement::NotResource(p) => {
                        p.iter().any(|p| p.contains("${"))
                    }
                })
        })
    }

    /// The version that governs evaluation.
    pub(crate) fn effective_version(&self) -> Version {
        self.version.unwrap_or(Version::V2008_10_17)
    }
}

/// What a matching statement does to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Grants, unless a matching `Deny` overrides it.
    Allow,
    /// Refuses, whatever else allows.
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
    /// The `Sid`: a name for messages, unique within the policy when not empty.
    pub sid: Option<String>,
    /// Whether a match allows or denies.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; absent in identity policies.
    pub principal: Option<PrincipalElement>,
    /// `Action` or `NotAction`.
    pub action: ActionElement,
    /// `Resource` or `NotResource`.
    pub resource: Option<ResourceElement>,
    /// The `Condition` element, one entry per operator and key; all must hold.
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// How the statement is named in messages: its Sid, or its position.
    pub(crate) fn label(&self, index: usize) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => format!("`{sid}`"),
            _ => format!("#{}", index + 1),
        }
    }
}

/// Whom a bucket-policy statement applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalElement {
    /// `Principal`: the statement applies to these callers.
    Principal(Principals),
    /// `NotPrincipal`: the statement applies to every caller but these.
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

/// The kinds of principal a `Principal` element can name, by their key in the element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalType {
    /// `AWS`: accounts, IAM users and roles, role sessions.
    Aws,
    /// `Service`: AWS services such as `s3.amazonaws.com`.
    Service,
    /// `Federated`: web identity and SAML providers.
    Federated,
    /// `CanonicalUser`: an account's canonical user id, as S3 ACLs use it.
    CanonicalUser,
}

impl PrincipalType {
    /// The key as the policy spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Service => "Service",
            Self::Federated => "Federated",
            Self::CanonicalUser => "CanonicalUser",
        }
    }

    /// The type with exactly this key (keys are case-sensitive).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "AWS" => Some(Self::Aws),
            "Service" => Some(Self::Service),
            "Federated" => Some(Self::Federated),
            "CanonicalUser" => Some(Self::CanonicalUser),
            _ => None,
        }
    }
}

/// Which actions a statement covers, as action patterns (`s3:Get*`, `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionElement {
    /// `Action`: the actions the patterns match.
    Action(Vec<String>),
    /// `NotAction`: every action the patterns do not match.
    NotAction(Vec<String>),
}

/// Which resources a statement covers, as ARN patterns that may hold policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceElement {
    /// `Resource`: the resources the patterns match.
    Resource(Vec<String>),
    /// `NotResource`: every resource the patterns do not match.
    NotResource(Vec<String>),
}
