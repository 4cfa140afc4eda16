//! The `Condition` element: the [`Condition`] type, its operators, JSON form and evaluation.
//!
//! Conditions are evaluated against a request [`Context`](crate::Context), with an
//! explanation of every decision.
//!
//! Sources, cited again where each rule is applied:
//! - operators: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! - several keys, values, set qualifiers: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>
//! - policy variables in values: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>
//!
//! Evaluation in short: conditions are ANDed (across operators and keys). For one condition,
//! a request value *satisfies* a positive operator when it matches at least one policy value
//! (OR), and a negated operator (`StringNotEquals`, `NotIpAddress`, ...) when it matches none
//! of them (NOR). Without a set qualifier the condition holds when some request value
//! satisfies it; `ForAnyValue` likewise; `ForAllValues` when every request value does. A key
//! that is absent, or present with no values, is handled before any comparison (see
//! [`evaluate()`]).

mod evaluate;
mod json;
mod operator;
mod value;

use thiserror::Error;

pub use evaluate::{ConditionOutcome, evaluate, evaluate_all};
pub use json::{conditions_to_json, parse_conditions};
pub use operator::{BaseOperator, Category, Operator, SetQualifier};
use value::{decode_base64, parse_bool, parse_cidr, parse_date, parse_number};

/// One condition: an operator, a key, and the policy values (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Condition {
    /// How the request's values are compared with `values`.
    pub operator: Operator,
    /// The condition key as the policy spells it; looked up without regard to case.
    pub key: String,
    /// The policy values as text (`10`, `true` and `"10"` alike), possibly with variables.
    pub values: Vec<String>,
}

impl Condition {
    /// A condition as given, unchecked: see [`Condition::validate`].
    pub fn new(operator: Operator, key: impl Into<String>, values: Vec<String>) -> Self {
        Self {
            operator,
            key: key.into(),
            values,
        }
    }

    /// Checks what [`parse_conditions`] checks: a key, at least one value, no
    /// `NullIfExists`, and values of the operator's type (numbers for Numeric, dates for
    /// Date, base64 for BinaryEquals, CIDR or addresses for IpAddress, `true`/`false` for
    /// Null). String, ARN and Bool values are free text (they may hold policy variables).
    pub fn validate(&self) -> Result<(), ConditionError> {
        let at = |msg: String| ConditionError::new(format!("{} {}: {msg}", self.operator, self.key));
        if self.key.is_empty() {
            return Err(ConditionError::new(format!("{}: empty condition key", self.operator)));
        }
        if self.values.is_empty() {
            return Err(at("no values (an empty list is not allowed)".into()));
        }
        if self.operator.base == BaseOperator::Null && self.operator.if_exists {
            return Err(at("IfExists cannot be added to the Null condition operator".into()));
        }
        for v in &self.values {
            let ok = match self.operator.base.category() {
                Category::String | Category::Arn | Category::Boolean => true,
                Category::Numeric => parse_number(v).is_some(),
                Category::Date => parse_date(v).is_some(),
                Category::Binary => decode_base64(v).is_some(),
                Category::IpAddress => parse_cidr(v).is_some(),
                Category::Null => parse_bool(v).is_some(),
            };
            if !ok {
                let expected = match self.operator.base.category() {
                    Category::Numeric => "a number",
                    Category::Date => "an ISO 8601 date or epoch seconds",
                    Category::Binary => "base64",
                    Category::IpAddress => "an IP address or CIDR range",
                    _ => "true or false",
                };
                return Err(at(format!("{v:?} is not {expected}")));
            }
        }
        Ok(())
    }
}

/// A malformed `Condition` element.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ConditionError {
    /// What is wrong, naming the operator and key.
    pub message: String,
}

impl ConditionError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Condition;
    use crate::context::{Context, Version};

    pub(crate) const V12: Version = Version::V2012_10_17;

    pub(crate) fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition::new(op.parse().unwrap(), key, values.iter().map(|s| s.to_string()).collect())
    }

    pub(crate) fn eval(op: &str, key: &str, values: &[&str], ctx: &Context) -> bool {
        super::evaluate(&cond(op, key, values), ctx, V12).matched
    }

    pub(crate) fn one(key: &str, value: &str) -> Context {
        Context::new().with(key.to_owned(), value)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn validate_catches_hand_built_conditions() {
        let mut c = cond("StringEquals", "k", &["a"]);
        c.values.clear();
        assert!(c.validate().is_err());
        let c = Condition::new(
            Operator {
                qualifier: None,
                base: BaseOperator::Null,
                if_exists: true,
            },
            "k",
            vec!["true".into()],
        );
        assert!(c.validate().is_err());
        // Evaluating an invalid value never panics and matches nothing.
        let c = Condition::new(Operator::new(BaseOperator::NumericEquals), "k", vec!["x".into()]);
        let out = evaluate(&c, &one("k", "1"), V12);
        assert!(!out.matched);
        assert!(out.explanation.contains("x (not a number)"), "{}", out.explanation);
    }
}
