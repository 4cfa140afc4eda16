//! Condition operators: the base operators, the `IfExists` suffix and the `ForAnyValue:`/`ForAllValues:` qualifiers.

use std::fmt;
use std::str::FromStr;

use super::ConditionError;

/// `ForAnyValue:` / `ForAllValues:`, the set operators for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// At least one request value must satisfy the operator.
    ForAnyValue,
    /// Every request value must satisfy the operator; true when there are none.
    ForAllValues,
}

impl SetQualifier {
    /// The prefix as AWS spells it, without the colon.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ForAnyValue => "ForAnyValue",
            Self::ForAllValues => "ForAllValues",
        }
    }
}

/// What kind of values an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Text (`String...` operators).
    String,
    /// Decimal numbers (`Numeric...`).
    Numeric,
    /// Instants, as ISO 8601 dates or epoch seconds (`Date...`).
    Date,
    /// `true` or `false` (`Bool`).
    Boolean,
    /// Bytes written as base64 (`BinaryEquals`).
    Binary,
    /// IP addresses and CIDR ranges (`IpAddress`, `NotIpAddress`).
    IpAddress,
    /// ARNs, compared segment by segment (`Arn...`).
    Arn,
    /// The key's presence rather than its values (`Null`).
    Null,
}

/// A condition operator without its `ForAnyValue:`/`ForAllValues:` prefix and `IfExists` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOperator {
    /// Exact, case-sensitive match.
    StringEquals,
    /// Negated [`StringEquals`](Self::StringEquals).
    StringNotEquals,
    /// Exact match, ignoring case.
    StringEqualsIgnoreCase,
    /// Negated [`StringEqualsIgnoreCase`](Self::StringEqualsIgnoreCase).
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match against a `*`/`?` wildcard pattern.
    StringLike,
    /// Negated [`StringLike`](Self::StringLike).
    StringNotLike,
    /// The request number equals the policy number.
    NumericEquals,
    /// Negated [`NumericEquals`](Self::NumericEquals).
    NumericNotEquals,
    /// The request number is below the policy number.
    NumericLessThan,
    /// The request number is at most the policy number.
    NumericLessThanEquals,
    /// The request number is above the policy number.
    NumericGreaterThan,
    /// The request number is at least the policy number.
    NumericGreaterThanEquals,
    /// The request date is the same instant as the policy date.
    DateEquals,
    /// Negated [`DateEquals`](Self::DateEquals).
    DateNotEquals,
    /// The request date is before the policy date.
    DateLessThan,
    /// The request date is at or before the policy date.
    DateLessThanEquals,
    /// The request date is after the policy date.
    DateGreaterThan,
    /// The request date is at or after the policy date.
    DateGreaterThanEquals,
    /// `true` or `false`, compared without regard to case.
    Bool,
    /// The same bytes, both sides read as base64.
    BinaryEquals,
    /// The request address is in one of the policy's CIDR ranges.
    IpAddress,
    /// Negated [`IpAddress`](Self::IpAddress).
    NotIpAddress,
    /// Behaves exactly as [`ArnLike`](Self::ArnLike), as AWS documents.
    ArnEquals,
    /// ARN match segment by segment, with `*`/`?` wildcards inside a segment.
    ArnLike,
    /// Negated [`ArnEquals`](Self::ArnEquals).
    ArnNotEquals,
    /// Negated [`ArnLike`](Self::ArnLike).
    ArnNotLike,
    /// Whether the key is absent (value `true`) or present (value `false`).
    Null,
}

impl BaseOperator {
    /// Every base operator, grouped by category.
    pub const ALL: [BaseOperator; 27] = [
        Self::StringEquals,
        Self::StringNotEquals,
        Self::StringEqualsIgnoreCase,
        Self::StringNotEqualsIgnoreCase,
        Self::StringLike,
        Self::StringNotLike,
        Self::NumericEquals,
        Self::NumericNotEquals,
        Self::NumericLessThan,
        Self::NumericLessThanEquals,
        Self::NumericGreaterThan,
        Self::NumericGreaterThanEquals,
        Self::DateEquals,
        Self::DateNotEquals,
        Self::DateLessThan,
        Self::DateLessThanEquals,
        Self::DateGreaterThan,
        Self::DateGreaterThanEquals,
        Self::Bool,
        Self::BinaryEquals,
        Self::IpAddress,
        Self::NotIpAddress,
        Self::ArnEquals,
        Self::ArnLike,
        Self::ArnNotEquals,
        Self::ArnNotLike,
        Self::Null,
    ];

