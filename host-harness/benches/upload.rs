//! A 200 MB `--input-file` upload through the proxy (Notion's file upload, on the virtual Scalekit
//! on loopback): the runner's wall time and peak resident memory, which must stay far below the
//! file's size (the component streams the file from disk, the runner streams it to the network).
//! The virtual Scalekit runs as its own process (`agent-auth sandbox`), and the file is written
//! a megabyte at a time: a child's peak RSS counts what it shared with its parent before `exec`,
//! so the bench process itself must stay small.
//! Run: `cargo bench -p agent-auth --bench upload`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

mod support;
use support::{ID, Machine, SECRET, measure};

const NOTION: &str = "notion-ijIQedmJ";
const MB: u64 = 1_000_000;
const RUNS: usize = 3;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_agent-auth"))
        .args(["sandbox", "--port", "0", "--client-id", ID, "--client-secret", SECRET])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start agent-auth sandbox");
    let mut line = String::new();
    BufReader::new(sandbox.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("LISTENING ").expect("the sandbox's URL").to_owned();
    let machine = Machine::new(&url);
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("quarterly.pdf");
    let size = 200 * MB;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    out.write_all(b"%PDF-1.7\n").unwrap();
    let megabyte = vec![b'x'; MB as usize];
    for _ in 0..size / MB {
        out.write_all(&megabyte).unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();
    measure(machine.agent_auth(&["compile"]));
    println!("--proxy-request --input-file of {} MB to Notion's file upload, {RUNS} runs:", size / MB);
    for _ in 0..RUNS {
        let create = machine
            .agent_auth(&[
                "--proxy-request",
                "--connection-name",
                NOTION,
                "--path",
                "/v1/file_uploads",
                "--method",
                "POST",
                "--body",
                r#"{"mode": "single_part"}"#,
            ])
            .output()
            .unwrap();
        let created: serde_json::Value = serde_json::from_slice(&create.stdout).unwrap();
        let id = created["body"]["id"].as_str().expect("an upload id").to_owned();
        let path = format!("/v1/file_uploads/{id}/send");
        let args =
            ["--proxy-request", "--connection-name", NOTION, "--path", &path, "--method", "POST", "--input-file"];
        let mut send: Command = machine.agent_auth(&args);
        send.arg(&file).current_dir(folder.path());
        let sample = measure(send);
        println!("  {:>8.0} ms  peak RSS {:>6.1} MiB", sample.0.as_secs_f64() * 1000.0, sample.1 as f64 / 1024.0);
    }
    let _ = sandbox.kill();
    let _ = sandbox.wait();
}
