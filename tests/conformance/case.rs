//! A case file (`tests/conformance/<case>.json`): what to run, what to serve, and what must come out.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

/// The client id every case runs with, unless its `env` says otherwise.
pub const CLIENT_ID: &str = "skc_conformance_client";
/// The client secret every case runs with, unless its `env` says otherwise.
pub const CLIENT_SECRET: &str = "conformance-client-secret-5f1c9e";
/// The environment URL every request must go to.
pub const ENV_URL: &str = "https://acme.scalekit.cloud";
/// `TOOL_IDENTIFIER`, unless the case's `env` says otherwise.
pub const IDENTIFIER: &str = "user_42";
/// What the `"token"` exchange issues; every API request must carry it.
pub const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.conformance-scalekit-access-token.sig";

/// One case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case checks, in a sentence.
    pub about: String,
    /// The command line after the program name.
    pub args: Vec<String>,
    /// Variables to set (`null`: remove a default).
    #[serde(default)]
    pub env: BTreeMap<String, Option<String>>,
    /// Files to create in the case's folder, by name.
    #[serde(default)]
    pub files: BTreeMap<String, Content>,
    /// What the component reads on stdin.
    #[serde(default)]
    pub stdin: Option<String>,
    /// How the sandbox differs from what the arguments imply.
    #[serde(default)]
    pub sandbox: SandboxOverrides,
    /// The requests expected, in order, and what to answer each.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    /// What must come out.
    pub expect: Expect,
    /// More secrets that must appear nowhere.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Secrets the operation hands out on stdout on purpose.
    #[serde(default)]
    pub stdout_secrets: Vec<String>,
}

/// How the sandbox of a case differs from what its arguments imply.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SandboxOverrides {
    /// Enforce egress as if the environment URL were this one.
    pub env_url: Option<String>,
    /// `false`: grant no files, whatever the arguments name.
    pub grant_files: Option<bool>,
}

/// One request and its answer.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Exchange {
    /// A named exchange: `"token"`.
    Named(String),
    /// The request expected and the response to serve.
    Full {
        /// What the request must be.
        expect: Box<ExpectedRequest>,
        /// What to answer.
        respond: Box<Respond>,
    },
}

/// A request the component must send.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRequest {
    /// Upper-case method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// Query pairs, exactly and in order.
    #[serde(default)]
    pub query: Vec<(String, String)>,
    /// Headers that must have exactly these values.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body, compared as JSON.
    pub json: Option<Value>,
    /// JSON pointers into the body that must hold a fresh random token (at least 43 characters
    /// of base64url, as a link's `state`); `json` has null there.
    #[serde(default)]
    pub json_tokens: Vec<String>,
    /// A form body, compared field by field.
    pub form: Option<BTreeMap<String, String>>,
    /// A multipart body.
    pub multipart: Option<ExpectedMultipart>,
    /// Any other body, byte for byte.
    pub body: Option<String>,
}

/// A multipart body: its fields and its one file part.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectedMultipart {
    /// Plain fields.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The file part.
    pub file: ExpectedPart,
}

/// A file part of a multipart body.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectedPart {
    /// The field name.
    pub name: String,
    /// The file name.
    pub filename: String,
    /// Its content type.
    pub content_type: String,
    /// Its bytes.
    pub content: Content,
}

/// What to answer a request with.
#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    /// HTTP status (200 when left out).
    #[serde(default = "ok_status")]
    pub status: u16,
    /// Headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body (with `content-type: application/json` unless `headers` set one).
    pub json: Option<Value>,
    /// A text body.
    pub body: Option<String>,
    /// A binary body, in base64.
    pub body_base64: Option<String>,
    /// Answer with a transport failure instead: `ConnectionRefused`, `ConnectionTimeout`, `DnsError`,
    /// `ConnectionTerminated`.
    pub transport_error: Option<String>,
}

/// `Respond.status` when a case leaves it out.
fn ok_status() -> u16 {
    200
}

/// File content: text, or bytes in base64.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum Content {
    /// UTF-8 text.
    Text(String),
    /// Any bytes.
    Base64 {
        /// The bytes in base64.
        base64: String,
    },
}

impl Content {
    /// The bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Content::Text(t) => t.as_bytes().to_vec(),
            Content::Base64 { base64 } => {
                base64::engine::general_purpose::STANDARD.decode(base64).expect("valid base64 in case")
            }
        }
    }
}

/// What must come out of a case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The exit code.
    pub exit: u8,
    /// The stdout JSON, exactly; a JSON string is the exact text instead (`--raw`).
    pub stdout: Value,
    /// JSON pointers into stdout whose text depends on the time of the run (a clock skew): they
    /// must hold text, and `stdout` has null there.
    #[serde(default)]
    pub stdout_any_text: Vec<String>,
    /// The one JSON object stderr must be, exactly (`--raw` failures).
    #[serde(default)]
    pub stderr_json: Option<Value>,
    /// Text stderr must contain.
    #[serde(default)]
    pub stderr_contains: Vec<String>,
    /// Files that must exist with exactly this content.
    #[serde(default)]
    pub files: BTreeMap<String, Content>,
    /// Files that must not exist.
    #[serde(default)]
    pub absent_files: Vec<String>,
    /// The audit trail's lines (see the suite's conventions).
    pub audit: Option<Vec<Value>>,
}

/// The environment of a case: the defaults above, with its `env` applied (`null` removes one).
pub fn environment(case: &Case) -> BTreeMap<String, String> {
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
    env
}

/// The requests a case expects and the responses it serves, in order; `"token"` stands for the
/// client-credentials exchange.
pub fn exchanges(case: &Case, env: &BTreeMap<String, String>) -> Result<(Vec<ExpectedRequest>, Vec<Respond>), String> {
    let mut expected = Vec::new();
    let mut responses = Vec::new();
    for exchange in &case.exchanges {
        let (req, resp) = match exchange {
            Exchange::Named(name) if name == "token" => token_exchange(env),
            Exchange::Named(other) => return Err(format!("unknown named exchange {other}")),
            Exchange::Full { expect, respond } => ((**expect).clone(), (**respond).clone()),
        };
        expected.push(req);
        responses.push(resp);
    }
    Ok((expected, responses))
}

/// `POST /oauth/token` with the case's credentials, answered with [`ACCESS_TOKEN`].
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
            json_tokens: Vec::new(),
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
