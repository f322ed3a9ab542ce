//! Conversions between Servo's JavaScript results and JSON.

use servo::{JSValue, JavaScriptEvaluationError};

use crate::BrowserError;

pub(crate) fn to_json(value: JSValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        JSValue::Undefined | JSValue::Null => Value::Null,
        JSValue::Boolean(b) => Value::Bool(b),
        JSValue::Number(n) => number(n),
        JSValue::String(s) => Value::String(s),
        // DOM handles have no JSON form; their id says what they were.
        JSValue::Element(id) => serde_json::json!({ "element": id }),
        JSValue::ShadowRoot(id) => serde_json::json!({ "shadowRoot": id }),
        JSValue::Frame(id) => serde_json::json!({ "frame": id }),
        JSValue::Window(id) => serde_json::json!({ "window": id }),
        JSValue::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        JSValue::Object(map) => {
            // Sorted keys: deterministic output for scripts and tests.
            let sorted: std::collections::BTreeMap<_, _> =
                map.into_iter().map(|(k, v)| (k, to_json(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
    }
}

/// JavaScript has one number type; whole numbers print as JSON integers (`2`, not `2.0`).
fn number(n: f64) -> serde_json::Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: integers beyond are not exact in f64
    if n.fract() == 0.0 && n.abs() <= EXACT {
        return serde_json::Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

pub(crate) fn to_error(error: JavaScriptEvaluationError) -> BrowserError {
    match error {
        JavaScriptEvaluationError::EvaluationFailure(Some(info)) => BrowserError::Script {
            message: info.message,
            location: if info.line_number > 0 {
                format!(" (line {}, column {})", info.line_number, info.column)
            } else {
                String::new()
            },
        },
        JavaScriptEvaluationError::EvaluationFailure(None) => BrowserError::Script {
            message: "the script threw".to_owned(),
            location: String::new(),
        },
        JavaScriptEvaluationError::CompilationFailure => BrowserError::Script {
            message: "syntax error: the script does not compile".to_owned(),
            location: String::new(),
        },
        other => BrowserError::ScriptUnavailable(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_shape() {
        assert_eq!(to_json(JSValue::Number(2.0)), serde_json::json!(2));
        assert_eq!(to_json(JSValue::Number(-0.5)), serde_json::json!(-0.5));
        assert_eq!(to_json(JSValue::Number(f64::NAN)), serde_json::Value::Null);
        assert_eq!(to_json(JSValue::Number(1e300)), serde_json::json!(1e300));
    }
}
