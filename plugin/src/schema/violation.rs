//! Every way an input breaks its schema, each said the way a model can fix it in one retry.

use boon::{CompileError, Compiler, ErrorKind, Schemas, ValidationError};
use serde::Serialize;
use serde_json::{Map, Value};

use super::closest::closest;

/// A given value longer than this (as JSON) is shortened in a violation.
const GIVEN_MAX: usize = 120;
/// Where the schema is said to live; no loader serves this scheme, so a `$ref` to another
/// document fails the compilation instead of reaching for the network or a file.
const SCHEMA_URL: &str = "https://input-schema.invalid/tool.json";

/// One way an input breaks its schema.
#[derive(Debug, Serialize, PartialEq)]
pub struct Violation {
    /// Where, as a JSON pointer into the input (`""` is the input itself).
    pub pointer: String,
    /// The schema keyword broken: `type`, `required`, `enum`, `additionalProperties`...
    pub constraint: String,
    /// What the schema wants there.
    pub expected: String,
    /// What the input has there (absent for a missing parameter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given: Option<Value>,
    /// The closest valid name or value, for an unknown parameter or a value outside an enum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<Value>,
    /// All of it in a sentence.
    pub description: String,
}

/// A schema compiled for checking inputs.
pub struct Checker {
    schemas: Schemas,
    index: boon::SchemaIndex,
}

impl Checker {
    /// Compiles `schema`; `Err` with the reason when it is not a schema this can apply.
    pub fn new(schema: &Value) -> Result<Checker, String> {
        let mut compiler = Compiler::new();
        let mut schemas = Schemas::new();
        compiler.add_resource(SCHEMA_URL, schema.clone()).map_err(unusable)?;
        let index = compiler.compile(SCHEMA_URL, &mut schemas).map_err(unusable)?;
        Ok(Checker { schemas, index })
    }

    /// Whether `input` fits.
    pub fn accepts(&self, input: &Value) -> bool {
        self.schemas.validate(input, self.index).is_ok()
    }
}

/// Why a schema cannot be applied, in words that name no internal address.
fn unusable(error: CompileError) -> String {
    match error {
        CompileError::ValidationError { src, .. } => {
            let mut leaves = Vec::new();
            collect_leaves(&src, &mut leaves);
            let at = leaves.first().map_or(String::new(), |leaf| leaf.instance_location.to_string());
            format!("it breaks the JSON Schema rules at {}", if at.is_empty() { "its root" } else { &at })
        }
        CompileError::UnsupportedUrlScheme { url } | CompileError::LoadUrlError { url, .. } => {
            format!("it refers to {url}, which is not fetched")
        }
        other => other.to_string().replace(SCHEMA_URL, "the schema"),
    }
}

/// Every violation of `schema` by `input`, in pointer order; `Err` with the reason when the
/// schema itself cannot be compiled (the input is then left to Scalekit to judge).
pub fn check(schema: &Value, input: &Value) -> Result<Vec<Violation>, String> {
    // Most inputs fit a plain schema: that is known without starting the full validator (which
    // checks the schema against the JSON Schema meta-schemas first, some milliseconds).
    if super::quick::fits(schema, input) == Some(true) {
        return Ok(Vec::new());
    }
    let checker = Checker::new(schema)?;
    let Err(error) = checker.schemas.validate(input, checker.index) else { return Ok(Vec::new()) };
    let mut leaves = Vec::new();
    collect_leaves(&error, &mut leaves);
    let mut out: Vec<Violation> = leaves.into_iter().flat_map(|e| explain(schema, input, e)).collect();
    out.sort_by(|a, b| (&a.pointer, &a.constraint).cmp(&(&b.pointer, &b.constraint)));
    out.dedup();
    // A misspelt required parameter is one mistake: its unknown-parameter entry says it all.
    let renamed: Vec<(String, Value)> = out
        .iter()
        .filter(|v| v.constraint == "additionalProperties")
        .filter_map(|v| Some((parent_of(&v.pointer).to_owned(), v.did_you_mean.clone()?)))
        .collect();
    out.retain(|v| {
        v.constraint != "required"
            || !renamed.iter().any(|(at, name)| Some(name) == v.did_you_mean.as_ref() && *at == parent_of(&v.pointer))
    });
    Ok(out)
}

/// The errors that name a broken keyword; `anyOf`, `oneOf`, `allOf` and `not` count as one each
/// (their alternatives' own errors would only confuse).
fn collect_leaves<'e, 's, 'v>(error: &'e ValidationError<'s, 'v>, out: &mut Vec<&'e ValidationError<'s, 'v>>) {
    match error.kind {
        ErrorKind::Group | ErrorKind::Schema { .. } | ErrorKind::Reference { .. } if !error.causes.is_empty() => {
            error.causes.iter().for_each(|cause| collect_leaves(cause, out));
        }
        _ => out.push(error),
    }
}

