//! One result from several: each service's token or failure becomes an entry of `tokens`, and the
//! command fails with the most severe entry's code when any entry fails.

use agent_auth_contract::exit::Exit;
use serde_json::{Map, Value, json};

use crate::output::{ActionRequired, Code, Failure, Success};

/// Failures that are not about one service but about the whole environment.
pub(super) fn shared(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidCredentials | Code::EgressDenied | Code::TransportError | Code::Timeout | Code::RateLimited
    )
}

/// One result as the command's result, after the warnings gathered before it.
pub(super) fn single(result: Result<Success, Failure>, mut warnings: Vec<String>) -> Result<Success, Failure> {
    match result {
        Ok(mut success) => {
            warnings.append(&mut success.warnings);
            success.warnings = warnings;
            Ok(success)
        }
        Err(mut failure) => {
            let later = std::mem::take(&mut failure.warnings);
            failure.warnings = warnings.into_iter().chain(later).collect();
            Err(failure)
        }
    }
}

/// Puts `key` first among the failure's fields (replacing any value it had).
pub(super) fn front(mut failure: Failure, key: &str, value: Value) -> Failure {
    let mut fields = Map::new();
    fields.insert(key.to_owned(), value);
    for (k, v) in std::mem::take(&mut failure.fields) {
        fields.entry(k).or_insert(v);
    }
    failure.fields = fields;
    failure
}

/// How bad a failed entry is, to choose the exit code of several: a bug (1), then a wrong command
/// (2), missing configuration (3), something that does not exist (5), a refusal (6), a transient
/// network failure (7), and last a person having to act (4), which is the normal first run.
fn severity(code: Code) -> u8 {
    match code.exit() {
        Exit::Internal => 7,
        Exit::Usage => 6,
        Exit::Config => 5,
        Exit::NotFound => 4,
        Exit::Rejected => 3,
        Exit::Transport => 2,
        Exit::ActionRequired => 1,
        Exit::Ok => 0,
    }
}

/// The result of several services: `{"tokens": [...]}`, ok only when every entry is.
pub(super) fn combine(results: Vec<Result<Success, Failure>>, mut warnings: Vec<String>) -> Result<Success, Failure> {
    let total = results.len();
    let mut entries = Vec::with_capacity(total);
    let mut failed: Vec<(String, Code, String)> = Vec::new();
    let mut actions: Vec<(String, ActionRequired)> = Vec::new();
    for result in results {
        match result {
            Ok(success) => {
                let label = label(&success.fields);
                warnings.extend(success.warnings.into_iter().map(|w| format!("{label}: {w}")));
                let mut entry = Map::new();
                entry.insert("ok".into(), true.into());
                entry.extend(success.fields);
                entries.push(Value::Object(entry));
            }
            Err(failure) => {
                let failure = failure.into_report();
                let label = label(&failure.fields);
                warnings.extend(failure.warnings.into_iter().map(|w| format!("{label}: {w}")));
                let mut entry = Map::new();
                entry.insert("ok".into(), false.into());
                entry.insert("service".into(), failure.fields.get("service").cloned().unwrap_or(Value::Null));
                entry.insert(
                    "error".into(),
                    json!({"code": failure.code, "message": failure.message, "hint": failure.hint}),
                );
                for (k, v) in failure.fields {
                    entry.entry(k).or_insert(v);
                }
                if let Some(action) = failure.action_required {
                    entry.insert("action_required".into(), json!(action));
                    actions.push((label.clone(), action));
                }
                failed.push((label, failure.code, failure.hint));
                entries.push(Value::Object(entry));
            }
        }
    }
    if failed.is_empty() {
        return Ok(Success {
            fields: Map::from_iter([("tokens".to_owned(), Value::Array(entries))]),
            warnings,
            raw: None,
        });
    }
    let worst = failed.iter().fold(&failed[0], |worst, f| if severity(f.1) > severity(worst.1) { f } else { worst });
    let listed: Vec<String> = failed
        .iter()
        .map(|(label, code, _)| format!("{label} ({})", json!(code).as_str().unwrap_or_default()))
        .collect();
    let hint = if failed.len() == 1 {
        format!("{}: {}", worst.0, worst.2)
    } else {
        format!("Each failed entry of tokens has its own error and hint; start with {}: {}", worst.0, worst.2)
    };
    let mut failure = Failure::new(
        worst.1,
        format!("no token for {} of {total} services: {}", failed.len(), listed.join(", ")),
        hint,
    )
    .with("tokens", entries)
    .warn(warnings);
    let action = match actions.len() {
        0 => None,
        1 => actions.pop().map(|(_, a)| a),
        n => {
            let steps: Vec<String> = actions
                .iter()
                .map(|(label, a)| match &a.link {
                    Some(link) => format!("{label}: {} {link}", a.message),
                    None => format!("{label}: {}", a.message),
                })
                .collect();
            let first = actions[0].1.clone();
            Some(ActionRequired {
                kind: first.kind.clone(),
                message: format!(
                    "{n} services need a person (each entry of tokens has its own action_required): {}",
                    steps.join(" | ")
                ),
                link: first.link,
                expires_at: first.expires_at,
                links: None,
            })
        }
    };
    if let Some(action) = action {
        failure = failure.action(action);
    }
    Err(failure)
}

