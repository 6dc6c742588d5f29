//! What is kept between calls, counted at the virtual Scalekit on loopback:
//! - the Scalekit access token: reused until shortly before it expires, replaced once when
//!   Scalekit refuses it, never served to another key, shared sanely by calls that start together;
//! - what the agent's steps saw (connections, tool listings, active accounts): an agent's next step
//!   does not repeat the last one's requests, and whatever Scalekit says that contradicts it wins.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use agent_auth_contract::storage::TOKEN_CACHE_PREFIX;
use support::{CLIENT_SECRET, DEADLINE, SECRET_MARKERS, World, finish, finish_handing_out, output_within};

/// The token cache files in the world's state folder.
fn cache_files(w: &World) -> Vec<PathBuf> {
    let state = w.home.path().join(".local/state/agent-auth");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(state).map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(TOKEN_CACHE_PREFIX) && n.ends_with(".json"))
    });
    files
}

#[test]
fn a_second_call_sends_no_token_request_and_the_file_is_the_owner_s() {
    let w = World::start();
    assert_eq!(w.run(&["--list-connections"]).code, 0);
    assert_eq!(w.run(&["--get-tool", "--tool-name", "exa_search"]).code, 0);
    assert_eq!(w.double.tokens_issued(), 1, "the second call reused the first call's token");
    let files = cache_files(&w);
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(!text.contains(CLIENT_SECRET), "the cache never holds the client secret");
    assert!(text.contains("virtual-scalekit-"), "it holds the token: {text}");
}

#[test]
fn a_revoked_token_is_replaced_once() {
    let w = World::start();
    assert_eq!(w.run(&["--list-connections"]).code, 0);
    w.double.revoke_tokens();
    let run = w.run(&["--list-connections", "--provider", "notion"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(w.double.tokens_issued(), 2, "one fresh token after the 401");
    assert_eq!(w.run(&["--get-tool", "--tool-name", "exa_search"]).code, 0);
    assert_eq!(w.double.tokens_issued(), 2, "and that one is cached in turn");
}

#[test]
fn a_rotated_secret_is_never_served_the_old_secret_s_token() {
    let w = World::accepting(None);
    assert_eq!(w.run(&["--list-connections"]).code, 0);
    let old = std::fs::read_to_string(&cache_files(&w)[0]).unwrap();
    let mut rotated = w.command(&["--list-connections"]);
    rotated.env("TOOL_CLIENT_SECRET", "a-rotated-client-secret-93a1");
    assert_eq!(finish(rotated).code, 0);
    assert_eq!(w.double.tokens_issued(), 2, "the new secret got its own token");
    let files = cache_files(&w);
    assert_eq!(files.len(), 2, "one file per key");
    let token = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text).unwrap()["access_token"].as_str().unwrap().to_owned()
    };
    let new =
        files.iter().map(|f| std::fs::read_to_string(f).unwrap()).find(|t| *t != old).expect("the new key's file");
    assert_ne!(token(&old), token(&new));
    assert!(!new.contains(&token(&old)), "no key's file holds another key's token");
}

#[test]
fn sixteen_calls_at_once_share_a_token_and_leave_a_valid_cache() {
    let w = World::start();
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let mut cmd = w.command(&["--list-connections", "--provider", "notion"]);
            std::thread::spawn(move || output_within(&mut cmd, DEADLINE))
        })
        .collect();
    for handle in handles {
        let out = handle.join().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    }
    let issued = w.double.tokens_issued();
    assert!((1..=2).contains(&issued), "16 parallel calls fetched {issued} tokens");
    assert_eq!(w.run(&["--list-connections"]).code, 0);
    assert_eq!(w.double.tokens_issued(), issued, "the cache they left is valid");
    assert_eq!(cache_files(&w).len(), 1);
}

const NOTION: &str = "notion-ijIQedmJ";
const PAGE: &str = r#"{"page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"}"#;
/// The last of the five steps: read a Notion page.
const EXECUTE: [&str; 7] =
    ["--execute-tool", "--tool-name", "notion_page_get", "--connection-name", NOTION, "--tool-input", PAGE];

/// The requests the virtual Scalekit answered during `step`.
fn requests_of(w: &World, step: impl FnOnce()) -> Vec<String> {
    let before = w.double.requests().len();
    step();
    w.double.requests()[before..].to_vec()
}

/// The five steps an agent takes: list connections, link, list tools, read a schema, execute.
fn five_steps(w: &World) {
    assert_eq!(w.run(&["--list-connections", "--provider", "notion"]).code, 0);
    assert_eq!(w.run(&["--generate-link", "--connection-name", NOTION]).code, 0);
    assert_eq!(w.run(&["--get-tool", "--provider", "notion"]).code, 0);
    let schema = w.run(&["--get-tool", "--tool-name", "notion_page_get"]);
    assert_eq!(schema.json["tool"]["input_schema"]["required"], serde_json::json!(["page_id"]), "{}", schema.stdout);
    let run = w.run(&EXECUTE);
    assert_eq!(
        (run.code, run.json["data"]["id"].as_str()),
        (0, Some("59833787-2cf9-4fdf-8782-e53db20768a5")),
        "{}",
        run.stdout
    );
}

#[test]
fn the_five_step_flow_sends_six_requests_and_a_warm_execution_one() {
    let w = World::start();
    let flow = requests_of(&w, || five_steps(&w));
    assert_eq!(flow.iter().filter(|r| r.ends_with("/oauth/token")).count(), 1, "{flow:#?}");
    assert!(flow.len() <= 6, "the five steps sent {} requests: {flow:#?}", flow.len());
    let warm = requests_of(&w, || {
        let run = w.run(&EXECUTE);
        assert_eq!(run.code, 0, "{}", run.stdout);
    });
    assert_eq!(warm, ["POST /api/v1/execute_tool"], "a warm execution is the execution alone");
}

