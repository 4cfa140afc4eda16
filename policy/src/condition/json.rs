//! The `Condition` element as JSON: parsing it into [`Condition`]s and writing it back.

use serde_json::{Map, Value};

use super::{Condition, ConditionError, Operator};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::{BaseOperator, SetQualifier};
    use serde_json::json;

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
}
