//! `--proxy-request`: call the provider's own API through Scalekit, which adds the credentials.

use ::http as http_types;
use agent_auth_contract::option::{
    BODY, CONNECTION_NAME, DEFAULT_METHOD, DRY_RUN, HEADERS, INPUT_FILE, METHOD, OUTPUT_FILE, PATH, QUERY_PARAMS,
};
use agent_auth_contract::sizes::HEADERS_MAX;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::account::{active_account_as_is, authorization_needed, find_connection, missing_account};
use super::operation::{Context, RemoteOperation};
use super::{errors, input};
use crate::cli::Args;
use crate::files::{self, AtomicFile};
use crate::http::{Multipart, Response, TransportError, header, media_type, query_string};
use crate::output::{Code, Failure, Success};
use crate::results::{self, Budget};
use crate::scalekit::proxy::{self, ProxyCall};
use crate::scalekit::{ApiError, ErrorResponse, Scalekit};

/// Names that route Scalekit (whose account is used): never taken from the caller, as a header or
/// as a query parameter (of `--query-params` or of `--path`). Compared with `_` and `-` alike, in
/// any case.
const ROUTING: [&str; 6] =
    ["connection_name", "identifier", "connected_account_id", "connection_id", "organization_id", "user_id"];
/// Headers the caller may not set besides those: Scalekit's credentials and the hop-by-hop ones
/// the WASI HTTP host refuses.
const RESERVED_HEADERS: [&str; 11] = [
    "authorization",
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "http2-settings",
];

/// `--proxy-request --connection-name C --path P [--method M] [--query-params JSON] [--body JSON]
/// [--headers JSON] [--input-file F] [--output-file F] [--dry-run] [--max-output-bytes N]
/// [--identifier I]`, every option checked.
pub struct ProxyRequest {
    connection_name: String,
    method: String,
    /// A provider path (never a URL, no `.` or `..` segment).
    path: String,
    query: Vec<(String, String)>,
    /// The caller's headers, without the ones agent-auth and Scalekit set.
    headers: Vec<(String, String)>,
    body: Body,
    output_file: Option<String>,
    /// Check everything, send nothing (`--dry-run`).
    dry_run: bool,
    /// How much of `body` stdout carries (`--max-output-bytes`).
    budget: Budget,
    /// What reading the options noticed (headers dropped).
    warnings: Vec<String>,
}

/// What the request carries.
enum Body {
    /// Nothing.
    Empty,
    /// `--body` as JSON.
    Json(Value),
    /// `--input-file` as the multipart part `file`, with `--body`'s fields.
    Form { file: String, fields: Vec<(String, String)> },
}

impl RemoteOperation for ProxyRequest {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let mut warnings = Vec::new();
        let checked = check(args, &mut warnings);
        checked.map_err(|f| f.warn(warnings.clone())).map(|request| ProxyRequest { warnings, ..request })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        if self.dry_run {
            return dry_run(&ctx.sk, self, ctx.user());
        }
        let (budget, label) = (self.budget, format!("proxy-{}", self.connection_name));
        let success = send(&ctx.sk, self, ctx.user())?;
        Ok(results::fit(success, "body", budget, ctx.storage.state_dir(), &label))
    }
}

