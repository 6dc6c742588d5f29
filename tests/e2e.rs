//! End to end: the real `agent-auth` binary, over real HTTP on loopback, against the virtual
//! Scalekit. Covers every operation, the authorize-then-execute flow, files through the proxy, the
//! runner's own duties (.env, the operator's component, the compilation cache, timeouts, HTTP proxies) and
//! checks every output for secrets.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{
    CLIENT_ID, CLIENT_SECRET, DEADLINE, IDENTIFIER, World, finish, hidden_files, notion_upload, output_within,
    sha256_hex,
};

#[test]
fn list_connections_selects_the_completed_connection_on_a_later_page() {
    let w = World::start();
    let run = w.run(&["--list-connections", "--provider", "notion"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json["selected"], "notion-ijIQedmJ");
    let statuses: Vec<&str> =
        run.json["connections"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["DRAFT", "COMPLETED", "COMPLETED"]);
    assert!(run.json["warnings"][0].as_str().unwrap().contains("notion-team"), "{}", run.stdout);
}

/// Fetches alice's unread Gmail messages: blocked until she has authorized Gmail.
const FETCH_UNREAD: &[&str] = &[
    "--execute-tool",
    "--tool-name",
    "gmail_fetch_mails",
    "--connection-name",
    "gmail",
    "--tool-input",
    r#"{"query": "is:unread"}"#,
];

#[test]
fn authorize_then_execute() {
    let w = World::start();
    let blocked = w.run(FETCH_UNREAD);
    assert_eq!(blocked.code, 4, "{}", blocked.stdout);
    assert_eq!(blocked.json["error"]["code"], "AUTHORIZATION_REQUIRED");
    let link = blocked.json["action_required"]["link"].as_str().unwrap().to_owned();
    w.double.complete_authorization(&link).expect("a person authorizes");
    assert_eq!(w.double.complete_authorization(&link).unwrap_err(), "this authorization link was already used");

    let check = w.run(&["--generate-link", "--connection-name", "gmail"]);
    assert_eq!((check.code, check.json["status"].as_str()), (0, Some("ACTIVE")), "{}", check.stdout);
    let done = w.run(FETCH_UNREAD);
    assert_eq!(done.code, 0, "{}", done.stdout);
    assert_eq!(done.json["data"]["messages"][0]["subject"], "Quarterly numbers");
    assert!(done.json["execution_id"].as_str().unwrap().starts_with("exec_"));
}

#[test]
fn catalogue_schema_and_validation_before_sending() {
    let w = World::start();
    let tools = w.run(&["--get-tool", "--provider", "notion"]);
    assert_eq!(tools.code, 0);
    assert_eq!(tools.json["total_size"], 4);
    let one = w.run(&["--get-tool", "--tool-name", "notion_page_get"]);
    assert_eq!(one.json["tool"]["input_schema"]["required"], json!(["page_id"]));
    let wrong = w.run(&[
        "--execute-tool",
        "--tool-name",
        "notion_page_get",
        "--connection-name",
        "notion-ijIQedmJ",
        "--tool-input",
        r#"{"pageId": "x"}"#,
    ]);
    assert_eq!(wrong.code, 2, "{}", wrong.stdout);
    assert_eq!(wrong.json["error"]["code"], "INVALID_TOOL_INPUT");
    assert_eq!(
        wrong.json["violations"],
        json!([{
            "pointer": "/pageId",
            "constraint": "additionalProperties",
            "expected": "one of the parameters \"page_id\"",
            "given": "x",
            "did_you_mean": "page_id",
            "description": "unknown parameter \"pageId\"; did you mean \"page_id\"?"
        }]),
        "{}",
        wrong.stdout
    );
    assert_eq!(wrong.json["example_input"], json!({"page_id": "x"}));
    assert!(!w.double.requests().iter().any(|r| r.contains("execute_tool")), "the schema caught it before sending");
    let missing = w.run(&["--get-tool", "--tool-name", "notion_page_delete"]);
    assert_eq!((missing.code, missing.json["error"]["code"].as_str()), (5, Some("TOOL_NOT_FOUND")));
}

#[test]
fn api_key_accounts_point_to_the_dashboard() {
    let w = World::start();
    let run = w.run(&["--generate-link", "--connection-name", "twitter-bearer"]);
    assert_eq!(run.code, 4);
    assert_eq!(run.json["error"]["code"], "AUTHORIZATION_REQUIRED");
    assert_eq!(run.json["action_required"]["kind"], "dashboard_account_setup");
    assert!(run.json["action_required"].get("link").is_none(), "an API key has no authorization link");
    let exa = w.run(&[
        "--execute-tool",
        "--tool-name",
        "exa_search",
        "--connection-name",
        "exa",
        "--tool-input",
        r#"{"query": "wasm components", "num_results": 3}"#,
    ]);
    assert_eq!(exa.code, 0, "{}", exa.stdout);
    let linkedin = w.run(&[
        "--execute-tool",
        "--tool-name",
        "harvestapi_search_people",
        "--connection-name",
        "harvestapi-7Qx2",
        "--tool-input",
        r#"{"search": "staff engineer"}"#,
    ]);
    assert_eq!(linkedin.code, 0, "{}", linkedin.stdout);
}

#[test]
fn get_authorization_reports_facts_never_tokens() {
    let w = World::start();
    let run = w.run(&["--get-authorization", "--connection-name", "notion-ijIQedmJ"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        (run.json["has_access_token"].as_bool(), run.json["has_refresh_token"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(run.json["scopes"], json!(["read", "write"]));
    let key = w.run(&["--get-authorization", "--connection-name", "exa"]);
    assert_eq!(key.json["static_fields"], json!(["api_key"]));
}

#[test]
fn proxy_json_disabled_and_provider_unauthorized() {
    let w = World::start();
    let me = w.run(&[
        "--proxy-request",
        "--connection-name",
        "notion-ijIQedmJ",
        "--path",
        "/v1/users/me",
        "--headers",
        r#"{"Notion-Version": "2022-06-28"}"#,
    ]);
    assert_eq!(me.code, 0, "{}", me.stdout);
    assert_eq!(me.json["body"]["type"], "bot");
    let echo = w.run(&[
        "--proxy-request",
        "--connection-name",
        "slack-main",
        "--path",
        "/api/echo",
        "--query-params",
        r#"{"types": ["im", "mpim"], "limit": 5}"#,
    ]);
    assert_eq!(echo.json["body"]["query"], json!([["types", "im"], ["types", "mpim"], ["limit", "5"]]));
    let disabled = w.run(&[
        "--proxy-request",
        "--connection-name",
        "linear",
        "--path",
        "/graphql",
        "--method",
        "POST",
        "--body",
        r#"{"query": "{ viewer { id } }"}"#,
    ]);
    assert_eq!((disabled.code, disabled.json["error"]["code"].as_str()), (6, Some("PROXY_DISABLED")));
    let expired = w.run(&["--proxy-request", "--connection-name", "github-connect", "--path", "/user"]);
    assert_eq!(
        (expired.code, expired.json["error"]["code"].as_str()),
        (4, Some("PROVIDER_UNAUTHORIZED")),
        "{}",
        expired.stdout
    );
    let link = expired.json["action_required"]["link"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/magic/ml_", w.server.url())), "{link}");
}

#[test]
fn notion_upload_in_three_steps_and_download_to_a_file() {
    let w = World::start();
    std::fs::write(w.path("report.pdf"), b"%PDF-1.7 quarterly report").unwrap();
    std::fs::write(w.path("unrelated.txt"), b"never sent").unwrap();
    let create = w.run(&[
        "--proxy-request",
        "--connection-name",
        "notion-ijIQedmJ",
        "--path",
        "/v1/file_uploads",
        "--method",
        "POST",
        "--body",
        r#"{"mode": "single_part"}"#,
    ]);
    let id = create.json["body"]["id"].as_str().unwrap().to_owned();
    let send = w.run(&[
        "--proxy-request",
        "--connection-name",
        "notion-ijIQedmJ",
        "--path",
        &format!("/v1/file_uploads/{id}/send"),
        "--method",
        "POST",
        "--input-file",
        "report.pdf",
    ]);
    assert_eq!(send.code, 0, "{}", send.stdout);
    assert_eq!(send.json["body"]["content_type"], "application/pdf");
    assert_eq!(send.json["body"]["content_length"], 25);

    let download = w.run(&[
        "--proxy-request",
        "--connection-name",
        "notion-ijIQedmJ",
        "--path",
        "/files/q3.pdf",
        "--output-file",
        "downloads.pdf",
    ]);
    assert_eq!(download.code, 0, "{}", download.stdout);
    let saved = std::fs::read(w.path("downloads.pdf")).unwrap();
    assert_eq!(saved, virtual_scalekit::provider_file_bytes("q3.pdf"));
    assert_eq!(download.json["bytes"], saved.len());
    assert_eq!(download.json["saved_to"], w.path("downloads.pdf").to_string_lossy().as_ref());
    assert!(hidden_files(w.cwd.path()).is_empty(), "temporary files left: {:?}", hidden_files(w.cwd.path()));
}

#[test]
fn downloads_stream_to_the_output_file_beyond_the_memory_cap() {
    let w = World::start();
    let run = w.run(&[
        "--proxy-request",
        "--connection-name",
        "notion-ijIQedmJ",
        "--path",
        "/files/large-80m.bin",
        "--output-file",
        "big.bin",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["bytes"], 80 << 20);
    assert_eq!(std::fs::read(w.path("big.bin")).unwrap(), virtual_scalekit::provider_file_bytes("large-80m.bin"));
}

#[test]
fn uploads_stream_from_the_input_file_beyond_the_memory_cap() {
    let w = World::start();
    // Larger than the component's 64 MiB and than what the runner ever buffers (96 MiB).
    let size = 120 << 20;
    let file = std::fs::File::create(w.path("scan.pdf")).unwrap();
    file.set_len(size).unwrap();
    let notion = |args: &[&str]| w.run(&[&["--proxy-request", "--connection-name", "notion-ijIQedmJ"], args].concat());
    let create = notion(&["--path", "/v1/file_uploads", "--method", "POST", "--body", r#"{"mode": "single_part"}"#]);
    let id = create.json["body"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/file_uploads/{id}/send");
    let send = notion(&["--path", &path, "--method", "POST", "--input-file", "scan.pdf"]);
    assert_eq!(send.code, 0, "{}\n{}", send.stdout, send.stderr);
    assert_eq!(send.json["body"]["content_length"], size, "every byte arrived, in one part");
    assert_eq!(send.json["body"]["content_type"], "application/pdf");
    let trail = std::fs::read_to_string(w.home.path().join(".local/state/agent-auth/audit.jsonl")).unwrap();
    let intent = trail
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .rfind(|e| e["event"] == "intent")
        .unwrap();
    // The body as sent: the multipart head (the log keeps the first 64 KiB), the file, the tail.
    let sent = w.double.served().into_iter().rfind(|r| r.path.ends_with("/send")).unwrap();
    let content_type = sent.headers.iter().find(|(k, _)| k == "content-type").unwrap().1.clone();
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let head_end = sent.body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let (head, tail) = (&sent.body[..head_end], format!("\r\n--{boundary}--\r\n"));
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(head);
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(size >> 20) {
        hasher.update(&zeros);
    }
    hasher.update(tail.as_bytes());
    let expected = format!("{:x}", hasher.finalize());
    assert_eq!(intent["input_sha256"], expected, "the intent holds the digest of the body sent");
}

#[test]
fn proxy_variables_come_from_the_runner_s_environment_only() {
    let w = World::start();
    std::fs::write(w.path(".env"), format!("HTTP_PROXY={}\n", w.server.url())).unwrap();
    let planted = w.run(&["--get-tool", "--tool-name", "exa_search"]);
    assert_eq!(planted.code, 0, "{}", planted.stdout);
    assert_eq!(w.server.proxied_requests(), 0, "HTTP_PROXY from .env was not used");
    let warning = format!(
        "HTTP_PROXY in {} is ignored: the runner's settings come from its own environment only",
        w.path(".env").display()
    );
    assert_eq!(planted.json["warnings"][0], warning.as_str(), "{}", planted.stdout);
    std::fs::remove_file(w.path(".env")).unwrap();
    let mut operator = w.command(&["--get-tool", "--tool-name", "exa_search", "--no-cache"]);
    operator.env("HTTP_PROXY", w.server.url());
    assert_eq!(finish(operator).code, 0);
    assert!(w.server.proxied_requests() >= 1, "HTTP_PROXY from the runner's environment was used");
}

#[test]
fn dotenv_gives_the_credentials_whole_and_never_overrides_the_environment() {
    let w = World::start();
    let dotenv = format!(
        "TOOL_CLIENT_ID={CLIENT_ID}\nTOOL_CLIENT_SECRET={CLIENT_SECRET}\nTOOL_ENV_URL={}\nTOOL_IDENTIFIER=bob\n",
        w.server.url()
    );
    std::fs::write(w.path(".env"), dotenv).unwrap();
    let mut cmd = w.command(&["--generate-link", "--connection-name", "slack-main"]);
    cmd.env_remove("TOOL_ENV_URL").env_remove("TOOL_CLIENT_ID").env_remove("TOOL_CLIENT_SECRET");
    let run = finish(cmd);
    assert_eq!(run.json["identifier"], IDENTIFIER, "the process environment wins over .env: {}", run.stdout);
    assert_eq!(
        run.json["warnings"][0],
        format!("TOOL_IDENTIFIER in {} is ignored: the environment sets TOOL_IDENTIFIER", w.path(".env").display())
    );
    let mut mixed = w.command(&["--list-connections"]);
    mixed.env_remove("TOOL_ENV_URL");
    let mixed = finish(mixed);
    assert_eq!((mixed.code, mixed.json["error"]["code"].as_str()), (3, Some("CONFIG_INVALID")), "{}", mixed.stdout);
    let mut cmd = w.command(&["--env-file", "missing.env", "--list-connections"]);
    cmd.env_remove("TOOL_ENV_URL");
    let missing = finish(cmd);
    assert_eq!((missing.code, missing.json["error"]["code"].as_str()), (3, Some("ENV_FILE_UNREADABLE")));
}

#[test]
fn the_operator_chooses_another_component_build_and_bad_components_are_refused() {
    let w = World::start();
    std::fs::write(w.path("agent-auth.wasm"), agent_auth_host::component::EMBEDDED).unwrap();
    let with_component = |file: &str| {
        let mut cmd = w.command(&["--get-tool", "--tool-name", "exa_search"]);
        cmd.env("AGENT_AUTH_COMPONENT", w.path(file));
        finish(cmd)
    };
    let ok = with_component("agent-auth.wasm");
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    let absent = with_component("nope.wasm");
    assert_eq!((absent.code, absent.json["error"]["code"].as_str()), (3, Some("COMPONENT_UNREADABLE")));
    std::fs::write(w.path("garbage.wasm"), b"\0asm not really, and a secret: sk_live_51H").unwrap();
    let garbage = with_component("garbage.wasm");
    assert_eq!((garbage.code, garbage.json["error"]["code"].as_str()), (3, Some("COMPONENT_INVALID")));
    assert!(
        !garbage.stdout.contains("sk_live") && !garbage.stdout.contains("0x61"),
        "no byte of the file: {}",
        garbage.stdout
    );
    let flag = w.run(&["--component", "agent-auth.wasm", "--get-tool"]);
    assert_eq!((flag.code, flag.json["error"]["code"].as_str()), (2, Some("USAGE")), "no flag chooses code");
}

#[test]
fn version_verbose_names_the_component_that_runs_by_the_digest_the_skill_ships() {
    let w = World::start();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shipped = std::fs::read_to_string(repo.join("skill/agent-auth.wasm.sha256")).unwrap();
    let shipped = shipped.split_whitespace().next().unwrap().to_owned();
    let printed = |mut cmd: std::process::Command| {
        let out = support::output_within(&mut cmd, support::DEADLINE);
        support::assert_no_secret(&out, &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        printed(w.command(&["--version", "--verbose"])),
        format!("agent-auth {version}\ncomponent sha256 {shipped} (built in)\n"),
        "the built-in component is the skill's"
    );
    let mut operator = w.command(&["--verbose", "--version"]);
    operator.env("AGENT_AUTH_COMPONENT", repo.join("skill/agent-auth.wasm"));
    let chosen = printed(operator);
    assert!(chosen.contains(&format!("component sha256 {shipped} (AGENT_AUTH_COMPONENT=")), "{chosen}");
    assert_eq!(printed(w.command(&["--version"])), format!("agent-auth {version}\n"));
}

#[test]
fn a_component_is_checked_against_the_checksum_beside_it() {
    let w = World::start();
    let wasm = agent_auth_host::component::EMBEDDED;
    let digest = sha256_hex(wasm);
    std::fs::write(w.path("agent-auth.wasm"), wasm).unwrap();
    std::fs::write(w.path("agent-auth.wasm.sha256"), format!("{digest}  agent-auth.wasm\n")).unwrap();
    let run_with = |file: &str| {
        let mut cmd = w.command(&["--get-tool", "--tool-name", "exa_search"]);
        cmd.env("AGENT_AUTH_COMPONENT", w.path(file));
        finish(cmd)
    };
    let ok = run_with("agent-auth.wasm");
    assert_eq!(ok.code, 0, "a matching checksum runs: {}", ok.stdout);

    let mut tampered = wasm.to_vec();
    tampered.extend_from_slice(b"\0");
    std::fs::write(w.path("agent-auth.wasm"), &tampered).unwrap();
    let refused = run_with("agent-auth.wasm");
    assert_eq!(
        (refused.code, refused.json["error"]["code"].as_str()),
        (3, Some("COMPONENT_CHECKSUM_MISMATCH")),
        "{}",
        refused.stdout
    );
    let message = refused.json["error"]["message"].as_str().unwrap();
    assert!(message.contains(&digest) && message.contains(&sha256_hex(&tampered)), "{message}");

    std::fs::write(w.path("agent-auth.wasm.sha256"), "not a digest\n").unwrap();
    std::fs::write(w.path("agent-auth.wasm"), wasm).unwrap();
    let garbled = run_with("agent-auth.wasm");
    assert_eq!(garbled.json["error"]["code"], "COMPONENT_CHECKSUM_MISMATCH", "a garbled checksum is not a pass");

    std::fs::write(w.path("other.wasm"), wasm).unwrap();
    std::fs::create_dir(w.path("other.wasm.sha256")).unwrap();
    let unreadable = run_with("other.wasm");
    assert_eq!(unreadable.json["error"]["code"], "COMPONENT_UNREADABLE", "an unreadable checksum is not a pass either");
    assert!(
        unreadable.json["error"]["message"].as_str().unwrap().contains("other.wasm.sha256"),
        "{}",
        unreadable.stdout
    );
    std::fs::write(w.path("linked.wasm"), wasm).unwrap();
    std::os::unix::fs::symlink(w.path("gone.sha256"), w.path("linked.wasm.sha256")).unwrap();
    let dangling = run_with("linked.wasm");
    assert_eq!(
        dangling.json["error"]["code"], "COMPONENT_UNREADABLE",
        "a dangling checksum link is not an absent checksum"
    );
}

/// The compilations in a compile cache folder.
fn compilations(cache: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    files.sort();
    files
}

/// Whether a background compile holds its claim in `cache`.
fn compiling(cache: &std::path::Path) -> bool {
    std::fs::read_dir(cache).unwrap().any(|e| e.unwrap().path().extension().is_some_and(|e| e == "compiling"))
}

/// Waits for the background compile in `cache` to finish.
fn settle(cache: &std::path::Path) {
    let started = Instant::now();
    while compiling(cache) {
        assert!(started.elapsed() < DEADLINE, "the background compile never finished");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_first_call_compiles_fast_and_the_optimised_compilation_serves_the_next() {
    let w = World::start();
    let cache = tempfile::tempdir().unwrap();
    let call = || {
        let mut cmd = w.command(&["--get-tool", "--tool-name", "exa_search"]);
        cmd.env("AGENT_AUTH_CACHE_DIR", cache.path());
        assert_eq!(finish(cmd).code, 0);
    };
    call();
    // The optimising compile takes far longer than the check below, in any build.
    assert!(
        compiling(cache.path()) || compilations(cache.path()).len() == 2,
        "the first call ran the first-call compilation and started the optimised one in the background"
    );
    settle(cache.path());
    let optimised = compilations(cache.path());
    assert_eq!(optimised.len(), 1, "the optimised compilation replaced the first-call one: {optimised:?}");
    let bytes = std::fs::read(&optimised[0]).unwrap();

    call();
    assert!(!compiling(cache.path()), "a call that found the optimised compilation starts no compile");
    assert_eq!(compilations(cache.path()), optimised);

    let mut by_hand = w.command(&["compile"]);
    by_hand.env("AGENT_AUTH_CACHE_DIR", cache.path());
    let done = finish(by_hand);
    assert_eq!((done.code, done.json["compiler"].as_str()), (0, Some("cranelift")), "{}", done.stdout);
    assert_eq!(done.json["cache_file"].as_str(), optimised[0].to_str(), "{}", done.stdout);
    assert_eq!(std::fs::read(&optimised[0]).unwrap(), bytes, "an intact compilation is kept as it is");
}

#[test]
fn compile_makes_the_optimised_compilation_and_a_corrupt_one_is_rebuilt() {
    let w = World::start();
    let cache = tempfile::tempdir().unwrap();
    let mut by_hand = w.command(&["compile"]);
    by_hand.env("AGENT_AUTH_CACHE_DIR", cache.path());
    let done = finish(by_hand);
    assert_eq!(done.code, 0, "{}", done.stdout);
    let files = compilations(cache.path());
    assert_eq!(files.len(), 1, "one compiled component is cached");
    assert_eq!(done.json["cache_file"].as_str(), files[0].to_str());
    let first = std::fs::read(&files[0]).unwrap();
    let mut flipped = first.clone();
    flipped[first.len() / 2] ^= 0x40;
    let damaged: [(&str, Vec<u8>); 3] = [
        ("garbage", b"corrupt".to_vec()),
        ("truncated", first[..first.len() - 1].to_vec()),
        ("one byte flipped", flipped),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&files[0], bytes).unwrap();
        let mut cmd = w.command(&["--get-tool", "--tool-name", "exa_search"]);
        cmd.env("AGENT_AUTH_CACHE_DIR", cache.path());
        assert_eq!(finish(cmd).code, 0, "a {what} entry is ignored");
        settle(cache.path());
        assert_eq!(compilations(cache.path()), files, "and rebuilt in the background ({what})");
        assert_eq!(std::fs::read(&files[0]).unwrap(), first, "the same compilation ({what})");
    }
}

#[test]
fn compile_refuses_arguments_and_an_unwritable_cache() {
    let w = World::start();
    let extra = w.run(&["compile", "--list-connections"]);
    assert_eq!((extra.code, extra.json["error"]["code"].as_str()), (2, Some("USAGE")), "{}", extra.stdout);
    std::fs::write(w.path("not-a-folder"), "").unwrap();
    let mut unwritable = w.command(&["compile"]);
    unwritable.env("AGENT_AUTH_CACHE_DIR", w.path("not-a-folder"));
    let run = finish(unwritable);
    assert_eq!((run.code, run.json["error"]["code"].as_str()), (3, Some("CONFIG_INVALID")), "{}", run.stdout);
}

/// `--version` is answered by the runner without starting the component, and says what the
/// component says.
#[test]
fn the_version_is_the_component_s() {
    let w = World::start();
    std::fs::write(w.path("agent-auth.wasm"), agent_auth_host::component::EMBEDDED).unwrap();
    let quick = output_within(&mut w.command(&["--version"]), DEADLINE);
    let mut operator_s = w.command(&["--version"]);
    operator_s.env("AGENT_AUTH_COMPONENT", w.path("agent-auth.wasm"));
    let from_component = output_within(&mut operator_s, DEADLINE);
    assert!(quick.status.success() && from_component.status.success());
    assert_eq!(String::from_utf8_lossy(&quick.stdout), String::from_utf8_lossy(&from_component.stdout));
    assert_eq!(String::from_utf8_lossy(&quick.stdout), format!("agent-auth {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_stalled_server_hits_the_wall_clock_limit() {
    let w = World::start();
    let stalled = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", stalled.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = stalled.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(30));
        drop(held);
    });
    let mut cmd = w.command(&["--timeout", "2", "--list-connections"]);
    cmd.env("TOOL_ENV_URL", &url);
    let started = Instant::now();
    let run = finish(cmd);
    assert_eq!((run.code, run.json["error"]["code"].as_str()), (7, Some("TIMEOUT")), "{}", run.stdout);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn http_proxy_variables_are_honoured() {
    let w = World::start();
    let mut cmd = w.command(&["--get-tool", "--tool-name", "exa_search"]);
    cmd.env("HTTP_PROXY", w.server.url());
    assert_eq!(finish(cmd).code, 0);
    assert!(w.server.proxied_requests() >= 2, "token and catalogue requests went through HTTP_PROXY");
    let before = w.server.proxied_requests();
    let mut cmd = w.command(&["--get-tool", "--tool-name", "exa_search"]);
    cmd.env("HTTP_PROXY", w.server.url()).env("NO_PROXY", "127.0.0.1");
    assert_eq!(finish(cmd).code, 0);
    assert_eq!(w.server.proxied_requests(), before, "NO_PROXY bypasses the proxy");
}

#[test]
fn identifier_from_stdin_is_not_asked_outside_a_terminal() {
    let w = World::start();
    let mut cmd = w.command(&["--generate-link", "--connection-name", "slack-main"]);
    cmd.env_remove("TOOL_IDENTIFIER").stdin(std::process::Stdio::piped());
    let mut child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"mallory\n").unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("IDENTIFIER_REQUIRED"));
}

/// Serves the world's virtual Scalekit over TLS on `https://localhost:PORT` with a certificate from
/// a fresh test CA; returns the URL and the CA's PEM.
fn tls_front(w: &World) -> (String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "agent-auth test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert =
        rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, &ca, &ca_key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let double = w.double.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, double) = (config.clone(), double.clone());
            std::thread::spawn(move || {
                let tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), stream);
                let _ = virtual_scalekit::server::serve_stream(tls, &double, &AtomicUsize::new(0));
            });
        }
    });
    (url, ca.pem())
}

#[test]
fn https_certificates_are_verified_and_ssl_cert_file_adds_a_ca() {
    let w = World::start();
    let (url, ca_pem) = tls_front(&w);
    let mut untrusted = w.command(&["--get-tool", "--tool-name", "exa_search"]);
    untrusted.env("TOOL_ENV_URL", &url);
    let refused = finish(untrusted);
    assert_eq!(
        (refused.code, refused.json["error"]["code"].as_str()),
        (7, Some("TRANSPORT_ERROR")),
        "{}",
        refused.stdout
    );
    assert_eq!(
        refused.json["error"]["message"], "could not reach Scalekit (the server's TLS certificate is not trusted)",
        "{}",
        refused.stdout
    );

    std::fs::write(w.path("ca.pem"), ca_pem).unwrap();
    let mut trusted = w.command(&["--get-tool", "--tool-name", "exa_search"]);
    trusted.env("TOOL_ENV_URL", &url).env("SSL_CERT_FILE", w.path("ca.pem"));
    let run = finish(trusted);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["tool"]["name"], "exa_search");
}

/// What the runner makes of a failure to connect: each cause is recognised (by type, not by the
/// text of the error) and named in the message.
#[test]
fn dns_failures_and_refused_connections_are_told_apart() {
    let w = World::start();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    for (url, message) in [
        ("https://no-such-environment.invalid", "could not reach Scalekit (the host name does not resolve)"),
        (closed_url.as_str(), "could not reach Scalekit (connection refused)"),
    ] {
        let mut cmd = w.command(&["--list-connections"]);
        cmd.env("TOOL_ENV_URL", url);
        let run = finish(cmd);
        assert_eq!((run.code, run.json["error"]["code"].as_str()), (7, Some("TRANSPORT_ERROR")), "{}", run.stdout);
        assert_eq!(run.json["error"]["message"], message, "{url}");
    }
}

/// What a script sees: exit code, stdout and stderr, as text.
fn script(w: &World, line: &str) -> (i32, String, String) {
    let out = output_within(&mut w.shell(line), DEADLINE);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_script_captures_the_raw_token_and_a_failure_leaves_its_stdout_empty() {
    let w = World::start();
    let (code, stdout, _) = script(
        &w,
        r#"agent-auth --configure notion --connection-name notion-ijIQedmJ >/dev/null && TOKEN=$(agent-auth --get-token notion --raw) && printf '[%s]' "$TOKEN""#,
    );
    assert_eq!((code, stdout.as_str()), (0, "[ya29.virtual-notion-access]"));

    let (code, stdout, stderr) = script(&w, "agent-auth --get-token gmail --raw");
    assert_eq!((code, stdout.as_str()), (4, ""), "{stderr}");
    let error: serde_json::Value = serde_json::from_str(&stderr).expect("stderr is the JSON error alone");
    assert_eq!(error["error"]["code"], "AUTHORIZATION_REQUIRED");
    assert!(error["action_required"]["link"].as_str().is_some_and(|l| l.contains("/magic/")), "{stderr}");

    // The runner's own failures follow the same rule.
    let (code, stdout, stderr) = script(&w, "agent-auth --timeout soon --get-token notion --raw");
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stderr).unwrap()["error"]["code"], "USAGE");
}

#[test]
fn large_results_go_to_an_owner_only_file_with_their_shape_and_a_preview() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::start();
    let paragraphs: Vec<String> = (0..300).map(|i| format!("Paragraph {i}: {}", "lorem ipsum ".repeat(8))).collect();
    let input = json!({"parent_page_id": "59833787-2cf9-4fdf-8782-e53db20768a5", "title": "Long notes", "paragraphs": paragraphs});
    let created = w.run(&["--execute-tool", "--tool-name", "notion_page_create", "--tool-input", &input.to_string()]);
    assert_eq!(created.code, 0, "{}", created.stdout);
    let blocks = format!("/v1/blocks/{}/children", created.json["data"]["id"].as_str().unwrap());
    let read = ["--proxy-request", "--connection-name", "notion-ijIQedmJ", "--path", blocks.as_str()];

    let spilled = w.run(&read);
    assert_eq!(spilled.code, 0, "{}", spilled.stdout);
    assert!(spilled.stdout.len() <= 16 * 1024, "stdout holds {} bytes", spilled.stdout.len());
    assert!(spilled.json.get("body").is_none(), "{}", spilled.stdout);
    let file = &spilled.json["result_file"];
    assert_eq!(file["format"], "json");
    assert_eq!(file["shape"]["results"]["items"], 300, "{file}");
    assert!(file["preview"].as_str().unwrap().starts_with(r#"{"#), "{file}");
    let path = std::path::PathBuf::from(file["path"].as_str().unwrap());
    assert!(path.starts_with(w.home.path()), "kept in the state folder: {}", path.display());
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(kept["results"].as_array().unwrap().len(), 300);
    assert_eq!(file["bytes"], std::fs::metadata(&path).unwrap().len());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(spilled.stderr.contains("read it in parts"), "{}", spilled.stderr);

    // A result older than a day is removed after the next call; nothing else in the folder is.
    let old = path.with_file_name("1000-old-0a1b2c3d.json");
    let mine = path.with_file_name("2023-notes.txt");
    std::fs::write(&old, "{}").unwrap();
    std::fs::write(&mine, "mine").unwrap();
    let inline = w.run(&[&read[..], &["--max-output-bytes", "1000000"]].concat());
    assert_eq!(inline.json["body"]["results"].as_array().map(Vec::len), Some(300), "a larger budget keeps it inline");
    assert!(!old.exists() && mine.exists() && path.exists(), "only the day-old result was removed");

    // The same for a tool's data.
    let title = format!("Minutes {}", "of the long meeting ".repeat(100));
    let input = json!({"parent_page_id": "59833787-2cf9-4fdf-8782-e53db20768a5", "title": title});
    w.run(&["--execute-tool", "--tool-name", "notion_page_create", "--tool-input", &input.to_string()]);
    let search = ["--execute-tool", "--tool-name", "notion_page_search", "--tool-input", r#"{"query": "Minutes"}"#];
    let found = w.run(&[&search[..], &["--max-output-bytes", "1024"]].concat());
    assert_eq!(found.code, 0, "{}", found.stdout);
    assert!(found.json.get("data").is_none() && found.json["execution_id"].is_string(), "{}", found.stdout);
    let kept = std::fs::read_to_string(found.json["result_file"]["path"].as_str().unwrap()).unwrap();
    assert!(kept.contains(&title), "the file holds the whole data");
    assert_eq!(w.run(&search).json["data"]["results"][0]["title"], title.as_str(), "16 KiB by default");

    let tiny = w.run(&[&read[..], &["--max-output-bytes", "10"]].concat());
    assert_eq!((tiny.code, tiny.json["error"]["code"].as_str()), (2, Some("USAGE")), "{}", tiny.stdout);
}

#[test]
fn doctor_checks_the_real_path_and_names_the_first_problem() {
    let w = World::start();
    let mut cmd = w.command(&["--doctor"]);
    cmd.env("HTTPS_PROXY", "http://proxyuser:proxy-pass-7c1@127.0.0.1:9");
    let run = finish(cmd);
    assert!(!run.stdout.contains("proxy-pass-7c1") && !run.stderr.contains("proxy-pass-7c1"), "{}", run.stdout);
    let check = |name: &str| {
        let checks = run.json["checks"].as_array().unwrap();
        checks.iter().find(|c| c["check"] == name).cloned().unwrap_or_else(|| panic!("no {name}: {}", run.stdout))
    };
    for name in
        ["variables", "identifier", "config folder", "state folder", "runner", "network", "clock", "credentials"]
    {
        assert_eq!(check(name)["status"], "pass", "{name}: {}", run.stdout);
    }
    let runner = check("runner")["detail"].as_str().unwrap().to_owned();
    assert!(runner.contains("https http://127.0.0.1:9"), "the proxy, without its credentials: {runner}");
    // The virtual workspace has a DRAFT connection, and alice has accounts waiting for her.
    assert_eq!((run.code, run.json["error"]["code"].as_str()), (4, Some("CONNECTION_NOT_COMPLETED")), "{}", run.stdout);
    let accounts = check("accounts");
    assert_eq!(accounts["code"], "AUTHORIZATION_REQUIRED", "{accounts}");
    let next: Vec<&str> = accounts["next"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert_eq!(next[..3], ["agent-auth", "--generate-link", "--connection-name"], "{accounts}");
    let link = w.run(&next[1..]);
    assert_eq!(link.code, 4, "the offered command runs as is and gives the link: {}", link.stdout);
    assert!(link.json["action_required"]["link"].is_string(), "{}", link.stdout);

    // A state folder nothing can be written in is the first problem.
    let mut cmd = w.command(&["--doctor"]);
    cmd.env("AGENT_AUTH_STATE_DIR", "/proc");
    let stuck = finish(cmd);
    assert_eq!((stuck.code, stuck.json["error"]["code"].as_str()), (3, Some("FOLDER_UNWRITABLE")), "{}", stuck.stdout);
}

/// Files that hold credentials or run at start-up are refused even when named, links resolved,
/// before anything is sent; only the runner's own AGENT_AUTH_ALLOW_FILES lifts a refusal.
#[test]
fn sensitive_files_are_refused_even_when_named() {
    let w = World::start();
    let home = w.home.path();
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::fs::write(home.join(".ssh/id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----").unwrap();
    std::os::unix::fs::symlink(home.join(".ssh/id_ed25519"), w.path("notes.txt")).unwrap();
    std::fs::create_dir(w.path("project")).unwrap();
    std::fs::write(w.path("project/.env"), "STRIPE_KEY=sk_live_x").unwrap();
    let upload = |file: &str| notion_upload(file);
    let key = home.join(".ssh/id_ed25519").display().to_string();
    let bashrc = home.join(".bashrc").display().to_string();
    let state = home.join(".local/state/agent-auth/audit.jsonl").display().to_string();
    let tool_input = format!("@{}", w.path("project/.env").display());
    let refused: [(Vec<String>, &str); 7] = [
        (upload(&key), "SSH keys"),
        (upload("notes.txt"), "is a link"),
        (upload("project/.env"), "an .env or .envrc file"),
        (upload(&state), "agent-auth's own"),
        (upload("/proc/cpuinfo"), "process information"),
        (upload("/proc/self/environ"), "/proc/self is a link"),
        (
            vec!["--execute-tool".into(), "--tool-name".into(), "exa_search".into(), "--tool-input".into(), tool_input],
            "an .env or .envrc file",
        ),
    ];
    let before = w.double.served().len();
    for (args, what) in &refused {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = w.run(&args);
        assert_eq!(
            (run.code, run.json["error"]["code"].as_str()),
            (3, Some("FILE_DENIED")),
            "{args:?}: {}",
            run.stdout
        );
        assert!(run.json["error"]["message"].as_str().unwrap().contains(what), "{args:?}: {}", run.stdout);
    }
    let download = [
        "--proxy-request",
        "--connection-name",
        "notion-ijIQedmJ",
        "--path",
        "/files/q3-report.pdf",
        "--output-file",
        &bashrc,
    ];
    let run = w.run(&download);
    assert_eq!((run.code, run.json["error"]["code"].as_str()), (3, Some("FILE_DENIED")), "{}", run.stdout);
    assert!(!home.join(".bashrc").exists(), "nothing was written");
    assert_eq!(w.double.served().len(), before, "nothing was sent for a refused file");

    let mut allowed = w.command(&upload(&key).iter().map(String::as_str).collect::<Vec<_>>());
    allowed.env("AGENT_AUTH_ALLOW_FILES", home.join(".ssh"));
    let run = finish(allowed);
    assert_ne!(run.json["error"]["code"], "FILE_DENIED", "the operator allowed it: {}", run.stdout);
    assert!(w.double.served().len() > before, "and it was sent");
}

/// The operator's proxy policy: only the pairs it lists go out, for the CLI and the MCP server;
/// a policy file that cannot be used refuses every proxy call.
#[test]
fn the_proxy_policy_allows_only_what_it_lists() {
    let w = World::start();
    let policy = w.path("policy.json");
    std::fs::write(&policy, r#"{"notion-ijIQedmJ": ["GET /v1/blocks/*/children"]}"#).unwrap();
    let proxy = |path: &str, extra: &[&str]| {
        let mut args = vec!["--proxy-request", "--connection-name", "notion-ijIQedmJ", "--path", path];
        args.extend_from_slice(extra);
        let mut cmd = w.command(&args);
        cmd.env("AGENT_AUTH_PROXY_POLICY", &policy);
        finish(cmd)
    };
    let allowed = proxy("/v1/blocks/59833787-2cf9-4fdf-8782-e53db20768a5/children", &[]);
    assert_eq!(allowed.code, 0, "{}", allowed.stdout);
    let before = w.double.served().len();
    for (path, extra, code) in [
        ("/v1/users/me", &[][..], "PROXY_POLICY_DENIED"),
        ("/v1/blocks/x/children", &["--method", "PATCH"][..], "PROXY_POLICY_DENIED"),
        // The component refuses a dot segment itself, before any request.
        ("/v1/blocks/../users/me/children", &[][..], "INVALID_PATH"),
    ] {
        let refused = proxy(path, extra);
        assert_eq!(refused.json["error"]["code"], code, "{path}: {}", refused.stdout);
    }
    // A value that looks like --path is not one: --body's (not JSON) is refused by the component.
    let hidden = proxy("/v1/users/me", &["--body", "--path=/v1/blocks/x/children"]);
    assert_eq!(hidden.json["error"]["code"], "INVALID_JSON", "{}", hidden.stdout);
    let proxied = w.double.served()[before..].iter().filter(|r| r.path.starts_with("/proxy")).count();
    assert_eq!(proxied, 0, "no refused request reached Scalekit's proxy");

    std::fs::write(&policy, "{broken").unwrap();
    let broken = proxy("/v1/blocks/x/children", &[]);
    assert_eq!(broken.json["error"]["code"], "PROXY_POLICY_DENIED", "fail closed: {}", broken.stdout);
    let tools = {
        let mut cmd = w.command(&["--get-tool", "--tool-name", "notion_page_get"]);
        cmd.env("AGENT_AUTH_PROXY_POLICY", &policy);
        finish(cmd)
    };
    assert_eq!(tools.code, 0, "only the proxy is governed: {}", tools.stdout);
}

/// A server that issues a token, then answers every other request with a body cut short: 3,120
/// of the 7,976 bytes its `content-length` promises.
fn truncating_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let _ = stream.read_exact(&mut vec![0; length]);
            let answer = if head.starts_with("post /oauth/token") {
                let token = r#"{"access_token":"eyJ.truncation-test.sig","token_type":"Bearer","expires_in":3600}"#;
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{token}",
                    token.len()
                )
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7976\r\n\r\n{{\"connections\":[{}",
                    " ".repeat(3104)
                )
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

/// A body cut short is told in plain words (how far it got), never with the internal types of
/// the transport; the read it cut is tried three times.
#[test]
fn a_truncated_body_says_how_far_it_got() {
    let w = World::start();
    let mut cmd = w.command(&["--list-connections"]);
    cmd.env("TOOL_ENV_URL", truncating_server());
    let run = finish(cmd);
    assert_eq!((run.code, run.json["error"]["code"].as_str()), (7, Some("TRANSPORT_ERROR")), "{}", run.stdout);
    let message = run.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("the connection was cut after 3,120 of 7,976 bytes"), "{message}");
    assert!(!run.stdout.contains("StreamError") && !run.stderr.contains("StreamError"), "{}", run.stderr);
    assert_eq!(run.json["attempts"], 3, "{}", run.stdout);
}
