//! The subset of JSON Schema the catalogue uses (type, required, properties, enum, items,
//! minimum, maximum, additionalProperties: false), reporting every violation.

use serde_json::{Value, json};

/// One violation, in `validation_error_info.field_violations` form.
pub fn violation(field: &str, description: String, constraint: &str) -> Value {
    json!({"field": field, "description": description, "constraint": constraint})
}

fn type_matches(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// Every way `value` (at `path`) breaks `schema`.
pub fn validate(value: &Value, schema: &Value, path: &str, out: &mut Vec<Value>) {
    if let Some(ty) = schema.get("type").and_then(Value::as_str)
        && !type_matches(value, ty)
    {
        out.push(violation(path, format!("value must be of type {ty}"), "type"));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        out.push(violation(path, format!("value must be one of {}", Value::Array(allowed.clone())), "enum"));
    }
    if let Some(n) = value.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min) {
            out.push(violation(path, format!("value must be at least {}", schema["minimum"]), "minimum"));
        }
        if schema.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max) {
            out.push(violation(path, format!("value must be at most {}", schema["maximum"]), "maximum"));
        }
    }
    if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(item, schema_items, &format!("{path}[{i}]"), out);
        }
    }
    let Some(object) = value.as_object() else { return };
    let properties = schema.get("properties").and_then(Value::as_object);
    for required in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !object.contains_key(required) {
            out.push(violation(&format!("{path}.{required}"), "value is required".into(), "required"));
        }
    }
    for (key, item) in object {
        match properties.and_then(|p| p.get(key)) {
            Some(sub) => validate(item, sub, &format!("{path}.{key}"), out),
            None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                out.push(violation(&format!("{path}.{key}"), "unknown parameter".into(), "additionalProperties"));
            }
            None => {}
        }
    }
}
