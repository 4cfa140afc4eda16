//! S3's refusal of a policy document: the `MalformedPolicy` error and the messages S3 words it with.
//!
//! The code is S3's (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>);
//! the messages are quoted where S3 has one for the case.

use std::fmt;

/// A policy S3 refuses to save, as S3 words the refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// `MalformedPolicy` (S3's error code for every refusal here).
    pub code: &'static str,
    /// S3's message, verbatim where S3 has one.
    pub message: String,
    /// The statement, by Sid or position (`#2`).
    pub statement: Option<String>,
    /// The element at fault (`Principal`, `Resource`, ...).
    pub field: Option<&'static str>,
    /// What exactly is wrong, for a person.
    pub detail: Option<String>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let mut parts = Vec::new();
        if let Some(s) = &self.statement {
            parts.push(format!("statement {s}"));
        }
        if let Some(field) = self.field {
            parts.push(format!("field {field}"));
        }
        if let Some(d) = &self.detail {
            parts.push(d.clone());
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

/// A `MalformedPolicy` error with S3's message, to be placed with [`PolicyError::at`].
pub(crate) fn err(message: &str) -> PolicyError {
    PolicyError {
        code: "MalformedPolicy",
        message: message.to_owned(),
        statement: None,
        field: None,
        detail: None,
    }
}

impl PolicyError {
    /// Names the statement (by Sid or position) and the element at fault.
    pub(crate) fn at(mut self, statement: &str, field: &'static str) -> Self {
        self.statement = Some(statement.to_owned());
        self.field = Some(field);
        self
    }

    /// Adds what exactly is wrong, for a person.
    pub(crate) fn because(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

// S3's own messages for the refusals it words specifically.
pub(crate) const NOT_JSON: &str = "Policies must be valid JSON and the first byte must be '{'";
pub(crate) const BAD_VERSION: &str = "The policy must contain a valid version string";
pub(crate) const BAD_PRINCIPAL: &str = "Invalid principal in policy";
pub(crate) const BAD_RESOURCE: &str = "Policy has invalid resource";
pub(crate) const BAD_ACTION: &str = "Policy has invalid action";
pub(crate) const NO_APPLICABLE_RESOURCE: &str = "Action does not apply to any resource(s) in statement";
