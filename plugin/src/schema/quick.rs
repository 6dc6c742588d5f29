//! The common case without the validator's start-up: most inputs fit, and most tool schemas use a
//! handful of keywords. When a schema uses only those (reachable from its root), this decides
//! whether an input fits in microseconds; anything else is left to the full validator, which also
//! explains every violation. It only ever answers "fits" when the full validator would
//! (`tests::agrees_with_the_full_validator` checks that on generated schemas and inputs).

use serde_json::{Map, Value};

/// Keywords that say nothing about validity.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "format",
];

/// Whether `input` fits `schema`; `None` when the schema uses anything this does not know.
pub fn fits(schema: &Value, input: &Value) -> Option<bool> {
    // `format` is only an annotation from 2020-12 on (the default draft); earlier drafts assert it.
    let draft = schema.get("$schema").map(|s| s.as_str().unwrap_or_default());
    if draft.is_some_and(|url| !url.contains("/draft/2020-12/")) {
        return None;
    }
    check(schema, input, 0)
}

/// How deep schemas nest before this gives up.
const DEPTH: usize = 32;

fn check(schema: &Value, v: &Value, depth: usize) -> Option<bool> {
    if depth > DEPTH {
        return None;
    }
    let s = match schema {
        Value::Bool(b) => return Some(*b),
        Value::Object(s) => s,
        _ => return None,
    };
    let mut fits = true;
    for (keyword, arg) in s {
        let ok = match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => true,
            "type" => of_type(arg, v)?,
            "enum" => arg.as_array()?.iter().any(|option| same(option, v)),
            "const" => same(arg, v),
            "properties" | "required" | "additionalProperties" => match v.as_object() {
                Some(object) => object_fits(s, keyword, object, depth)?,
                None => true,
            },
            "items" => match (v.as_array(), arg) {
                (Some(items), Value::Object(_) | Value::Bool(_)) => {
                    let mut all = true;
                    for item in items {
                        all &= check(arg, item, depth + 1)?;
                    }
                    all
                }
                (Some(_), _) => return None,
                (None, _) => true,
            },
            "minItems" | "maxItems" => bound(keyword, arg, v.as_array().map(Vec::len))?,
            "minLength" | "maxLength" => bound(keyword, arg, v.as_str().map(|t| t.chars().count()))?,
            "minProperties" | "maxProperties" => bound(keyword, arg, v.as_object().map(Map::len))?,
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => match (exact(v), exact(arg)) {
                (Some(n), Some(limit)) => match keyword.as_str() {
                    "minimum" => n >= limit,
                    "maximum" => n <= limit,
                    "exclusiveMinimum" => n > limit,
                    _ => n < limit,
                },
                (None, Some(_)) if !v.is_number() => true,
                // A number too large to compare here, a draft-4 boolean `exclusiveMinimum`, or a
                // limit that is not a number.
                _ => return None,
            },
            "anyOf" | "oneOf" | "allOf" => {
                let mut matched = 0;
                let branches = arg.as_array()?;
                for branch in branches {
                    matched += usize::from(check(branch, v, depth + 1)?);
                }
                match keyword.as_str() {
                    "anyOf" => matched > 0,
                    "oneOf" => matched == 1,
                    _ => matched == branches.len(),
                }
            }
            "not" => !check(arg, v, depth + 1)?,
            _ => return None,
        };
        fits &= ok;
    }
    Some(fits)
}

/// `properties`, `required` and `additionalProperties` of one object schema, judged together
/// (each of the three keywords lands here; the answer is the same for all of them).
fn object_fits(s: &Map<String, Value>, keyword: &str, object: &Map<String, Value>, depth: usize) -> Option<bool> {
    let properties = match s.get("properties") {
        Some(p) => Some(p.as_object()?),
        None => None,
    };
    match keyword {
        "required" => {
            let names = s.get("required")?.as_array()?;
            let mut all = true;
            for name in names {
                all &= object.contains_key(name.as_str()?);
            }
            Some(all)
        }
        "properties" => {
            let mut all = true;
            for (name, sub) in properties.into_iter().flatten() {
                if let Some(value) = object.get(name) {
                    all &= check(sub, value, depth + 1)?;
                }
            }
            Some(all)
        }
        _ => {
            let extra = s.get("additionalProperties")?;
            let mut all = true;
            for (name, value) in object {
                if !properties.is_some_and(|p| p.contains_key(name)) {
                    all &= check(extra, value, depth + 1)?;
                }
            }
            Some(all)
        }
    }
}

/// `type`: one name or a list.
fn of_type(arg: &Value, v: &Value) -> Option<bool> {
    let is = |name: &str| -> Option<bool> {
        Some(match name {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.as_f64().is_some_and(|n| n.fract() == 0.0),
            _ => return None,
        })
    };
    match arg {
        Value::String(name) => is(name),
        Value::Array(names) => {
            let mut any = false;
            for name in names {
                any |= is(name.as_str()?)?;
            }
            Some(any)
        }
        _ => None,
    }
}

/// A count against `min…`/`max…` (`None` for a value it does not apply to: it fits); `None`
/// overall when the limit is not a whole number.
fn bound(keyword: &str, arg: &Value, count: Option<usize>) -> Option<bool> {
    let limit = usize::try_from(arg.as_u64()?).ok()?;
    Some(count.is_none_or(|n| if keyword.starts_with("min") { n >= limit } else { n <= limit }))
}

