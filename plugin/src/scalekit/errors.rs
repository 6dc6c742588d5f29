//! Scalekit's error shapes: the gateway `Status` (`{code, message, details[]}`), the proxy's
//! `{detail, code}`, and OAuth token errors (`{error, error_description}`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Response, TransportError, header, path_of};

/// Codes with which Scalekit's proxy layer (not the provider) answers in `{detail, code}`. A
/// provider may use the same shape with its own codes (Django REST framework does).
const PROXY_LAYER_CODES: [&str; 3] = ["UNAUTHORIZED", "NOT_FOUND", "TOOL_PROXY_DISABLED"];

/// Why a Scalekit call failed.
#[derive(Debug)]
pub enum ApiError {
    /// No response at all.
    Transport(TransportError),
    /// A non-2xx response (boxed: error responses carry a lot, and results stay small).
    Status(Box<ErrorResponse>),
    /// The token endpoint refused the client credentials.
    Credentials(Box<ErrorResponse>),
    /// A 2xx response we could not decode.
    Decode(String),
    /// A redirect, which is never followed.
    Redirected(Redirect),
}

/// Where a 3xx answer pointed.
#[derive(Debug)]
pub struct Redirect {
    /// HTTP status.
    pub status: u16,
    /// The other host it named, when it named one.
    pub other_host: Option<String>,
    /// The path it named on the same host (without the query, which may carry a credential).
    pub path: String,
}

impl Redirect {
    /// The redirect of `response` to a request sent to `origin` (`https://host[:port]`).
    pub fn of(response: &Response, origin: &str) -> Redirect {
        let location = header(response, "location").unwrap_or_default().trim();
        let authority = |url: &str| url.parse::<http::Uri>().ok()?.authority().cloned();
        // Authorities compare without case; the user info is never shown.
        let other_host =
            authority(location).filter(|a| Some(a) != authority(origin).as_ref()).map(|a| match a.port() {
                Some(port) => format!("{}:{port}", a.host()),
                None => a.host().to_owned(),
            });
        let path = match location.contains("://") {
            true => path_of(location),
            false => location.split(['?', '#']).next().unwrap_or_default(),
        };
        Redirect { status: response.status().as_u16(), other_host, path: path.to_owned() }
    }
}

/// One `validation_error_info.field_violations[]` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Violation {
    /// The offending field, e.g. `params.page_id`.
    #[serde(default)]
    pub field: String,
    /// What is wrong with it.
    #[serde(default)]
    pub description: String,
    /// The rule that failed, when Scalekit names it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub constraint: String,
}

/// `tool_error_info`: the provider's failure during a tool execution.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct ToolErrorInfo {
    /// The execution that failed.
    #[serde(default)]
    pub execution_id: String,
    /// The provider-side code, e.g. `RATE_LIMITED`.
    #[serde(default)]
    pub tool_error_code: String,
    /// The provider-side message.
    #[serde(default)]
    pub tool_error_message: String,
}

/// A parsed error response.
#[derive(Debug, Clone, Default)]
pub struct ErrorResponse {
    /// HTTP status.
    pub status: u16,
    /// The human message (`message`, `detail` or `error_description`).
    pub message: String,
    /// `details[].error_code`, the proxy's `code`, or the OAuth `error`.
    pub error_code: Option<String>,
    /// Every field violation, when the request failed validation.
    pub violations: Vec<Violation>,
    /// Set for `TOOL_ERROR`.
    pub tool_error: Option<ToolErrorInfo>,
    /// The `Retry-After` header, when present.
    pub retry_after: Option<String>,
    /// True when Scalekit's proxy layer, not the provider, answered (`{detail, code}` with one of its codes).
    pub from_proxy_layer: bool,
}

#[derive(Deserialize, Default)]
struct Detail {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    validation_error_info: Option<ValidationInfo>,
    #[serde(default)]
    tool_error_info: Option<ToolErrorInfo>,
}

