//! The `Condition` element: operators, parsing, canonical JSON, and evaluation against a
//! request [`Context`], with an explanation of every decision.
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
//! [`evaluate`]).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde_json::{Map, Value};
use thiserror::Error;

use super::context::{Context, Version};
use super::pattern::{Pattern, str_eq};
use super::variables::{resolve_literal, resolve_pattern};

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

/// One condition: an operator, a key, and the policy values (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<String>,
}

impl Condition {
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
                Category::IpAddress => Cidr::parse(v).is_some(),
                Category::Null => v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"),
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
    pub message: String,
}

impl ConditionError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Parses the JSON value of a statement's `Condition` element:
/// `{"Operator": {"key": value-or-array, ...}, ...}`.
///
/// Values may be strings, numbers or booleans, stored as their text (`10` -> `"10"`,
/// `true` -> `"true"`; the grammar allows all three:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>), or a
/// non-empty array of them. `null`, objects, nested arrays and empty arrays are errors, as
/// are unknown operators and values of the wrong type for the operator ([`Condition::validate`]).
/// An operator whose block is `{}` contributes no condition. The order is that of the JSON
/// object (serde_json's map order).
pub fn parse_conditions(value: &Value) -> Result<Vec<Condition>, ConditionError> {
    let Value::Object(blocks) = value else {
        return Err(ConditionError::new(format!(
            "Condition must be an object of operators, not {}",
            json_kind(value)
        )));
    };
    let mut out = Vec::new();
    for (op_name, block) in blocks {
        let operator: Operator = op_name.parse()?;
        let Value::Object(keys) = block else {
            return Err(ConditionError::new(format!(
                "{op_name} must map condition keys to values, not {}",
                json_kind(block)
            )));
        };
        for (key, v) in keys {
            let values = condition_values(v).map_err(|why| ConditionError::new(format!("{op_name} {key}: {why}")))?;
            let condition = Condition::new(operator, key.clone(), values);
            condition.validate()?;
            out.push(condition);
        }
    }
    Ok(out)
}

fn condition_values(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) if items.is_empty() => Err("no values (an empty list is not allowed)".into()),
        Value::Array(items) => items.iter().map(scalar_text).collect(),
        other => Ok(vec![scalar_text(other)?]),
    }
}

fn scalar_text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!(
            "a condition value must be a string, number or boolean, not {}",
            json_kind(other)
        )),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The canonical JSON of a list of conditions, grouped by operator: a single value as a
/// string, several as an array. `parse_conditions(&conditions_to_json(c))` gives back `c`
/// (in the map's key order) for any `c` that came from [`parse_conditions`].
pub fn conditions_to_json(conds: &[Condition]) -> Value {
    let mut blocks = Map::new();
    for c in conds {
        let block = blocks
            .entry(c.operator.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(keys) = block {
            let value = match c.values.as_slice() {
                [one] => Value::String(one.clone()),
                many => Value::Array(many.iter().cloned().map(Value::String).collect()),
            };
            keys.insert(c.key.clone(), value);
        }
    }
    Value::Object(blocks)
}

/// Whether a condition (or a statement's conditions) holds, and why, in words that name
/// the key, the request values, the operator and the policy values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOutcome {
    pub matched: bool,
    pub explanation: String,
}

/// All conditions of a statement: they must all hold (AND across operators and keys:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>).
/// The explanation is the first failing condition's; when all hold, all explanations
/// joined by `; ` (or "no conditions").
pub fn evaluate_all(conds: &[Condition], ctx: &Context, version: Version) -> ConditionOutcome {
    let mut passed = Vec::with_capacity(conds.len());
    for c in conds {
        let outcome = evaluate(c, ctx, version);
        if !outcome.matched {
            return outcome;
        }
        passed.push(outcome.explanation);
    }
    ConditionOutcome {
        matched: true,
        explanation: if passed.is_empty() {
            "no conditions".to_owned()
        } else {
            passed.join("; ")
        },
    }
}