/// Checks every option; nothing is read or sent yet.
fn check(args: &Args, warnings: &mut Vec<String>) -> Result<ProxyRequest, Failure> {
    let method = http_method(args.text(&METHOD).unwrap_or(DEFAULT_METHOD))?;
    let path = without_routing(provider_path(&args.required(&PATH))?, warnings);
    let query = match args.text(&QUERY_PARAMS) {
        Some(raw) => query_pairs(input::json_object("--query-params", raw, false)?, warnings)?,
        None => Vec::new(),
    };
    let headers = match args.text(&HEADERS) {
        Some(raw) => header_pairs(input::json_object("--headers", raw, false)?, warnings)?,
        None => Vec::new(),
    };
    let target = format!("{path}?{}", query_string(&query));
    if http_types::uri::PathAndQuery::try_from(target.as_str()).is_err() {
        return Err(Failure::new(
            Code::InvalidPath,
            "--path or --query-params make an invalid URL path",
            "Percent-encode special characters in --path (spaces, quotes, < and >), or pass them in --query-params.",
        ));
    }
    let json = args.text(&BODY).map(|raw| input::json_arg("--body", raw, false)).transpose()?;
    let body = match (args.text(&INPUT_FILE), json) {
        (Some(file), fields) => Body::Form { file: file.to_owned(), fields: multipart_fields(fields)? },
        (None, Some(json)) => Body::Json(json),
        (None, None) => Body::Empty,
    };
    Ok(ProxyRequest {
        connection_name: args.required(&CONNECTION_NAME),
        method,
        path,
        query,
        headers,
        body,
        output_file: args.text(&OUTPUT_FILE).map(str::to_owned),
        dry_run: args.has(&DRY_RUN),
        budget: Budget::parse(args)?,
        warnings: Vec::new(),
    })
}

/// `--dry-run`: the connection and the account checked and the request built (a named file read),
/// then shown instead of sent: the path on Scalekit's host, the headers besides its bearer token,
/// and the body. No output file is created.
fn dry_run(sk: &Scalekit, mut request: ProxyRequest, identifier: &str) -> Result<Success, Failure> {
    let mut warnings = std::mem::take(&mut request.warnings);
    let checked = find_connection(sk, &request.connection_name)
        .and_then(|connection| active_account_as_is(sk, &connection, identifier))
        .and_then(|_| build_call(&request, identifier, &mut warnings));
    let call = checked.map_err(|f| f.warn(warnings.clone()))?;
    // A destination the real call could not write to fails here too (the temporary file it
    // opens is removed at once).
    request.output_file.as_deref().map(AtomicFile::create).transpose().map_err(|f| f.warn(warnings.clone()))?;
    let body = match &request.body {
        Body::Empty => Value::Null,
        Body::Json(json) => json.clone(),
        Body::Form { file, fields } => {
            let name = upload_name(file);
            let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or_default();
            json!({"multipart": {"fields": Map::from_iter(fields.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str())))),
                                 "file": {"field": "file", "filename": name, "bytes": bytes}}})
        }
    };
    let headers: Map<String, Value> = proxy::headers(&call).into_iter().map(|(k, v)| (k, Value::from(v))).collect();
    Ok(Success { fields: Map::new(), warnings, raw: None }
        .with("dry_run", true)
        .with("connection_name", &request.connection_name)
        .with("identifier", identifier)
        .with(
            "request",
            json!({"method": call.method, "path": proxy::target(&call), "headers": headers, "body": body}),
        ))
}

/// Sends one proxied request and reports the provider's answer.
fn send(sk: &Scalekit, mut request: ProxyRequest, identifier: &str) -> Result<Success, Failure> {
    let mut warnings = std::mem::take(&mut request.warnings);
    let call = build_call(&request, identifier, &mut warnings).map_err(|f| f.warn(warnings.clone()))?;
    // The output file is opened before sending: an unwritable destination must not cost a request.
    let mut output =
        request.output_file.as_deref().map(AtomicFile::create).transpose().map_err(|f| f.warn(warnings.clone()))?;
    let sink = output.as_mut().map(|file| file as &mut dyn std::io::Write);
    let response = match proxy::send(sk, call, sink) {
        Ok(response) => response,
        Err(ApiError::Transport(TransportError::Sink(why))) => {
            let path = request.output_file.as_deref().unwrap_or_default();
            return Err(files::unwritable(path, &std::io::Error::other(why)).warn(warnings));
        }
        Err(other) => return Err(Failure::from(other).warn(warnings)),
    };
    if response.status().as_u16() >= 400 {
        return Err(rejected(sk, &request.connection_name, identifier, &response).warn(warnings));
    }
    let mut success = Success { fields: Map::new(), warnings, raw: None }
        .with("status", response.status().as_u16())
        .with("content_type", header(&response, "content-type").unwrap_or_default());
    if let Some(location) = header(&response, "location") {
        success = success.with("location", location);
    }
    match output {
        Some(file) if (200..300).contains(&response.status().as_u16()) => {
            let path = file.target().to_string_lossy().into_owned();
            let bytes = file.commit()?;
            Ok(success.with("saved_to", path).with("bytes", bytes))
        }
        Some(_) => {
            success.warnings.push(format!(
                "the provider answered HTTP {} (not a 2xx), so nothing was saved",
                response.status().as_u16()
            ));
            success.fields = with_body(success.fields, &response);
            Ok(success)
        }
        None => {
            success.fields = with_body(success.fields, &response);
            Ok(success)
        }
    }
}

