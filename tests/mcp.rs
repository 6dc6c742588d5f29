//! `agent-auth mcp` driven by an MCP client nobody on the team wrote: the Python `mcp` package
//! (pinned; installed by this test into a throwaway venv), against the virtual Scalekit served on
//! loopback. Every byte the client and the server printed is scanned for the secrets used. Plus
//! what a client cannot show: the protocol versions answered, and the refusal to start without
//! a user.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use support::node::{inspector, openclaw};
use support::python::python;
use support::{
    CLIENT_ID, CLIENT_SECRET, DEADLINE, IDENTIFIER, World, assert_no_secret, exchange_with, mcp_hello, output_within,
};

#[test]
fn a_python_mcp_session_searches_executes_authorizes_and_is_refused_what_it_may_not_do() {
    let w = World::start();
    let granted = w.path("granted");
    std::fs::create_dir(&granted).unwrap();
    python_session(&w, "client.py", &[granted.to_str().unwrap(), "http://127.0.0.1:9"]);
}

#[test]
fn custom_user_verification_finishes_at_the_servers_own_route_and_nowhere_else() {
    let w = World::verifying();
    let port = support::free_port();
    let said = python_session(&w, "verify_client.py", &[&format!("http://127.0.0.1:{port}/agent-auth/verify")]);
    eprintln!("{said}");
}

/// Runs the client script `tests/mcp/SCRIPT` with the runner and `args`, in `w`'s environment;
/// checks that it finished and that no secret reached its output; returns what it printed.
fn python_session(w: &World, script: &str, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/mcp").join(script);
    let user = w.command(&[]);
    let mut session = Command::new(python());
    session.arg(&script).arg(env!("CARGO_BIN_EXE_agent-auth")).args(args);
    session.env_clear().envs(user.get_envs().filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))));
    session.current_dir(w.cwd.path()).stdin(Stdio::null());
    let out = output_within(&mut session, DEADLINE);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && said.contains("session done"),
        "the session failed:\n{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_secret(&out, &[]);
    said
}

/// Starts `agent-auth mcp ARGS` for `w`, sends `requests` (one JSON-RPC message each, all with an
/// id) and returns its answers, in order.
fn exchange(w: &World, args: &[&str], requests: &[serde_json::Value]) -> Vec<serde_json::Value> {
    exchange_with(w.command(&[&["mcp"], args].concat()), requests)
}

#[test]
fn clients_of_each_protocol_version_are_answered_in_theirs() {
    let w = World::start();
    let client = serde_json::json!({"name": "raw", "version": "0"});
    for version in ["2025-06-18", "2025-11-25"] {
        let hello = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": client}});
        assert_eq!(exchange(&w, &[], &[hello])[0]["result"]["protocolVersion"], version);
    }
    // 2026-07-28 has no handshake: each request says its version in `_meta`.
    let meta = serde_json::json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": client, "io.modelcontextprotocol/clientCapabilities": {}});
    let discover =
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": meta}});
    let list = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": meta}});
    let answers = exchange(&w, &[], &[discover, list]);
    let versions = answers[0]["result"]["supportedVersions"].as_array().cloned().unwrap_or_default();
    assert!(versions.contains(&"2026-07-28".into()), "{}", answers[0]);
    assert_eq!(answers[1]["result"]["tools"][0]["name"], "list_connections", "{}", answers[1]);
}

