//! Conversions between Servo's JavaScript results and JSON.

use servo::{JSValue, JavaScriptEvaluationError};

use crate::BrowserError;

pub(crate) fn to_json(value: JSValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        JSValue::Undefined | JSValue::Null => Value::Null,
        JSValue::Boolean(b) => Value::Bool(b),
        JSValue::Number(n) => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
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
        },
    }
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
