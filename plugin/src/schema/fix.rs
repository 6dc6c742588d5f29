//! The input a model meant, when every violation names its fix: a misspelt parameter renamed
//! (unknown to a closed schema, or leaving a required one missing), a misspelt enum value replaced.

use serde_json::Value;

use super::violation::Violation;

/// `input` with each violation's `did_you_mean` applied, when every violation has one and the
/// result fits `schema`; `None` when any problem needs a person or a model to decide.
pub fn corrected(schema: &Value, input: &Value, violations: &[Violation]) -> Option<Value> {
    if violations.is_empty() {
        return None;
    }
    let mut fixed = input.clone();
    for v in violations {
        let suggestion = v.did_you_mean.clone()?;
        match v.constraint.as_str() {
            "additionalProperties" => {
                let (parent, key) = split(&v.pointer)?;
                let object = fixed.pointer_mut(parent)?.as_object_mut()?;
                let name = suggestion.as_str()?;
                if object.contains_key(name) {
                    return None; // both spellings given: which one is meant is not ours to say
                }
                let value = object.remove(&unescape(key))?;
                object.insert(name.to_owned(), value);
            }
            // A required parameter missing because the input spells it otherwise (`given`).
            "required" => {
                let (parent, missing) = split(&v.pointer)?;
                let object = fixed.pointer_mut(parent)?.as_object_mut()?;
                let value = object.remove(v.given.as_ref()?.as_str()?)?;
                object.insert(unescape(missing), value);
            }
            "enum" => *fixed.pointer_mut(&v.pointer)? = suggestion,
            _ => return None,
        }
    }
    super::check(schema, &fixed).ok()?.is_empty().then_some(fixed)
}

/// `/a/b` → (`/a`, `b`).
fn split(pointer: &str) -> Option<(&str, &str)> {
    pointer.rfind('/').map(|i| (&pointer[..i], &pointer[i + 1..]))
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::corrected;
    use crate::schema::check;

    fn schema() -> serde_json::Value {
        json!({"type": "object", "properties": {"query": {"type": "string"}, "type": {"enum": ["auto", "neural"]}},
               "required": ["query"], "additionalProperties": false})
    }

    #[test]
    fn names_and_values_with_a_suggestion_are_fixed() {
        let input = json!({"qurey": "wasm", "type": "nueral"});
        let violations = check(&schema(), &input).unwrap();
        assert_eq!(corrected(&schema(), &input, &violations), Some(json!({"query": "wasm", "type": "neural"})));
    }

    #[test]
    fn a_misspelt_required_parameter_of_an_open_schema_is_renamed() {
        let open = json!({"type": "object", "properties": {"query": {"type": "string"}, "num_results": {"type": "integer"}},
                          "required": ["query"]});
        let input = json!({"qeury": "wasm", "num_results": 5});
        let violations = check(&open, &input).unwrap();
        assert_eq!(corrected(&open, &input, &violations), Some(json!({"query": "wasm", "num_results": 5})));
    }

    #[test]
    fn a_problem_without_a_suggestion_is_left_to_the_caller() {
        let input = json!({"qurey": "wasm", "type": 3});
        let violations = check(&schema(), &input).unwrap();
        assert_eq!(corrected(&schema(), &input, &violations), None);
        let both = json!({"qurey": "a", "query": "b"});
        let violations = check(&schema(), &both).unwrap();
        assert_eq!(corrected(&schema(), &both, &violations), None);
    }
}
