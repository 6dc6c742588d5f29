//! Custom user verification, path by path, against the virtual Scalekit in "Custom user
//! verification" on loopback: the requests each path sends to Scalekit, the time from the
//! person's approval to an ACTIVE account (and, for a wait, to the waiting command's answer),
//! and every refusal tried with what it answered. The paths: `--generate-link --wait` serving the
//! loopback route, `agent-auth mcp` serving it for its life, and a host's `--verify-user` for a
//! public verify URL. Run: `cargo bench -p agent-auth --bench verification`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agent_auth_contract::verification::{MODE_VAR, URL_VAR};
use serde_json::Value;
use virtual_scalekit::server::{self, Loopback};
use virtual_scalekit::{Credentials, VirtualScalekit};

mod support;
use support::{ID, Machine, SECRET, served_during};

const GATEWAY: &str = "https://gateway.example.com/agent-auth/verify";

/// The virtual Scalekit in custom verification, its links valid for `lifetime`.
fn serve_verifying(lifetime: Duration) -> (std::sync::Arc<VirtualScalekit>, Loopback) {
    let credentials = Credentials { client_id: ID.into(), client_secret: SECRET.into() };
    let make = |url: &str| {
        VirtualScalekit::new(url, Some(credentials)).with_custom_verification().with_link_lifetime(lifetime)
    };
    server::spawn("127.0.0.1:0", make).expect("bind")
}

/// A loopback verify URL on a free port, and the port.
fn loopback_route() -> (String, u16) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    (format!("http://127.0.0.1:{port}/agent-auth/verify"), port)
}

/// One HTTP/1.1 request with no redirect followed: the status and the `Location`.
fn http(method: &str, url: &str) -> (u16, Option<String>) {
    let rest = url.strip_prefix("http://").expect("a loopback URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let location = answer
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("location")))
        .map(|(_, v)| v.trim().to_owned());
    (status, location)
}

/// The person approves `link`: where Scalekit sends their browser.
fn approve(link: &str) -> String {
    let (status, location) = http("POST", link);
    assert_eq!(status, 302, "approving {link}");
    location.expect("a verify URL")
}

/// `callback` with its state replaced.
fn forged(callback: &str) -> String {
    format!("{}state=forged-{}", callback.split_once("state=").unwrap().0, "x".repeat(40))
}

/// A query value of `url`.
fn value(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap()
}

/// The runner in custom verification with the verify URL `route`, for `person`.
fn custom(m: &Machine, args: &[&str], route: &str, person: &str) -> Command {
    let mut cmd = m.agent_auth(args);
    cmd.env(MODE_VAR, "custom").env(URL_VAR, route).env("TOOL_IDENTIFIER", person);
    cmd
}

/// A new link for `person` on gmail.
fn link(m: &Machine, route: &str, person: &str) -> String {
    let out = custom(m, &["--generate-link", "--connection-name", "gmail"], route, person).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["action_required"]["link"].as_str().expect("a link").to_owned()
}

/// `--verify-user` as a host runs it: the reason it was refused, or `ACTIVE`.
fn verify_user(m: &Machine, callback: &str, person: &str, state: Option<&str>) -> String {
    let state = state.map_or_else(|| value(callback, "state"), str::to_owned);
    let request = value(callback, "auth_request_id");
    let args = ["--verify-user", "--auth-request-id", &request, "--state", &state, "--identifier", person];
    let out = custom(m, &args, GATEWAY, person).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["status"].as_str().or(json["reason"].as_str()).unwrap_or("?").to_owned()
}

