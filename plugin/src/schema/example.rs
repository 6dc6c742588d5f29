//! The smallest input a schema accepts: its required parameters, each with the simplest value of
//! its type, so that a model sees the shape it must send.

use serde_json::{Map, Value, json};

use super::violation::Checker;

/// How deep nested objects are followed.
const DEPTH: usize = 6;
/// The longest string and array made; a schema that asks for more gets no example.
const LARGEST: u64 = 1000;

/// A minimal input `schema` accepts; `None` when none can be made (a `pattern`, a `$ref`, a
/// constraint this cannot satisfy) or the one made is not accepted.
pub fn minimal_input(schema: &Value) -> Option<Value> {
    let value = simplest(schema, DEPTH)?;
    Checker::new(schema).ok()?.accepts(&value).then_some(value)
}

fn simplest(schema: &Value, depth: usize) -> Option<Value> {
    let depth = depth.checked_sub(1)?;
    let s = schema.as_object()?;
    if let Some(v) = s.get("const").or_else(|| s.get("default")) {
        return Some(v.clone());
    }
    if let Some(first) = s.get("enum").and_then(Value::as_array).and_then(|o| o.first()) {
        return Some(first.clone());
    }
    if let Some(first) = s.get("examples").and_then(Value::as_array).and_then(|e| e.first()) {
        return Some(first.clone());
    }
    if let Some(first) = ["anyOf", "oneOf"].iter().find_map(|k| s.get(*k)?.as_array()?.first()) {
        return simplest(first, depth);
    }
    let kind = match s.get("type") {
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).find(|k| *k != "null")?,
        Some(kind) => kind.as_str()?,
        None if s.contains_key("properties") => "object",
        None => return None,
    };
    Some(match kind {
        "object" => {
            let properties = s.get("properties").and_then(Value::as_object);
            let mut out = Map::new();
            for name in s.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                let property = properties.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                out.insert(name.to_owned(), simplest(property, depth).unwrap_or_else(|| json!("")));
            }
            Value::Object(out)
        }
        "array" => {
            let count = s.get("minItems").and_then(Value::as_u64).unwrap_or(0).min(LARGEST + 1);
            if count > LARGEST {
                return None;
            }
            let count = count as usize;
            let item = if count > 0 { simplest(s.get("items")?, depth)? } else { Value::Null };
            Value::Array(vec![item; count])
        }
        "string" => {
            let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            if min > LARGEST {
                return None;
            }
            Value::from("x".repeat((min as usize).max(1)))
        }
        "integer" | "number" => {
            let at_least = s.get("minimum").and_then(Value::as_f64).unwrap_or(0.0).max(0.0);
            let above = s.get("exclusiveMinimum").and_then(Value::as_f64).map_or(at_least, |m| (m + 1.0).floor());
            let at_most = s.get("maximum").and_then(Value::as_f64);
            let n = at_most.map_or(above, |max| above.min(max)).ceil();
            json!(n as i64)
        }
        "boolean" => Value::Bool(false),
        "null" => Value::Null,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::minimal_input;

    #[test]
    fn the_required_parameters_with_the_simplest_values_of_their_types() {
        let schema = json!({
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "num_results": {"type": "integer", "minimum": 1},
                "type": {"enum": ["auto", "neural"]},
                "filters": {"type": "object", "properties": {"site": {"type": "string"}}, "required": ["site"]},
                "optional": {"type": "string"}
            },
            "required": ["query", "num_results", "type", "filters"]
        });
        assert_eq!(
            minimal_input(&schema),
            Some(json!({"query": "x", "num_results": 1, "type": "auto", "filters": {"site": "x"}}))
        );
    }

    #[test]
    fn nothing_when_the_schema_asks_for_what_cannot_be_guessed() {
        let schema = json!({"type": "object", "properties": {"id": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}, "required": ["id"]});
        assert_eq!(minimal_input(&schema), None);
        assert_eq!(minimal_input(&json!({"type": "object"})), Some(json!({})));
        let huge = json!({"type": "object", "properties": {"s": {"type": "string", "minLength": 1_000_000_000u64}}, "required": ["s"]});
        assert_eq!(minimal_input(&huge), None, "no gigabyte of x");
    }
}