/// The call to send: the checked options, with the body read and encoded.
fn build_call(request: &ProxyRequest, identifier: &str, warnings: &mut Vec<String>) -> Result<ProxyCall, Failure> {
    let mut headers = request.headers.clone();
    let body = match &request.body {
        Body::Form { file, fields } => {
            files::check_readable(file, "--input-file")?;
            let name = upload_name(file);
            let mime = mime_guess::from_path(file).first_raw().unwrap_or("application/octet-stream");
            if mime == "application/octet-stream" {
                warnings.push(format!(
                    "no MIME type known for {name}; sending application/octet-stream, which some providers (Notion) reject. Rename the file with its real extension."
                ));
            }
            let boundary = format!("agent-auth-{:016x}", crate::bindings::wasi::random::random::get_random_u64());
            let form = Multipart::around(&boundary, fields, "file", name, mime);
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("content-type".into(), form.content_type.clone()));
            Some(form.with_file(file.into()))
        }
        Body::Json(json) => {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                headers.push(("content-type".into(), "application/json".into()));
            }
            Some(serde_json::to_vec(json).unwrap_or_default().into())
        }
        Body::Empty => None,
    };
    Ok(ProxyCall {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        headers,
        body,
        connection_name: request.connection_name.clone(),
        identifier: identifier.to_owned(),
    })
}

/// The file name an `--input-file` is uploaded under.
fn upload_name(file: &str) -> &str {
    std::path::Path::new(file).file_name().and_then(|n| n.to_str()).unwrap_or("file")
}

fn http_method(raw: &str) -> Result<String, Failure> {
    let method = raw.trim().to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Failure::new(
            Code::Usage,
            format!("--method {raw} is not an HTTP method"),
            "Use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.",
        ));
    }
    Ok(method)
}

/// A provider path: `/v1/...`, never a URL and never a `.`/`..` segment (which could climb out of
/// `/proxy` onto Scalekit's own API).
fn provider_path(raw: &str) -> Result<String, Failure> {
    let p = raw.trim();
    let invalid = |why: &str| {
        Failure::new(
            Code::InvalidPath,
            format!("--path {why}"),
            "Pass only the provider API path, e.g. --path /v1/users/me; the host comes from the connection.",
        )
    };
    if p.contains("://") || p.starts_with("//") {
        return Err(invalid("must be a path, not a URL"));
    }
    if p.chars().any(|c| c.is_whitespace() || c.is_control() || c == '#' || c == '\\') {
        return Err(invalid("contains spaces, control characters, '#' or '\\'"));
    }
    let route = p.split('?').next().unwrap_or_default();
    let lowered = route.to_ascii_lowercase();
    if lowered.contains("%2f") || lowered.contains("%5c") {
        return Err(invalid("must not contain encoded slashes (%2F, %5C)"));
    }
    if route.split('/').any(|seg| {
        let seg = seg.to_ascii_lowercase().replace("%2e", ".");
        seg == "." || seg == ".."
    }) {
        return Err(invalid("must not contain . or .. segments"));
    }
    Ok(if p.starts_with('/') { p.to_owned() } else { format!("/{p}") })
}