#[derive(Deserialize, Default)]
struct ValidationInfo {
    #[serde(default)]
    field_violations: Vec<Violation>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl ErrorResponse {
    /// Parses whatever error body came back; never fails.
    pub fn parse(response: &Response) -> ErrorResponse {
        let mut out = ErrorResponse {
            status: response.status().as_u16(),
            retry_after: header(response, "retry-after").map(str::to_owned),
            ..Default::default()
        };
        let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        if let Some(details) = body.get("details").and_then(Value::as_array) {
            out.message = text(&body, "message").unwrap_or_default();
            for d in details {
                let d: Detail = serde_json::from_value(d.clone()).unwrap_or_default();
                out.error_code = out.error_code.or(d.error_code);
                if let Some(v) = d.validation_error_info {
                    out.violations.extend(v.field_violations);
                }
                out.tool_error = out.tool_error.or(d.tool_error_info);
            }
        } else if let (Some(detail), Some(code)) = (text(&body, "detail"), text(&body, "code")) {
            out.message = detail;
            out.from_proxy_layer = PROXY_LAYER_CODES.contains(&code.as_str());
            out.error_code = Some(code);
        } else if let Some(error) = text(&body, "error") {
            out.message = text(&body, "error_description").unwrap_or_else(|| error.clone());
            out.error_code = Some(error);
        } else {
            out.message = text(&body, "message").unwrap_or_default();
        }
        if out.message.is_empty() {
            let snippet: String = String::from_utf8_lossy(response.body()).chars().take(200).collect();
            out.message =
                if snippet.trim().is_empty() { format!("HTTP {}", out.status) } else { snippet.trim().to_owned() };
        }
        out
    }

    /// Whether Scalekit named this error code (the first its details give).
    pub fn is(&self, code: &str) -> bool {
        self.error_code.as_deref() == Some(code)
    }
}

/// Whether a 429 (or any error answer) is Scalekit's gateway refusing a request itself, so that
/// nothing ran: not the answer of a provider a tool reached (a detail's `error_code`
/// `TOOL_ERROR`). The retry layer asks it of writes to Scalekit's API ([`crate::http::retry::Refusal`]).
pub fn refused_by_scalekit(response: &Response) -> bool {
    let body: Value = serde_json::from_slice(response.body()).unwrap_or_default();
    let details = body.get("details").and_then(Value::as_array).into_iter().flatten();
    !details.into_iter().any(|d| d.get("error_code").and_then(Value::as_str) == Some("TOOL_ERROR"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_s_answer_passed_on_is_not_scalekit_s_refusal() {
        let tool_error = r#"{"code": 8, "details": [{"error_code": "OTHER"}, {"error_code": "TOOL_ERROR"}]}"#;
        assert!(!refused_by_scalekit(&crate::http::response(429, &[], tool_error)));
        assert!(refused_by_scalekit(&crate::http::response(429, &[], r#"{"code": 8, "message": "slow down"}"#)));
        assert!(refused_by_scalekit(&crate::http::response(429, &[], "")));
    }

    fn redirect(location: &str) -> Redirect {
        let response = crate::http::response(302, &[("location", location)], Vec::new());
        Redirect::of(&response, "https://acme.scalekit.cloud")
    }

    #[test]
    fn a_redirect_names_another_host_or_the_path_never_the_query() {
        let away = redirect("https://user:pw@evil.example:8443/steal?token=abc");
        assert_eq!((away.other_host.as_deref(), away.path.as_str()), (Some("evil.example:8443"), "/steal"));
        let home = redirect("https://ACME.scalekit.cloud/api/v2/connections?page=2");
        assert_eq!((home.other_host, home.path.as_str()), (None, "/api/v2/connections"));
        let relative = redirect("/api/v2/connections/app?x=1");
        assert_eq!((relative.other_host, relative.path.as_str()), (None, "/api/v2/connections/app"));
    }
}
