//! The wire shapes shared by the REST routes: JSON answers, grpc-gateway and proxy errors,
//! protojson-strict body decoding, and paging.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::schema;
use super::{Request, Response};

/// `page_size` when the request leaves it out or sends 0.
const DEFAULT_PAGE: usize = 10;

/// A JSON answer.
pub fn json_response(status: u16, body: Value) -> Response {
    Response {
        status,
        content_type: "application/json".into(),
        headers: Vec::new(),
        body: Bytes::from(body.to_string()),
    }
}

fn grpc_code(status: u16) -> u32 {
    match status {
        400 => 3,
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        429 => 8,
        _ => 13,
    }
}

/// A grpc-gateway error: `{code, message, details: [ErrorInfo]}`.
pub fn gateway_error(status: u16, message: &str, error_code: &str, extra: Option<(&str, Value)>) -> Response {
    let mut info = json!({"@type": "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo", "error_code": error_code});
    if let Some((k, v)) = extra {
        info[k] = v;
    }
    json_response(status, json!({"code": grpc_code(status), "message": message, "details": [info]}))
}

/// The gateway's answer for a path or method no route serves.
pub fn no_route() -> Response {
    json_response(404, json!({"code": 5, "message": "Not Found", "details": []}))
}

/// A buf.validate failure: 400 INVALID_ARGUMENT with `validation_error_info`.
pub fn invalid(violations: Vec<Value>) -> Response {
    let message = violations
        .iter()
        .map(|v| format!("{}: {}", v["field"].as_str().unwrap_or(""), v["description"].as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join("; ");
    gateway_error(
        400,
        &format!("validation error: {message}"),
        "INVALID_ARGUMENT",
        Some(("validation_error_info", json!({"field_violations": violations}))),
    )
}

/// The violation of a required field left empty.
pub fn required(field: &str) -> Value {
    schema::violation(field, "value is required".into(), "required")
}

/// The proxy layer's error shape: `{detail, code}`.
pub fn proxy_error(status: u16, detail: &str, code: &str) -> Response {
    json_response(status, json!({"detail": detail, "code": code}))
}

fn syntax_error(message: &str) -> Response {
    gateway_error(400, &format!("proto: {message}"), "INVALID_ARGUMENT", None)
}

/// Decodes a JSON body, rejecting fields the request message does not have (protojson's default).
pub fn body_fields(req: &Request, allowed: &[&str]) -> Result<Map<String, Value>, Response> {
    let value: Value = serde_json::from_slice(&req.body).map_err(|e| syntax_error(&format!("syntax error: {e}")))?;
    message_fields(&value, allowed).cloned()
}

/// The fields of a (possibly nested) message, rejecting fields it does not have.
pub fn message_fields<'a>(value: &'a Value, allowed: &[&str]) -> Result<&'a Map<String, Value>, Response> {
    let map = value.as_object().ok_or_else(|| syntax_error(&format!("expected a JSON object, got {value}")))?;
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(syntax_error(&format!("unknown field \"{unknown}\""))),
        None => Ok(map),
    }
}

/// A string field, `""` when absent or null; another JSON type is refused as protojson does.
pub fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a str, Response> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(syntax_error(&format!("invalid value for string field {key}: {other}"))),
    }
}

/// A repeated field, empty when absent or null; another JSON type is refused as protojson does.
pub fn list<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], Response> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(syntax_error(&format!("invalid value for list field {key}: {other}"))),
    }
}

/// A repeated string field, empty when absent or null; other JSON types are refused as protojson does.
pub fn text_list<'a>(map: &'a Map<String, Value>, key: &str) -> Result<Vec<&'a str>, Response> {
    list(map, key)?
        .iter()
        .map(|item| item.as_str().ok_or_else(|| syntax_error(&format!("invalid value for string field {key}: {item}"))))
        .collect()
}

/// The upper bound on a listing's `page_size`, as its buf.validate rule states it.
#[derive(Debug, Clone, Copy)]
pub enum PageLimit {
    /// `lte: N`
    AtMost(usize),
    /// `lt: N`
    Below(usize),
}

/// The requested `page_size`, checked against `limit` (0 or absent means the default).
pub fn page_size(req: &Request, limit: PageLimit) -> Result<usize, Response> {
    let (max, description, constraint) = match limit {
        PageLimit::AtMost(n) => (n, format!("value must be less than or equal to {n}"), "uint32.lte"),
        PageLimit::Below(n) => (n - 1, format!("value must be less than {n}"), "uint32.lt"),
    };
    match req.query_value("page_size") {
        None | Some("") | Some("0") => Ok(DEFAULT_PAGE.min(max)),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            Ok(_) => Err(invalid(vec![schema::violation("page_size", description, constraint)])),
            Err(_) => Err(gateway_error(400, &format!("invalid value for page_size: {raw}"), "INVALID_ARGUMENT", None)),
        },
    }
}

/// Pages through `items` with opaque offset tokens: (page, next_page_token, prev_page_token).
pub fn paginate<T: Clone>(items: &[T], size: usize, token: Option<&str>) -> Result<(Vec<T>, String, String), Response> {
    let start = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix("pt_")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| gateway_error(400, "invalid page_token", "INVALID_ARGUMENT", None))?,
    };
    let end = (start + size).min(items.len());
    let next = if end < items.len() { format!("pt_{end}") } else { String::new() };
    let prev = if start > 0 { format!("pt_{}", start.saturating_sub(size)) } else { String::new() };
    Ok((items[start..end].to_vec(), next, prev))
}

/// A boolean query parameter, read as grpc-gateway does (Go's `strconv.ParseBool`); false when absent.
pub fn query_bool(req: &Request, name: &str) -> Result<bool, Response> {
    match req.query_value(name) {
        None | Some("") => Ok(false),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(raw) => Err(gateway_error(400, &format!("invalid value for {name}: {raw}"), "INVALID_ARGUMENT", None)),
    }
}