#[test]
fn without_a_user_the_server_does_not_start() {
    let w = World::start();
    let mut server = w.command(&["mcp"]);
    server.env_remove("TOOL_IDENTIFIER");
    let out = output_within(&mut server, DEADLINE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(out.stdout.is_empty(), "stdout carries only MCP messages");
    assert!(stderr.contains("--identifier") && stderr.contains("TOOL_IDENTIFIER"), "{stderr}");
}

/// The variables a client hands `agent-auth mcp`, as `KEY=VALUE`.
fn server_env(w: &World) -> Vec<String> {
    let url = w.server.url();
    let cache = w.cache.display().to_string();
    let home = w.home.path().display().to_string();
    [("TOOL_ENV_URL", url.as_str()), ("TOOL_CLIENT_ID", CLIENT_ID), ("TOOL_CLIENT_SECRET", CLIENT_SECRET)]
        .into_iter()
        .chain([("TOOL_IDENTIFIER", IDENTIFIER), ("AGENT_AUTH_CACHE_DIR", cache.as_str()), ("HOME", home.as_str())])
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

#[test]
fn the_mcp_inspector_lists_the_tools_and_exits_5_on_an_error_result() {
    let w = World::start();
    let call = |method: &[&str]| {
        let mut cmd = inspector(w.home.path());
        for pair in server_env(&w) {
            cmd.args(["-e", &pair]);
        }
        cmd.args([env!("CARGO_BIN_EXE_agent-auth"), "mcp", "--method"]).args(method).args(["--format", "json"]);
        let out = output_within(&mut cmd, DEADLINE);
        assert_no_secret(&out, &[]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        });
        (out.status.code(), json)
    };
    let (code, listed) = call(&["tools/list"]);
    let names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!((code, names.len(), names[0]), (Some(0), 7, "list_connections"), "{listed}");
    let page = r#"{"tool_name": "notion_page_get", "input": {"page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"}}"#;
    let (code, ran) = call(&["tools/call", "--tool-name", "execute_tool", "--tool-args-json", page]);
    assert_eq!((code, ran["result"]["structuredContent"]["ok"].as_bool()), (Some(0), Some(true)), "{ran}");
    let needs = r#"{"tool_name": "gmail_fetch_mails", "input": {}}"#;
    let (code, refused) = call(&["tools/call", "--tool-name", "execute_tool", "--tool-args-json", needs]);
    assert_eq!(code, Some(5), "the inspector exits 5 on isError: {refused}");
    assert_eq!(refused["result"]["structuredContent"]["error"]["code"], "AUTHORIZATION_REQUIRED", "{refused}");
}

#[test]
fn openclaw_adds_the_server_and_its_probe_lists_every_tool_without_an_approval_hint() {
    let w = World::start();
    let mut add = openclaw(w.home.path());
    add.args(["mcp", "add", "agent-auth", "--command", env!("CARGO_BIN_EXE_agent-auth"), "--arg", "mcp"]);
    for pair in server_env(&w) {
        add.args(["--env", &pair]);
    }
    let added = output_within(&mut add, DEADLINE);
    assert!(added.status.success(), "openclaw mcp add: {}", String::from_utf8_lossy(&added.stderr));
    let probed = output_within(openclaw(w.home.path()).args(["mcp", "probe", "agent-auth", "--json"]), DEADLINE);
    assert_no_secret(&probed, &[]);
    let report: serde_json::Value = serde_json::from_slice(&probed.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&probed.stdout)));
    let tools: Vec<&str> = report["tools"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    for name in [
        "list_connections",
        "search_tools",
        "get_tool_schema",
        "authorize",
        "wait_for_authorization",
        "execute_tool",
        "proxy_request",
    ] {
        assert!(tools.contains(&format!("agent-auth__{name}").as_str()), "{name} in {report}");
    }
    assert_eq!(report["diagnostics"], serde_json::json!([]), "no approval hint for missing annotations: {report}");
}

#[test]
fn a_cancelled_wait_stops_reporting_and_is_never_answered() {
    use std::sync::mpsc;
    use std::time::Duration;
    let w = World::start();
    let mut server = w.command(&["mcp"]);
    let mut child = server.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let (tx, lines) = mpsc::channel::<serde_json::Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str(&line).unwrap_or_default());
        }
    });
    let mut send = |message: serde_json::Value| writeln!(stdin, "{message}").unwrap();
    send(serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}));
    send(serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(
        serde_json::json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "wait_for_authorization",
        "arguments": {"connection_name": "linear", "timeout_seconds": 120}, "_meta": {"progressToken": "p1"}}}),
    );
    let progress = |m: &serde_json::Value| m["method"] == "notifications/progress";
    let first = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(60)).ok())
        .find(progress)
        .expect("progress while waiting");
    assert_eq!(first["params"]["progressToken"], "p1", "{first}");
    send(serde_json::json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}));
    send(serde_json::json!({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {"name": "list_connections",
        "arguments": {"provider": "LINEAR"}}}));
    let mut seen = Vec::new();
    while let Ok(message) = lines.recv_timeout(Duration::from_secs(60)) {
        let done = message["id"] == 6;
        seen.push(message);
        if done {
            break;
        }
    }
    assert_eq!(seen.last().map(|m| m["id"].clone()), Some(6.into()), "the next call is answered: {seen:?}");
    std::thread::sleep(Duration::from_secs(3));
    seen.extend(lines.try_iter());
    assert!(!seen.iter().any(|m| m["id"] == 5), "a cancelled call gets no answer: {seen:?}");
    let after: Vec<_> = seen.iter().skip_while(|m| m["id"] != 6).filter(|m| progress(m)).collect();
    assert!(after.is_empty(), "no progress once cancelled: {after:?}");
    drop(stdin);
    let _ = child.wait();
}

