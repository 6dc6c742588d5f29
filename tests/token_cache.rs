//! The Scalekit access token outlives the process: kept in the state folder, reused until shortly
//! before it expires, replaced once when Scalekit refuses it, never served to another key, and
//! shared sanely by calls that start together. Counted at the virtual Scalekit on loopback.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use agent_auth_contract::storage::TOKEN_CACHE_PREFIX;
use support::{CLIENT_SECRET, DEADLINE, World, finish, output_within};

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