/// The name an entry goes by in messages: its service, else its `--for-url`.
fn label(fields: &Map<String, Value>) -> String {
    fields
        .get("service")
        .and_then(Value::as_str)
        .or_else(|| fields.get("for_url").and_then(Value::as_str))
        .unwrap_or("?")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_puts_a_person_acting_last_and_bugs_first() {
        let order = [
            Code::InternalError,
            Code::Usage,
            Code::ServiceNotConfigured,
            Code::ConnectionNotFound,
            Code::RateLimited,
            Code::TransportError,
            Code::AuthorizationRequired,
        ];
        for pair in order.windows(2) {
            assert!(severity(pair[0]) > severity(pair[1]), "{:?} vs {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn several_results_fail_with_the_most_severe_code() {
        let ok = Success::default().with("service", "notion").with("access_token", "t");
        let auth =
            Failure::new(Code::AuthorizationRequired, "m1", "h1").with("service", "gmail").action(ActionRequired {
                kind: "authorize".into(),
                message: "Open this link.".into(),
                link: Some("https://x/magic/1".into()),
                expires_at: None,
                links: None,
            });
        let missing = Failure::new(Code::ServiceNotConfigured, "m2", "h2").with("service", "jira");
        let failure = combine(vec![Ok(ok), Err(auth), Err(missing)], vec![]).unwrap_err();
        assert_eq!(failure.code, Code::ServiceNotConfigured);
        assert_eq!(
            failure.message,
            "no token for 2 of 3 services: gmail (AUTHORIZATION_REQUIRED), jira (SERVICE_NOT_CONFIGURED)"
        );
        assert_eq!(failure.action_required.as_ref().unwrap().link.as_deref(), Some("https://x/magic/1"));
        let tokens = failure.fields["tokens"].as_array().unwrap();
        assert_eq!(tokens[0], json!({"ok": true, "service": "notion", "access_token": "t"}));
        assert_eq!(tokens[1]["error"]["code"], "AUTHORIZATION_REQUIRED");
        assert_eq!(tokens[2]["service"], "jira");
    }

    #[test]
    fn several_links_are_all_named_in_the_top_level_action() {
        let pending = |service: &str, link: &str| {
            Failure::new(Code::AuthorizationRequired, "m", "h").with("service", service).action(ActionRequired {
                kind: "authorize".into(),
                message: format!("Open this link to connect {service}."),
                link: Some(link.into()),
                expires_at: Some("2026-11-21T10:00:00Z".into()),
                links: None,
            })
        };
        let failure = combine(
            vec![Err(pending("gmail", "https://x/magic/1")), Err(pending("slack", "https://x/magic/2"))],
            vec!["w".into()],
        )
        .unwrap_err();
        assert_eq!(failure.code, Code::AuthorizationRequired);
        let action = failure.action_required.as_ref().unwrap();
        assert_eq!(action.link.as_deref(), Some("https://x/magic/1"));
        assert!(
            action.message.contains("https://x/magic/1") && action.message.contains("https://x/magic/2"),
            "{}",
            action.message
        );
        assert_eq!(failure.warnings, ["w"]);
    }
}
