//! Concurrency and crashes, with the real runner against the virtual Scalekit on loopback:
//! - calls started together, sharing the config and state folders, leave `connections.json` with
//!   every mapping, and an audit trail whose every line is whole and whose chain verifies;
//! - a runner killed with SIGKILL in the middle of a download leaves no output file, and the
//!   staging folder it left is removed by the next run.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{DEADLINE, World, output_within};
use virtual_scalekit::faults::{Fault, Faults, Rule};

const NOTION: &str = "notion-ijIQedmJ";
const PAGE: &str = r#"{"page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"}"#;

fn state_dir(w: &World) -> PathBuf {
    w.home.path().join(".local/state/agent-auth")
}

#[test]
fn sixteen_writers_at_once_leave_every_mapping_and_a_whole_chained_trail() {
    let w = World::start();
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let service = format!("svc{i}");
            let args: Vec<&str> = match i % 2 {
                0 => vec![
                    "--execute-tool",
                    "--tool-name",
                    "notion_page_get",
                    "--connection-name",
                    NOTION,
                    "--tool-input",
                    PAGE,
                ],
                _ => vec!["--configure", &service, "--connection-name", NOTION],
            };
            let mut cmd = w.command(&args);
            std::thread::spawn(move || output_within(&mut cmd, DEADLINE))
        })
        .collect();
    for handle in handles {
        let out = handle.join().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    }

    let config = w.home.path().join(".config/agent-auth/connections.json");
    let mappings: BTreeMap<String, Value> = serde_json::from_slice(&std::fs::read(config).unwrap()).unwrap();
    assert_eq!(mappings.len(), 8, "no --configure lost another's mapping: {mappings:?}");

    let trail = std::fs::read_to_string(state_dir(&w).join("audit.jsonl")).unwrap();
    let lines: Vec<Value> = trail.lines().map(|l| serde_json::from_str(l).expect("every line is whole JSON")).collect();
    let mut calls: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for line in &lines {
        calls.entry(line["call"].as_str().unwrap()).or_default().push(line["event"].as_str().unwrap());
    }
    assert_eq!(calls.len(), 8, "each execution is one call: {trail}");
    assert!(calls.values().all(|events| events == &["intent", "outcome"]), "{calls:?}");
    let verify = w.run(&["--audit-log", "--verify"]);
    assert_eq!((verify.code, &verify.json["verified"]), (0, &Value::from(16)), "{}", verify.stdout);
    assert_eq!(verify.json["end_checked"], true);
    let leftovers: Vec<_> = std::fs::read_dir(state_dir(&w))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".lock") || n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "locks and partial files are gone: {leftovers:?}");
}

/// The staging folders in the world's working folder.
fn staged(w: &World) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(w.cwd.path()).unwrap().map(|e| e.unwrap().path());
    entries.filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".agent-auth-")).collect()
}

#[test]
fn a_runner_killed_mid_download_leaves_no_output_and_the_next_run_clears_its_staging() {
    let stall =
        Rule { request: "GET /proxy/files/*".into(), times: 1, fault: Fault::StallBody { after_bytes: 256 << 10 } };
    let w = World::faulty(Faults::new(vec![stall]));
    let mut download = w.command(&[
        "--proxy-request",
        "--connection-name",
        NOTION,
        "--path",
        "/files/large-1m.bin",
        "--output-file",
        "big.bin",
    ]);
    let mut child = download.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // Wait until a quarter of the file sits in the staging folder, then kill the runner outright.
    let started = Instant::now();
    let partial_size = |w: &World| -> u64 {
        let files = staged(w).into_iter().flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten());
        files.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum()
    };
    while partial_size(&w) < 256 << 10 {
        assert!(started.elapsed() < Duration::from_secs(60), "the download never got going");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!w.path("big.bin").exists(), "no partial output under the name asked for");
    assert_eq!(staged(&w).len(), 1, "the killed run's staging folder is still there");
    let ledger = state_dir(&w).join("staging");
    assert_eq!(std::fs::read_dir(&ledger).unwrap().count(), 1, "with its note");

    let next = w.run(&["--list-connections", "--provider", "notion"]);
    assert_eq!(next.code, 0, "{}", next.stdout);
    assert!(staged(&w).is_empty(), "the next run removed the staging folder");
    assert_eq!(std::fs::read_dir(&ledger).unwrap().count(), 0, "and the note");
    assert!(!w.path("big.bin").exists());
}
