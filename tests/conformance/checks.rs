//! What a case's run must satisfy: the exact stdout and exit code, the exact requests (each with the
//! issued token), the files written and left behind, no secret anywhere it may not be, and the
//! audit trail. Each check adds the problems it finds, in words, to the list it is given.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use virtual_scalekit::multipart::{self, FilePart};

use super::case::{ACCESS_TOKEN, Case, ENV_URL, ExpectedRequest, Respond};

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

/// What came out of one run.
pub struct Run<'a> {
    /// The component's stdout.
    pub stdout: &'a str,
    /// Its stderr.
    pub stderr: &'a str,
    /// Its exit code.
    pub exit_code: u8,
    /// Every request it sent.
    pub requests: &'a [http::Request<bytes::Bytes>],
    /// The case's folder.
    pub dir: &'a Path,
    /// The audit trail's text.
    pub audit: &'a str,
}

/// The stdout JSON and the exit code.
pub fn result(case: &Case, run: &Run, problems: &mut Vec<String>) {
    // Values that depend on the time of the run: present as text, compared as null.
    let parsed = serde_json::from_str::<Value>(run.stdout).map(|mut got| {
        for pointer in &case.expect.stdout_any_text {
            match got.pointer_mut(pointer) {
                Some(value) if value.is_string() => *value = Value::Null,
                _ => problems.push(format!("stdout has no text at {pointer}")),
            }
        }
        got
    });
    match (&case.expect.stdout, parsed) {
        (Value::String(text), _) if run.stdout == text => {}
        (Value::String(text), _) => problems.push(format!("stdout {:?}, expected exactly {text:?}", run.stdout)),
        (want, Ok(got)) if got == *want => {}
        (want, Ok(got)) => problems.push(format!("stdout\n{}\nexpected\n{}", pretty(&got), pretty(want))),
        (_, Err(e)) => problems.push(format!("stdout is not exactly one JSON object ({e}):\n{}", run.stdout)),
    }
    if let Some(want) = &case.expect.stderr_json {
        match serde_json::from_str::<Value>(run.stderr) {
            Ok(got) if got == *want => {}
            Ok(got) => problems.push(format!("stderr\n{}\nexpected\n{}", pretty(&got), pretty(want))),
            Err(e) => problems.push(format!("stderr is not exactly one JSON object ({e}):\n{}", run.stderr)),
        }
    }
    if run.exit_code != case.expect.exit {
        problems.push(format!("exit code {}, expected {}", run.exit_code, case.expect.exit));
    }
    for needle in &case.expect.stderr_contains {
        if !run.stderr.contains(needle.as_str()) {
            problems.push(format!("stderr lacks {needle:?}:\n{}", run.stderr));
        }
    }
}

/// Every request, against the expected ones in order; at most one token request.
pub fn requests(expected: &[ExpectedRequest], run: &Run, problems: &mut Vec<String>) {
    let log = run.requests;
    for (i, actual) in log.iter().enumerate() {
        match expected.get(i) {
            Some(want) => {
                let token_issued = log[..i].iter().any(|r| r.uri().path() == "/oauth/token").then_some(ACCESS_TOKEN);
                if let Err(e) = check_request(i, want, actual, token_issued) {
                    problems.push(e);
                }
            }
            None => problems.push(format!("unexpected request #{}: {} {}", i + 1, actual.method(), actual.uri())),
        }
    }
    if log.len() < expected.len() {
        let missing: Vec<String> = expected[log.len()..].iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        problems.push(format!("requests never sent: {missing:?}"));
    }
    // One token request per invocation, unless the case has the earlier ones fail (and retried).
    let allowed = expected.iter().filter(|r| r.path == "/oauth/token").count().max(1);
    if log.iter().filter(|r| r.uri().path() == "/oauth/token").count() > allowed {
        problems.push("more than one token request in one invocation".into());
    }
}