#[test]
fn a_sensitive_file_inside_a_granted_folder_is_still_refused() {
    let w = World::start();
    let granted = w.path("granted");
    std::fs::create_dir(&granted).unwrap();
    std::fs::write(granted.join(".env"), "OPENAI_API_KEY=sk-x").unwrap();
    let hello = mcp_hello(1);
    let upload = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "proxy_request",
        "arguments": {"connection_name": "notion-ijIQedmJ", "path": "/v1/file_uploads/u1/send", "method": "POST",
        "input_file": granted.join(".env").display().to_string()}}});
    let before = w.double.served().len();
    let answers = exchange(&w, &["--files", &granted.display().to_string()], &[hello, upload]);
    let result = &answers[1]["result"];
    assert_eq!(result["isError"], true, "{}", answers[1]);
    assert_eq!(result["structuredContent"]["error"]["code"], "FILE_DENIED", "{}", answers[1]);
    assert_eq!(w.double.served().len(), before, "nothing was sent");
}

#[test]
fn the_operator_s_proxy_policy_governs_the_mcp_server_too() {
    let w = World::start();
    let policy = w.path("policy.json");
    std::fs::write(&policy, r#"{"notion-ijIQedmJ": ["GET /v1/blocks/*/children"]}"#).unwrap();
    let hello = mcp_hello(1);
    let me = serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "proxy_request",
        "arguments": {"connection_name": "notion-ijIQedmJ", "path": "/v1/users/me"}}});
    let mut server = w.command(&["mcp"]);
    server.env("AGENT_AUTH_PROXY_POLICY", &policy);
    let answers = exchange_with(server, &[hello, me]);
    assert_eq!(answers[1]["result"]["structuredContent"]["error"]["code"], "PROXY_POLICY_DENIED", "{}", answers[1]);
}

#[test]
fn a_calls_requester_from_its_meta_is_recorded_and_a_bad_one_is_refused() {
    let w = World::start();
    let call = |id: u64, meta: serde_json::Value| {
        serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "execute_tool",
            "arguments": {"tool_name": "exa_search", "input": {"query": "wasm"}}, "_meta": meta}})
    };
    let answers = exchange(
        &w,
        &[],
        &[
            mcp_hello(1),
            call(2, serde_json::json!({"agent-auth/requester": "telegram:1001"})),
            call(3, serde_json::json!({"agent-auth/requester": "telegram:1001\nforged line"})),
            call(4, serde_json::json!({"agent-auth/requester": 1001})),
        ],
    );
    assert_eq!(answers[1]["result"]["structuredContent"]["ok"], true, "{}", answers[1]);
    for refused in &answers[2..] {
        assert_eq!(refused["error"]["code"], -32602, "{refused}");
    }
    let trail = std::fs::read_to_string(w.home.path().join(".local/state/agent-auth/audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = trail.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert_eq!((&line["requester"], &line["identifier"]), (&"telegram:1001".into(), &IDENTIFIER.into()), "{line}");
    }
}

#[test]
fn list_tools_prints_the_servers_tools_with_both_schemas_and_needs_nothing_else() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agent-auth"));
    cmd.args(["mcp", "--list-tools"]).env_clear().env("HOME", home.path());
    let out = output_within(&mut cmd, DEADLINE);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let served = exchange(
        &World::start(),
        &[],
        &[mcp_hello(1), serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})],
    );
    assert_eq!(listed["tools"], served[1]["result"]["tools"], "what the server lists");
    for tool in listed["tools"].as_array().unwrap() {
        assert_eq!(tool["outputSchema"]["properties"]["ok"]["type"], "boolean", "{tool}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
    }
    let mut with_other = std::process::Command::new(env!("CARGO_BIN_EXE_agent-auth"));
    with_other.args(["mcp", "--list-tools", "--identifier", "bob"]).env_clear().env("HOME", home.path());
    let refused = output_within(&mut with_other, DEADLINE);
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(refused.stdout.is_empty());
}