#[test]
fn a_search_reads_each_provider_once_and_then_serves_the_execution_s_schema() {
    let w = World::start();
    let search = ["--get-tool", "--query", "read a notion page", "--summary"];
    let cold = requests_of(&w, || {
        let found = w.run(&search);
        assert_eq!(found.json["tools"][0]["name"], "notion_page_get", "{}", found.stdout);
    });
    let listings = cold.iter().filter(|r| r.starts_with("GET /api/v1/tools")).count();
    assert!(listings > 1, "one listing per provider with a connection: {cold:#?}");
    let again = requests_of(&w, || assert_eq!(w.run(&search).code, 0));
    assert_eq!(again, Vec::<String>::new(), "a second search within the minutes is answered from the cache");
    let run = requests_of(&w, || assert_eq!(w.run(&EXECUTE).code, 0));
    assert!(!run.iter().any(|r| r.starts_with("GET /api/v1/tools")), "the schema came with the search: {run:#?}");
}

#[test]
fn an_account_revoked_within_the_minute_still_ends_in_the_authorization_path() {
    let w = World::start();
    let execute = || w.run(&EXECUTE);
    assert_eq!(execute().code, 0);
    assert!(w.double.set_account_status(NOTION, support::IDENTIFIER, "EXPIRED"));
    let run = execute();
    assert_eq!((run.code, run.json["error"]["code"].as_str()), (4, Some("AUTHORIZATION_REQUIRED")), "{}", run.stdout);
    assert!(
        run.json["action_required"]["link"].as_str().is_some_and(|l| l.contains("/magic/")),
        "a fresh link: {}",
        run.stdout
    );
    assert_eq!(run.json["status"], "EXPIRED");
}

#[test]
fn credentials_the_provider_revoked_end_in_a_fresh_link_and_a_fresh_check() {
    let w = World::start();
    assert_eq!(w.run(&EXECUTE).code, 0);
    assert!(w.double.revoke_at_provider(NOTION, support::IDENTIFIER));
    let run = w.run(&EXECUTE);
    assert_eq!((run.code, run.json["error"]["code"].as_str()), (4, Some("PROVIDER_UNAUTHORIZED")), "{}", run.stdout);
    assert!(
        run.json["action_required"]["link"].as_str().is_some_and(|l| l.contains("/magic/")),
        "a fresh link: {}",
        run.stdout
    );
    let next = requests_of(&w, || assert_eq!(w.run(&EXECUTE).code, 4));
    assert!(
        next.contains(&"GET /api/v1/connected_accounts/details".to_owned()),
        "the account is no longer taken for active: {next:#?}"
    );
}

#[test]
fn no_cache_asks_scalekit_afresh() {
    let w = World::start();
    let execute = |extra: &[&str]| {
        let args = [&EXECUTE[..], extra].concat();
        assert_eq!(w.run(&args).code, 0);
    };
    execute(&[]);
    let fresh = requests_of(&w, || execute(&["--no-cache"]));
    assert!(fresh.contains(&"GET /api/v1/connected_accounts/details".to_owned()), "{fresh:#?}");
    assert!(fresh.iter().any(|r| r == "GET /api/v1/connections/app"), "{fresh:#?}");
    let mut by_variable = w.command(&EXECUTE);
    by_variable.env("AGENT_AUTH_NO_CACHE", "1");
    let fresh = requests_of(&w, || assert_eq!(finish(by_variable).code, 0));
    assert!(fresh.contains(&"GET /api/v1/connected_accounts/details".to_owned()), "{fresh:#?}");
}

/// Every file under `root`, with its text.
fn files_under(root: &std::path::Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            files.push((path, text));
        }
    }
    files
}

#[test]
fn no_secret_is_kept_anywhere_but_its_own_key_s_token_file() {
    let w = World::accepting(None);
    five_steps(&w);
    assert_eq!(w.run(&["--configure", "notion", "--connection-name", NOTION]).code, 0);
    let token = finish_handing_out(w.command(&["--get-token", "notion"]), &["ya29.virtual-"]);
    assert_eq!(token.code, 0, "{}", token.stdout);
    assert_eq!(w.run(&["--proxy-request", "--connection-name", NOTION, "--path", "/v1/users/me"]).code, 0);
    let mut rotated = w.command(&["--list-connections"]);
    rotated.env("TOOL_CLIENT_SECRET", "a-rotated-client-secret-93a1");
    assert_eq!(finish(rotated).code, 0);

    let files = files_under(w.home.path());
    for kept in ["audit.jsonl", "connections.json"] {
        assert!(files.iter().any(|(p, _)| p.ends_with(kept)), "{kept} is checked: {files:#?}");
    }
    let token_files = cache_files(&w);
    for (path, text) in &files {
        let expected = if token_files.contains(path) { 1 } else { 0 };
        assert_eq!(
            text.matches("virtual-scalekit-").count(),
            expected,
            "Scalekit tokens in {}:\n{text}",
            path.display()
        );
        for marker in SECRET_MARKERS.iter().filter(|m| **m != "virtual-scalekit-") {
            assert!(!text.contains(marker), "a secret ({marker}) is kept in {}:\n{text}", path.display());
        }
        assert!(!text.contains("a-rotated-client-secret-93a1"), "the rotated secret is kept in {}", path.display());
    }
}