/// A number as an `f64` that holds it exactly; `None` for anything else (not a number, or an
/// integer too large for `f64`, which a comparison here could get wrong).
fn exact(v: &Value) -> Option<f64> {
    const SAFE: u64 = 1 << 53;
    let n = v.as_number()?;
    let fits = n.as_u64().is_none_or(|u| u <= SAFE) && n.as_i64().is_none_or(|i| i.unsigned_abs() <= SAFE);
    n.as_f64().filter(|_| fits)
}

/// JSON equality as JSON Schema has it: numbers by value (`1` is `1.0`), integers exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_u64(), y.as_u64(), x.as_i64(), y.as_i64()) {
            (Some(p), Some(q), _, _) => p == q,
            (_, _, Some(p), Some(q)) => p == q,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| same(p, q)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::fits;
    use crate::schema::violation::Checker;

    /// Whether `v` holds an integer beyond what an `f64` holds exactly.
    fn huge(v: &Value) -> bool {
        match v {
            Value::Number(n) => n.as_u64().is_some_and(|u| u > 1 << 53) || n.as_i64().is_some_and(|i| i < -(1 << 53)),
            Value::Array(items) => items.iter().any(huge),
            Value::Object(map) => map.values().any(huge),
            _ => false,
        }
    }

    fn one(keyword: &str, value: Value) -> Value {
        Value::Object(Map::from_iter([(keyword.to_owned(), value)]))
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (-3i64..4).prop_map(Value::from),
            (-3i64..4).prop_map(|n| json!(n as f64 + 0.5)),
            (-3i64..4).prop_map(|n| json!(n as f64)),
            // Integers f64 cannot tell apart.
            prop::sample::select(vec![
                json!(9007199254740992u64),
                json!(9007199254740993u64),
                json!(-9007199254740993i64)
            ]),
            "[ab]{0,3}".prop_map(Value::from),
        ]
    }

    fn input() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[abc]", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Schemas made only of the keywords [`fits`] knows.
    fn schema() -> impl Strategy<Value = Value> {
        let types = || prop::sample::select(vec!["null", "boolean", "object", "array", "string", "number", "integer"]);
        let counts = prop::sample::select(vec![
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
        ]);
        let limits = prop::sample::select(vec!["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]);
        let leaf = prop_oneof![
            any::<bool>().prop_map(Value::from),
            types().prop_map(|t| json!({"type": t})),
            prop::collection::btree_set(types(), 1..3).prop_map(|t| json!({"type": t})),
            prop::collection::vec(scalar(), 1..3).prop_map(|e| json!({"enum": e})),
            scalar().prop_map(|c| json!({"const": c})),
            (limits, -2i64..3).prop_map(|(k, n)| one(k, json!(n))),
            (counts, 0u64..3).prop_map(|(k, n)| one(k, json!(n))),
            Just(json!({"description": "anything", "format": "email"})),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                (
                    prop::collection::btree_map("[abc]", inner.clone(), 0..3),
                    prop::collection::btree_set("[abc]", 0..3),
                    prop::option::of(inner.clone()),
                )
                    .prop_map(|(properties, required, extra)| {
                        let mut s = json!({"type": "object", "properties": properties, "required": required});
                        if let Some(extra) = extra {
                            s["additionalProperties"] = extra;
                        }
                        s
                    }),
                inner.clone().prop_map(|items| json!({"type": "array", "items": items})),
                (prop::sample::select(vec!["anyOf", "oneOf", "allOf"]), prop::collection::vec(inner.clone(), 1..3))
                    .prop_map(|(k, branches)| one(k, Value::from(branches))),
                inner.prop_map(|s| json!({"not": s})),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The quick answer never contradicts the full validator, and on every schema it knows it
        /// is given (integers beyond 2^53 compared to a bound are left to the full validator).
        #[test]
        fn agrees_with_the_full_validator(schema in schema(), input in input()) {
            let full = Checker::new(&schema).expect("generated schemas are valid").accepts(&input);
            let quick = fits(&schema, &input);
            prop_assert!(quick.is_none_or(|q| q == full), "schema {} input {}: {:?}, boon {}", schema, input, quick, full);
            if !huge(&schema) && !huge(&input) {
                prop_assert_eq!(quick, Some(full), "schema {} input {}", schema, input);
            }
        }
    }

    #[test]
    fn integers_f64_cannot_tell_apart_are_compared_exactly() {
        let (a, b) = (json!(9007199254740993u64), json!(9007199254740992u64));
        assert_eq!(fits(&json!({"const": a}), &b), Some(false));
        assert_eq!(fits(&json!({"enum": [a, -9007199254740993i64]}), &b), Some(false));
        assert_eq!(fits(&json!({"const": 1}), &json!(1.0)), Some(true));
    }

    #[test]
    fn what_it_does_not_know_is_left_to_the_full_validator() {
        let current = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"});
        assert_eq!(fits(&current, &json!({})), Some(true));
        for schema in [
            json!({"type": "string", "pattern": "^a"}),
            json!({"$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}}),
            json!({"type": "array", "contains": {"type": "string"}}),
            json!({"type": "object", "properties": {"a": {"if": {"type": "string"}}}}),
            json!({"type": "integer", "maximum": 9007199254740993u64}),
            json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "string", "format": "email"}),
        ] {
            let input = json!({"a": "x"});
            assert_eq!(fits(&schema, &input), None, "{schema}");
        }
    }
}
