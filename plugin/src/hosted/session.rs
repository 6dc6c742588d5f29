//! One MCP session over streamable HTTP: `initialize`, `notifications/initialized`, then requests,
//! each a POST of one JSON-RPC message answered with JSON or with an SSE stream whose events carry
//! the response (and any notifications before it).

use std::cell::Cell;

use serde_json::{Value, json};

use super::endpoint::Endpoint;
use crate::http::retry::{Kind, Refusal};
use crate::http::{self, HttpClient, Response, TransportError, header, media_type};
use crate::output::{Code, Failure};
use crate::scalekit::refused_by_scalekit;

/// The protocol version asked for; the server may answer with another it speaks.
const PROTOCOL_VERSION: &str = "2025-11-25";
/// Sent on every request, as to Scalekit's API.
const USER_AGENT: &str = concat!("agent-auth/", env!("CARGO_PKG_VERSION"));
/// JSON-RPC: the params were refused (for `tools/call`: arguments or an unknown tool).
pub const INVALID_PARAMS: i64 = -32602;

/// An initialized session.
pub struct Session<'a> {
    http: &'a dyn HttpClient,
    endpoint: &'a Endpoint,
    /// `Mcp-Session-Id`, when the server gave one.
    session_id: Option<String>,
    /// The version the server answered `initialize` with.
    version: String,
    next_id: Cell<u64>,
}

/// A JSON-RPC error the server answered with.
#[derive(Debug)]
pub struct RpcError {
    /// The JSON-RPC code.
    pub code: i64,
    /// Its message.
    pub message: String,
}

/// Why a request got no result.
pub enum Refused {
    /// The server answered with a JSON-RPC error.
    Rpc(RpcError),
    /// Anything else, already a failure of the contract.
    Failed(Failure),
}

impl From<Failure> for Refused {
    fn from(failure: Failure) -> Self {
        Refused::Failed(failure)
    }
}

