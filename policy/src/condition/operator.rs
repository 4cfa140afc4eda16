//! Condition operator names: the base operators, their `IfExists` suffix and the
//! `ForAnyValue:` / `ForAllValues:` set qualifiers.

use std::fmt;
use std::str::FromStr;

use super::ConditionError;

/// `ForAnyValue:` / `ForAllValues:`, the set operators for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

impl SetQualifier {
    pub fn name(self) -> &'static str {
        match self {
            Self::ForAnyValue => "ForAnyValue",
            Self::ForAllValues => "ForAllValues",
        }
    }
}

/// What kind of values an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    String,
    Numeric,
    Date,
    Boolean,
    Binary,
    IpAddress,
    Arn,
    Null,
}

/// A condition operator without its `ForAnyValue:`/`ForAllValues:` prefix and `IfExists` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl BaseOperator {
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
    pub fn name(self) -> &'static str {
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
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The "negated matching" operators, true when the request value matches none of the
    /// policy values and when the key is absent
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>).
    pub fn is_negated(self) -> bool {
        self.negation_of().is_some()
    }

    /// For a negated operator, the positive one it negates.
    pub fn negation_of(self) -> Option<Self> {
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
    pub fn positive(self) -> Self {
        self.negation_of().unwrap_or(self)
    }

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

    /// Whether policy variables in this operator's values are substituted.
    ///
    /// The operators page allows variables with the String, ARN and Boolean operators and
    /// forbids them with Numeric, Date, Binary, IP address and Null
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>).
    /// The variables page lists Boolean among the forbidden ones
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>);
    /// we follow the operators page, the more specific one. A `Bool` value without `${` is
    /// unaffected either way.
    pub fn supports_variables(self) -> bool {
        matches!(self.category(), Category::String | Category::Arn | Category::Boolean)
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
    pub qualifier: Option<SetQualifier>,
    pub base: BaseOperator,
    pub if_exists: bool,
}

impl Operator {
    /// The bare operator: no qualifier, no `IfExists`.
    pub fn new(base: BaseOperator) -> Self {
        Self {
            qualifier: None,
            base,
            if_exists: false,
        }
    }

    pub fn is_negated(&self) -> bool {
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