/// Whether `name` is one of `names`, `_` and `-` alike, in any case.
fn one_of(names: &[&str], name: &str) -> bool {
    let folded = name.replace('_', "-");
    names.iter().any(|r| r.replace('_', "-").eq_ignore_ascii_case(&folded))
}

/// `path` without the routing parameters of its query (each dropped with a warning).
fn without_routing(path: String, warnings: &mut Vec<String>) -> String {
    let Some((route, query)) = path.split_once('?') else { return path };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default().replace('+', " ");
            let key = percent_encoding::percent_decode_str(&key).decode_utf8_lossy().into_owned();
            let routing = one_of(&ROUTING, &key);
            if routing {
                warnings
                    .push(format!("--path: dropped the query parameter {key}; it would choose whose account is used"));
            }
            !routing
        })
        .collect();
    if kept.is_empty() { route.to_owned() } else { format!("{route}?{}", kept.join("&")) }
}

fn query_pairs(map: Map<String, Value>, warnings: &mut Vec<String>) -> Result<Vec<(String, String)>, Failure> {
    let bad = |key: &str| {
        Failure::new(
            Code::InvalidJson,
            format!("--query-params value of {key} must be a string, number, boolean or an array of those"),
            "Use an array to repeat a key, e.g. --query-params '{\"label\": [\"a\", \"b\"]}'.",
        )
    };
    let mut pairs = Vec::new();
    for (key, value) in map {
        if one_of(&ROUTING, &key) {
            warnings.push(format!("--query-params: dropped {key}; it would choose whose account is used"));
            continue;
        }
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    pairs.push((key.clone(), input::scalar_text(&item).ok_or_else(|| bad(&key))?));
                }
            }
            other => pairs.push((key.clone(), input::scalar_text(&other).ok_or_else(|| bad(&key))?)),
        }
    }
    Ok(pairs)
}

fn header_pairs(map: Map<String, Value>, warnings: &mut Vec<String>) -> Result<Vec<(String, String)>, Failure> {
    let mut headers = Vec::new();
    for (name, value) in map {
        if one_of(&ROUTING, &name) || one_of(&RESERVED_HEADERS, &name) {
            warnings.push(format!("--headers: dropped {name}; agent-auth and Scalekit set it"));
            continue;
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b)) {
            return Err(Failure::new(
                Code::InvalidJson,
                format!("--headers: {name:?} is not a valid header name"),
                "Use plain header names, e.g. {\"Notion-Version\": \"2022-06-28\"}.",
            ));
        }
        let text =
            input::scalar_text(&value).filter(|t| http_types::HeaderValue::from_str(t).is_ok()).ok_or_else(|| {
                Failure::new(
                    Code::InvalidJson,
                    format!("--headers: the value of {name} must be a single-line string"),
                    "Use plain header values, e.g. {\"Notion-Version\": \"2022-06-28\"}.",
                )
            })?;
        headers.push((name, text));
    }
    let size: usize = headers.iter().map(|(name, value)| name.len() + value.len()).sum();
    if size > HEADERS_MAX / 2 {
        return Err(Failure::new(
            Code::InvalidJson,
            format!("--headers: {size} bytes of headers, more than a request carries"),
            format!(
                "Pass at most {} KiB of headers; send large content as --body or --input-file.",
                (HEADERS_MAX / 2) >> 10
            ),
        ));
    }
    Ok(headers)
}

fn multipart_fields(body: Option<Value>) -> Result<Vec<(String, String)>, Failure> {
    match body {
        None => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map
            .into_iter()
            .map(|(k, v)| {
                let text = input::scalar_text(&v).unwrap_or_else(|| v.to_string());
                (k, text)
            })
            .collect()),
        Some(other) => Err(Failure::new(
            Code::InvalidJson,
            format!("with --input-file, --body must be a JSON object of form fields, not {}", input::kind(&other)),
            "Pass form fields as an object, e.g. --body '{\"channel\": \"C123\"}', or drop --body.",
        )),
    }
}

