//! Inputs that try to break agent-auth. Property tests (proptest) feed the real component,
//! in-process, with generated command lines, JSON arguments (`--tool-input`, `--headers`,
//! `--query-params`, `--body`) and whatever Scalekit might answer (any status, any body); then the
//! MCP server (`agent-auth mcp`) gets malformed lines, an oversized message, unknown methods, a
//! client that leaves mid-call and 100 requests in flight. Whatever the input: no panic, never
//! exit 1, and stdout is one JSON object (or the help text asked for).
//!
//! The number of generated cases per property is `PROPTEST_CASES` (default 200 here).

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio as ProcessStdio;
use std::sync::Arc;
use std::time::Duration;

use agent_auth_contract::operation::OPERATIONS;
use agent_auth_contract::option;
use agent_auth_host::command_line::Words;
use agent_auth_host::outbound::{Interceptor, Network, canned};
use agent_auth_host::runtime::{Invocation, Stdio};
use agent_auth_host::sandbox::{self, AgentDirs, EgressPolicy, FileGrants, FileRules, Limits, SensitivePaths};
use agent_auth_host::setup::report;
use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};
use support::World;
use support::in_process::{runtime, tokio};
use virtual_scalekit::{VirtualScalekit, in_process};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Runs the component once with `args` against `network`, in a private folder; checks that it
/// survived: no panic, no exit 1, one JSON object on stdout (help text only when asked for).
fn survives(args: &[String], network: Arc<dyn Interceptor>) -> Result<(), TestCaseError> {
    survives_within(args, network, Duration::from_secs(20))
}

/// [`survives`], the call stopped after `wall_clock`.
fn survives_within(args: &[String], network: Arc<dyn Interceptor>, wall_clock: Duration) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("input.json"), br#"{"query": "x"}"#).unwrap();
    let places = SensitivePaths::default().places();
    let (grants, args) = match FileGrants::open(
        &Words::new(args.to_vec()),
        dir.path(),
        &FileRules { places: &places, confinement: None },
    ) {
        Ok(opened) => opened,
        // A named file the runner refuses is a coded failure, before the component runs.
        Err(refused) => {
            prop_assert!(refused.code != agent_auth_host::error::Code::InternalError, "{refused:?}");
            return Ok(());
        }
    };
    let env = in_process::env(vec![("TOOL_IDENTIFIER".into(), "alice".into())]);
    let invocation = Invocation {
        args: args.clone(),
        env: sandbox::env::component_env(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
        egress: EgressPolicy::for_server_urls([in_process::URL]),
        network: Network::Intercepted(network),
        files: grants,
        agent_dirs: Some(AgentDirs { config: dir.path().join("config"), state: dir.path().join("state") }),
        limits: Limits { wall_clock, ..Limits::default() },
        proxy_gate: None,
        stdio: Stdio::Memory(Bytes::from_static(br#"{"query": "from stdin"}"#)),
    };
    let outcome = tokio().block_on(runtime().run(invocation)).map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    let stderr = String::from_utf8_lossy(&outcome.stderr).into_owned();
    // What the person sees: the runner's own result when it stopped the call (its wall clock
    // ends a call whose retries wait longer), as the CLI prints it.
    let (stdout, exit_code) = report(outcome);
    let context = || format!("args {args:?}\nexit {exit_code}\nstdout {stdout}\nstderr {stderr}");
    prop_assert!(exit_code != 1, "exit 1 (an internal error): {}", context());
    prop_assert!(!stderr.contains("panicked"), "a panic: {}", context());
    // clap reads `-h=`, `-hx` and `--version` as asking for the help or the version.
    let asked_for_help = args.iter().any(|a| ["--help", "-h", "--version", "-V"].iter().any(|f| a.starts_with(f)));
    let result = |text: &str| serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object() && v["ok"].is_boolean());
    if option::raw_output(&args) {
        // `--get-token --raw`: the token alone on stdout, or nothing there and the failure on stderr.
        let raw_ok = match exit_code {
            0 => !stdout.trim().is_empty() && !stdout.trim().contains('\n'),
            _ => stdout.is_empty() && stderr.lines().next().is_some_and(|l| l.starts_with('{')),
        };
        prop_assert!(raw_ok, "raw output broke its contract: {}", context());
        return Ok(());
    }
    prop_assert!(result(&stdout) || (asked_for_help && exit_code == 0), "stdout is not one result: {}", context());
    Ok(())
}

/// A fresh virtual Scalekit answering in-process.
fn virtual_scalekit() -> Arc<dyn Interceptor> {
    Arc::new(VirtualScalekit::new(in_process::URL, None))
}

/// Every flag the grammar knows: the operations' and their options'.
fn flags() -> Vec<String> {
    let mut flags: Vec<String> = OPERATIONS.iter().map(|op| format!("--{}", op.flag)).collect();
    flags.extend(OPERATIONS.iter().flat_map(|op| op.options).map(|t| format!("--{}", t.option.flag)));
    flags.extend(["--agent-run-id", "--no-cache", "--help", "-h", "--version", "--", "-", "--nope"].map(String::from));
    flags.sort();
    flags.dedup();
    flags
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value a flag might be given: words, numbers, JSON (valid or cut), paths, nothing.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,16}",
        "[a-z_-]{1,12}",
        (0u64..4).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        json_value().prop_map(|v| v.to_string()),
        json_value().prop_map(|v| {
            let text = v.to_string();
            text.chars().take(text.chars().count() / 2).collect()
        }),
        Just("@input.json".to_owned()),
        Just("input.json".to_owned()),
        Just("-".to_owned()),
        Just(String::new()),
        Just("notion-ijIQedmJ".to_owned()),
        Just("notion_page_get".to_owned()),
    ]
}

