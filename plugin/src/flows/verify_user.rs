//! `--verify-user`: Scalekit's custom user verification. After a person approves an authorization
//! link, Scalekit sends their browser to the verify URL with `auth_request_id` and `state`; this
//! takes the state (made by this agent-auth, for this environment, unused, unexpired, for the
//! person at the browser), then confirms to Scalekit the one person the link was made for, which
//! activates their account.

use agent_auth_contract::option::{AUTH_REQUEST_ID, IDENTIFIER, STATE};
use agent_auth_contract::verification::{AUTH_REQUEST_ID_MAX, STATE_MAX, Verified, callback_value};

use super::operation::{Context, RemoteOperation};
use crate::cli::Args;
use crate::clock;
use crate::link_states::{self, Refusal, Taker};
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

/// Why a callback finishes nothing.
enum Refused {
    /// The state is not one to finish here (see [`Refusal`]).
    State(Refusal),
    /// Scalekit's 403: the authorization was started for another identifier.
    OtherPersonAtScalekit,
    /// Scalekit's 404: no pending authorization with this id.
    NoSuchRequest,
}

impl RemoteOperation for VerifyUser {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let (auth_request_id, state) = (args.required(&AUTH_REQUEST_ID), args.required(&STATE));
        for (opt, value, most) in
            [(&AUTH_REQUEST_ID, &auth_request_id, AUTH_REQUEST_ID_MAX), (&STATE, &state, STATE_MAX)]
        {
            if !callback_value(value, most) {
                return Err(Failure::new(
                    Code::Usage,
                    format!("--{} must be 1 to {most} characters without control characters", opt.flag),
                    "Pass the values of the verify URL's auth_request_id and state exactly as they came.",
                ));
            }
        }
        Ok(VerifyUser { auth_request_id, state, identifier: args.text(&IDENTIFIER).map(str::to_owned) })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        // 1. Who is at the browser: the person a host's session knows, named on its command line;
        //    for the runner's own loopback route, the person of this machine (TOOL_IDENTIFIER).
        let person = match (ctx.from_verify_route, self.identifier) {
            (true, _) => ctx.identifier.clone(),
            (false, Some(person)) => Some(person),
            (false, None) => {
                return Err(Failure::new(
                    Code::IdentifierRequired,
                    format!(
                        "--verify-user needs --{}: the person your own session knows is at the browser",
                        IDENTIFIER.flag
                    ),
                    "Pass --identifier with the signed-in person of the request that brought the callback; never a value from its URL.",
                ));
            }
        };
        // 2. The state, used once: this agent-auth's, for this environment, unused, unexpired,
        //    here the place to finish it, and made for that person.
        let dir = ctx.storage.state_dir().ok_or_else(|| {
            Failure::new(
                Code::ConfigMissing,
                "no state folder: the links' states are kept there",
                "Run the component with the agent-auth runner, which provides AGENT_AUTH_STATE_DIR.",
            )
        })?;
        let taker =
            Taker { environment: ctx.sk.env_url(), from_route: ctx.from_verify_route, person: person.as_deref() };
        let binding = link_states::take(dir, &self.state, &taker, clock::now())?.map_err(Refused::State)?;
        // 3. Scalekit checks the request is that person's, and activates the account.
        let verified = match accounts::verify_user(&ctx.sk, &self.auth_request_id, &binding.identifier) {
            Ok(verified) => verified,
            Err(ApiError::Status(r)) if r.status == 403 => return Err(Refused::OtherPersonAtScalekit.into()),
            Err(ApiError::Status(r)) if r.status == 404 => return Err(Refused::NoSuchRequest.into()),
            Err(e) => {
                // Nothing shows the verification happened: the link stays usable (a reload
                // finishes it). A failure to free it leaves it used, which refuses, never grants.
                if inconclusive(&e) {
                    let _ = link_states::free(dir, &self.state);
                }
                return Err(e.into());
            }
        };
        let redirect = Some(verified.post_user_verify_redirect_url).filter(|url| !url.is_empty());
        let result = Verified {
            connection_name: binding.connection,
            identifier: binding.identifier,
            status: "ACTIVE".into(),
            active: true,
            redirect_url: redirect,
        };
        let serde_json::Value::Object(fields) = serde_json::to_value(result).unwrap_or_default() else {
            return Err(Failure::new(Code::InternalError, "the result did not serialize", "Report this."));
        };
        Ok(Success { fields, warnings: Vec::new(), raw: None })
    }
}

/// Whether `e` shows that Scalekit did not verify: no answer, or a refusal to work (429, 5xx).
fn inconclusive(e: &ApiError) -> bool {
    match e {
        ApiError::Transport(_) => true,
        ApiError::Status(r) => r.status == 429 || r.status >= 500,
        _ => false,
    }
}

impl From<Refused> for Failure {
    /// `VERIFICATION_REFUSED` with the reason; only the last two have sent anything.
    fn from(refused: Refused) -> Failure {
        let (reason, message, hint) = match refused {
            Refused::State(Refusal::Unknown) => (
                "state_unknown",
                "no link of this agent-auth has this state",
                "Open the newest link the agent gave, in the browser it sends you back from.",
            ),
            Refused::State(Refusal::Used) => (
                "state_used",
                "this link was finished already",
                "Each link works once: ask the agent for a new one if the account is still not active.",
            ),
            Refused::State(Refusal::Expired) => {
                ("state_expired", "this link expired", "Ask the agent for a new link and open it right away.")
            }
            Refused::State(Refusal::RouteOnly) => (
                "loopback_route_only",
                "this link is finished by the agent-auth runner's verify route, in the person's own browser",
                "Keep agent-auth --generate-link ... --wait running while the person opens the link: their browser finishes it.",
            ),
            Refused::State(Refusal::OtherPerson) => (
                "identifier_mismatch",
                "this link was made for another person",
                "Only the person the link was made for can finish it: ask the agent for a link of your own.",
            ),
            Refused::OtherPersonAtScalekit => (
                "identifier_mismatch",
                "Scalekit says this authorization was started for another person",
                "Only the person the link was made for can finish it: ask the agent for a new link.",
            ),
            Refused::NoSuchRequest => (
                "auth_request_not_found",
                "Scalekit has no pending authorization with this auth_request_id (unknown, or finished already)",
                "Ask the agent for a new link and open it once.",
            ),
        };
        Failure::new(Code::VerificationRefused, message, hint).with("reason", reason)
    }
}