    /// The name as AWS spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::StringEquals => "StringEquals",
            Self::StringNotEquals => "StringNotEquals",
            Self::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            Self::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            Self::StringLike => "StringLike",
            Self::StringNotLike => "StringNotLike",
            Self::NumericEquals => "NumericEquals",
            Self::NumericNotEquals => "NumericNotEquals",
            Self::NumericLessThan => "NumericLessThan",
            Self::NumericLessThanEquals => "NumericLessThanEquals",
            Self::NumericGreaterThan => "NumericGreaterThan",
            Self::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            Self::DateEquals => "DateEquals",
            Self::DateNotEquals => "DateNotEquals",
            Self::DateLessThan => "DateLessThan",
            Self::DateLessThanEquals => "DateLessThanEquals",
            Self::DateGreaterThan => "DateGreaterThan",
            Self::DateGreaterThanEquals => "DateGreaterThanEquals",
            Self::Bool => "Bool",
            Self::BinaryEquals => "BinaryEquals",
            Self::IpAddress => "IpAddress",
            Self::NotIpAddress => "NotIpAddress",
            Self::ArnEquals => "ArnEquals",
            Self::ArnLike => "ArnLike",
            Self::ArnNotEquals => "ArnNotEquals",
            Self::ArnNotLike => "ArnNotLike",
            Self::Null => "Null",
        }
    }

    /// The operator with exactly this name (names are case-sensitive, see [`Operator`]'s `FromStr`).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The "negated matching" operators, true when the request value matches none of the
    /// policy values and when the key is absent
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>).
    pub(crate) fn is_negated(self) -> bool {
        self.negation_of().is_some()
    }

    /// For a negated operator, the positive one it negates.
    pub(crate) fn negation_of(self) -> Option<Self> {
        Some(match self {
            Self::StringNotEquals => Self::StringEquals,
            Self::StringNotEqualsIgnoreCase => Self::StringEqualsIgnoreCase,
            Self::StringNotLike => Self::StringLike,
            Self::NumericNotEquals => Self::NumericEquals,
            Self::DateNotEquals => Self::DateEquals,
            Self::NotIpAddress => Self::IpAddress,
            Self::ArnNotEquals => Self::ArnEquals,
            Self::ArnNotLike => Self::ArnLike,
            _ => return None,
        })
    }

    /// For a positive operator that has a negated form, that form.
    pub fn negated(self) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.negation_of() == Some(self))
    }

    /// The operator whose match a value is tested against: itself, or what it negates.
    pub(crate) fn positive(self) -> Self {
        self.negation_of().unwrap_or(self)
    }

    /// The kind of values the operator compares, which decides how they are read.
    pub fn category(self) -> Category {
        use BaseOperator::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Category::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Category::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Category::Date,
            Bool => Category::Boolean,
            BinaryEquals => Category::Binary,
            IpAddress | NotIpAddress => Category::IpAddress,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Category::Arn,
            Null => Category::Null,
        }
    }
}

impl fmt::Display for BaseOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A full condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The `ForAnyValue:`/`ForAllValues:` prefix, for keys with several values.
    pub qualifier: Option<SetQualifier>,
    /// The comparison itself.
    pub base: BaseOperator,
    /// The `IfExists` suffix: the condition also holds when the key is absent.
    pub if_exists: bool,
}

impl Operator {
    /// The bare operator: no qualifier, no `IfExists`.
    #[cfg(test)]
    pub(crate) fn new(base: BaseOperator) -> Self {
        Self {
            qualifier: None,
            base,
            if_exists: false,
        }
    }

    /// Whether the base operator is a negated one (`StringNotEquals`, `NotIpAddress`, ...).
    pub(crate) fn is_negated(&self) -> bool {
        self.base.is_negated()
    }
}