/// A command line: an operation first most of the time, then flags, `--flag=value` and values.
fn command_line() -> impl Strategy<Value = Vec<String>> {
    let flags = flags();
    let operations: Vec<String> = OPERATIONS.iter().map(|op| format!("--{}", op.flag)).collect();
    let token = prop_oneof![
        3 => prop::sample::select(flags.clone()),
        3 => value(),
        1 => (prop::sample::select(flags), value()).prop_map(|(f, v)| format!("{f}={v}")),
    ];
    (prop::option::weighted(0.8, prop::sample::select(operations)), prop::collection::vec(token, 0..7))
        .prop_map(|(op, rest)| op.into_iter().chain(rest).collect())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_command_line_ends_in_one_result(args in command_line()) {
        survives(&args, virtual_scalekit())?;
    }

    #[test]
    fn any_tool_input_ends_in_one_result(input in prop_oneof![json_value().prop_map(|v| v.to_string()), value()]) {
        let args = ["--execute-tool", "--tool-name", "notion_page_get", "--connection-name", "notion-ijIQedmJ", "--tool-input", &input];
        survives(&args.map(String::from), virtual_scalekit())?;
    }

    #[test]
    fn any_proxy_arguments_end_in_one_result(
        path in prop_oneof!["/[\\PC]{0,24}", "\\PC{0,12}"],
        method in prop_oneof![Just("GET".to_owned()), Just("POST".to_owned()), "[A-Za-z]{0,8}", "\\PC{0,6}"],
        headers in prop_oneof![json_value().prop_map(|v| v.to_string()), value()],
        query in prop_oneof![json_value().prop_map(|v| v.to_string()), value()],
        body in prop_oneof![json_value().prop_map(|v| v.to_string()), value()],
    ) {
        let args = ["--proxy-request", "--connection-name", "notion-ijIQedmJ", "--path", &path, "--method", &method,
            "--headers", &headers, "--query-params", &query, "--body", &body];
        survives(&args.map(String::from), virtual_scalekit())?;
    }

    #[test]
    fn any_answer_from_scalekit_ends_in_one_result(
        operation in 0usize..6,
        status in 200u16..600,
        content_type in prop::sample::select(vec!["application/json", "text/html", "text/event-stream", ""]),
        body in prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            error_shape().prop_map(|v| v.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..64),
        ],
        retry_after in prop::option::of(prop_oneof!["[0-9]{1,3}", "\\PC{0,10}"]),
    ) {
        let operations: [&[&str]; 6] = [
            &["--list-connections"],
            &["--get-tool", "--tool-name", "notion_page_get"],
            &["--execute-tool", "--tool-name", "exa_search", "--connection-name", "exa", "--tool-input", r#"{"query": "x"}"#],
            &["--proxy-request", "--connection-name", "notion-ijIQedmJ", "--path", "/v1/users/me"],
            &["--generate-link", "--connection-name", "gmail"],
            &["--ensure-mcp-instance", "--config-name", "daily"],
        ];
        let chaos = Chaos { status, content_type, body: Bytes::from(body), retry_after };
        survives(&operations[operation].iter().map(|s| s.to_string()).collect::<Vec<_>>(), Arc::new(chaos))?;
    }
}

/// Found by the property above: a read retried after a 429 with `Retry-After` outlives the call's
/// wall clock; the runner stops it, and what the person sees is still one result (`TIMEOUT`).
#[test]
fn a_call_its_wall_clock_stops_while_it_waits_to_retry_ends_in_one_result() {
    let chaos = Chaos { status: 429, content_type: "text/html", body: Bytes::new(), retry_after: Some("1".into()) };
    for operation in [&["--ensure-mcp-instance", "--config-name", "daily"][..], &["--list-connections"]] {
        let args: Vec<String> = operation.iter().map(|s| s.to_string()).collect();
        survives_within(&args, Arc::new(chaos.clone()), Duration::from_millis(700)).unwrap();
    }
}

