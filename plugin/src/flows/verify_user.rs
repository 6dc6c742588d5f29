//! `--verify-user`: Scalekit's custom user verification. After a person approves an authorization
//! link, Scalekit sends their browser to the verify URL with `auth_request_id` and `state`; this
//! checks the state (made by this agent-auth, for this link, unused, unexpired), then confirms to
//! Scalekit the one person the link was made for, which activates their account.

use agent_auth_contract::option::{AUTH_REQUEST_ID, IDENTIFIER, STATE};
use agent_auth_contract::verification::{AUTH_REQUEST_ID_MAX, STATE_MAX};
use serde_json::{Map, Value};

use super::operation::{Context, RemoteOperation};
use crate::cli::Args;
use crate::clock;
use crate::link_states::{self, Refusal};
use crate::output::{Code, Failure, Success};
use crate::scalekit::ApiError;
use crate::scalekit::accounts;

/// `--verify-user --auth-request-id ID --state S --identifier I` (a host; the runner's own
/// loopback route passes no `--identifier`).
pub struct VerifyUser {
    auth_request_id: String,
    state: String,
    /// The person the host's own session says is at the browser.
    identifier: Option<String>,
}

impl RemoteOperation for VerifyUser {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let (auth_request_id, state) = (args.required(&AUTH_REQUEST_ID), args.required(&STATE));
        for (flag, value, most) in
            [("--auth-request-id", &auth_request_id, AUTH_REQUEST_ID_MAX), ("--state", &state, STATE_MAX)]
        {
            if value.trim().is_empty() || value.len() > most || value.chars().any(char::is_control) {
                return Err(Failure::new(
                    Code::Usage,
                    format!("{flag} must be 1 to {most} characters without control characters"),
                    "Pass the values of the verify URL's auth_request_id and state exactly as they came.",
                ));
            }
        }
        Ok(VerifyUser { auth_request_id, state, identifier: args.text(&IDENTIFIER).map(str::to_owned) })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        // 1. Who is at the browser: the person a host's session knows, named on its command line;
        //    for the runner's own loopback route, the person of this machine (TOOL_IDENTIFIER).
        let asserted = match (ctx.from_verify_route, self.identifier) {
            (true, _) => ctx.identifier.clone(),
            (false, Some(asserted)) => Some(asserted),
            (false, None) => {
                return Err(Failure::new(
                    Code::IdentifierRequired,
                    "--verify-user needs --identifier: the person your own session knows is at the browser",
                    "Pass --identifier with the signed-in person of the request that brought the callback; never a value from its URL.",
                ));
            }
        };
        // 2. The state: this agent-auth's, for this environment, unused, unexpired, and here the
        //    place to finish it; and the person of its link.
        let dir = ctx.storage.state_dir().ok_or_else(|| {
            Failure::new(
                Code::ConfigMissing,
                "no state folder: the links' states are kept there",
                "Run the component with the agent-auth runner, which provides AGENT_AUTH_STATE_DIR.",
            )
        })?;
        let environment = ctx.sk.env_url();
        let binding =
            link_states::check(dir, &self.state, environment, clock::now(), ctx.from_verify_route)?.map_err(refused)?;
        if asserted.as_deref().is_some_and(|asserted| asserted != binding.identifier) {
            return Err(refusal(
                "identifier_mismatch",
                "this link was made for another person",
                "Only the person the link was made for can finish it: ask the agent for a link of your own.",
            ));
        }
        // 3. Used once, however many callbacks race; then Scalekit checks the request is that
        //    person's and activates the account.
        link_states::mark(dir, &self.state, true)?.map_err(refused)?;
        let verified = match accounts::verify_user(&ctx.sk, &self.auth_request_id, &binding.identifier) {
            Ok(verified) => verified,
            Err(ApiError::Status(r)) if r.status == 403 => {
                return Err(refusal(
                    "identifier_mismatch",
                    "Scalekit says this authorization was started for another person",
                    "Only the person the link was made for can finish it: ask the agent for a new link.",
                ));
            }
            Err(ApiError::Status(r)) if r.status == 404 => {
                return Err(refusal(
                    "auth_request_not_found",
                    "Scalekit has no pending authorization with this auth_request_id (unknown, or finished already)",
                    "Ask the agent for a new link and open it once.",
                ));
            }
            // Nothing shows the verification happened: the link stays usable (a reload finishes it).
            Err(other) => {
                link_states::mark(dir, &self.state, false)?.map_err(refused)?;
                return Err(Failure::from(other));
            }
        };
        let mut fields = Map::new();
        fields.insert("connection_name".into(), binding.connection.into());
        fields.insert("identifier".into(), binding.identifier.into());
        fields.insert("status".into(), "ACTIVE".into());
        fields.insert("active".into(), true.into());
        let redirect = verified.post_user_verify_redirect_url;
        fields.insert("redirect_url".into(), if redirect.is_empty() { Value::Null } else { redirect.into() });
        Ok(Success { fields, warnings: Vec::new(), raw: None })
    }
}

/// `VERIFICATION_REFUSED` for a state that finishes nothing; nothing was sent.
fn refused(why: Refusal) -> Failure {
    match why {
        Refusal::Unknown => refusal(
            "state_unknown",
            "no link of this agent-auth has this state",
            "Open the newest link the agent gave, in the browser it sends you back from.",
        ),
        Refusal::Used => refusal(
            "state_used",
            "this link was finished already",
            "Each link works once: ask the agent for a new one if the account is still not active.",
        ),
        Refusal::Expired => {
            refusal("state_expired", "this link expired", "Ask the agent for a new link and open it right away.")
        }
        Refusal::RouteOnly => refusal(
            "loopback_route_only",
            "this link is finished by the agent-auth runner's verify route, in the person's own browser",
            "Keep agent-auth --generate-link ... --wait running while the person opens the link: their browser finishes it.",
        ),
    }
}

fn refusal(reason: &str, message: &str, hint: &str) -> Failure {
    Failure::new(Code::VerificationRefused, message, hint).with("reason", reason)
}
