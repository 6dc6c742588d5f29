//! Scalekit's hosted MCP end to end, against the virtual Scalekit on loopback: a config created
//! and a user's instance ensured with agent-auth, then the MCP servers behind the URLs driven by
//! clients nobody on the team wrote (the Python `mcp` package's streamable HTTP client, the MCP
//! Inspector CLI with `--transport http`) and by agent-auth's own client mode, as the Managed
//! Agents article has it: a folder whose `.env` holds only the instance URL and the identifier.
//! Every output, and the audit trail, is scanned for the URL's token and the session token.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use support::node::inspector;
use support::python::python;
use support::{DEADLINE, IDENTIFIER, Run, World, assert_no_secret, finish, output_within};

/// The config of these tests: Exa's search, all of Gmail (alice has not authorized it yet) and
/// Notion's page reader.
const CONFIG: [&str; 9] = [
    "--create-mcp-config",
    "--name",
    "assistant",
    "--tools",
    "exa:exa_search",
    "--tools",
    "gmail",
    "--tools",
    "notion-ijIQedmJ:notion_page_get",
];
/// The tools its server lists, in order.
const CONFIG_TOOLS: [&str; 4] = ["exa_search", "gmail_fetch_mails", "gmail_send_message", "notion_page_get"];
/// A Notion page alice's workspace holds.
const PAGE: &str = "59833787-2cf9-4fdf-8782-e53db20768a5";

/// The config created and alice's instance ensured, as an operator does with the client secret:
/// the instance URL (a credential).
fn instance(w: &World) -> String {
    let created = w.run(&CONFIG);
    assert_eq!(created.code, 0, "{}", created.stdout);
    let ensured = w.run(&["--ensure-mcp-instance", "--config-name", "assistant"]);
    assert_eq!(ensured.code, 4, "gmail still needs alice: {}", ensured.stdout);
    let url = ensured.json["url"].as_str().expect("the instance URL").to_owned();
    assert!(!ensured.stderr.contains(token_of(&url)), "the URL reaches stdout only: {}", ensured.stderr);
    url
}

/// The secret part of an instance URL.
fn token_of(url: &str) -> &str {
    url.split_once("token=").map(|(_, t)| t).expect("an instance URL carries its token")
}

/// The authorization link of a person's pending connection, completed as they would.
fn authorize(w: &World, link: &str) {
    w.double.complete_authorization(link).unwrap_or_else(|e| panic!("{link}: {e}"));
}

/// agent-auth in `folder` with none of the caller's variables (the runner reads `folder/.env`).
fn agent_in(w: &World, folder: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agent-auth"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", w.home.path())
        .env("AGENT_AUTH_CACHE_DIR", &w.cache)
        .envs(env.iter().copied())
        .current_dir(folder)
        .stdin(Stdio::null());
    cmd
}