/// Bodies in the shapes Scalekit's errors take, with generated contents.
fn error_shape() -> impl Strategy<Value = Value> {
    (json_value(), json_value(), "\\PC{0,20}").prop_flat_map(|(a, b, text)| {
        prop_oneof![
            Just(json!({"code": a.clone(), "message": text.clone(), "details": [{"error_code": b.clone(), "validation_error_info": a.clone(), "tool_error_info": b.clone()}]})),
            Just(json!({"detail": a.clone(), "code": b.clone()})),
            Just(json!({"error": a.clone(), "error_description": b.clone()})),
            Just(json!({"details": a.clone(), "message": b.clone()})),
        ]
    })
}

/// Answers the token request properly and every other request with one generated answer.
#[derive(Clone)]
struct Chaos {
    status: u16,
    content_type: &'static str,
    body: Bytes,
    retry_after: Option<String>,
}

impl Interceptor for Chaos {
    fn intercept(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, wasmtime_wasi_http::Error> {
        if request.uri().path() == "/oauth/token" {
            let token = json!({"access_token": "chaos-token", "token_type": "Bearer", "expires_in": 3600});
            return canned(200, [("content-type", "application/json")], token.to_string());
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        if !self.content_type.is_empty() {
            headers.push(("content-type".into(), self.content_type.into()));
        }
        headers.extend(
            self.retry_after
                .iter()
                .filter(|v| http::HeaderValue::from_str(v).is_ok())
                .map(|v| ("retry-after".into(), v.clone())),
        );
        canned(self.status, headers, self.body.clone())
    }
}

/// `agent-auth mcp` for `w`, initialized: the process, its stdin, and its messages as they come.
fn mcp_server(w: &World) -> (std::process::Child, std::process::ChildStdin, std::sync::mpsc::Receiver<Value>) {
    let mut server = w.command(&["mcp"]);
    let mut child = server
        .stdin(ProcessStdio::piped())
        .stdout(ProcessStdio::piped())
        .stderr(ProcessStdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let (tx, messages) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let message = serde_json::from_str(&line).unwrap_or_else(|_| json!({"not_json": line}));
            if tx.send(message).is_err() {
                break;
            }
        }
    });
    let mut stdin = stdin;
    hello(&mut stdin);
    assert!(answer_to(&messages, &json!("init"))["result"]["protocolVersion"].is_string(), "initialized");
    (child, stdin, messages)
}

const WAIT: Duration = Duration::from_secs(60);

fn hello(stdin: &mut impl Write) {
    let init = json!({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "robustness", "version": "0"}}});
    writeln!(stdin, "{init}\n{}", json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap();
}

/// The answers to requests `ids`, whatever order they come in (other messages are skipped).
fn answers_to(messages: &std::sync::mpsc::Receiver<Value>, ids: &[Value]) -> Vec<Value> {
    let mut answers: Vec<Option<Value>> = vec![None; ids.len()];
    while answers.iter().any(Option::is_none) {
        let message = messages.recv_timeout(WAIT).unwrap_or_else(|_| panic!("not every one of {ids:?} was answered"));
        assert!(message.get("not_json").is_none(), "stdout carries only JSON-RPC: {message}");
        if let Some(i) = ids.iter().position(|id| id == &message["id"]) {
            assert!(answers[i].is_none(), "request {} answered twice", ids[i]);
            answers[i] = Some(message);
        }
    }
    answers.into_iter().flatten().collect()
}

fn answer_to(messages: &std::sync::mpsc::Receiver<Value>, id: &Value) -> Value {
    answers_to(messages, std::slice::from_ref(id)).remove(0)
}