/// `error` as one violation, or one per unknown parameter.
fn explain(schema: &Value, input: &Value, error: &ValidationError) -> Vec<Violation> {
    let at = error.instance_location.to_string();
    let given = input.pointer(&at).unwrap_or(&Value::Null);
    // The (sub)schema that holds the keyword broken.
    // boon percent-encodes the fragment (a property named "custom fields" is `custom%20fields`).
    let holder = error
        .schema_url
        .split_once('#')
        .and_then(|(_, fragment)| schema.pointer(&percent_encoding::percent_decode_str(fragment).decode_utf8().ok()?));
    match &error.kind {
        ErrorKind::AdditionalProperties { got } => {
            let names = property_names(holder);
            got.iter().map(|key| unknown_parameter(&at, key, given.get(key.as_ref()), &names)).collect()
        }
        ErrorKind::Required { want } => {
            let declared = property_names(holder);
            want.iter().map(|name| missing_parameter(&at, name, given, &declared)).collect()
        }
        ErrorKind::Enum { want } => vec![outside_enum(&at, want, given)],
        kind => {
            let constraint = kind.keyword_path().map_or("schema", |k| k.keyword).to_owned();
            let keyword = holder.and_then(|h| h.get(&constraint)).unwrap_or(&Value::Null);
            let expected = expectation(&constraint, keyword).unwrap_or_else(|| kind.to_string());
            vec![Violation {
                description: format!("{}: expected {expected}, got {}", place(&at), shown(given)),
                pointer: at,
                constraint,
                expected,
                given: Some(shortened(given)),
                did_you_mean: None,
            }]
        }
    }
}

fn unknown_parameter(at: &str, key: &str, value: Option<&Value>, names: &[&str]) -> Violation {
    let suggestion = closest(key, names.iter().copied());
    let expected = if names.is_empty() {
        "no other parameters".to_owned()
    } else {
        format!("one of the parameters {}", quoted_list(names.iter().copied()))
    };
    let mut description = format!("unknown parameter \"{key}\"{}", within(at));
    if let Some(s) = suggestion {
        description.push_str(&format!("; did you mean \"{s}\"?"));
    }
    Violation {
        pointer: format!("{at}/{}", escape(key)),
        constraint: "additionalProperties".into(),
        expected,
        given: value.map(shortened),
        did_you_mean: suggestion.map(Value::from),
        description,
    }
}

/// A required parameter that is absent; when the input has a key that looks like it (a typo the
/// schema does not forbid), that key is named.
fn missing_parameter(at: &str, name: &str, object: &Value, declared: &[&str]) -> Violation {
    let keys = object.as_object().map(|o| o.keys().map(String::as_str).collect::<Vec<_>>()).unwrap_or_default();
    let lookalike = keys.iter().copied().filter(|k| !declared.contains(k)).find(|k| closest(k, [name]).is_some());
    let mut description = format!("missing required parameter \"{name}\"{}", within(at));
    if let Some(k) = lookalike {
        description.push_str(&format!("; the input has \"{k}\": did you mean \"{name}\"?"));
    }
    Violation {
        pointer: format!("{at}/{}", escape(name)),
        constraint: "required".into(),
        expected: format!("a value for \"{name}\""),
        given: lookalike.map(Value::from),
        did_you_mean: lookalike.map(|_| Value::from(name)),
        description,
    }
}

fn outside_enum(at: &str, options: &[Value], given: &Value) -> Violation {
    let texts: Vec<&str> = options.iter().filter_map(Value::as_str).collect();
    let suggestion = given.as_str().and_then(|g| closest(g, texts.iter().copied()));
    let expected = format!("one of {}", options.iter().map(Value::to_string).collect::<Vec<_>>().join(", "));
    let mut description = format!("{}: {} is not allowed; expected {expected}", place(at), shown(given));
    if let Some(s) = suggestion {
        description.push_str(&format!("; did you mean \"{s}\"?"));
    }
    Violation {
        pointer: at.to_owned(),
        constraint: "enum".into(),
        expected,
        given: Some(shortened(given)),
        did_you_mean: suggestion.map(Value::from),
        description,
    }
}

/// What `keyword`'s value asks for, in words; `None` where the validator's own sentence says it better.
fn expectation(constraint: &str, keyword: &Value) -> Option<String> {
    let n = || keyword.to_string();
    Some(match constraint {
        "type" => match keyword {
            Value::Array(types) => types.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
            other => other.as_str()?.to_owned(),
        },
        "const" => format!("exactly {keyword}"),
        "minimum" => format!("at least {}", n()),
        "maximum" => format!("at most {}", n()),
        "exclusiveMinimum" => format!("more than {}", n()),
        "exclusiveMaximum" => format!("less than {}", n()),
        "multipleOf" => format!("a multiple of {}", n()),
        "minLength" => format!("at least {} characters", n()),
        "maxLength" => format!("at most {} characters", n()),
        "minItems" => format!("at least {} items", n()),
        "maxItems" => format!("at most {} items", n()),
        "minProperties" => format!("at least {} parameters", n()),
        "maxProperties" => format!("at most {} parameters", n()),
        "uniqueItems" => "items that are all different".into(),
        "pattern" => format!("a string matching {keyword}"),
        "format" => format!("a {} string", keyword.as_str()?),
        _ => return None,
    })
}