/// The response body as JSON, text, or base64 (with `body_encoding`).
fn with_body(mut fields: Map<String, Value>, response: &Response) -> Map<String, Value> {
    let media = media_type(response);
    let is_json = media == "application/json" || media.ends_with("+json");
    let textual = media.starts_with("text/")
        || media.ends_with("xml")
        || media.contains("javascript")
        || media == "application/x-www-form-urlencoded"
        || media.is_empty();
    let body = if response.body().is_empty() {
        Value::Null
    } else if let Some(json) = is_json.then(|| serde_json::from_slice::<Value>(response.body()).ok()).flatten() {
        json
    } else if let Some(text) = (textual || is_json).then(|| std::str::from_utf8(response.body()).ok()).flatten() {
        Value::String(text.to_owned())
    } else {
        fields.insert("body_encoding".into(), "base64".into());
        Value::String(base64::engine::general_purpose::STANDARD.encode(response.body()))
    };
    fields.insert("body".into(), body);
    fields
}

/// Explains an error status: Scalekit's own rejections first, then the provider's.
fn rejected(sk: &Scalekit, name: &str, identifier: &str, response: &Response) -> Failure {
    let mut answer = Map::new();
    answer.insert("status".into(), response.status().as_u16().into());
    answer.insert("content_type".into(), header(response, "content-type").unwrap_or_default().into());
    let answer = with_body(answer, response);
    let r = ErrorResponse::parse(response);
    if r.from_proxy_layer || r.is("TOOL_PROXY_DISABLED") {
        return match r.error_code.as_deref() {
            Some("TOOL_PROXY_DISABLED") => Failure::new(
                Code::ProxyDisabled,
                format!("the Scalekit proxy is not enabled for {name}: {}", r.message),
                "Use a catalogue tool instead (agent-auth --get-tool --query ...), or ask the person to enable the proxy for this connection in the Scalekit dashboard.",
            ),
            Some("NOT_FOUND") => missing_account(sk, name, identifier),
            Some("UNAUTHORIZED") => Failure::new(
                Code::InvalidCredentials,
                format!("Scalekit refused the request: {}", r.message),
                "Check TOOL_CLIENT_ID, TOOL_CLIENT_SECRET and TOOL_ENV_URL.",
            ),
            _ => errors::status(r),
        }
        .with_fields(answer);
    }
    match response.status().as_u16() {
        401 => match find_connection(sk, name) {
            Ok(connection) => authorization_needed(
                sk,
                &connection,
                identifier,
                None,
                Code::ProviderUnauthorized,
                format!("the provider rejected the credentials of {name} for {identifier} (HTTP 401)"),
            ),
            Err(f) => f,
        },
        429 => Failure::new(
            Code::RateLimited,
            "the provider answered HTTP 429 (rate limited)",
            errors::retry_hint(header(response, "retry-after")),
        ),
        status => Failure::new(
            Code::ProviderError,
            format!("the provider answered HTTP {status}"),
            "Read body for the provider's error, and check the path, method and parameters against the provider's API.",
        ),
    }
    .with_fields(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_be_urls_or_climb_out_of_the_proxy() {
        assert_eq!(provider_path("v1/users/me").ok().as_deref(), Some("/v1/users/me"));
        assert!(provider_path("https://api.notion.com/v1/users").is_err());
        assert!(provider_path("/../api/v1/connected_accounts/auth").is_err());
        assert!(provider_path("/%2E%2e/api").is_err());
        assert!(provider_path("/v1/..%2F..%2Fapi/v1/tools").is_err());
        assert!(provider_path("/v1/search?q=a..b").is_ok());
    }

    #[test]
    fn array_query_values_repeat_the_key() {
        let map = serde_json::from_str::<Map<String, Value>>(r#"{"label": ["x", "y"], "n": 2}"#).unwrap();
        let pairs = query_pairs(map, &mut Vec::new()).ok().unwrap_or_default();
        assert_eq!(pairs, vec![("label".into(), "x".into()), ("label".into(), "y".into()), ("n".into(), "2".into())]);
    }
}
