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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
/// One case.
pub struct Case {
    pub about: String,
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub files: BTreeMap<String, Content>,
    #[serde(default)]
    pub stdin: Option<String>,
    #[serde(default)]
    pub sandbox: SandboxOverrides,
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    pub expect: Expect,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub stdout_secrets: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SandboxOverrides {
    /// Enforce egress as if the environment URL were this one.
    pub env_url: Option<String>,
    /// `false`: grant no files, whatever the arguments name.
    pub grant_files: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum Exchange {
    Named(String),
    Full { expect: Box<ExpectedRequest>, respond: Box<Respond> },
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRequest {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: Vec<(String, String)>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub json: Option<Value>,
    pub form: Option<BTreeMap<String, String>>,
    pub multipart: Option<ExpectedMultipart>,
    pub body: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectedMultipart {
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    pub file: ExpectedPart,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ExpectedPart {
    pub name: String,
    pub filename: String,
    pub content_type: String,
    pub content: Content,
}

#[derive(Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    #[serde(default = "ok_status")]
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub json: Option<Value>,
    pub body: Option<String>,
    pub body_base64: Option<String>,
    /// Answer with a transport failure instead: `ConnectionRefused`, `ConnectionTimeout`, `DnsError`.
    pub transport_error: Option<String>,
}

/// `Respond.status` when a case leaves it out.
fn ok_status() -> u16 {
    200
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Base64 { base64: String },
}

impl Content {
    pub fn bytes(&self) -> Vec<u8> {
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
pub struct Expect {
    pub exit: u8,
    pub stdout: Value,
    #[serde(default)]
    pub stderr_contains: Vec<String>,
    #[serde(default)]
    pub files: BTreeMap<String, Content>,
    #[serde(default)]
    pub absent_files: Vec<String>,
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