/// The files the case expects written (byte for byte) or absent, and no temporary file left.
pub fn files(case: &Case, run: &Run, problems: &mut Vec<String>) -> Result<(), String> {
    for (name, content) in &case.expect.files {
        match std::fs::read(run.dir.join(name)) {
            Ok(bytes) if bytes == content.bytes() => {}
            Ok(bytes) => {
                problems.push(format!("file {name} has {} bytes that differ from the expected content", bytes.len()))
            }
            Err(e) => problems.push(format!("file {name} was not written: {e}")),
        }
    }
    for name in &case.expect.absent_files {
        if run.dir.join(name).exists() {
            problems.push(format!("file {name} exists but must not"));
        }
    }
    for entry in std::fs::read_dir(run.dir).map_err(|e| e.to_string())? {
        let name = entry.map_err(|e| e.to_string())?.file_name().to_string_lossy().into_owned();
        if name.starts_with(".agent-auth-") || name.ends_with(".partial") {
            problems.push(format!("left a temporary file behind: {name}"));
        }
    }
    Ok(())
}

/// Every secret the case used: its own lists, the issued token, the secret variables, and the
/// secrets in the responses it served (at least 8 characters, so that short words never match).
pub fn secrets_of(case: &Case, env: &BTreeMap<String, String>, responses: &[Respond]) -> Vec<String> {
    let mut secrets: Vec<String> = case.secrets.iter().chain(&case.stdout_secrets).cloned().collect();
    secrets.push(ACCESS_TOKEN.into());
    secrets.extend(env.iter().filter(|(k, _)| k.contains("SECRET")).map(|(_, v)| v.clone()));
    for json in responses.iter().filter_map(|r| r.json.as_ref()) {
        collect_secrets(json, &mut secrets);
    }
    secrets.retain(|s| s.len() >= 8);
    secrets
}

/// No secret on stdout (but those handed out on purpose), on stderr or in the audit trail.
pub fn secrets(case: &Case, secrets: &[String], run: &Run, problems: &mut Vec<String>) {
    for secret in secrets {
        let allowed_on_stdout = case.stdout_secrets.contains(secret);
        if (run.stdout.contains(secret.as_str()) && !allowed_on_stdout)
            || run.stderr.contains(secret.as_str())
            || run.audit.contains(secret.as_str())
        {
            problems.push(format!("a secret ({}...) appears in the output or the audit trail", &secret[..4]));
        }
    }
    for secret in &case.stdout_secrets {
        if run.stderr.contains(secret.as_str()) || run.audit.contains(secret.as_str()) {
            problems.push(format!(
                "a handed-out secret ({}...) appears on stderr or in the audit trail",
                &secret[..4.min(secret.len())]
            ));
        }
    }
}