/// Evaluates one condition against the request.
///
/// When the key is absent from the request, or present with no values (both count as
/// "absent" below; an empty value set is what the multi-value page calls "an empty data
/// set"):
/// - `...IfExists` is true (operators page, "...IfExists condition operators");
/// - without a set qualifier, a positive operator is false and a negated one true ("If the
///   key that you specify in a policy condition is not present in the request context, the
///   values do not match ... If the policy condition requires that the key is not matched,
///   such as StringNotLike or ArnNotLike, and the right key is not present, the condition is
///   true", operators page);
/// - `ForAllValues` is true and `ForAnyValue` false (multi-value page: "If the key values in
///   the request resolve to an empty data set ... ForAllValues returns true, and ...
///   ForAnyValue returns false");
/// - `Null` with `true` holds, with `false` does not (operators page, "Condition operator to
///   check existence of condition keys").
///
/// With values, each request value is tested against the policy values: it satisfies a
/// positive operator if it matches at least one of them (OR), a negated operator if it
/// matches none (NOR) — so `ForAllValues:StringNotEquals` holds iff no request value is in
/// the list. `ForAnyValue` needs one satisfying request value, `ForAllValues` all of them.
/// Without a qualifier, several request values are treated like `ForAnyValue` (decided: AWS
/// says multivalued keys need a set operator and documents nothing else; "true if any
/// request value satisfies" keeps a single-valued key's behaviour and keeps a negated
/// operator the exact complement of its positive one whenever the key has one value).
///
/// Per type: a request value that cannot be read as the operator's type (not a number, a
/// date, base64, an IP address, an ARN) matches no policy value, so it fails a positive
/// operator and satisfies a negated one (decided, so that `XNotY` is always `not XY` for a
/// present single-valued key; the docs are silent). A policy value whose variable has no
/// value matches nothing.
pub fn evaluate(cond: &Condition, ctx: &Context, version: Version) -> ConditionOutcome {
    let op = cond.operator;
    let key = cond.key.as_str();
    let raw = ctx.get(key);
    let present = raw.filter(|v| !v.is_empty());
    let absent_words = if raw.is_some() { "has no values" } else { "is absent" };

    if op.base == BaseOperator::Null {
        return evaluate_null(cond, present.is_some(), absent_words);
    }

    let policy = prepare(cond, ctx, version);
    let shown = show_policy_values(&policy);

    let Some(values) = present else {
        let (matched, why) = match op.qualifier {
            _ if op.if_exists => (true, "IfExists holds when the key is absent"),
            None if op.is_negated() => (true, "a negated operator holds when the key is absent"),
            None => (false, "a positive operator needs the key"),
            Some(SetQualifier::ForAllValues) => (true, "ForAllValues holds for an absent or empty key"),
            Some(SetQualifier::ForAnyValue) => (false, "ForAnyValue needs at least one value"),
        };
        return ConditionOutcome {
            matched,
            explanation: format!("{key} {absent_words}: {op} {shown} is {matched} ({why})"),
        };
    };

    let tests: Vec<ValueTest> = values.iter().map(|v| test_value(op.base, &policy, v)).collect();
    let all_mode = op.qualifier == Some(SetQualifier::ForAllValues);
    let matched = if all_mode {
        tests.iter().all(|t| t.satisfied)
    } else {
        tests.iter().any(|t| t.satisfied)
    };

    let subject = match values {
        [one] => format!("{key} = {one}"),
        many => format!("{key} = [{}]", many.join(", ")),
    };
    let verb = if matched { "matched" } else { "did not match" };
    // Say which request value decided the outcome.
    let why = match (all_mode, matched) {
        (false, true) => tests.iter().find(|t| t.satisfied).map(|t| t.detail.clone()),
        (true, false) => tests.iter().find(|t| !t.satisfied).map(|t| t.detail.clone()),
        (true, true) if tests.len() > 1 => Some("every value satisfies it".to_owned()),
        _ => Some(tests.iter().map(|t| t.detail.as_str()).collect::<Vec<_>>().join("; ")),
    };
    let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
    ConditionOutcome {
        matched,
        explanation: format!("{subject} {verb} {op} {shown}{why}"),
    }
}

fn evaluate_null(cond: &Condition, present: bool, absent_words: &str) -> ConditionOutcome {
    // "true (the key doesn't exist — it is null) or false (the key exists and its value is not null)".
    let matched = cond.values.iter().any(|v| {
        if v.eq_ignore_ascii_case("true") {
            !present
        } else if v.eq_ignore_ascii_case("false") {
            present
        } else {
            false
        }
    });
    let state = if present { "is present" } else { absent_words };
    ConditionOutcome {
        matched,
        explanation: format!(
            "{} {state}: {} [{}] is {matched}",
            cond.key,
            cond.operator,
            cond.values.join(", ")
        ),
    }
}

/// A policy value ready for comparison.
struct PolicyValue<'a> {
    raw: &'a str,
    /// The value after variable substitution, when that changed it.
    resolved: Option<String>,
    kind: Prepared,
}

enum Prepared {
    /// A variable in it has no value: matches nothing.
    NoValue,
    /// Not usable for this operator (only for conditions built without `validate`): matches nothing.
    Invalid(&'static str),
    Text(String),
    Like(Pattern),
    Number(f64),
    Instant(i128),
    Bytes(Vec<u8>),
    Cidr(Cidr),
    /// The six segment patterns of an ARN.
    Arn(Vec<Pattern>),
}

fn prepare<'a>(cond: &'a Condition, ctx: &Context, version: Version) -> Vec<PolicyValue<'a>> {
    let base = cond.operator.base.positive();
    cond.values
        .iter()
        .map(|raw| {
            let raw = raw.as_str();
            let mut resolved = None;
            let kind = match base.category() {
                Category::String | Category::Boolean if base != BaseOperator::StringLike => {
                    match resolve_literal(raw, ctx, version) {
                        Some(s) => {
                            if s != raw {
                                resolved = Some(s.clone());
                            }
                            Prepared::Text(s)
                        }
                        None => Prepared::NoValue,
                    }
                }
                Category::String | Category::Arn => match resolve_pattern(raw, ctx, version) {
                    Some(p) => {
                        let shown = p.to_string();
                        if shown != raw {
                            resolved = Some(shown);
                        }
                        if base.category() == Category::Arn {
                            // ARN operators compare segment by segment; a value with fewer
                            // than six segments is not an ARN and matches nothing.
                            let segments = p.splitn(6, ':');
                            if segments.len() == 6 {
                                Prepared::Arn(segments)
                            } else {
                                Prepared::Invalid("not an ARN")
                            }
                        } else {
                            Prepared::Like(p)
                        }
                    }
                    None => Prepared::NoValue,
                },
                Category::Numeric => parse_number(raw).map_or(Prepared::Invalid("not a number"), Prepared::Number),
                Category::Date => parse_date(raw).map_or(Prepared::Invalid("not a date"), Prepared::Instant),
                Category::Binary => decode_base64(raw).map_or(Prepared::Invalid("not base64"), Prepared::Bytes),
                Category::IpAddress => Cidr::parse(raw).map_or(Prepared::Invalid("not a CIDR range"), Prepared::Cidr),
                Category::Boolean | Category::Null => Prepared::Invalid("not comparable"),
            };
            PolicyValue { raw, resolved, kind }
        })
        .collect()
}