/// Runs `cmd` and checks that none of `secrets` reached its output.
fn run_keeping(cmd: Command, secrets: &[&str]) -> Run {
    let run = finish(cmd);
    for secret in secrets {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret leaked:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    run
}

/// `--create-mcp-session-token` for `config` as alice: (server URL, token).
fn session_token(w: &World, config: &str) -> (String, String) {
    let issued = w.run(&["--create-mcp-session-token", "--config-name", config, "--expiry", "600"]);
    assert_eq!(issued.code, 0, "{}", issued.stdout);
    let (url, token) = (issued.json["mcp_server_url"].as_str().unwrap(), issued.json["token"].as_str().unwrap());
    assert!(url.contains("/mcp/v3/servers/") && !token.is_empty(), "{}", issued.stdout);
    assert!(!issued.stderr.contains(token), "the token reaches stdout only: {}", issued.stderr);
    (url.to_owned(), token.to_owned())
}

#[test]
fn the_python_mcp_client_lists_calls_authorizes_and_is_refused_through_the_urls() {
    let w = World::start();
    let url = instance(&w);
    let forged = url.replace("token=", "token=0");
    assert_eq!(w.run(&["--create-mcp-config", "--name", "search", "--tools", "exa:exa_search"]).code, 0);
    let (server, token) = session_token(&w, "search");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/mcp/hosted_client.py");
    let mut session = Command::new(python());
    session.arg(&script).args([&url, &forged, &server, &token]).stdin(Stdio::null());
    let out = output_within(&mut session, DEADLINE);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.ends_with("done\n"), "{said}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_no_secret(&out, &[token_of(&url), &token]);
}

#[test]
fn the_mcp_inspector_lists_and_calls_through_an_instance_url_and_is_refused_a_forged_one() {
    let w = World::start();
    let url = instance(&w);
    let call = |target: &str, method: &[&str]| {
        let mut cmd = inspector(w.home.path());
        cmd.args([target, "--transport", "http", "--method"]).args(method).args(["--format", "json"]);
        let out = output_within(&mut cmd, DEADLINE);
        assert_no_secret(&out, &[token_of(&url)]);
        // The inspector prints a refusal on stderr.
        let printed = if out.stdout.is_empty() { &out.stderr } else { &out.stdout };
        let json: Value = serde_json::from_slice(printed).unwrap_or_else(|e| {
            panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        });
        (out.status.code(), json)
    };
    let (code, listed) = call(&url, &["tools/list"]);
    let names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!((code, names), (Some(0), CONFIG_TOOLS.to_vec()), "{listed}");
    let args = format!(r#"{{"page_id": "{PAGE}"}}"#);
    let (code, ran) = call(&url, &["tools/call", "--tool-name", "notion_page_get", "--tool-args-json", &args]);
    assert_eq!((code, ran["result"]["isError"].as_bool()), (Some(0), Some(false)), "{ran}");
    let (code, refused) = call(&url, &["tools/call", "--tool-name", "gmail_fetch_mails"]);
    let text = refused["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert_eq!(code, Some(5), "the inspector exits 5 on isError: {refused}");
    assert!(text.contains("/magic/"), "the error result carries a link: {refused}");
    let slack = r##"{"channel": "#general", "text": "hi"}"##;
    let (code, outside) = call(&url, &["tools/call", "--tool-name", "slack_send_message", "--tool-args-json", slack]);
    // The inspector reads tools/list first: a tool the server does not list is refused before any call.
    assert_eq!((code, outside["error"]["code"].as_str()), (Some(5), Some("tool_not_found")), "{outside}");
    let (code, denied) = call(&url.replace("token=", "token=0"), &["tools/list"]);
    assert_eq!(
        (code, denied["error"]["code"].as_str()),
        (Some(3), Some("auth_required")),
        "a 401 asks for authorization: {denied}"
    );
}

#[test]
fn with_only_the_instance_url_in_dot_env_the_skill_s_commands_work() {
    let w = World::start();
    let url = instance(&w);
    let secret = token_of(&url).to_owned();
    let folder = w.path("agent");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join(".env"), format!("TOOL_ENV_URL={url}\nTOOL_IDENTIFIER={IDENTIFIER}\n")).unwrap();
    let agent = |args: &[&str]| run_keeping(agent_in(&w, &folder, args, &[]), &[&secret]);

    let listed = agent(&["--get-tool", "--summary"]);
    assert_eq!(listed.code, 0, "{}", listed.stdout);
    let names: Vec<&str> = listed.json["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, CONFIG_TOOLS);
    assert!(
        listed.json["tools"][0].get("input_schema").is_none()
            && listed.json["tools"][0]["required"]["query"] == "string"
    );
    let found = agent(&["--get-tool", "--query", "read a notion page"]);
    assert_eq!(found.json["tools"][0]["name"], "notion_page_get", "{}", found.stdout);
    let one = agent(&["--get-tool", "--tool-name", "exa_search"]);
    assert_eq!(one.json["tool"]["input_schema"]["required"], serde_json::json!(["query"]), "{}", one.stdout);
    let gmail = agent(&["--get-tool", "--provider", "GMAIL", "--page-size", "1"]);
    assert_eq!(
        (gmail.json["total_size"].as_u64(), gmail.json["next_page_token"].as_str()),
        (Some(2), Some("1")),
        "{}",
        gmail.stdout
    );

    let input = format!(r#"{{"page_id": "{PAGE}"}}"#);
    let ran = agent(&["--execute-tool", "--tool-name", "notion_page_get", "--tool-input", &input]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    assert_eq!(ran.json["data"]["id"], PAGE, "{}", ran.stdout);
    assert!(
        ran.json["mcp_server"].as_str().unwrap().ends_with(&url.split('?').next().unwrap()[w.server.url().len()..])
    );

    let before = w.double.served().len();
    let wrong = agent(&["--execute-tool", "--tool-name", "exa_search", "--tool-input", r#"{"qeury": "x"}"#]);
    assert_eq!((wrong.code, wrong.json["error"]["code"].as_str()), (2, Some("INVALID_TOOL_INPUT")), "{}", wrong.stdout);
    assert!(wrong.json["next"].is_array(), "the fix comes as next: {}", wrong.stdout);
    let calls = w
        .double
        .served()
        .into_iter()
        .skip(before)
        .filter(|r| String::from_utf8_lossy(&r.body).contains("tools/call"))
        .count();
    assert_eq!(calls, 0, "an input that breaks the schema is never sent");

    let unknown = agent(&["--execute-tool", "--tool-name", "exa_serch", "--tool-input", r#"{"query": "x"}"#]);
    assert_eq!((unknown.code, unknown.json["did_you_mean"].as_str()), (5, Some("exa_search")), "{}", unknown.stdout);
    let missing_page =
        agent(&["--execute-tool", "--tool-name", "notion_page_get", "--tool-input", r#"{"page_id": "00000000"}"#]);
    assert_eq!(
        (missing_page.code, missing_page.json["error"]["code"].as_str()),
        (6, Some("TOOL_ERROR")),
        "{}",
        missing_page.stdout
    );

    let needs = agent(&["--execute-tool", "--tool-name", "gmail_fetch_mails", "--tool-input", "{}"]);
    assert_eq!(
        (needs.code, needs.json["error"]["code"].as_str()),
        (4, Some("AUTHORIZATION_REQUIRED")),
        "{}",
        needs.stdout
    );
    let link = needs.json["action_required"]["link"].as_str().expect("the link to open");
    authorize(&w, link);
    let after = agent(&["--execute-tool", "--tool-name", "gmail_fetch_mails", "--tool-input", "{}"]);
    assert_eq!(after.code, 0, "{}", after.stdout);

    let rest = agent(&["--list-connections"]);
    assert_eq!(
        (rest.code, rest.json["error"]["code"].as_str()),
        (3, Some("NOT_AVAILABLE_WITH_MCP_URL")),
        "{}",
        rest.stdout
    );
    assert!(rest.json["error"]["hint"].as_str().unwrap().contains("--execute-tool"), "{}", rest.stdout);

    let audit = agent(&["--audit-log"]);
    let executions = audit.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["operation"] == "execute-tool" && e["event"] == "outcome")
        .count();
    assert_eq!(executions, 6, "every execution is recorded (the refused input too): {}", audit.stdout);
    let trail = std::fs::read_to_string(w.home.path().join(".local/state/agent-auth/audit.jsonl")).unwrap();
    assert!(!trail.contains(&secret), "the audit trail holds no token: {trail}");

    std::fs::write(folder.join(".env"), format!("TOOL_ENV_URL={}\n", url.replace("token=", "token=0"))).unwrap();
    let revoked = agent(&["--get-tool"]);
    assert_eq!(
        (revoked.code, revoked.json["error"]["code"].as_str()),
        (3, Some("INVALID_CREDENTIALS")),
        "{}",
        revoked.stdout
    );
}

#[test]
fn a_session_token_opens_the_config_s_server_url_once_every_connection_is_authorized() {
    let w = World::start();
    assert_eq!(w.run(&CONFIG).code, 0);
    let pending = w.run(&["--create-mcp-session-token", "--config-name", "assistant"]);
    assert_eq!(
        (pending.code, pending.json["error"]["code"].as_str()),
        (4, Some("AUTHORIZATION_REQUIRED")),
        "{}",
        pending.stdout
    );
    let links = pending.json["action_required"]["links"].as_array().unwrap();
    assert_eq!((links.len(), links[0]["connection_name"].as_str()), (1, Some("gmail")), "{}", pending.stdout);
    authorize(&w, links[0]["link"].as_str().unwrap());
    let (server, token) = session_token(&w, "assistant");

    let folder = w.path("agent");
    std::fs::create_dir(&folder).unwrap();
    let with = |token: &str, args: &[&str]| {
        run_keeping(agent_in(&w, &folder, args, &[("TOOL_MCP_URL", &server), ("TOOL_MCP_TOKEN", token)]), &[token])
    };
    let listed = with(&token, &["--get-tool", "--summary"]);
    assert_eq!(listed.json["tools"].as_array().map(Vec::len), Some(4), "{}", listed.stdout);
    let ran = with(&token, &["--execute-tool", "--tool-name", "exa_search", "--tool-input", r#"{"query": "mcp"}"#]);
    assert_eq!(ran.code, 0, "{}", ran.stdout);
    let refused = with("eyJ.not-a-token", &["--get-tool"]);
    assert_eq!(
        (refused.code, refused.json["error"]["code"].as_str()),
        (3, Some("INVALID_CREDENTIALS")),
        "{}",
        refused.stdout
    );
    assert!(
        refused.json["error"]["hint"].as_str().unwrap().contains("--create-mcp-session-token"),
        "{}",
        refused.stdout
    );

    let short = w.run(&["--create-mcp-session-token", "--config-name", "assistant", "--expiry", "30"]);
    assert_eq!((short.code, short.json["error"]["code"].as_str()), (2, Some("USAGE")), "{}", short.stdout);
    let unknown = w.run(&["--create-mcp-session-token", "--config-name", "nope"]);
    assert_eq!(
        (unknown.code, unknown.json["error"]["code"].as_str()),
        (5, Some("MCP_CONFIG_NOT_FOUND")),
        "{}",
        unknown.stdout
    );
}