/// The canonical name: `[ForAnyValue:|ForAllValues:]Base[IfExists]`.
impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(q) = self.qualifier {
            write!(f, "{}:", q.name())?;
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Parses an operator name.
///
/// Names are case-sensitive: the operators page and the policy grammar
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>) only
/// ever spell them one way, and IAM rejects another spelling (`MalformedPolicyDocument: Invalid
/// Condition type : stringEquals`). Only condition *key* names are case-insensitive
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>).
/// The error names the right spelling when only the case is wrong.
///
/// `NullIfExists` is refused: "You can add `IfExists` to the end of any condition operator
/// name except the `Null` condition"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists>).
/// A set qualifier on `Null` (`ForAllValues:Null`) is accepted and has no effect, since
/// `Null` tests presence, not values: the docs define no such combination, and refusing a
/// policy AWS may accept would be worse in a simulator than tolerating it.
impl FromStr for Operator {
    type Err = ConditionError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let (qualifier, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, name)
        };
        let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let Some(base) = BaseOperator::from_name(base_name) else {
            return Err(unknown_operator(name));
        };
        if base == BaseOperator::Null && if_exists {
            return Err(ConditionError::new(format!(
                "{name}: IfExists cannot be added to the Null condition operator"
            )));
        }
        Ok(Self {
            qualifier,
            base,
            if_exists,
        })
    }
}

fn unknown_operator(name: &str) -> ConditionError {
    // Suggest the canonical spelling when only the case differs.
    let lower = name.to_ascii_lowercase();
    let suggestion = [None, Some(SetQualifier::ForAnyValue), Some(SetQualifier::ForAllValues)]
        .into_iter()
        .flat_map(|qualifier| {
            BaseOperator::ALL.into_iter().flat_map(move |base| {
                [false, true].into_iter().map(move |if_exists| Operator {
                    qualifier,
                    base,
                    if_exists,
                })
            })
        })
        .map(|op| op.to_string())
        .find(|candidate| candidate.to_ascii_lowercase() == lower);
    ConditionError::new(match suggestion {
        Some(s) => format!("unknown condition operator {name} (operator names are case-sensitive: did you mean {s}?)"),
        None => format!("unknown condition operator {name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_round_trip() {
        for q in [None, Some(SetQualifier::ForAnyValue), Some(SetQualifier::ForAllValues)] {
            for base in BaseOperator::ALL {
                for if_exists in [false, true] {
                    if base == BaseOperator::Null && if_exists {
                        continue;
                    }
                    let op = Operator {
                        qualifier: q,
                        base,
                        if_exists,
                    };
                    assert_eq!(op.to_string().parse::<Operator>(), Ok(op));
                }
            }
        }
        assert_eq!(
            "ForAnyValue:StringLikeIfExists"
                .parse::<Operator>()
                .unwrap()
                .to_string(),
            "ForAnyValue:StringLikeIfExists"
        );
    }

    #[test]
    fn operator_names_are_case_sensitive() {
        let e = "stringequals".parse::<Operator>().unwrap_err();
        assert!(e.message.contains("did you mean StringEquals"), "{e}");
        let e = "foranyvalue:stringlikeifexists".parse::<Operator>().unwrap_err();
        assert!(e.message.contains("ForAnyValue:StringLikeIfExists"), "{e}");
        assert!("StringEqualz".parse::<Operator>().is_err());
        assert!("ForSomeValues:StringEquals".parse::<Operator>().is_err());
        assert!("StringEqualsIfExistsIfExists".parse::<Operator>().is_err());
        assert!("IfExists".parse::<Operator>().is_err());
        assert!("NullIfExists".parse::<Operator>().is_err());
        assert!("ForAllValues:Null".parse::<Operator>().is_ok());
    }

    #[test]
    fn negation_pairs() {
        assert_eq!(BaseOperator::StringNotLike.positive(), BaseOperator::StringLike);
        assert_eq!(BaseOperator::IpAddress.negated(), Some(BaseOperator::NotIpAddress));
        assert_eq!(BaseOperator::NumericLessThan.negated(), None);
        assert_eq!(BaseOperator::ALL.iter().filter(|o| o.is_negated()).count(), 8);
    }
}
