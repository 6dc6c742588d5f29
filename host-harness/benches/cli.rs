//! How close a call gets to the floor of a process per call, against the virtual Scalekit served
//! on loopback, in one run: the requests (and token requests) of the five-step flow an agent
//! takes; each operation's requests, wall time and peak memory beside curl sending exactly the
//! same requests in one process (and the tool operations through an MCP instance URL); the first
//! call with an empty compile cache, and the optimised compile it starts in the background.
//! Run: `cargo bench -p agent-auth --bench cli`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use virtual_scalekit::Request;
use virtual_scalekit::server;

mod support;
use support::{Machine, Sample, measure, served_during};

const RUNS: usize = 21;
const NOTION: &str = "notion-ijIQedmJ";
const PAGE: &str = r#"{"page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"}"#;

/// Median and minimum wall time (ms), and the largest peak RSS (MiB).
fn summary(mut samples: Vec<Sample>) -> (f64, f64, f64) {
    samples.sort_by_key(|s| s.0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0) as f64 / 1024.0;
    (ms(samples[samples.len() / 2].0), ms(samples[0].0), peak)
}

/// curl sending `requests` in one process, each as the runner sent it (method, path, query,
/// the headers that matter, body).
fn curl(url: &str, requests: &[Request]) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--fail-with-body"]);
    for (i, r) in requests.iter().enumerate() {
        if i > 0 {
            cmd.arg("--next");
        }
        let query: Vec<String> = r
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", server::percent_encode(k), server::percent_encode(v)))
            .collect();
        let target = if query.is_empty() { r.path.clone() } else { format!("{}?{}", r.path, query.join("&")) };
        cmd.args(["--output", "/dev/null", "--request", &r.method, &format!("{url}{target}")]);
        for (name, value) in r.headers.iter().filter(|(k, _)| !matches!(k.as_str(), "host" | "content-length")) {
            cmd.args(["--header", &format!("{name}: {value}")]);
        }
        if !r.body.is_empty() {
            cmd.args(["--data-binary", &String::from_utf8_lossy(&r.body)]);
        }
    }
    cmd
}

/// A command line for the table: cut to 60 characters.
fn label(args: &[&str]) -> String {
    let line = args.join(" ");
    if line.chars().count() <= 60 { line } else { format!("{}...", line.chars().take(57).collect::<String>()) }
}

/// Waits until no background compile holds its claim in `cache`.
fn settle(cache: &Path) {
    let compiling =
        || std::fs::read_dir(cache).unwrap().any(|e| e.unwrap().path().extension().is_some_and(|e| e == "compiling"));
    while compiling() {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn main() {
    let Some((double, loopback)) = support::serve() else { return };
    let url = loopback.url();
    let machine = Machine::new(&url);
    let served_by = |cmd: Command| served_during(&double, || measure(cmd)).1;
    let count = |requests: &[Request]| (requests.len(), requests.iter().filter(|r| r.path == "/oauth/token").count());

    println!(
        "agent-auth against the virtual Scalekit on loopback; {RUNS} runs each; curl: the same requests in one process"
    );
    println!("the five-step flow, on a fresh machine (empty state, compile cache already warm):");
    let flow: [&[&str]; 5] = [
        &["--list-connections", "--provider", "notion"],
        &["--generate-link", "--connection-name", NOTION],
        &["--get-tool", "--provider", "notion"],
        &["--get-tool", "--tool-name", "notion_page_get"],
        &["--execute-tool", "--tool-name", "notion_page_get", "--connection-name", NOTION, "--tool-input", PAGE],
    ];
    measure(machine.agent_auth(&["compile"])); // the optimised compilation, as after a first call
    let mut total = (0, 0);
    for args in flow {
        let (requests, tokens) = count(&served_by(machine.agent_auth(args)));
        total = (total.0 + requests, total.1 + tokens);
        println!("  {:<60} {requests} requests, {tokens} token requests", label(args));
    }
    println!("  {:<60} {} requests, {} token requests\n", "five steps", total.0, total.1);

    println!(
        "{:<64} {:>8} {:>6} {:>9} {:>9} {:>9} {:>10}",
        "warm call", "requests", "tokens", "median", "min", "peak RSS", "curl"
    );
    let operations: [&[&str]; 5] = [
        &["--version"],
        &["--list-connections", "--provider", "NOTION"],
        &["--get-tool", "--tool-name", "notion_page_get"],
        &["--execute-tool", "--tool-name", "notion_page_get", "--connection-name", NOTION, "--tool-input", PAGE],
        &["--proxy-request", "--connection-name", NOTION, "--path", "/v1/users/me"],
    ];
    let row = |shown: String, make: &dyn Fn() -> Command| {
        let requests = served_by(make());
        let (sent, tokens) = count(&requests);
        let (median, min, peak) = summary((0..RUNS).map(|_| measure(make())).collect());
        let floor = if requests.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.1} ms", summary((0..RUNS).map(|_| measure(curl(&url, &requests))).collect()).0)
        };
        println!("{shown:<64} {sent:>8} {tokens:>6} {median:>6.1} ms {min:>6.1} ms {peak:>5.1} MiB {floor:>10}");
    };
    for args in operations {
        row(label(args), &|| machine.agent_auth(args));
    }
    // An agent handed only an instance URL: no client credentials, the config's tools.
    let tools = format!("{NOTION}:notion_page_get");
    measure(machine.agent_auth(&["--create-mcp-config", "--name", "bench", "--tools", &tools, "--tools", "exa"]));
    let ensured = machine.agent_auth(&["--ensure-mcp-instance", "--config-name", "bench"]).output().expect("ensure");
    let instance: serde_json::Value = serde_json::from_slice(&ensured.stdout).expect("one JSON object");
    let instance_url = instance["url"].as_str().expect("the instance URL").to_owned();
    let hosted: [&[&str]; 2] =
        [&["--get-tool", "--summary"], &["--execute-tool", "--tool-name", "notion_page_get", "--tool-input", PAGE]];
    for args in hosted {
        row(label(&[&["MCP URL:"], args].concat()), &|| {
            let mut cmd = machine.agent_auth(args);
            cmd.env_remove("TOOL_CLIENT_ID").env_remove("TOOL_CLIENT_SECRET").env("TOOL_ENV_URL", &instance_url);
            cmd
        });
    }

    let (mut first, mut optimised) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let empty = tempfile::tempdir().unwrap();
        first.push(measure(machine.command(&["--list-connections", "--provider", "NOTION"], empty.path())));
        settle(empty.path()); // the background compile it started
        let empty = tempfile::tempdir().unwrap();
        optimised.push(measure(machine.command(&["compile"], empty.path())));
    }
    let (median, min, peak) = summary(first);
    println!(
        "\nfirst call, empty compile cache (Winch): median {median:.1} ms, min {min:.1} ms, peak RSS {peak:.1} MiB"
    );
    let (median, min, peak) = summary(optimised);
    println!(
        "the optimised compile it starts in the background (`agent-auth compile`, Cranelift): median {median:.1} ms, min {min:.1} ms, peak RSS {peak:.1} MiB"
    );
    println!("component: {} bytes", agent_auth_host::component::EMBEDDED.len());
}
