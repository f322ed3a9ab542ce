//! Validation of model output against the JSON Schema subset Clef's grammars use:
//! `type`, `enum`, `const`, `properties`, `required`, `additionalProperties: false`, `items`,
//! `minItems`/`maxItems`, `minimum`/`maximum`, `minLength`/`maxLength`, `anyOf`/`oneOf`.

use serde_json::Value;

/// Parse `text` as JSON and check it against `schema`; the error says where and why.
pub fn validate_text(text: &str, schema: &Value) -> Result<Value, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    validate(&value, schema, "$")?;
    Ok(value)
}

pub fn validate(value: &Value, schema: &Value, at: &str) -> Result<(), String> {
    let fail = |why: String| Err(format!("{at}: {why}"));
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !allowed.iter().any(|kind| has_type(value, kind)) {
            return fail(format!("expected {allowed:?}, got {value}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return fail(format!("{value} is not one of {options:?}"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        return fail(format!("{value} is not {constant}"));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let matching = options
                .iter()
                .filter(|option| validate(value, option, at).is_ok())
                .count();
            let ok = if key == "anyOf" {
                matching > 0
            } else {
                matching == 1
            };
            if !ok {
                return fail(format!(
                    "{key}: {matching} of {} alternatives match",
                    options.len()
                ));
            }
        }
    }
    match value {
        Value::Object(object) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = name.as_str()
                    && !object.contains_key(name)
                {
                    return fail(format!("missing required {name:?}"));
                }
            }
            for (name, item) in object {
                match properties.and_then(|p| p.get(name)) {
                    Some(property) => validate(item, property, &format!("{at}.{name}"))?,
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return fail(format!("unexpected property {name:?}"));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            check_bound(items.len() as f64, schema, "minItems", "maxItems").or_else(fail)?;
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    validate(item, item_schema, &format!("{at}[{index}]"))?;
                }
            }
        }
        Value::String(text) => {
            check_bound(
                text.chars().count() as f64,
                schema,
                "minLength",
                "maxLength",
            )
            .or_else(fail)?;
        }
        Value::Number(number) => {
            check_bound(
                number.as_f64().unwrap_or(f64::NAN),
                schema,
                "minimum",
                "maximum",
            )
            .or_else(fail)?;
        }
        Value::Bool(_) | Value::Null => {}
    }
    Ok(())
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => false,
    }
}

fn check_bound(measure: f64, schema: &Value, low: &str, high: &str) -> Result<(), String> {
    if let Some(min) = schema.get(low).and_then(Value::as_f64)
        && measure < min
    {
        return Err(format!("{measure} is below {low} {min}"));
    }
    if let Some(max) = schema.get(high).and_then(Value::as_f64)
        && measure > max
    {
        return Err(format!("{measure} is above {high} {max}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn action_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "action": {"enum": ["click", "type", "done"]},
                "element": {"type": "integer", "minimum": 0, "maximum": 50},
                "text": {"type": "string", "maxLength": 10}
            },
            "required": ["action"],
            "additionalProperties": false
        })
    }

    #[test]
    fn accepts_valid_documents() {
        let ok = validate_text(r#"{"action":"click","element":3}"#, &action_schema());
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn rejects_each_kind_of_violation() {
        for bad in [
            r#"{"action":"jump"}"#,
            r#"{"element":1}"#,
            r#"{"action":"click","element":99}"#,
            r#"{"action":"click","element":1.5}"#,
            r#"{"action":"type","text":"far too long text"}"#,
            r#"{"action":"done","extra":true}"#,
            r#"{"action":"done""#,
            "[]",
        ] {
            assert!(
                validate_text(bad, &action_schema()).is_err(),
                "accepted {bad}"
            );
        }
    }

    #[test]
    fn arrays_and_alternatives() {
        let schema = json!({"type": "array", "maxItems": 2, "items": {"anyOf": [{"type": "null"}, {"type": "string"}]}});
        assert!(validate(&json!(["a", null]), &schema, "$").is_ok());
        assert!(validate(&json!(["a", 1]), &schema, "$").is_err());
        assert!(validate(&json!(["a", "b", "c"]), &schema, "$").is_err());
    }
}