#[test]
fn the_mcp_server_survives_malformed_oversized_and_unknown_messages() {
    let w = World::start();
    let (child, mut stdin, messages) = mcp_server(&w);
    let oversized = json!({"jsonrpc": "2.0", "id": "big", "method": "tools/call",
        "params": {"name": "list_connections", "arguments": {"provider": "x".repeat(4 << 20)}}});
    let junk = [
        "{",
        "not json",
        "[]",
        "{}",
        "\u{1}\u{7f}",
        r#"{"jsonrpc": "2.0"}"#,
        r#"{"jsonrpc": "2.0", "id": {}, "method": 7}"#,
    ];
    for line in junk {
        writeln!(stdin, "{line}").unwrap();
    }
    writeln!(stdin, "{oversized}").unwrap();
    writeln!(stdin, "{}", json!({"jsonrpc": "2.0", "id": "unknown", "method": "tools/teleport", "params": {}}))
        .unwrap();
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "id": "no-tool", "method": "tools/call", "params": {"name": "nope", "arguments": {}}})
    )
    .unwrap();
    writeln!(stdin, "{}", json!({"jsonrpc": "2.0", "id": "after", "method": "tools/list"})).unwrap();

    let [big, unknown, no_tool, after] = <[Value; 4]>::try_from(answers_to(
        &messages,
        &[json!("big"), json!("unknown"), json!("no-tool"), json!("after")],
    ))
    .unwrap();
    assert!(big.get("result").is_some() || big.get("error").is_some(), "the oversized call is answered");
    assert_eq!(unknown["error"]["code"], -32601, "an unknown method is 'method not found': {unknown}");
    assert!(no_tool.get("error").is_some() || no_tool["result"]["isError"] == true, "{no_tool}");
    assert!(after["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()), "still serving: {after}");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_mcp_server_answers_100_requests_in_flight() {
    let w = World::start();
    let (mut child, mut stdin, messages) = mcp_server(&w);
    let mut batch = String::new();
    for id in 0..100 {
        let call = match id % 2 {
            0 => {
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "list_connections", "arguments": {"provider": "NOTION"}}})
            }
            _ => json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"}),
        };
        batch.push_str(&format!("{call}\n"));
    }
    stdin.write_all(batch.as_bytes()).unwrap();
    let mut answered = std::collections::BTreeSet::new();
    while answered.len() < 100 {
        let message = messages.recv_timeout(WAIT).expect("every request is answered");
        let Some(id) = message["id"].as_u64() else { continue };
        assert!(message.get("result").is_some(), "request {id} failed: {message}");
        if id % 2 == 0 {
            assert_ne!(message["result"]["isError"], true, "request {id}: {message}");
        }
        assert!(answered.insert(id), "request {id} answered twice");
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_client_that_leaves_mid_call_stops_the_server_cleanly() {
    let w = World::start();
    let (mut child, mut stdin, _messages) = mcp_server(&w);
    let wait = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "wait_for_authorization",
        "arguments": {"connection_name": "linear", "timeout_seconds": 120}}});
    writeln!(stdin, "{wait}").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    drop(stdin);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server outlived its client by 30 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.code().is_some_and(|c| c != 1) && !stderr.contains("panicked"), "{status:?} {stderr}");
}

/// One line of what a broken or hostile MCP client might send: any text, any JSON, or JSON-RPC
/// shaped messages with generated methods, ids and params.
fn mcp_line() -> impl Strategy<Value = String> {
    let methods = prop_oneof![
        prop::sample::select(vec![
            "tools/call",
            "tools/list",
            "initialize",
            "ping",
            "notifications/cancelled",
            "notifications/initialized",
            "resources/list",
            "completion/complete"
        ])
        .prop_map(String::from),
        "\\PC{0,12}",
    ];
    let id = prop_oneof![any::<i64>().prop_map(Value::from), "[a-z]{1,6}".prop_map(Value::from), json_value()];
    prop_oneof![
        "[^\\n\\r]{0,64}",
        json_value().prop_map(|v| v.to_string()),
        (methods, prop::option::of(id), json_value()).prop_map(|(method, id, params)| {
            let mut message = json!({"jsonrpc": "2.0", "method": method, "params": params});
            if let Some(id) = id {
                message["id"] = id;
            }
            message.to_string()
        }),
    ]
}

#[test]
fn the_mcp_server_survives_generated_lines_and_still_answers() {
    let w = World::start();
    let (child, stdin, messages) = mcp_server(&w);
    // The runner's closure is `Fn`: the server's stdin and the ping count are borrowed mutably inside.
    let (stdin, pings) = (std::cell::RefCell::new(stdin), std::cell::Cell::new(0));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: config().cases / 4, ..config() });
    runner
        .run(&prop::collection::vec(mcp_line(), 1..6), |lines| {
            let mut stdin = stdin.borrow_mut();
            for line in &lines {
                writeln!(stdin, "{line}")
                    .map_err(|e| TestCaseError::fail(format!("the server stopped reading: {e}")))?;
            }
            pings.set(pings.get() + 1);
            let id = json!(format!("ping-{}", pings.get()));
            writeln!(stdin, "{}", json!({"jsonrpc": "2.0", "id": id, "method": "ping"})).unwrap();
            let answer = answer_to(&messages, &id);
            prop_assert!(answer.get("result").is_some(), "ping after {lines:?}: {answer}");
            Ok(())
        })
        .unwrap();
    assert!(pings.get() >= config().cases / 4, "every generated case was sent");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
