//! Conformance suite: every `tests/conformance/<case>.json` runs the real component through the
//! host with its HTTP intercepted. A case gives the arguments, environment, files and stdin; the
//! responses to serve, in order; and what must come out: the exact stdout JSON, the exit code, the
//! exact requests the component sent (method, path, query, the headers that matter, body), and
//! any files written. Every case also asserts that no secret it used appears on stdout or stderr,
//! and that every API request carried the issued token.
//!
//! Conventions inside a case file:
//! - `"token"` in `exchanges` is the client-credentials exchange (`POST /oauth/token`), checked
//!   field by field; it answers with the test access token.
//! - `{dir}` anywhere is replaced by the case's private folder (its files live there).
//! - `env` entries override the defaults below; `null` removes one.
//! - agent-auth's config and state folders are `{dir}/agent-auth-config` and
//!   `{dir}/agent-auth-state`; `files` may seed them (e.g. `agent-auth-config/connections.json`).
//! - `expect.audit` lists the audit trail's lines exactly, except `time` (RFC 3339) and
//!   `duration_ms` (a number), which are only checked for their form.
//! - `stdout_secrets` are secrets the operation hands out on purpose (a `--get-token` token, an
//!   MCP instance URL): allowed on stdout, never on stderr or in the audit trail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use agent_auth_host::outbound::{CannedResponse, InterceptedRequest, Interceptor, Network};
use agent_auth_host::runtime::{Invocation, Runtime, Stdio};
use agent_auth_host::sandbox::{self, AgentDirs, EgressPolicy, FileGrants, Limits};
use base64::Engine;
use bytes::Bytes;
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;
use serde_json::{Value, json};
use wasmtime_wasi_http::Error as HttpError;

