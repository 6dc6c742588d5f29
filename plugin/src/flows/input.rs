//! JSON arguments from the command line: inline, `@FILE` or `-` (stdin).

use std::io::Read;

use agent_auth_contract::sizes::{HELD_MAX, INPUT_MAX, held_cost, readable_size};
use serde_json::Value;

use crate::files;
use crate::output::{Code, Failure};

/// `USAGE`: the JSON given to `flag` is more than agent-auth holds (`how`).
fn too_large(flag: &str, how: &str) -> Failure {
    Failure::new(
        Code::Usage,
        format!("{flag} {how}, more than agent-auth holds in memory"),
        format!(
            "Pass at most {} of JSON to {flag}; send large content as a file with --proxy-request --input-file.",
            readable_size(INPUT_MAX)
        ),
    )
}

/// Parses the JSON given to `flag`, of at most [`INPUT_MAX`] bytes costing at most [`HELD_MAX`]
/// once parsed. `@FILE` reads a named file and `-` reads stdin where `allow_indirect`.
pub fn json_arg(flag: &str, raw: &str, allow_indirect: bool) -> Result<Value, Failure> {
    let larger = format!("is larger than {}", readable_size(INPUT_MAX));
    let text = match raw {
        "-" if allow_indirect => {
            let mut s = String::new();
            std::io::stdin().take(INPUT_MAX + 1).read_to_string(&mut s).map_err(|e| {
                Failure::new(
                    Code::InvalidJson,
                    format!("cannot read {flag} from stdin: {e}"),
                    format!("Pipe a JSON object into {flag} -, or pass it inline."),
                )
            })?;
            s
        }
        _ if allow_indirect && raw.starts_with('@') => {
            let bytes = files::read_named(&raw[1..], flag, INPUT_MAX)?.ok_or_else(|| too_large(flag, &larger))?;
            String::from_utf8(bytes).map_err(|_| {
                Failure::new(
                    Code::InvalidJson,
                    format!("{flag} {raw} is not UTF-8 text"),
                    format!("Pass a JSON file to {flag} @FILE."),
                )
            })?
        }
        _ => raw.to_owned(),
    };
    if text.len() as u64 > INPUT_MAX {
        return Err(too_large(flag, &larger));
    }
    if held_cost(text.as_bytes()) > HELD_MAX {
        return Err(too_large(flag, "holds too many values"));
    }
    serde_json::from_str(&text).map_err(|e| {
        Failure::new(
            Code::InvalidJson,
            format!("{flag} is not valid JSON: {e}"),
            format!("Pass valid JSON to {flag}, quoted for the shell, e.g. {flag} '{{\"key\": \"value\"}}'."),
        )
    })
}

/// Like [`json_arg`] but the value must be a JSON object.
pub fn json_object(flag: &str, raw: &str, allow_indirect: bool) -> Result<serde_json::Map<String, Value>, Failure> {
    match json_arg(flag, raw, allow_indirect)? {
        Value::Object(map) => Ok(map),
        other => Err(Failure::new(
            Code::InvalidJson,
            format!("{flag} must be a JSON object, not {}", kind(&other)),
            format!("Wrap the values in an object, e.g. {flag} '{{\"key\": \"value\"}}'."),
        )),
    }
}

/// A scalar JSON value as text (`"a"` → `a`, `2` → `2`); `None` for arrays and objects.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The JSON type name of a value, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