/// The audit trail's lines exactly, except `time` and `duration_ms` (an outcome's), checked only
/// for their form, and `call` and `prev`: one call id on every line, and each line's `prev` the
/// SHA-256 of the line before it (`null` on the first).
pub fn audit(case: &Case, run: &Run, problems: &mut Vec<String>) -> Result<(), String> {
    let Some(expected) = &case.expect.audit else { return Ok(()) };
    let mut lines = Vec::new();
    let (mut before, mut calls): (Option<&str>, Vec<String>) = (None, Vec::new());
    for line in run.audit.lines() {
        let mut entry: Value =
            serde_json::from_str(line).map_err(|e| format!("audit line is not JSON ({e}): {line}"))?;
        let time_ok = entry.get("time").and_then(Value::as_str).is_some_and(|t| t.len() == 20 && t.ends_with('Z'));
        let outcome = entry.get("event").and_then(Value::as_str) == Some("outcome");
        let duration_ok = entry.get("duration_ms").is_some_and(Value::is_u64) == outcome;
        if !time_ok || !duration_ok {
            problems.push(format!("audit line lacks an RFC 3339 time or (an outcome) a duration_ms: {line}"));
        }
        let prev = before.map_or(Value::Null, |b| sha256_hex(b.as_bytes()).into());
        if entry.get("prev") != Some(&prev) {
            problems.push(format!("audit line's prev is not the digest of the line before it: {line}"));
        }
        match entry.get("call").and_then(Value::as_str) {
            Some(call) if call.len() == 16 && call.chars().all(|c| c.is_ascii_hexdigit()) => {
                calls.push(call.to_owned());
            }
            _ => problems.push(format!("audit line lacks a call id of 16 hex digits: {line}")),
        }
        if let Some(map) = entry.as_object_mut() {
            for key in ["time", "duration_ms", "call", "prev"] {
                map.remove(key);
            }
        }
        lines.push(entry);
        before = Some(line);
    }
    calls.dedup();
    if calls.len() > 1 {
        problems.push(format!("one call's audit lines carry {} call ids", calls.len()));
    }
    if &lines != expected {
        problems.push(format!(
            "audit trail\n{}\nexpected\n{}",
            pretty(&Value::Array(lines)),
            pretty(&Value::Array(expected.clone()))
        ));
    }
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
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

/// Compares request #`i` with what the case expects; `token` is the token issued before it.
pub fn check_request(
    i: usize,
    expected: &ExpectedRequest,
    actual: &http::Request<bytes::Bytes>,
    token: Option<&str>,
) -> Result<(), String> {
    let at = format!("request #{} ({} {})", i + 1, expected.method, expected.path);
    let fail = |what: String| Err(format!("{at}: {what}"));
    if actual.method().as_str() != expected.method || actual.uri().path() != expected.path {
        return fail(format!("got {} {}", actual.method(), actual.uri()));
    }
    if actual.uri().host() != Some("acme.scalekit.cloud") || actual.uri().scheme_str() != Some("https") {
        return fail(format!("sent to {} instead of {ENV_URL}", actual.uri()));
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(actual.uri().query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if query != expected.query {
        return fail(format!("query {query:?}, expected {:?}", expected.query));
    }
    let header = |name: &str| {
        actual.headers().get_all(name).iter().map(|v| v.to_str().unwrap_or("(not text)")).collect::<Vec<_>>()
    };
    for (name, value) in &expected.headers {
        if header(name) != vec![value.as_str()] {
            return fail(format!("header {name} = {:?}, expected [{value:?}]", header(name)));
        }
    }
    if expected.path.starts_with("/mcp/") {
        // A hosted MCP server gets the case's own credential (in the URL or TOOL_MCP_TOKEN), never Scalekit's token.
        if !expected.headers.contains_key("authorization") && !header("authorization").is_empty() {
            return fail(format!("authorization header {:?} sent to an MCP URL", header("authorization")));
        }
    } else if expected.path != "/oauth/token" {
        let want = format!("Bearer {}", token.ok_or("an API request before any token")?);
        if header("authorization") != vec![want.as_str()] {
            return fail(format!("authorization header {:?}, expected the issued token", header("authorization")));
        }
    }
    let body = actual.body();
    if let Some(json) = &expected.json {
        let mut got: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{at}: body is not JSON ({e}): {}", String::from_utf8_lossy(body)))?;
        for pointer in &expected.json_tokens {
            match got.pointer_mut(pointer) {
                Some(Value::String(token))
                    if token.len() >= 43
                        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    *got.pointer_mut(pointer).expect("just found") = Value::Null;
                }
                other => return fail(format!("{pointer} is {other:?}, not a fresh random token")),
            }
        }
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
        let form = multipart::parse(&ct, body).map_err(|e| format!("{at}: {e}"))?;
        if form.fields != mp.fields {
            return fail(format!("multipart fields {:?}, expected {:?}", form.fields, mp.fields));
        }
        let want = FilePart {
            name: mp.file.name.clone(),
            filename: mp.file.filename.clone(),
            content_type: mp.file.content_type.clone(),
            content: mp.file.content.bytes(),
        };
        if form.files != [want] {
            let got: Vec<_> =
                form.files.iter().map(|f| (&f.name, &f.filename, &f.content_type, f.content.len())).collect();
            return fail(format!(
                "multipart files {got:?}, expected one part {:?} {:?} {:?}",
                mp.file.name, mp.file.filename, mp.file.content_type
            ));
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