/// The declared property names of an object schema.
fn property_names(holder: Option<&Value>) -> Vec<&str> {
    holder
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The pointer of the object holding `pointer` (`/a/b` → `/a`).
fn parent_of(pointer: &str) -> &str {
    pointer.rfind('/').map_or("", |i| &pointer[..i])
}

/// `key` as one JSON pointer segment: `~` and `/` escaped (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn place(at: &str) -> String {
    if at.is_empty() { "the input".into() } else { format!("at {at}") }
}

fn within(at: &str) -> String {
    if at.is_empty() { String::new() } else { format!(" in {at}") }
}

fn quoted_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

/// `v` as it may be shown: long strings cut, big arrays and objects described.
fn shortened(v: &Value) -> Value {
    if v.to_string().len() <= GIVEN_MAX {
        return v.clone();
    }
    match v {
        Value::String(s) => Value::from(format!("{}…", s.chars().take(GIVEN_MAX / 2).collect::<String>())),
        Value::Array(items) => Value::from(format!("an array of {} items", items.len())),
        Value::Object(map) => {
            Value::Object(Map::from_iter([("…".to_owned(), Value::from(format!("an object with {} keys", map.len())))]))
        }
        other => other.clone(),
    }
}

fn shown(v: &Value) -> String {
    shortened(v).to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::check;

    fn schema() -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 1},
                "num_results": {"type": "integer", "minimum": 1, "maximum": 100},
                "type": {"type": "string", "enum": ["auto", "neural", "keyword"]}
            },
            "required": ["query"],
            "additionalProperties": false
        })
    }

    #[test]
    fn every_violation_at_once_each_with_its_pointer() {
        let found = check(&schema(), &json!({"qurey": "rust", "num_results": "ten", "type": "nueral"})).unwrap();
        let at: Vec<(&str, &str)> = found.iter().map(|v| (v.pointer.as_str(), v.constraint.as_str())).collect();
        // The misspelt required "query" is reported once, as the unknown "qurey".
        assert_eq!(at, [("/num_results", "type"), ("/qurey", "additionalProperties"), ("/type", "enum")]);
        assert_eq!(found[0].expected, "integer");
        assert_eq!(found[0].given, Some(json!("ten")));
        assert_eq!(found[1].did_you_mean, Some(json!("query")));
        assert_eq!(found[2].did_you_mean, Some(json!("neural")));
        assert_eq!(found[2].expected, r#"one of "auto", "neural", "keyword""#);
    }

    #[test]
    fn a_typo_the_schema_does_not_forbid_is_named_at_the_missing_parameter() {
        let open = json!({"type": "object", "properties": {"page_id": {"type": "string"}}, "required": ["page_id"]});
        let found = check(&open, &json!({"pageId": "abc"})).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "/page_id");
        assert_eq!(found[0].did_you_mean, Some(json!("page_id")));
        assert!(found[0].description.contains(r#"the input has "pageId""#), "{}", found[0].description);
    }

    #[test]
    fn a_missing_parameter_without_a_lookalike_is_reported_as_missing() {
        let found = check(&schema(), &json!({"num_results": 3})).unwrap();
        assert_eq!((found[0].pointer.as_str(), found[0].constraint.as_str()), ("/query", "required"));
        assert_eq!(found[0].did_you_mean, None);
    }

    #[test]
    fn bounds_are_said_in_words_and_a_valid_input_has_none() {
        let found = check(&schema(), &json!({"query": "", "num_results": 500})).unwrap();
        let expected: Vec<&str> = found.iter().map(|v| v.expected.as_str()).collect();
        assert_eq!(expected, ["at most 100", "at least 1 characters"]);
        assert!(check(&schema(), &json!({"query": "rust", "type": "auto"})).unwrap().is_empty());
    }

    #[test]
    fn nested_objects_under_names_with_spaces_still_name_their_parameters() {
        let nested = json!({"type": "object", "properties": {"custom fields": {"type": "object",
            "properties": {"owner": {"type": "string"}}, "additionalProperties": false}}});
        let found = check(&nested, &json!({"custom fields": {"ownr": "me"}})).unwrap();
        assert_eq!(found[0].pointer, "/custom fields/ownr");
        assert_eq!(found[0].did_you_mean, Some(json!("owner")), "{:?}", found[0]);
    }

    #[test]
    fn long_values_are_shortened() {
        let found = check(&schema(), &json!({"query": 1, "num_results": "x".repeat(5000)})).unwrap();
        let given = found[0].given.as_ref().unwrap().as_str().unwrap();
        assert!(given.chars().count() < 100 && given.ends_with('…'), "{given}");
    }

    #[test]
    fn a_schema_that_cannot_compile_is_reported_not_applied() {
        assert!(check(&json!({"type": "no-such-type"}), &json!({})).is_err());
    }
}