const CLIENT_ID: &str = "skc_conformance_client";
const CLIENT_SECRET: &str = "conformance-client-secret-5f1c9e";
const ENV_URL: &str = "https://acme.scalekit.cloud";
const IDENTIFIER: &str = "user_42";
const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.conformance-scalekit-access-token.sig";
/// JSON keys whose string values are secrets wherever they appear in a served response; every
/// value under `static_auth.details` (API keys, passwords, ...) is a secret too.
const SECRET_KEYS: [&str; 9] = [
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "client_secret",
    "password",
    "secret",
    "token",
    "bearer_token",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    about: String,
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, Option<String>>,
    #[serde(default)]
    files: BTreeMap<String, Content>,
    #[serde(default)]
    stdin: Option<String>,
    #[serde(default)]
    sandbox: SandboxOverrides,
    #[serde(default)]
    exchanges: Vec<Exchange>,
    expect: Expect,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    stdout_secrets: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SandboxOverrides {
    /// Enforce egress as if the environment URL were this one.
    env_url: Option<String>,
    /// `false`: grant no files, whatever the arguments name.
    grant_files: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Exchange {
    Named(String),
    Full { expect: ExpectedRequest, respond: Respond },
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ExpectedRequest {
    method: String,
    path: String,
    #[serde(default)]
    query: Vec<(String, String)>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<Value>,
    form: Option<BTreeMap<String, String>>,
    multipart: Option<ExpectedMultipart>,
    body: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ExpectedMultipart {
    #[serde(default)]
    fields: BTreeMap<String, String>,
    file: ExpectedPart,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ExpectedPart {
    name: String,
    filename: String,
    content_type: String,
    content: Content,
}

#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
struct Respond {
    #[serde(default = "ok_status")]
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<Value>,
    body: Option<String>,
    body_base64: Option<String>,
    /// Answer with a transport failure instead: `ConnectionRefused`, `ConnectionTimeout`, `DnsError`.
    transport_error: Option<String>,
}

fn ok_status() -> u16 {
    200
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum Content {
    Text(String),
    Base64 { base64: String },
}

impl Content {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Content::Text(t) => t.as_bytes().to_vec(),
            Content::Base64 { base64 } => {
                base64::engine::general_purpose::STANDARD.decode(base64).expect("valid base64 in case")
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    exit: u8,
    stdout: Value,
    #[serde(default)]
    stderr_contains: Vec<String>,
    #[serde(default)]
    files: BTreeMap<String, Content>,
    #[serde(default)]
    absent_files: Vec<String>,
    audit: Option<Vec<Value>>,
}

/// Serves the scripted responses in order and records every request.
struct Script {
    responses: Vec<Respond>,
    log: Mutex<Vec<InterceptedRequest>>,
}

impl Interceptor for Script {
    fn intercept(&self, request: InterceptedRequest) -> Result<CannedResponse, HttpError> {
        let mut log = self.log.lock().unwrap();
        let index = log.len();
        log.push(request);
        let Some(r) = self.responses.get(index) else { return Err(HttpError::ConnectionRefused) };
        match r.transport_error.as_deref() {
            Some("ConnectionRefused") => return Err(HttpError::ConnectionRefused),
            Some("ConnectionTimeout") => return Err(HttpError::ConnectionTimeout),
            Some("DnsError") => return Err(HttpError::DnsError { rcode: None, info_code: None }),
            Some(other) => panic!("unknown transport_error {other}"),
            None => {}
        }
        let mut headers: Vec<(String, String)> = r.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let body = if let Some(json) = &r.json {
            if !r.headers.keys().any(|k| k.eq_ignore_ascii_case("content-type")) {
                headers.push(("content-type".into(), "application/json".into()));
            }
            serde_json::to_vec(json).unwrap()
        } else if let Some(b64) = &r.body_base64 {
            base64::engine::general_purpose::STANDARD.decode(b64).expect("valid body_base64")
        } else {
            r.body.clone().unwrap_or_default().into_bytes()
        };
        Ok(CannedResponse { status: r.status, headers, body: Bytes::from(body) })
    }
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache");
        Runtime::new(agent_auth_host::component::EMBEDDED, Some(&cache)).expect("the component loads")
    })
}

fn tokio() -> &'static tokio::runtime::Runtime {
    static TOKIO: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    TOKIO.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}

fn token_exchange(env: &BTreeMap<String, String>) -> (ExpectedRequest, Respond) {
    let client_id = env.get("TOOL_CLIENT_ID").or(env.get("SCALEKIT_CLIENT_ID")).cloned().unwrap_or_default();
    let client_secret =
        env.get("TOOL_CLIENT_SECRET").or(env.get("SCALEKIT_CLIENT_SECRET")).cloned().unwrap_or_default();
    (
        ExpectedRequest {
            method: "POST".into(),
            path: "/oauth/token".into(),
            query: vec![],
            headers: BTreeMap::from([("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned())]),
            json: None,
            form: Some(BTreeMap::from([
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                ("client_id".to_owned(), client_id),
                ("client_secret".to_owned(), client_secret),
            ])),
            multipart: None,
            body: None,
        },
        Respond {
            status: 200,
            json: Some(
                json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 86399, "scope": "openid"}),
            ),
            ..Default::default()
        },
    )
}

fn collect_secrets(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if SECRET_KEYS.contains(&k.as_str()) => out.push(s.clone()),
                    _ => collect_secrets(v, out),
                }
            }
            if let Some(Value::Object(fields)) = value.pointer("/static_auth/details") {
                out.extend(fields.values().filter_map(Value::as_str).map(str::to_owned));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_secrets(v, out)),
        _ => {}
    }
}

fn parse_multipart(
    content_type: &str,
    body: &[u8],
) -> Result<(BTreeMap<String, String>, Vec<(String, String, String, Vec<u8>)>), String> {
    let boundary = content_type.split("boundary=").nth(1).ok_or("multipart without boundary")?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut fields = BTreeMap::new();
    let mut files = Vec::new();
    let positions: Vec<usize> =
        text.windows(delimiter.len()).enumerate().filter(|(_, w)| *w == delimiter.as_bytes()).map(|(i, _)| i).collect();
    for pair in positions.windows(2) {
        let part = &text[pair[0] + delimiter.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").ok_or("part does not start with CRLF")?;
        let part = part.strip_suffix(b"\r\n").ok_or("part does not end with CRLF")?;
        let split = part.windows(4).position(|w| w == b"\r\n\r\n").ok_or("part without header end")?;
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        let content = part[split + 4..].to_vec();
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or("part without Content-Disposition")?
            .to_owned();
        let attr = |name: &str| {
            let prefix = format!("{name}=\"");
            disposition.split(';').map(str::trim).find_map(|kv| {
                kv.strip_prefix(prefix.as_str()).map(|v| v.split('"').next().unwrap_or_default().to_owned())
            })
        };
        let name = attr("name").ok_or("part without name")?;
        match attr("filename") {
            Some(filename) => {
                let ct = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Type: ").map(str::to_owned))
                    .ok_or("file part without Content-Type")?;
                files.push((name, filename, ct, content));
            }
            None => {
                fields.insert(name, String::from_utf8_lossy(&content).into_owned());
            }
        }
    }
    if !text.ends_with(format!("{delimiter}--\r\n").as_bytes()) {
        return Err("multipart body does not end with the closing delimiter".into());
    }
    Ok((fields, files))
}

fn check_request(
    i: usize,
    expected: &ExpectedRequest,
    actual: &InterceptedRequest,
    token: Option<&str>,
) -> Result<(), String> {
    let at = format!("request #{} ({} {})", i + 1, expected.method, expected.path);
    let fail = |what: String| Err(format!("{at}: {what}"));
    if actual.method != expected.method || actual.uri.path() != expected.path {
        return fail(format!("got {} {}", actual.method, actual.uri));
    }
    if actual.uri.host() != Some("acme.scalekit.cloud") || actual.uri.scheme_str() != Some("https") {
        return fail(format!("sent to {} instead of {ENV_URL}", actual.uri));
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(actual.uri.query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if query != expected.query {
        return fail(format!("query {query:?}, expected {:?}", expected.query));
    }
    let header = |name: &str| {
        actual.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect::<Vec<_>>()
    };
    for (name, value) in &expected.headers {
        if header(name) != vec![value.as_str()] {
            return fail(format!("header {name} = {:?}, expected [{value:?}]", header(name)));
        }
    }
    if expected.path != "/oauth/token" {
        let want = format!("Bearer {}", token.ok_or("an API request before any token")?);
        if header("authorization") != vec![want.as_str()] {
            return fail(format!("authorization header {:?}, expected the issued token", header("authorization")));
        }
    }
    let body = &actual.body;
    if let Some(json) = &expected.json {
        let got: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{at}: body is not JSON ({e}): {}", String::from_utf8_lossy(body)))?;
        if &got != json {
            return fail(format!("JSON body\n{}\nexpected\n{}", pretty(&got), pretty(json)));
        }
    } else if let Some(form) = &expected.form {
        let got: BTreeMap<String, String> =
            form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if &got != form {
            let shown: BTreeMap<&String, &str> =
                got.iter().map(|(k, v)| (k, if k.contains("secret") { "<secret>" } else { v.as_str() })).collect();
            return fail(format!("form body {shown:?} differs from the expected fields"));
        }
    } else if let Some(mp) = &expected.multipart {
        let ct = header("content-type").first().copied().unwrap_or_default().to_owned();
        if !ct.starts_with("multipart/form-data; boundary=") {
            return fail(format!("content-type {ct:?} is not multipart/form-data"));
        }
        let (fields, files) = parse_multipart(&ct, body).map_err(|e| format!("{at}: {e}"))?;
        if fields != mp.fields {
            return fail(format!("multipart fields {fields:?}, expected {:?}", mp.fields));
        }
        let want = (&mp.file.name, &mp.file.filename, &mp.file.content_type, mp.file.content.bytes());
        match files.as_slice() {
            [(n, f, c, bytes)] if (n, f, c, bytes.clone()) == want => {}
            other => {
                let got: Vec<_> = other.iter().map(|(n, f, c, b)| (n, f, c, b.len())).collect();
                return fail(format!(
                    "multipart files {got:?}, expected one part {:?} {:?} {:?}",
                    want.0, want.1, want.2
                ));
            }
        }
    } else if let Some(text) = &expected.body {
        if body.as_ref() != text.as_bytes() {
            return fail(format!("body {:?}, expected {text:?}", String::from_utf8_lossy(body)));
        }
    } else if !body.is_empty() {
        return fail(format!("unexpected body {:?}", String::from_utf8_lossy(body)));
    }
    Ok(())
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

fn run_case(path: &Path) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir_path = dir.path().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?.replace("{dir}", &dir_path);
    let case: Case = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    assert!(!case.about.is_empty(), "every case says what it checks");

    let mut env: BTreeMap<String, String> = BTreeMap::from([
        ("TOOL_CLIENT_ID".into(), CLIENT_ID.into()),
        ("TOOL_CLIENT_SECRET".into(), CLIENT_SECRET.into()),
        ("TOOL_ENV_URL".into(), ENV_URL.into()),
        ("TOOL_IDENTIFIER".into(), IDENTIFIER.into()),
        ("HOME".into(), "/home/not-for-the-component".into()),
    ]);
    for (k, v) in &case.env {
        match v {
            Some(v) => env.insert(k.clone(), v.clone()),
            None => env.remove(k),
        };
    }
    for (name, content) in &case.files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, content.bytes()).map_err(|e| e.to_string())?;
    }
    let agent_dirs =
        AgentDirs { config: dir.path().join("agent-auth-config"), state: dir.path().join("agent-auth-state") };

    let mut expected_requests = Vec::new();
    let mut responses = Vec::new();
    for exchange in &case.exchanges {
        let (req, resp) = match exchange {
            Exchange::Named(name) if name == "token" => token_exchange(&env),
            Exchange::Named(other) => return Err(format!("unknown named exchange {other}").into()),
            Exchange::Full { expect, respond } => (expect.clone(), respond.clone()),
        };
        expected_requests.push(req);
        responses.push(resp);
    }
    let mut secrets: Vec<String> = case.secrets.iter().chain(&case.stdout_secrets).cloned().collect();
    secrets.push(ACCESS_TOKEN.into());
    secrets.extend(env.iter().filter(|(k, _)| k.contains("SECRET")).map(|(_, v)| v.clone()));
    for r in &responses {
        if let Some(json) = &r.json {
            collect_secrets(json, &mut secrets);
        }
    }
    secrets.retain(|s| s.len() >= 8);

    let script = Arc::new(Script { responses, log: Mutex::new(Vec::new()) });
    let (grants, args) = FileGrants::from_args(&case.args, dir.path());
    let component_env = sandbox::env::component_env(|name| env.get(name).cloned());
    let egress_url = case.sandbox.env_url.clone().or_else(|| sandbox::env::env_url(&component_env).map(str::to_owned));
    let invocation = Invocation {
        args,
        env: component_env,
        egress: egress_url.as_deref().map(EgressPolicy::for_env_url).unwrap_or_else(EgressPolicy::deny_all),
        network: Network::Intercepted(script.clone()),
        files: if case.sandbox.grant_files == Some(false) { FileGrants::default() } else { grants },
        agent_dirs: Some(agent_dirs.clone()),
        limits: Limits::default(),
        stdio: Stdio::Memory(Bytes::from(case.stdin.clone().unwrap_or_default())),
    };
    let outcome = tokio().block_on(runtime().run(invocation)).map_err(|e| format!("{e:#}"))?;
    let stdout = String::from_utf8_lossy(&outcome.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&outcome.stderr).into_owned();
    let mut problems = Vec::new();

    if let Some(stopped) = &outcome.stopped {
        problems.push(format!("the host stopped the component: {stopped:?}"));
    }
    match serde_json::from_str::<Value>(&stdout) {
        Ok(got) if got == case.expect.stdout => {}
        Ok(got) => problems.push(format!("stdout\n{}\nexpected\n{}", pretty(&got), pretty(&case.expect.stdout))),
        Err(e) => problems.push(format!("stdout is not exactly one JSON object ({e}):\n{stdout}")),
    }
    if outcome.exit_code != case.expect.exit {
        problems.push(format!("exit code {}, expected {}", outcome.exit_code, case.expect.exit));
    }
    for needle in &case.expect.stderr_contains {
        if !stderr.contains(needle.as_str()) {
            problems.push(format!("stderr lacks {needle:?}:\n{stderr}"));
        }
    }
    let log = script.log.lock().unwrap();
    for (i, actual) in log.iter().enumerate() {
        match expected_requests.get(i) {
            Some(expected) => {
                let token_issued = log[..i].iter().any(|r| r.uri.path() == "/oauth/token").then_some(ACCESS_TOKEN);
                if let Err(e) = check_request(i, expected, actual, token_issued) {
                    problems.push(e);
                }
            }
            None => problems.push(format!("unexpected request #{}: {} {}", i + 1, actual.method, actual.uri)),
        }
    }
    if log.len() < expected_requests.len() {
        let missing: Vec<String> =
            expected_requests[log.len()..].iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        problems.push(format!("requests never sent: {missing:?}"));
    }
    if log.iter().filter(|r| r.uri.path() == "/oauth/token").count() > 1 {
        problems.push("more than one token request in one invocation".into());
    }
    for (name, content) in &case.expect.files {
        match std::fs::read(dir.path().join(name)) {
            Ok(bytes) if bytes == content.bytes() => {}
            Ok(bytes) => {
                problems.push(format!("file {name} has {} bytes that differ from the expected content", bytes.len()))
            }
            Err(e) => problems.push(format!("file {name} was not written: {e}")),
        }
    }
    for name in &case.expect.absent_files {
        if dir.path().join(name).exists() {
            problems.push(format!("file {name} exists but must not"));
        }
    }
    for entry in std::fs::read_dir(dir.path()).map_err(|e| e.to_string())? {
        let name = entry.map_err(|e| e.to_string())?.file_name().to_string_lossy().into_owned();
        if name.starts_with(".agent-auth-") || name.ends_with(".partial") {
            problems.push(format!("left a temporary file behind: {name}"));
        }
    }
    let audit_text = std::fs::read_to_string(agent_dirs.state.join("audit.jsonl")).unwrap_or_default();
    for secret in &secrets {
        let allowed_on_stdout = case.stdout_secrets.contains(secret);
        if (stdout.contains(secret.as_str()) && !allowed_on_stdout)
            || stderr.contains(secret.as_str())
            || audit_text.contains(secret.as_str())
        {
            problems.push(format!("a secret ({}...) appears in the output or the audit trail", &secret[..4]));
        }
    }
    for secret in &case.stdout_secrets {
        if stderr.contains(secret.as_str()) || audit_text.contains(secret.as_str()) {
            problems.push(format!(
                "a handed-out secret ({}...) appears on stderr or in the audit trail",
                &secret[..4.min(secret.len())]
            ));
        }
    }
    if let Some(expected) = &case.expect.audit {
        let mut lines = Vec::new();
        for line in audit_text.lines() {
            let mut entry: Value =
                serde_json::from_str(line).map_err(|e| format!("audit line is not JSON ({e}): {line}"))?;
            let time_ok = entry.get("time").and_then(Value::as_str).is_some_and(|t| t.len() == 20 && t.ends_with('Z'));
            let duration_ok = entry.get("duration_ms").is_some_and(Value::is_u64);
            if !time_ok || !duration_ok {
                problems.push(format!("audit line lacks an RFC 3339 time or a duration_ms: {line}"));
            }
            if let Some(map) = entry.as_object_mut() {
                map.remove("time");
                map.remove("duration_ms");
            }
            lines.push(entry);
        }
        if &lines != expected {
            problems.push(format!(
                "audit trail\n{}\nexpected\n{}",
                pretty(&Value::Array(lines)),
                pretty(&Value::Array(expected.clone()))
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{}\n--- stderr ---\n{stderr}", case.about, problems.join("\n\n")).into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no conformance cases found in {}", dir.display());
    let trials = cases
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || run_case(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