/// The API requests among those served (a browser's page loads left out).
fn api(requests: &[virtual_scalekit::Request]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.path.starts_with("/api/") || r.path == "/oauth/token")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Waits until something listens on `port`.
fn listening(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "nothing listened on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (double, loopback) = serve_verifying(Duration::from_secs(600));
    let url = loopback.url();
    let m = Machine::new(&url);
    let _ = m.agent_auth(&["--list-connections"]).output(); // compiles the component once
    println!("custom user verification against the virtual Scalekit at {url}\n");

    // 1. The CLI's wait serves the loopback route.
    let (route, port) = loopback_route();
    let mut waiting = custom(&m, &["--generate-link", "--connection-name", "gmail", "--wait", "60"], &route, "alice")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let printed = first_link(&mut waiting);
    listening(port);
    let callback = approve(&printed);
    let approved = Instant::now();
    let ((status, onward), sent) = served_during(&double, || http("GET", &callback));
    let active = approved.elapsed();
    let code = waiting.wait().unwrap().code();
    let answered = approved.elapsed();
    println!("--generate-link --wait (the runner's loopback route)");
    println!("  callback: {status} to {}; sent {:?}", onward.unwrap_or_default(), api(&sent));
    println!("  approval to ACTIVE: {}; to the wait's answer (exit {code:?}): {}", ms(active), ms(answered));

    // 2. agent-auth mcp serves the route for its life.
    let (route, port) = loopback_route();
    let mut mcp = custom(&m, &["mcp"], &route, "bob")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    listening(port);
    let callback = approve(&link(&m, &route, "bob"));
    let approved = Instant::now();
    let ((status, _), sent) = served_during(&double, || http("GET", &callback));
    let active = approved.elapsed();
    let forged_status = http("GET", &forged(&callback)).0;
    let reused = http("GET", &callback).0;
    let other = approve(&link(&m, &route, "carol"));
    let other_person = http("GET", &other).0;
    println!("\nagent-auth mcp (the route for the server's life, no wait running)");
    println!("  callback: {status}; sent {:?}; approval to ACTIVE: {}", api(&sent), ms(active));
    println!(
        "  refused: forged state {forged_status}, the same callback again {reused}, carol's link at bob's server {other_person}"
    );
    drop(mcp.stdin.take());
    let _ = mcp.wait();

    // 3. A host's --verify-user for a public verify URL.
    let (made, sent) = served_during(&double, || link(&m, GATEWAY, "dave"));
    println!("\na link (any path): sent {:?}", api(&sent));
    let callback = approve(&made);
    let approved = Instant::now();
    let (result, sent) = served_during(&double, || verify_user(&m, &callback, "dave", None));
    let active = approved.elapsed();
    println!("\n--verify-user (a host's route for {GATEWAY})");
    println!("  {result}; sent {:?}; approval to ACTIVE (a process of its own): {}", api(&sent), ms(active));
    let fresh = approve(&link(&m, GATEWAY, "erin"));
    let refusals = [
        ("forged state", verify_user(&m, &fresh, "erin", Some("forged-state"))),
        ("another person (--identifier mallory)", verify_user(&m, &fresh, "mallory", None)),
        ("the same callback again", verify_user(&m, &callback, "dave", None)),
        ("erin's state with frank's auth_request_id", {
            let franks = approve(&link(&m, GATEWAY, "frank"));
            let mixed = format!("{}&state={}", franks.split_once("&state=").unwrap().0, value(&fresh, "state"));
            verify_user(&m, &mixed, "erin", None)
        }),
        ("a loopback link, from a command line", {
            let (route, _) = loopback_route();
            let callback = approve(&link(&m, &route, "grace"));
            verify_user(&m, &callback, "grace", None)
        }),
    ];
    let (short, short_loopback) = serve_verifying(Duration::from_secs(1));
    let short_url = short_loopback.url();
    let late = Machine::new(&short_url);
    let expiring = approve(&link(&late, GATEWAY, "heidi"));
    std::thread::sleep(Duration::from_millis(1500));
    let expired = verify_user(&late, &expiring, "heidi", None);
    drop(short);
    for (tried, answer) in refusals.iter().chain([&("an expired link's state", expired)]) {
        println!("  refused: {tried}: {answer}");
    }
}

/// The first link a waiting command prints on stderr.
fn first_link(child: &mut Child) -> String {
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let found = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.split_whitespace().find(|w| w.contains("/magic/")).map(str::to_owned));
    std::thread::spawn(move || lines.for_each(drop));
    found.expect("the wait printed its link")
}