fn show_policy_values(policy: &[PolicyValue<'_>]) -> String {
    let shown: Vec<String> = policy
        .iter()
        .map(|p| match (&p.kind, &p.resolved) {
            (Prepared::NoValue, _) => format!("{} (variable has no value)", p.raw),
            (Prepared::Invalid(why), _) => format!("{} ({why})", p.raw),
            (_, Some(r)) => format!("{} (= {r})", p.raw),
            (_, None) => p.raw.to_owned(),
        })
        .collect();
    format!("[{}]", shown.join(", "))
}

struct ValueTest {
    satisfied: bool,
    detail: String,
}

/// Whether one request value satisfies the operator (OR over policy values for a
/// positive operator, NOR for a negated one), with a few words on why.
fn test_value(base: BaseOperator, policy: &[PolicyValue<'_>], value: &str) -> ValueTest {
    let found = find_match(base.positive(), policy, value);
    let negated = base.is_negated();
    match found {
        Ok(Some(i)) => ValueTest {
            satisfied: !negated,
            detail: format!("{value} matches {}", policy[i].raw),
        },
        Ok(None) => ValueTest {
            satisfied: negated,
            detail: format!("{value} matches none of the values"),
        },
        Err(why) => ValueTest {
            satisfied: negated,
            detail: format!("{value} is {why}, so it matches none of the values"),
        },
    }
}

/// The index of the first policy value the request value matches under a positive
/// operator; `Err` when the request value is not of the operator's type.
fn find_match(base: BaseOperator, policy: &[PolicyValue<'_>], value: &str) -> Result<Option<usize>, &'static str> {
    use BaseOperator::*;
    use std::cmp::Ordering;

    // Read the request value once, as the operator's type.
    enum Req<'v> {
        Text(&'v str),
        Number(f64),
        Instant(i128),
        Bytes(Vec<u8>),
        Ip(IpAddr),
        Arn(Vec<&'v str>),
    }
    let req = match base.category() {
        Category::String | Category::Boolean | Category::Null => Req::Text(value),
        Category::Numeric => Req::Number(parse_number(value).ok_or("not a number")?),
        Category::Date => Req::Instant(parse_date(value).ok_or("not a date")?),
        Category::Binary => Req::Bytes(decode_base64(value).ok_or("not base64")?),
        Category::IpAddress => Req::Ip(parse_ip(value).ok_or("not an IP address")?),
        Category::Arn => {
            let segments: Vec<&str> = value.splitn(6, ':').collect();
            if segments.len() != 6 || segments[0] != "arn" {
                return Err("not an ARN");
            }
            Req::Arn(segments)
        }
    };
    let ordering_ok = |ord: Option<Ordering>| {
        let Some(ord) = ord else { return false };
        match base {
            NumericEquals | DateEquals => ord == Ordering::Equal,
            NumericLessThan | DateLessThan => ord == Ordering::Less,
            NumericLessThanEquals | DateLessThanEquals => ord != Ordering::Greater,
            NumericGreaterThan | DateGreaterThan => ord == Ordering::Greater,
            NumericGreaterThanEquals | DateGreaterThanEquals => ord != Ordering::Less,
            _ => false,
        }
    };
    Ok(policy.iter().position(|p| match (&req, &p.kind) {
        (Req::Text(v), Prepared::Text(s)) => match base {
            StringEquals => v == s,
            // "true"/"false" compare without regard to case, as IgnoreCase does.
            StringEqualsIgnoreCase | Bool => str_eq(v, s, true),
            _ => false,
        },
        (Req::Text(v), Prepared::Like(pattern)) => pattern.matches(v, false),
        // The request value is compared to the policy value: `NumericLessThan 10` holds for 5.
        (Req::Number(v), Prepared::Number(n)) => ordering_ok(v.partial_cmp(n)),
        (Req::Instant(v), Prepared::Instant(t)) => ordering_ok(Some(v.cmp(t))),
        (Req::Bytes(v), Prepared::Bytes(b)) => v == b,
        (Req::Ip(ip), Prepared::Cidr(c)) => c.contains(*ip),
        // Each of the six segments separately, wildcards within a segment only, case-sensitive;
        // ArnEquals and ArnLike "behave identically" (operators page, ARN section).
        (Req::Arn(segments), Prepared::Arn(patterns)) => patterns
            .iter()
            .zip(segments)
            .all(|(pattern, segment)| pattern.matches(segment, false)),
        _ => false,
    }))
}

/// A number as the Numeric operators read it: an integer or decimal, optionally signed,
/// optionally with an exponent; `inf`, `NaN` and hex are refused.
pub fn parse_number(s: &str) -> Option<f64> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A date as the Date operators read it, in nanoseconds since the Unix epoch.
///
/// Accepted, per "one of the W3C implementations of the ISO 8601 date formats ... or in
/// epoch (UNIX) time" (operators page, Date section; <http://www.w3.org/TR/NOTE-datetime>):
/// - epoch seconds: an optionally signed integer (`1735689600`); so a bare `2025` is read as
///   epoch seconds, not as a year;
/// - `YYYY-MM`, `YYYY-MM-DD` (midnight UTC);
/// - `YYYY-MM-DDThh:mm`, `...:ss`, `...:ss.s...` (any number of fractional digits, kept to
///   the nanosecond) followed by `Z` or an offset `±hh:mm` (also `±hhmm`, `±hh`); without a
///   zone the time is taken as UTC (decided; W3C requires the zone).
pub fn parse_date(s: &str) -> Option<i128> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        return Some(i128::from(secs) * 1_000_000_000);
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    let day = match b.get(7) {
        None => 1,
        Some(b'-') => num(8, 2)?,
        Some(_) => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 7 || b.len() == 10 {
        return Some(i128::from(days) * 86_400 * 1_000_000_000);
    }
    if !matches!(b.get(10), Some(b'T' | b't')) {
        return None;
    }
    let hour = num(11, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = num(14, 2)?;
    let mut pos = 16;
    let mut second = 0;
    let mut nanos: i128 = 0;
    if b.get(pos) == Some(&b':') {
        second = num(pos + 1, 2)?;
        pos += 3;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            if pos == start {
                return None;
            }
            // Keep nine digits (nanoseconds), padded; further digits are below our precision.
            let frac: String = s[start..pos].chars().chain(std::iter::repeat('0')).take(9).collect();
            nanos = frac.parse().ok()?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_secs: i64 = match &b[pos..] {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let (oh, om) = match b.len() - pos {
                3 => (num(pos + 1, 2)?, 0),
                5 => (num(pos + 1, 2)?, num(pos + 3, 2)?),
                6 if b[pos + 3] == b':' => (num(pos + 1, 2)?, num(pos + 4, 2)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Standard base64 (`A-Z a-z 0-9 + /`), with or without `=` padding.
///
/// BinaryEquals "compares the value of the specified key byte for byte against a base-64
/// encoded representation of the binary value in the policy" (operators page, Binary
/// section). Request context values are strings here, so a request value is taken to be
/// base64 too and both sides are decoded and compared as bytes (decided): `QQ==` and `QQ`
/// are then the same bytes. A request value that is not base64 matches nothing.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let body = s.trim_end_matches('=');
    let padding = s.len() - body.len();
    if padding > 2 || (padding > 0 && !s.len().is_multiple_of(4)) || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// An IP range. "If you specify an IP address without the associated routing prefix, IAM
/// uses the default prefix value of /32" (operators page, IP section); for IPv6 the full
/// length, /128. Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        (prefix <= max).then_some(Self { network, prefix })
    }

    /// Whether `ip` is in the range. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts
    /// as its IPv4 address; otherwise IPv4 and IPv6 never match each other.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A request value for the IP operators: a bare address (IPv4, or IPv6 as in
/// `2001:DB8::1`, any case).
fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V12: Version = Version::V2012_10_17;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition::new(op.parse().unwrap(), key, values.iter().map(|s| s.to_string()).collect())
    }

    fn eval(op: &str, key: &str, values: &[&str], ctx: &Context) -> bool {
        evaluate(&cond(op, key, values), ctx, V12).matched
    }

    fn one(key: &str, value: &str) -> Context {
        Context::new().with(key, value)
    }

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

    #[test]
    fn string_operators() {
        let c = one("aws:PrincipalTag/team", "Blue");
        assert!(eval("StringEquals", "aws:principaltag/TEAM", &["Blue"], &c));
        assert!(!eval("StringEquals", "aws:PrincipalTag/team", &["blue"], &c));
        assert!(eval("StringEqualsIgnoreCase", "aws:PrincipalTag/team", &["blue"], &c));
        assert!(!eval(
            "StringNotEqualsIgnoreCase",
            "aws:PrincipalTag/team",
            &["BLUE"],
            &c
        ));
        assert!(eval("StringNotEquals", "aws:PrincipalTag/team", &["blue"], &c));
        assert!(eval("StringLike", "aws:PrincipalTag/team", &["B*"], &c));
        assert!(!eval("StringLike", "aws:PrincipalTag/team", &["b*"], &c)); // StringLike is case-sensitive
        assert!(eval("StringLike", "aws:PrincipalTag/team", &["Bl?e"], &c));
        assert!(!eval("StringNotLike", "aws:PrincipalTag/team", &["x", "*u*"], &c));
        assert!(eval("StringNotLike", "aws:PrincipalTag/team", &["x", "y"], &c));
    }

    #[test]
    fn stringlike_empty_prefix_from_the_docs() {
        // Operators page, String section: the home-directory example.
        let values = ["", "home/", "home/${aws:username}/"];
        let c = Context::new()
            .with("aws:username", "alice")
            .with("s3:prefix", "home/alice/");
        assert!(eval("StringLike", "s3:prefix", &values, &c));
        let c = Context::new().with("aws:username", "alice").with("s3:prefix", "");
        assert!(eval("StringLike", "s3:prefix", &values, &c));
        let c = Context::new()
            .with("aws:username", "alice")
            .with("s3:prefix", "home/bob/");
        assert!(!eval("StringLike", "s3:prefix", &values, &c));
    }

    #[test]
    fn numeric_operators() {
        let c = one("s3:max-keys", "10");
        assert!(eval("NumericEquals", "s3:max-keys", &["10.0"], &c));
        assert!(eval("NumericLessThanEquals", "s3:max-keys", &["10"], &c));
        assert!(!eval("NumericLessThan", "s3:max-keys", &["10"], &c));
        assert!(eval("NumericLessThan", "s3:max-keys", &["10.5"], &c));
        assert!(eval("NumericGreaterThan", "s3:max-keys", &["-3"], &c));
        assert!(eval("NumericGreaterThanEquals", "s3:max-keys", &["10"], &c));
        assert!(!eval("NumericGreaterThan", "s3:max-keys", &["10"], &c));
        assert!(eval("NumericNotEquals", "s3:max-keys", &["9", "11"], &c));
        assert!(!eval("NumericNotEquals", "s3:max-keys", &["9", "10"], &c));
        // An unreadable request value matches nothing: positive false, negated true.
        let bad = one("s3:max-keys", "ten");
        assert!(!eval("NumericEquals", "s3:max-keys", &["10"], &bad));
        assert!(eval("NumericNotEquals", "s3:max-keys", &["10"], &bad));
        assert!(!eval("NumericLessThan", "s3:max-keys", &["10"], &bad));
    }

    #[test]
    fn numbers_are_plain_decimals() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("1e999"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number(" 1"), None);
    }

    #[test]
    fn date_formats() {
        let jan1 = 1_735_689_600i128 * 1_000_000_000; // 2025-01-01T00:00:00Z
        assert_eq!(parse_date("2025-01-01T00:00:00Z"), Some(jan1));
        assert_eq!(parse_date("2025-01-01"), Some(jan1));
        assert_eq!(parse_date("2025-01"), Some(jan1));
        assert_eq!(parse_date("1735689600"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T00:00Z"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T00:00:00"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T01:00:00+01:00"), Some(jan1));
        assert_eq!(parse_date("2024-12-31T19:00:00-0500"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T02:00:00+02"), Some(jan1));
        assert_eq!(parse_date("2025-01-01T00:00:00.5Z"), Some(jan1 + 500_000_000));
        assert_eq!(
            parse_date("2025-01-01T00:00:00.123456789123Z"),
            Some(jan1 + 123_456_789)
        );
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
        assert_eq!(parse_date("-1"), Some(-1_000_000_000));
        assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800 * 1_000_000_000));
        for bad in [
            "",
            "2025",
            "2025-13-01",
            "2025-02-29",
            "2025-01-32",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:60Z",
            "2025-01-01T00:00:00.Z",
            "2025-01-01X",
            "2025/01/01",
            "2025-01-01T00:00:00+1",
            "yesterday",
            "12.5",
            "99999999999999999999",
        ] {
            if bad == "2025" {
                // A bare number is epoch seconds.
                assert_eq!(parse_date(bad), Some(2025 * 1_000_000_000));
                continue;
            }
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_operators_in_both_formats() {
        let iso = one("aws:CurrentTime", "2025-06-01T12:00:00Z");
        let epoch = one("aws:EpochTime", "1748779200"); // the same instant
        for (key, c) in [("aws:CurrentTime", &iso), ("aws:EpochTime", &epoch)] {
            assert!(eval("DateEquals", key, &["2025-06-01T14:00:00+02:00"], c));
            assert!(eval("DateEquals", key, &["1748779200"], c));
            assert!(eval("DateGreaterThan", key, &["2025-01-01"], c));
            assert!(eval("DateGreaterThan", key, &["1735689600"], c));
            assert!(!eval("DateLessThan", key, &["2025-01-01T00:00:00Z"], c));
            assert!(eval("DateLessThanEquals", key, &["2025-06-01T12:00:00Z"], c));
            assert!(eval("DateGreaterThanEquals", key, &["2025-06-01T12:00:00.000Z"], c));
            assert!(!eval("DateLessThan", key, &["1748779200"], c));
            assert!(eval("DateNotEquals", key, &["2025-06-01"], c));
            assert!(!eval("DateNotEquals", key, &["2025-06-01", "1748779200"], c));
        }
        assert!(!eval(
            "DateEquals",
            "aws:CurrentTime",
            &["2025-06-01"],
            &one("aws:CurrentTime", "soon")
        ));
    }

    #[test]
    fn bool_operator() {
        let c = one("aws:SecureTransport", "TRUE");
        assert!(eval("Bool", "aws:SecureTransport", &["true"], &c));
        assert!(!eval("Bool", "aws:SecureTransport", &["false"], &c));
        let c = one("aws:SecureTransport", "false");
        assert!(eval("Bool", "aws:SecureTransport", &["False"], &c));
        assert!(!eval("Bool", "aws:SecureTransport", &["true"], &Context::new()));
        assert!(eval("BoolIfExists", "aws:SecureTransport", &["true"], &Context::new()));
    }

    #[test]
    fn binary_equals() {
        let c = one("k", "QmluYXJ5VmFsdWVJbkJhc2U2NA==");
        assert!(eval("BinaryEquals", "k", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], &c));
        assert!(eval("BinaryEquals", "k", &["QmluYXJ5VmFsdWVJbkJhc2U2NA"], &c)); // same bytes, no padding
        assert!(!eval("BinaryEquals", "k", &["QQ=="], &c));
        assert!(!eval("BinaryEquals", "k", &["QQ=="], &one("k", "not base64!")));
        assert_eq!(
            decode_base64("QmluYXJ5VmFsdWVJbkJhc2U2NA==").unwrap(),
            b"BinaryValueInBase64"
        );
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("QUI=").unwrap(), b"AB");
        assert_eq!(decode_base64("QUJD").unwrap(), b"ABC");
        assert_eq!(decode_base64("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
        assert_eq!(decode_base64("Q"), None);
        assert_eq!(decode_base64("QQ="), None);
        assert_eq!(decode_base64("Q==="), None);
        assert_eq!(decode_base64("QQ==QQ=="), None);
    }

    #[test]
    fn ip_operators_v4_and_v6() {
        let v4 = one("aws:SourceIp", "203.0.113.7");
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.0/24"], &v4));
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.7"], &v4)); // bare address = /32
        assert!(!eval("IpAddress", "aws:SourceIp", &["203.0.113.8"], &v4));
        assert!(eval("IpAddress", "aws:SourceIp", &["0.0.0.0/0"], &v4));
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.200/24"], &v4)); // host bits ignored
        assert!(!eval(
            "NotIpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8", "203.0.0.0/16"],
            &v4
        ));
        assert!(eval(
            "NotIpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8", "192.168.0.0/16"],
            &v4
        ));

        let v6 = one("aws:SourceIp", "2001:db8:1234:5678::1");
        // Operators page, IP section: mixed IPv4 and IPv6 list, upper-case hex.
        let mixed = ["203.0.113.0/24", "2001:DB8:1234:5678::/64"];
        assert!(eval("IpAddress", "aws:SourceIp", &mixed, &v6));
        assert!(eval("IpAddress", "aws:SourceIp", &mixed, &v4));
        assert!(!eval("IpAddress", "aws:SourceIp", &["2001:db8:1234:5679::/64"], &v6));
        assert!(eval("IpAddress", "aws:SourceIp", &["2001:db8:1234:5678::1"], &v6)); // /128
        assert!(eval("IpAddress", "aws:SourceIp", &["::/0"], &v6));
        assert!(!eval("IpAddress", "aws:SourceIp", &["::/0"], &v4)); // families don't mix
        // An IPv4-mapped IPv6 request address counts as IPv4.
        assert!(eval(
            "IpAddress",
            "aws:SourceIp",
            &["203.0.113.0/24"],
            &one("aws:SourceIp", "::ffff:203.0.113.7")
        ));
        // Not an address: no match.
        assert!(!eval(
            "IpAddress",
            "aws:SourceIp",
            &["0.0.0.0/0"],
            &one("aws:SourceIp", "localhost")
        ));
        assert!(eval(
            "NotIpAddress",
            "aws:SourceIp",
            &["0.0.0.0/0"],
            &one("aws:SourceIp", "localhost")
        ));
    }

    #[test]
    fn cidr_parsing() {
        assert!(Cidr::parse("10.0.0.0/8").is_some());
        assert!(Cidr::parse("10.0.0.0/0").is_some());
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("::/128").is_some());
        assert!(Cidr::parse("::/129").is_none());
        assert!(Cidr::parse("10.0.0.0/").is_none());
        assert!(Cidr::parse("10.0.0.0/+8").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
        assert!(Cidr::parse("example.com").is_none());
        assert_eq!(Cidr::parse("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
    }

    #[test]
    fn arn_segment_matching() {
        // Operators page, ARN section: StringLike matches, ArnLike does not.
        let pattern = ["arn:aws:someservice:*:111122223333:finance/*"];
        let tricky = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        let c = one("aws:SourceArn", tricky);
        assert!(eval("StringLike", "aws:SourceArn", &pattern, &c));
        assert!(!eval("ArnLike", "aws:SourceArn", &pattern, &c));
        assert!(!eval("ArnEquals", "aws:SourceArn", &pattern, &c));
        assert!(eval("ArnNotLike", "aws:SourceArn", &pattern, &c));

        let c = one(
            "aws:SourceArn",
            "arn:aws:someservice:us-east-2:111122223333:finance/a:b",
        );
        assert!(eval("ArnLike", "aws:SourceArn", &pattern, &c));
        // ArnEquals behaves like ArnLike, wildcards included.
        assert!(eval("ArnEquals", "aws:SourceArn", &pattern, &c));
        assert!(!eval("ArnNotEquals", "aws:SourceArn", &pattern, &c));
        assert!(eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:someservice:us-east-?:*:*"],
            &c
        ));
        // Case-sensitive.
        assert!(!eval("ArnLike", "aws:SourceArn", &["arn:aws:SomeService:*:*:*"], &c));
        // A request value that is not an ARN matches nothing; so does a policy value that isn't one.
        assert!(!eval("ArnLike", "aws:SourceArn", &["*"], &c));
        assert!(!eval(
            "ArnLike",
            "aws:SourceArn",
            &["*:*:*:*:*:*"],
            &one("aws:SourceArn", "a:b:c:d:e:f")
        ));
        assert!(!eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:*:*:*:*:*"],
            &one("aws:SourceArn", "arn:aws:s3")
        ));
        assert!(eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:*:*:*:*:*"],
            &one("aws:SourceArn", "arn:aws:s3:::")
        ));
    }

    #[test]
    fn arn_with_variables() {
        let c = Context::new()
            .with("aws:PrincipalAccount", "111122223333")
            .with("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic");
        assert!(eval(
            "ArnEquals",
            "aws:SourceArn",
            &["arn:aws:sns:*:${aws:PrincipalAccount}:*"],
            &c
        ));
        // A variable whose value has colons still splits into segments after substitution.
        let c = c.with("aws:PrincipalArn", "arn:aws:sns:us-east-1:111122223333:topic");
        assert!(eval("ArnLike", "aws:SourceArn", &["${aws:PrincipalArn}"], &c));
        assert!(!eval("ArnLike", "aws:SourceArn", &["${aws:Missing}"], &c));
        assert!(eval("ArnNotLike", "aws:SourceArn", &["${aws:Missing}"], &c));
    }

    #[test]
    fn null_operator() {
        let present = one("aws:TokenIssueTime", "2025-01-01T00:00:00Z");
        let absent = Context::new();
        assert!(eval("Null", "aws:TokenIssueTime", &["true"], &absent));
        assert!(!eval("Null", "aws:TokenIssueTime", &["true"], &present));
        assert!(eval("Null", "aws:TokenIssueTime", &["false"], &present));
        assert!(!eval("Null", "aws:TokenIssueTime", &["false"], &absent));
        assert!(eval("Null", "aws:TokenIssueTime", &["TRUE"], &absent));
        let mut empty = Context::new();
        empty.insert_all("aws:TagKeys", vec![]);
        assert!(eval("Null", "aws:TagKeys", &["true"], &empty));
        assert!(eval("ForAllValues:Null", "aws:TagKeys", &["true"], &empty));
    }

    #[test]
    fn missing_keys() {
        let c = Context::new();
        for op in [
            "StringEquals",
            "StringLike",
            "NumericEquals",
            "DateEquals",
            "Bool",
            "BinaryEquals",
            "IpAddress",
        ] {
            assert!(!eval(op, "k", &["1"], &c), "{op}");
            assert!(eval(&format!("{op}IfExists"), "k", &["1"], &c), "{op}IfExists");
        }
        assert!(!eval("ArnLike", "k", &["arn:*:*:*:*:*"], &c));
        for op in [
            "StringNotEquals",
            "StringNotEqualsIgnoreCase",
            "StringNotLike",
            "NumericNotEquals",
            "DateNotEquals",
            "NotIpAddress",
            "ArnNotEquals",
            "ArnNotLike",
        ] {
            assert!(eval(op, "k", &["1"], &c), "{op}");
            assert!(eval(&format!("{op}IfExists"), "k", &["1"], &c), "{op}IfExists");
        }
        // IfExists does not change anything when the key is there.
        let present = one("k", "2");
        assert!(!eval("StringEqualsIfExists", "k", &["1"], &present));
        assert!(eval("StringEqualsIfExists", "k", &["2"], &present));
    }

    #[test]
    fn negated_operators_are_nor_over_values() {
        let c = one("aws:PrincipalTag/role", "audit");
        assert!(!eval(
            "StringNotEquals",
            "aws:PrincipalTag/role",
            &["audit", "security"],
            &c
        ));
        assert!(!eval(
            "StringNotEquals",
            "aws:PrincipalTag/role",
            &["security", "audit"],
            &c
        ));
        assert!(eval(
            "StringNotEquals",
            "aws:PrincipalTag/role",
            &["dev", "security"],
            &c
        ));
        assert!(eval("StringEquals", "aws:PrincipalTag/role", &["dev", "audit"], &c));
    }

    #[test]
    fn set_qualifiers() {
        let mut c = Context::new();
        c.insert_all("aws:TagKeys", vec!["PostDateTime".into(), "UserName".into()]);
        let allowed = ["PostDateTime", "Message", "Tags"];
        // Multi-value page, evaluation-logic table: UserName matches nothing.
        assert!(!eval("ForAllValues:StringLike", "aws:TagKeys", &allowed, &c));
        assert!(eval("ForAnyValue:StringLike", "aws:TagKeys", &allowed, &c));
        assert!(eval(
            "ForAllValues:StringLike",
            "aws:TagKeys",
            &["PostDateTime", "User*"],
            &c
        ));
        // Negation per value.
        assert!(eval(
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["ID", "Owner"],
            &c
        ));
        assert!(!eval(
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["ID", "UserName"],
            &c
        ));
        assert!(eval("ForAnyValue:StringNotEquals", "aws:TagKeys", &["UserName"], &c));
        assert!(!eval(
            "ForAnyValue:StringNotEquals",
            "aws:TagKeys",
            &["UserName", "PostDateTime"],
            &c
        ));

        // Absent and empty keys.
        let absent = Context::new();
        let mut empty = Context::new();
        empty.insert_all("aws:TagKeys", vec![]);
        for ctx in [&absent, &empty] {
            assert!(eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"], ctx));
            assert!(eval("ForAllValues:StringNotEquals", "aws:TagKeys", &["a"], ctx));
            assert!(!eval("ForAnyValue:StringEquals", "aws:TagKeys", &["a"], ctx));
            assert!(!eval("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a"], ctx));
            assert!(eval("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", &["a"], ctx));
            // Without a qualifier an empty key is as good as absent.
            assert!(!eval("StringEquals", "aws:TagKeys", &["a"], ctx));
            assert!(eval("StringNotEquals", "aws:TagKeys", &["a"], ctx));
        }
        // Without a qualifier, several request values: true if one satisfies.
        assert!(eval("StringEquals", "aws:TagKeys", &["UserName"], &c));
        assert!(!eval("StringEquals", "aws:TagKeys", &["ID"], &c));
        assert!(eval("StringNotEquals", "aws:TagKeys", &["UserName"], &c));
        assert!(!eval(
            "StringNotEquals",
            "aws:TagKeys",
            &["UserName", "PostDateTime"],
            &c
        ));
    }

    #[test]
    fn variables_in_values() {
        let c = Context::new()
            .with("aws:username", "alice")
            .with("s3:prefix", "home/alice/docs");
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:username}/*"], &c));
        assert!(eval("StringEquals", "s3:prefix", &["home/${aws:username}/docs"], &c));
        assert!(!eval("StringEquals", "s3:prefix", &["home/${aws:username}/*"], &c));
        // No value for the variable: that policy value matches nothing.
        assert!(!eval("StringLike", "s3:prefix", &["home/${aws:userid}/*"], &c));
        assert!(eval("StringNotLike", "s3:prefix", &["home/${aws:userid}/*"], &c));
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:userid}/*", "home/*"], &c));
        // Default value.
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:userid, 'alice'}/*"], &c));
        // Version 2008-10-17: literal text.
        let literal = one("s3:prefix", "home/${aws:username}/x");
        let v08 = |op: &str, v: &str, ctx: &Context| {
            evaluate(&cond(op, "s3:prefix", &[v]), ctx, Version::V2008_10_17).matched
        };
        assert!(v08("StringLike", "home/${aws:username}/*", &literal));
        assert!(!v08("StringLike", "home/${aws:username}/*", &c));
        // Numeric values take no variables.
        let n = Context::new().with("s3:max-keys", "5").with("limit", "10");
        assert!(!eval("NumericLessThan", "s3:max-keys", &["${limit}"], &n));
    }

    #[test]
    fn explanations_name_key_values_and_operator() {
        let c = one("aws:SourceIp", "10.0.0.1");
        let out = evaluate(&cond("IpAddress", "aws:SourceIp", &["192.168.0.0/16"]), &c, V12);
        assert_eq!(
            out.explanation,
            "aws:SourceIp = 10.0.0.1 did not match IpAddress [192.168.0.0/16] (10.0.0.1 matches none of the values)"
        );
        let out = evaluate(&cond("StringLike", "s3:prefix", &["home/*"]), &Context::new(), V12);
        assert_eq!(
            out.explanation,
            "s3:prefix is absent: StringLike [home/*] is false (a positive operator needs the key)"
        );
        let c = Context::new()
            .with("aws:username", "bob")
            .with("s3:prefix", "home/bob/");
        let out = evaluate(
            &cond("StringLike", "s3:prefix", &["home/${aws:username}/*", "${aws:userid}"]),
            &c,
            V12,
        );
        assert!(out.matched);
        assert_eq!(
            out.explanation,
            "s3:prefix = home/bob/ matched StringLike [home/${aws:username}/* (= home/bob/*), ${aws:userid} (variable has no value)] (home/bob/ matches home/${aws:username}/*)"
        );
        let out = evaluate(&cond("StringNotEquals", "aws:username", &["alice", "bob"]), &c, V12);
        assert_eq!(
            out.explanation,
            "aws:username = bob did not match StringNotEquals [alice, bob] (bob matches bob)"
        );
        let out = evaluate(&cond("Null", "aws:TokenIssueTime", &["true"]), &c, V12);
        assert_eq!(out.explanation, "aws:TokenIssueTime is absent: Null [true] is true");
        let out = evaluate(
            &cond("NumericLessThan", "s3:max-keys", &["10"]),
            &one("s3:max-keys", "x"),
            V12,
        );
        assert!(out.explanation.contains("x is not a number"), "{}", out.explanation);
    }

    #[test]
    fn evaluate_all_is_and_and_reports_first_failure() {
        let c = Context::new()
            .with("aws:SecureTransport", "true")
            .with("s3:prefix", "a");
        let conds = parse_conditions(&json!({
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"s3:prefix": "b"},
        }))
        .unwrap();
        let out = evaluate_all(&conds, &c, V12);
        assert!(!out.matched);
        assert!(
            out.explanation
                .starts_with("s3:prefix = a did not match StringEquals [b]"),
            "{}",
            out.explanation
        );
        let ok = evaluate_all(&conds[..1], &c, V12);
        assert!(ok.matched);
        assert!(
            ok.explanation
                .contains("aws:SecureTransport = true matched Bool [true]")
        );
        assert_eq!(evaluate_all(&[], &c, V12).explanation, "no conditions");
    }

    #[test]
    fn parse_accepts_scalars_and_lists() {
        let conds = parse_conditions(&json!({
            "NumericLessThanEquals": {"s3:max-keys": 10},
            "Bool": {"aws:SecureTransport": false},
            "StringLike": {"s3:prefix": ["", "home/"]},
            "ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"},
            "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:DB8::/32"]},
        }))
        .unwrap();
        assert_eq!(conds.len(), 5);
        let by_op = |name: &str| conds.iter().find(|c| c.operator.to_string() == name).unwrap();
        assert_eq!(by_op("NumericLessThanEquals").values, ["10"]);
        assert_eq!(by_op("Bool").values, ["false"]);
        assert_eq!(by_op("StringLike").values, ["", "home/"]);
        let q = by_op("ForAnyValue:StringEqualsIfExists").operator;
        assert_eq!(
            (q.qualifier, q.base, q.if_exists),
            (Some(SetQualifier::ForAnyValue), BaseOperator::StringEquals, true)
        );
        assert_eq!(parse_conditions(&json!({})).unwrap(), vec![]);
        assert_eq!(parse_conditions(&json!({"StringEquals": {}})).unwrap(), vec![]);
    }

    #[test]
    fn parse_errors() {
        let bad = [
            json!([]),
            json!("StringEquals"),
            json!({"StringEquals": "x"}),
            json!({"StringEquals": {"k": []}}),
            json!({"StringEquals": {"k": null}}),
            json!({"StringEquals": {"k": {"a": "b"}}}),
            json!({"StringEquals": {"k": [["a"]]}}),
            json!({"StringEquals": {"k": ["a", null]}}),
            json!({"StringEquals": {"": "a"}}),
            json!({"stringEquals": {"k": "a"}}),
            json!({"StringEqualsIgnorecase": {"k": "a"}}),
            json!({"Null": {"k": "yes"}}),
            json!({"NullIfExists": {"k": "true"}}),
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}),
            json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "not-an-ip"]}}),
            json!({"NumericEquals": {"k": "ten"}}),
            json!({"DateLessThan": {"aws:CurrentTime": "tomorrow"}}),
            json!({"BinaryEquals": {"k": "***"}}),
        ];
        for v in bad {
            assert!(parse_conditions(&v).is_err(), "{v} should be refused");
        }
        let e = parse_conditions(&json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}})).unwrap_err();
        assert_eq!(
            e.message,
            "IpAddress aws:SourceIp: \"10.0.0.0/33\" is not an IP address or CIDR range"
        );
        let e = parse_conditions(&json!({"StringEquals": {"k": []}})).unwrap_err();
        assert!(e.message.contains("StringEquals k"), "{e}");
    }

    #[test]
    fn to_json_is_canonical() {
        let v = json!({
            "StringEquals": {"a": ["x"], "b": ["x", "y"]},
            "Bool": {"c": true},
        });
        let conds = parse_conditions(&v).unwrap();
        assert_eq!(
            conds_sorted(conditions_to_json(&conds)),
            conds_sorted(json!({"StringEquals": {"a": "x", "b": ["x", "y"]}, "Bool": {"c": "true"}}))
        );
        assert_eq!(parse_conditions(&conditions_to_json(&conds)).unwrap(), conds);
    }

    fn conds_sorted(v: Value) -> String {
        // serde_json's default map is ordered; compare through a string either way.
        let mut c = parse_conditions(&v).unwrap();
        c.sort_by(|a, b| (a.operator.to_string(), &a.key).cmp(&(b.operator.to_string(), &b.key)));
        format!("{c:?}")
    }

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
