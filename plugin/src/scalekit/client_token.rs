//! The client-credentials access token agent-auth presents to Scalekit (`POST /oauth/token`):
//! requested on first use, then reused, so one invocation makes at most one token request.

use std::cell::OnceCell;

use serde::Deserialize;

use super::{ApiError, USER_AGENT, decode};
use crate::http::{HttpClient, Request, query_string};

/// The client id and secret, and the token issued for them once one is.
pub struct ClientToken {
    client_id: String,
    /// Never printed.
    client_secret: String,
    issued: OnceCell<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

impl ClientToken {
    /// Nothing requested yet.
    pub fn new(client_id: &str, client_secret: &str) -> Self {
        ClientToken {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            issued: OnceCell::new(),
        }
    }

    /// The token: the one issued earlier in this invocation, else a fresh one from `env_url`.
    /// Refused credentials are [`ApiError::Credentials`].
    pub fn get(&self, http: &dyn HttpClient, env_url: &str) -> Result<&str, ApiError> {
        if let Some(token) = self.issued.get() {
            return Ok(token);
        }
        let form = query_string(&[
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ]);
        let request = Request {
            method: "POST".into(),
            url: format!("{env_url}/oauth/token"),
            headers: vec![
                ("content-type".into(), "application/x-www-form-urlencoded".into()),
                ("accept".into(), "application/json".into()),
                ("user-agent".into(), USER_AGENT.into()),
            ],
            body: Some(form.into_bytes()),
        };
        let response = http.send(request, None).map_err(ApiError::Transport)?;
        if !(200..300).contains(&response.status) {
            let refused = Box::new(super::ErrorResponse::parse(&response));
            return Err(if matches!(refused.status, 400 | 401 | 403) {
                ApiError::Credentials(refused)
            } else {
                ApiError::Status(refused)
            });
        }
        let parsed: TokenResponse = decode(&response, "token response")?;
        Ok(self.issued.get_or_init(|| parsed.access_token))
    }
}