impl<'a> Session<'a> {
    /// Opens a session: `initialize`, then `notifications/initialized`.
    pub fn open(http: &'a dyn HttpClient, endpoint: &'a Endpoint) -> Result<Session<'a>, Failure> {
        let mut session = Session { http, endpoint, session_id: None, version: String::new(), next_id: Cell::new(0) };
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "agent-auth", "version": env!("CARGO_PKG_VERSION")},
        });
        let (result, response) =
            session.exchange("initialize", params).map_err(|refused| session.failure("initialize", refused))?;
        session.session_id = header(&response, "mcp-session-id").map(str::to_owned);
        session.version = result.get("protocolVersion").and_then(Value::as_str).unwrap_or(PROTOCOL_VERSION).to_owned();
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let answer = session.post("notifications/initialized", &note)?;
        if !answer.status().is_success() {
            return Err(session.status_failure(&answer));
        }
        Ok(session)
    }

    /// Sends `method` with `params` and returns its result.
    pub fn request(&self, method: &str, params: Value) -> Result<Value, Refused> {
        self.exchange(method, params).map(|(result, _)| result)
    }

    /// Why `method` got no result, as a failure.
    pub fn failure(&self, method: &str, refused: Refused) -> Failure {
        match refused {
            Refused::Rpc(e) => self.rpc_failure(method, e),
            Refused::Failed(failure) => failure,
        }
    }

    /// A JSON-RPC error as a failure of `method`.
    fn rpc_failure(&self, method: &str, e: RpcError) -> Failure {
        Failure::new(
            Code::ScalekitError,
            format!("the MCP server at {} refused {method}: {} (JSON-RPC {})", self.endpoint.shown, e.message, e.code),
            "Check that the URL is an MCP server's; retry later if it is.",
        )
    }

    fn exchange(&self, method: &str, params: Value) -> Result<(Value, Response), Refused> {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        let response = self.post(method, &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        if !response.status().is_success() {
            return Err(self.status_failure(&response).into());
        }
        let message = self.reply_to(&response, id)?;
        if let Some(error) = message.get("error") {
            let code = error.get("code").and_then(Value::as_i64).unwrap_or_default();
            let text = error.get("message").and_then(Value::as_str).unwrap_or("no message").to_owned();
            return Err(Refused::Rpc(RpcError { code, message: text }));
        }
        Ok((message.get("result").cloned().unwrap_or(Value::Null), response))
    }

    /// Posts `message`, the JSON-RPC `method`, marked with what it does: the session's own
    /// messages (opening it, listing tools, a ping) read; anything else (a tool call) may write,
    /// and a 429 proves nothing ran only when Scalekit's gateway itself refused it.
    fn post(&self, method: &str, message: &Value) -> Result<Response, Failure> {
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("accept".to_owned(), "application/json, text/event-stream".to_owned()),
            ("user-agent".to_owned(), USER_AGENT.to_owned()),
        ];
        if let Some(token) = &self.endpoint.token {
            headers.push(("authorization".to_owned(), format!("Bearer {token}")));
        }
        if let Some(id) = &self.session_id {
            headers.push(("mcp-session-id".to_owned(), id.clone()));
        }
        if !self.version.is_empty() {
            headers.push(("mcp-protocol-version".to_owned(), self.version.clone()));
        }
        let body = serde_json::to_vec(message).unwrap_or_default();
        let request = http::request("POST", &self.endpoint.url, headers, Some(body.into()))
            .map_err(|e| self.transport_failure(e))?;
        let request = match method {
            "initialize" | "notifications/initialized" | "tools/list" | "ping" => Kind::Read.mark(request),
            _ => {
                let mut request = Kind::Write.mark(request);
                request.extensions_mut().insert(Refusal(refused_by_scalekit));
                request
            }
        };
        self.http.send(request, None).map_err(|e| self.transport_failure(e))
    }

    /// The JSON-RPC response with `id` in a JSON body or an SSE stream.
    fn reply_to(&self, response: &Response, id: u64) -> Result<Value, Failure> {
        let undecodable = |why: String| {
            Failure::new(
                Code::ScalekitError,
                format!("the MCP server at {} answered with {why}", self.endpoint.shown),
                "Check that the URL is an MCP server's (streamable HTTP); retry later if it is.",
            )
        };
        let messages: Vec<Value> = if media_type(response) == "text/event-stream" {
            events(response.body()).filter_map(|data| serde_json::from_str(&data).ok()).collect()
        } else {
            vec![
                serde_json::from_slice(response.body())
                    .map_err(|e| undecodable(format!("a body that is not JSON ({e})")))?,
            ]
        };
        messages
            .into_iter()
            .find(|m| {
                m.get("id").and_then(Value::as_u64) == Some(id)
                    && (m.get("result").is_some() || m.get("error").is_some())
            })
            .ok_or_else(|| undecodable("no response to the request".into()))
    }

    fn status_failure(&self, response: &Response) -> Failure {
        let shown = &self.endpoint.shown;
        match response.status().as_u16() {
            401 | 403 => Failure::new(
                Code::InvalidCredentials,
                format!("the MCP server at {shown} refused the credential (HTTP {})", response.status().as_u16()),
                match self.endpoint.token {
                    Some(_) => {
                        "TOOL_MCP_TOKEN is expired or revoked: create a new one (agent-auth --create-mcp-session-token --config-name N --identifier USER) where the client secret is."
                    }
                    None => {
                        "The instance URL is revoked or not this server's: get it again (agent-auth --ensure-mcp-instance --config-name N --identifier USER) where the client secret is; a config server URL also needs TOOL_MCP_TOKEN."
                    }
                },
            ),
            404 => Failure::new(
                Code::NotFound,
                format!("there is no MCP server at {shown} (HTTP 404)"),
                "Check the MCP URL: copy it whole from agent-auth --ensure-mcp-instance (url) or --create-mcp-session-token (mcp_server_url).",
            ),
            429 => Failure::new(
                Code::RateLimited,
                format!("the MCP server at {shown} asked to slow down (HTTP 429)"),
                "Wait a moment, then run the command again.",
            ),
            status => Failure::new(
                Code::ScalekitError,
                format!("the MCP server at {shown} answered HTTP {status}"),
                "Retry later; check the MCP URL if it persists.",
            ),
        }
    }

    fn transport_failure(&self, e: TransportError) -> Failure {
        let shown = &self.endpoint.shown;
        match e {
            TransportError::Denied => Failure::new(
                Code::EgressDenied,
                format!("the sandbox refused the request to {shown}"),
                "agent-auth only reaches the origins of TOOL_ENV_URL and TOOL_MCP_URL; check those variables.",
            ),
            TransportError::Timeout(what) => Failure::new(
                Code::Timeout,
                format!("the MCP server at {shown} did not answer in time ({what})"),
                "Retry in a moment; a tool call may or may not have been carried out.",
            ),
            TransportError::Refused => Failure::new(
                Code::TransportError,
                format!("could not reach the MCP server at {shown} (connection refused)"),
                format!("Check the network and {}, then retry.", self.endpoint.variable),
            ),
            TransportError::OutcomeUnknown(what) => Failure::new(
                Code::OutcomeUnknown,
                format!(
                    "the connection to the MCP server at {shown} was lost after the call was sent ({}): it may or may not have run",
                    what.replace(&self.endpoint.url, shown)
                ),
                "Check whether it took effect before calling the tool again; never repeat it blindly.",
            ),
            TransportError::TooLarge(how) => Failure::new(
                Code::ScalekitError,
                format!(
                    "the MCP server at {shown} answered with more than agent-auth reads into memory: the answer {how}"
                ),
                "Ask for less (a smaller page or a narrower query).",
            ),
            TransportError::Failed(what)
            | TransportError::Lost(what)
            | TransportError::Sink(what)
            | TransportError::Source(what) => Failure::new(
                Code::TransportError,
                // The URL's query may hold its credential: whatever the transport said, never that.
                format!("could not reach the MCP server at {shown} ({})", what.replace(&self.endpoint.url, shown)),
                format!("Check the network and {}, then retry.", self.endpoint.variable),
            ),
        }
    }
}

/// The `data` of each event of an SSE stream (its `data:` lines joined by newlines).
fn events(body: &[u8]) -> impl Iterator<Item = String> + '_ {
    let text = std::str::from_utf8(body).unwrap_or_default();
    text.split("\n\n").flat_map(|block| block.split("\r\n\r\n")).filter_map(|event| {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        (!data.is_empty()).then(|| data.join("\n"))
    })
}

#[cfg(test)]
mod tests {
    use super::events;

    #[test]
    fn sse_events_join_their_data_lines() {
        let body = b"event: message\ndata: {\"a\":\ndata: 1}\n\n: comment\n\nid: 2\r\ndata:{\"b\":2}\r\n\r\n";
        assert_eq!(events(body).collect::<Vec<_>>(), ["{\"a\":\n1}", "{\"b\":2}"]);
    }
}
