//! One `agent-auth mcp` server, 1,000 sequential `execute_tool` calls against the virtual
//! Scalekit served on loopback: p50 and p99 per call, the overhead above the same request sent by
//! a plain HTTP client over one kept-alive connection, a call that sends no request (the floor of
//! a call), the server's RSS after 10 and after 1,000 calls, and the token requests of the run.
//! Run: `cargo bench -p agent-auth --bench mcp`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use virtual_scalekit::Request;

mod support;
use support::{Machine, served_during};

const CALLS: usize = 1_000;
const PAGE: &str = "59833787-2cf9-4fdf-8782-e53db20768a5";

/// A server and the line-delimited JSON-RPC stream to it.
struct Session {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let message = json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params});
        writeln!(self.stdin, "{message}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    fn notify(&mut self, method: &str) {
        writeln!(self.stdin, "{}", json!({"jsonrpc": "2.0", "method": method})).unwrap();
    }

    /// The server's resident memory, in MiB.
    fn rss(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

/// The `q`-quantile of `samples` (sorted), in ms.
fn quantile(samples: &[Duration], q: f64) -> f64 {
    samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0
}

/// `request` sent `times` times over one kept-alive connection, each timed.
fn plain_http(url: &str, request: &Request, times: usize) -> Vec<Duration> {
    let mut stream = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream.set_nodelay(true).unwrap();
    let query: Vec<String> = request.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let target = if query.is_empty() { request.path.clone() } else { format!("{}?{}", request.path, query.join("&")) };
    let mut head = format!("{} {target} HTTP/1.1\r\n", request.method);
    for (name, value) in request.headers.iter().filter(|(k, _)| k != "content-length") {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", request.body.len()));
    let mut message = head.into_bytes();
    message.extend_from_slice(&request.body);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut samples = Vec::with_capacity(times);
    for _ in 0..times {
        let started = Instant::now();
        stream.write_all(&message).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        samples.push(started.elapsed());
    }
    samples
}

fn main() {
    let Some((double, loopback)) = support::serve() else { return };
    let url = loopback.url();
    let machine = Machine::new(&url);
    assert!(machine.agent_auth(&["compile"]).output().unwrap().status.success(), "compile");
    let mut child = machine
        .agent_auth(&["mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("agent-auth mcp");
    let (stdin, stdout) = (child.stdin.take().unwrap(), BufReader::new(child.stdout.take().unwrap()));
    let mut session = Session { child, stdin, stdout, next_id: 0 };
    let ((sorted, local, rss_at_10, rss_at_end), requests) = served_during(&double, || {
        session.request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"}}),
        );
        session.notify("notifications/initialized");
        let call =
            json!({"name": "execute_tool", "arguments": {"tool_name": "notion_page_get", "input": {"page_id": PAGE}}});
        let mut samples = Vec::with_capacity(CALLS);
        let mut rss_at_10 = 0.0;
        for i in 0..CALLS {
            let started = Instant::now();
            let answer = session.request("tools/call", call.clone());
            samples.push(started.elapsed());
            assert_eq!(answer["result"]["structuredContent"]["ok"], true, "{answer}");
            if i + 1 == 10 {
                rss_at_10 = session.rss();
            }
        }
        let rss_at_end = session.rss();
        let warm = &samples[10..];
        let mut sorted = warm.to_vec();
        sorted.sort();
        // The floor of a call: one that sends nothing (the schema is remembered from the calls above).
        let schema = json!({"name": "get_tool_schema", "arguments": {"tool_name": "notion_page_get"}});
        let mut local: Vec<Duration> = (0..200)
            .map(|_| {
                let started = Instant::now();
                let answer = session.request("tools/call", schema.clone());
                assert_eq!(answer["result"]["structuredContent"]["ok"], true, "{answer}");
                started.elapsed()
            })
            .collect();
        local.sort();
        (sorted, local, rss_at_10, rss_at_end)
    });
    let tokens = requests.iter().filter(|r| r.path == "/oauth/token").count();
    let execute = requests.iter().rev().find(|r| r.path == "/api/v1/execute_tool").expect("an execution").clone();
    let mut plain = plain_http(&url, &execute, CALLS);
    plain.sort();
    drop(session.stdin);
    let _ = session.child.wait();
    let (p50, p99, floor) = (quantile(&sorted, 0.5), quantile(&sorted, 0.99), quantile(&plain, 0.5));
    println!(
        "agent-auth mcp, {CALLS} sequential execute_tool calls (notion_page_get) against the virtual Scalekit on loopback"
    );
    println!("  per call: p50 {p50:.2} ms, p99 {:.2} ms (after the first 10)", p99);
    println!("  the same POST by a plain HTTP client on one kept-alive connection: p50 {floor:.2} ms");
    println!("  overhead p50: {:.2} ms", p50 - floor);
    println!("  a call that sends no request (get_tool_schema, remembered): p50 {:.2} ms", quantile(&local, 0.5));
    println!(
        "  server RSS: {rss_at_10:.1} MiB after 10 calls, {rss_at_end:.1} MiB after {CALLS} (growth {:.1} MiB)",
        rss_at_end - rss_at_10
    );
    println!("  requests: {} in all, {tokens} token requests", requests.len());
}
