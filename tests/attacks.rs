//! The trust boundary, tried as an attacker would: what a prompt-injected agent controls (the
//! command line, a planted working folder, the answers of a server, a process racing the call),
//! against the real `agent-auth` binary, all on loopback. One test per line of the table in
//! issue 21, each named for what it shows; every output is checked for secrets.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::{CLIENT_SECRET, World, exchange_with, finish, mcp_hello, notion_upload as upload};

/// What the attacker's key and files hold: never to be seen in a request or an output.
const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY----- attacker-wants-this-3f9a";

/// A hostile server on loopback: it records every byte it is sent and answers each request with
/// what `answer` gives for the request's head (a status and a JSON body).
struct Catcher {
    url: String,
    received: Arc<Mutex<Vec<u8>>>,
    connections: Arc<AtomicUsize>,
}

/// The same answer to every request: 200 and `body`.
fn always(body: &[u8]) -> impl Fn(&[u8]) -> (u16, Vec<u8>) + Send + Sync + 'static {
    let body = body.to_vec();
    move |_| (200, body.clone())
}

impl Catcher {
    fn start(answer: impl Fn(&[u8]) -> (u16, Vec<u8>) + Send + Sync + 'static) -> Catcher {
        let answer = Arc::new(answer);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (received, connections) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicUsize::new(0)));
        let (log, count) = (received.clone(), connections.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let (log, answer) = (log.clone(), answer.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(300)));
                    let (mut buffer, mut request) = ([0u8; 64 * 1024], Vec::new());
                    while let Ok(n) = stream.read(&mut buffer) {
                        if n == 0 {
                            break;
                        }
                        log.lock().unwrap().extend_from_slice(&buffer[..n]);
                        request.extend_from_slice(&buffer[..n]);
                        if request.windows(4).any(|w| w == b"\r\n\r\n") {
                            let (status, body) = answer(&request);
                            let head = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
                            break;
                        }
                    }
                });
            }
        });
        Catcher { url, received, connections }
    }

    fn saw(&self, needle: &str) -> bool {
        String::from_utf8_lossy(&self.received.lock().unwrap()).contains(needle)
    }
}

/// `~/.ssh/id_ed25519` of `w`'s home, holding [`KEY`].
fn plant_key(w: &World) -> PathBuf {
    let ssh = w.home.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_ed25519"), KEY).unwrap();
    ssh.join("id_ed25519")
}

/// `--proxy-request` downloading a file into `output`.
fn download(output: &str) -> Vec<String> {
    ["--proxy-request", "--connection-name", "notion-ijIQedmJ", "--path", "/files/report.txt", "--output-file", output]
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn run(w: &World, args: &[String]) -> support::Run {
    w.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Whether any request the virtual Scalekit was sent carries `needle`.
fn sent(w: &World, needle: &str) -> bool {
    w.double.served().iter().any(|r| String::from_utf8_lossy(&r.body).contains(needle))
}

fn code(run: &support::Run) -> (i32, Option<&str>) {
    (run.code, run.json["error"]["code"].as_str())
}

/// Attack 1: `--component` on the command line, or `AGENT_AUTH_COMPONENT` in a planted `./.env`:
/// the attacker's file is never loaded (a file that is not a component shows whether it was).
#[test]
fn no_command_line_and_no_planted_file_chooses_the_code_that_runs() {
    let w = World::start();
    std::fs::write(w.path("evil.wasm"), b"\0asm attacker's code").unwrap();
    let flag = w.run(&["--component", "evil.wasm", "--get-tool", "--tool-name", "exa_search"]);
    assert_eq!(code(&flag), (2, Some("USAGE")), "{}", flag.stdout);
    std::fs::write(w.path(".env"), format!("AGENT_AUTH_COMPONENT={}\n", w.path("evil.wasm").display())).unwrap();
    let planted = w.run(&["--get-tool", "--tool-name", "exa_search"]);
    assert_eq!(planted.code, 0, "the planted component was not loaded: {}", planted.stdout);
    assert!(
        planted.json["warnings"][0].as_str().unwrap().starts_with("AGENT_AUTH_COMPONENT in "),
        "{}",
        planted.stdout
    );
}

/// Attack 2: the compile cache moved by `--env-file` and the real one then written through
/// `--output-file`, and an entry forged with the old (CRC) trailer: neither is ever loaded.
#[test]
fn the_compile_cache_holds_only_what_the_runner_wrote() {
    let w = World::start();
    // The user's own cache folder, as on a machine where no operator moved it.
    let cache = w.home.path().join(".cache/agent-auth");
    let with_cache = |args: &[&str]| {
        let mut cmd = w.command(args);
        cmd.env_remove("AGENT_AUTH_CACHE_DIR");
        finish(cmd)
    };
    assert_eq!(with_cache(&["compile"]).code, 0);
    let entry = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .expect("an optimised compilation");
    let genuine = std::fs::read(&entry).unwrap();

    std::fs::write(w.path("evil.env"), format!("AGENT_AUTH_CACHE_DIR={}\n", w.path("elsewhere").display())).unwrap();
    let mut args = vec!["--env-file", "evil.env"];
    let output = entry.display().to_string();
    let poisoning = download(&output);
    args.extend(poisoning.iter().map(String::as_str));
    let run = with_cache(&args);
    assert_eq!(code(&run), (3, Some("FILE_DENIED")), "{}", run.stdout);
    assert_eq!(std::fs::read(&entry).unwrap(), genuine, "the cache entry was not replaced");

    // An entry whose code was changed, with the trailer an older runner trusted (length, CRC-32,
    // mark: 16 bytes; this runner's trailer is 44).
    let len = genuine.len() - if genuine.ends_with(b"aac1") { 16 } else { 44 };
    let mut forged = genuine[..len].to_vec();
    forged[len / 2] ^= 0x55;
    let crc = crc32fast::hash(&forged);
    forged.extend_from_slice(&(len as u64).to_le_bytes());
    forged.extend_from_slice(&crc.to_le_bytes());
    forged.extend_from_slice(b"aac1");
    std::fs::write(&entry, &forged).unwrap();
    assert_eq!(with_cache(&["compile"]).code, 0);
    assert_ne!(std::fs::read(&entry).unwrap(), forged, "the forged entry was compiled over, never trusted");
    assert_eq!(with_cache(&["--get-tool", "--tool-name", "exa_search"]).code, 0);
}

/// Attack 3: a planted `./.env` with `HTTPS_PROXY`, `HTTP_PROXY` and `SSL_CERT_FILE`: no connection
/// reaches the attacker's proxy, and its CA is never trusted.
#[test]
fn a_planted_env_chooses_no_proxy_and_no_trust_root() {
    let w = World::start();
    let proxy = Catcher::start(always(b"{}"));
    std::fs::write(w.path("attacker-ca.pem"), "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n")
        .unwrap();
    let planted = format!(
        "HTTPS_PROXY={0}\nHTTP_PROXY={0}\nALL_PROXY={0}\nSSL_CERT_FILE={1}\n",
        proxy.url,
        w.path("attacker-ca.pem").display()
    );
    std::fs::write(w.path(".env"), planted).unwrap();
    let run = w.run(&["--list-connections", "--no-cache"]);
    assert_eq!(proxy.connections.load(Ordering::SeqCst), 0, "nothing went through the planted proxy");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json["warnings"].as_array().unwrap().len(), 4, "each planted line is named: {}", run.stdout);
}

/// Attack 4: `SCALEKIT_*` in the environment and a planted `./.env` holding only `TOOL_ENV_URL`:
/// the client secret goes to the environment's URL only.
#[test]
fn a_planted_env_url_never_receives_the_client_secret() {
    let w = World::start();
    let attacker = Catcher::start(always(br#"{"access_token": "x", "expires_in": 3600}"#));
    std::fs::write(w.path(".env"), format!("TOOL_ENV_URL={}\n", attacker.url)).unwrap();
    let mut cmd = w.command(&["--list-connections", "--no-cache"]);
    for (old, new) in [("TOOL_CLIENT_ID", "SCALEKIT_CLIENT_ID"), ("TOOL_CLIENT_SECRET", "SCALEKIT_CLIENT_SECRET")] {
        cmd.env_remove(old).env(new, if new.ends_with("ID") { support::CLIENT_ID } else { CLIENT_SECRET });
    }
    cmd.env_remove("TOOL_ENV_URL").env("SCALEKIT_ENV_URL", w.server.url());
    let run = finish(cmd);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(attacker.connections.load(Ordering::SeqCst), 0, "nothing was sent to the planted URL");
    assert!(!attacker.saw(CLIENT_SECRET));
}

/// Attack 5: `--env-file` moving the state folder, then the real token cache named for an upload
/// and the real audit trail for a download: both refused, the trail intact.
#[test]
fn moving_the_state_folder_opens_neither_the_token_cache_nor_the_trail() {
    let w = World::start();
    assert_eq!(w.run(&["--execute-tool", "--tool-name", "exa_search", "--tool-input", r#"{"query": "x"}"#]).code, 0);
    let state = w.home.path().join(".local/state/agent-auth");
    let token = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("scalekit-token-"))
        .expect("a cached token");
    let trail = std::fs::read(state.join("audit.jsonl")).unwrap();
    std::fs::write(w.path("evil.env"), format!("AGENT_AUTH_STATE_DIR={}\n", w.path("elsewhere").display())).unwrap();
    for attack in [upload(&token.display().to_string()), download(&state.join("audit.jsonl").display().to_string())] {
        let args: Vec<String> = ["--env-file".to_owned(), "evil.env".to_owned()].into_iter().chain(attack).collect();
        let refused = run(&w, &args);
        assert_eq!(code(&refused), (3, Some("FILE_DENIED")), "{args:?}: {}", refused.stdout);
    }
    assert_eq!(std::fs::read(state.join("audit.jsonl")).unwrap(), trail, "the trail was not overwritten");
    assert!(!sent(&w, "access_token"), "the token cache was not uploaded");
}

/// Attack 6: `--env-file ~/.git-credentials` (or any file): its content never appears in the error.
#[test]
fn a_file_named_as_an_env_file_is_never_quoted() {
    let w = World::start();
    let credentials = w.home.path().join(".git-credentials");
    std::fs::write(&credentials, "https://octocat:ghp_attackerWantsThis0123@github.com\n").unwrap();
    let run = w.run(&["--env-file", &credentials.display().to_string(), "--list-connections"]);
    assert_eq!(code(&run), (3, Some("ENV_FILE_UNREADABLE")), "{}", run.stdout);
    assert!(!run.stdout.contains("ghp_") && !run.stderr.contains("ghp_"), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("line 1 is not KEY=value"), "{}", run.stdout);
}

/// Attack 7: hard links to `~/.ssh/id_ed25519`, another `.env` and the token cache, named from the
/// CLI and through `agent-auth mcp --files`: none is read.
#[test]
fn a_second_name_for_a_refused_file_is_refused() {
    let w = World::start();
    let key = plant_key(&w);
    assert_eq!(w.run(&["--list-connections"]).code, 0);
    let state = w.home.path().join(".local/state/agent-auth");
    let token = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("scalekit-token-"))
        .unwrap();
    std::fs::create_dir(w.path("project")).unwrap();
    std::fs::write(w.path("project/.env"), format!("STRIPE_KEY={KEY}")).unwrap();
    let granted = w.path("granted");
    std::fs::create_dir(&granted).unwrap();
    for (original, name) in [(&key, "notes.txt"), (&w.path("project/.env"), "config.txt"), (&token, "cache.txt")] {
        std::fs::hard_link(original, granted.join(name)).unwrap();
        let refused = run(&w, &upload(&granted.join(name).display().to_string()));
        assert_eq!(code(&refused), (3, Some("FILE_DENIED")), "{name}: {}", refused.stdout);
    }
    let hello = mcp_hello(1);
    let mut requests = vec![hello];
    for (id, name) in ["notes.txt", "config.txt", "cache.txt"].iter().enumerate() {
        requests.push(
            json!({"jsonrpc": "2.0", "id": id + 2, "method": "tools/call", "params": {"name": "proxy_request",
            "arguments": {"connection_name": "notion-ijIQedmJ", "path": "/v1/file_uploads/u1/send", "method": "POST",
            "input_file": granted.join(name).display().to_string()}}}),
        );
    }
    let answers = exchange_with(w.command(&["mcp", "--files", &granted.display().to_string()]), &requests);
    for answer in &answers[1..] {
        assert_eq!(answer["result"]["structuredContent"]["error"]["code"], "FILE_DENIED", "{answer}");
    }
    assert!(!sent(&w, "attacker-wants-this") && !sent(&w, "access_token"), "nothing of theirs was sent");
}

/// Swaps `a` and `b` (a folder and a link) as fast as it can until `stop`.
fn racer(a: PathBuf, b: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut swaps = 0;
        while !stop.load(Ordering::Relaxed) {
            if rustix::fs::renameat_with(rustix::fs::CWD, &a, rustix::fs::CWD, &b, rustix::fs::RenameFlags::EXCHANGE)
                .is_ok()
            {
                swaps += 1;
            }
        }
        swaps
    })
}

/// A working folder `d` holding harmless files, and `l`, a link to `target`, which a racer swaps.
fn swapping_folders(w: &World, target: &Path, files: &[&str]) -> (Arc<AtomicBool>, std::thread::JoinHandle<usize>) {
    std::fs::create_dir(w.path("d")).unwrap();
    for file in files {
        std::fs::write(w.path("d").join(file), "harmless").unwrap();
    }
    std::os::unix::fs::symlink(target, w.path("l")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let handle = racer(w.path("d"), w.path("l"), stop.clone());
    (stop, handle)
}

const RACES: usize = 200;

/// Attack 8a: a folder swapped for a link to `~/.ssh` while an upload names a file in it, 200
/// times: the key is never sent (each run sends the harmless file, or is refused).
#[test]
fn a_folder_swapped_for_a_link_mid_upload_never_sends_the_key() {
    let w = World::start();
    plant_key(&w);
    let (stop, racer) = swapping_folders(&w, &w.home.path().join(".ssh"), &["id_ed25519"]);
    let (mut sent_harmless, mut refused) = (0, 0);
    for _ in 0..RACES {
        let run = run(&w, &upload(&w.path("d/id_ed25519").display().to_string()));
        match run.json["error"]["code"].as_str() {
            Some("FILE_DENIED") => refused += 1,
            _ => sent_harmless += 1,
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = racer.join().unwrap();
    assert!(swaps > RACES, "the racer swapped the folders {swaps} times");
    let keys =
        w.double.served().iter().filter(|r| String::from_utf8_lossy(&r.body).contains("attacker-wants-this")).count();
    assert_eq!(keys, 0, "{keys} of {RACES} runs uploaded the key ({sent_harmless} sent something, {refused} refused)");
    eprintln!(
        "{RACES} uploads raced by {swaps} swaps: {sent_harmless} sent the harmless file, {refused} refused, 0 sent the key"
    );
}

/// Attack 8b: a folder swapped for a link to the home folder while a download names `.bashrc` in
/// it, 200 times: `~/.bashrc` is never replaced.
#[test]
fn a_folder_swapped_for_a_link_mid_download_never_writes_outside() {
    let w = World::start();
    std::fs::write(w.home.path().join(".bashrc"), "# the person's own\n").unwrap();
    let (stop, racer) = swapping_folders(&w, w.home.path(), &[]);
    let (mut written, mut replaced) = (0, 0);
    let bashrc = w.home.path().join(".bashrc");
    for _ in 0..RACES {
        if run(&w, &download(&w.path("d/.bashrc").display().to_string())).code == 0 {
            written += 1;
        }
        if std::fs::read(&bashrc).unwrap() != b"# the person's own\n" {
            replaced += 1;
            std::fs::write(&bashrc, "# the person's own\n").unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = racer.join().unwrap();
    assert!(swaps > RACES, "the racer swapped the folders {swaps} times");
    assert_eq!(replaced, 0, "{replaced} of {RACES} runs replaced ~/.bashrc");
    eprintln!("{RACES} downloads raced by {swaps} swaps: {written} written inside the folder, 0 outside");
}

/// Attack 8c: the same race against `agent-auth mcp --files`, 200 tool calls: nothing is written
/// outside the granted folder.
#[test]
fn a_folder_swapped_for_a_link_never_lets_the_mcp_server_write_outside_its_folders() {
    let w = World::start();
    let outside = w.home.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let (stop, racer) = swapping_folders(&w, &outside, &[]);
    let hello = mcp_hello(0);
    let calls = (1..=RACES).map(|id| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "proxy_request", "arguments": {
            "connection_name": "notion-ijIQedmJ", "path": "/files/report.txt",
            "output_file": w.path(&format!("d/out-{id}.txt")).display().to_string()}}})
    });
    let requests: Vec<Value> = std::iter::once(hello).chain(calls).collect();
    let answers = exchange_with(w.command(&["mcp", "--files", &w.cwd.path().display().to_string()]), &requests);
    stop.store(true, Ordering::Relaxed);
    let swaps = racer.join().unwrap();
    assert_eq!(answers.len(), RACES + 1);
    let outside_files = std::fs::read_dir(&outside).unwrap().count();
    assert_eq!(outside_files, 0, "written outside the granted folder");
    eprintln!("{RACES} MCP downloads raced by {swaps} swaps: 0 written outside");
}

/// Attack 9: a forged note in the staging ledger naming a project folder: the next run removes
/// nothing.
#[test]
fn a_forged_staging_note_removes_nothing() {
    let w = World::start();
    let project = w.home.path().join("agent-auth-main");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/main.rs"), "fn main() {}").unwrap();
    let ledger = w.home.path().join(".local/state/agent-auth/staging");
    std::fs::create_dir_all(&ledger).unwrap();
    std::fs::write(ledger.join("1-forged.note"), format!("{}\n", project.display())).unwrap();
    assert_eq!(w.run(&["--list-connections"]).code, 0);
    assert!(project.join("src/main.rs").exists(), "the project folder is still there");
    assert!(!ledger.join("1-forged.note").exists(), "the forged note was dropped");
}

/// Attack 10: `TOOL_MCP_URL` in a planted `./.env` while the REST credentials come from the
/// environment: refused before anything is sent; the planted server sees no tool input.
#[test]
fn a_planted_mcp_url_never_takes_over_from_the_environment_s_credentials() {
    let w = World::start();
    let attacker = Catcher::start(always(b"{}"));
    std::fs::write(w.path(".env"), format!("TOOL_MCP_URL={}/mcp\n", attacker.url)).unwrap();
    let run = w.run(&[
        "--execute-tool",
        "--tool-name",
        "exa_search",
        "--tool-input",
        r#"{"query": "the person's secret plans"}"#,
    ]);
    assert!(!attacker.saw("secret plans"), "the tool input went to the planted server");
    assert_eq!(attacker.connections.load(Ordering::SeqCst), 0);
    assert_eq!(code(&run), (3, Some("CONFIG_INVALID")), "{}", run.stdout);
    let message = run.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("the runner's environment") && message.contains(".env"), "{message}");
}

/// Attack 11: other tools' credentials (`~/.config/gh/hosts.yml`, `~/.npmrc`, an `.envrc`) are
/// never sent, and git's settings never written.
#[test]
fn other_tools_credentials_and_settings_are_refused() {
    let w = World::start();
    let home = w.home.path();
    std::fs::create_dir_all(home.join(".config/gh")).unwrap();
    std::fs::write(home.join(".config/gh/hosts.yml"), format!("github.com:\n  oauth_token: {KEY}\n")).unwrap();
    std::fs::write(home.join(".npmrc"), format!("//registry.npmjs.org/:_authToken={KEY}\n")).unwrap();
    std::fs::write(w.path(".envrc"), format!("export AWS_SECRET_ACCESS_KEY={KEY}\n")).unwrap();
    for file in [home.join(".config/gh/hosts.yml"), home.join(".npmrc"), w.path(".envrc")] {
        let refused = run(&w, &upload(&file.display().to_string()));
        assert_eq!(code(&refused), (3, Some("FILE_DENIED")), "{}: {}", file.display(), refused.stdout);
    }
    let written = run(&w, &download(&home.join(".gitconfig").display().to_string()));
    assert_eq!(code(&written), (3, Some("FILE_DENIED")), "{}", written.stdout);
    assert!(!home.join(".gitconfig").exists());
    assert!(!sent(&w, "attacker-wants-this"));
}

/// Attack 12: the trail cut and its head deleted; the trail replaced by unchained lines; a cut
/// trail whose head was rewritten (digest only): `--verify` fails each time, and the next audited
/// call does not launder it.
#[test]
fn the_audit_trail_s_verify_is_honest() {
    let w = World::start();
    let state = w.home.path().join(".local/state/agent-auth");
    let (trail, head) = (state.join("audit.jsonl"), state.join("audit.jsonl.head"));
    let audited = || w.run(&["--execute-tool", "--tool-name", "exa_search", "--tool-input", r#"{"query": "x"}"#]);
    for _ in 0..3 {
        assert_eq!(audited().code, 0);
    }
    let verify = || w.run(&["--audit-log", "--verify"]);
    let intact = verify();
    assert_eq!(intact.code, 0, "{}", intact.stdout);
    let text = std::fs::read_to_string(&trail).unwrap();
    let kept = |n: usize| text.lines().take(n).map(|l| format!("{l}\n")).collect::<String>();

    std::fs::write(&trail, kept(4)).unwrap();
    std::fs::remove_file(&head).unwrap();
    assert_eq!(code(&verify()), (3, Some("AUDIT_CHAIN_BROKEN")), "the head deleted, the end cut");
    assert_eq!(audited().code, 0);
    assert_eq!(code(&verify()), (3, Some("AUDIT_CHAIN_BROKEN")), "the next call did not launder it");

    let unchained: String = text
        .lines()
        .map(|l| {
            let mut entry: serde_json::Map<String, Value> = serde_json::from_str(l).unwrap();
            entry.remove("prev");
            format!("{}\n", Value::Object(entry))
        })
        .collect();
    std::fs::write(&trail, unchained).unwrap();
    std::fs::remove_file(&head).unwrap();
    assert_eq!(code(&verify()), (3, Some("AUDIT_CHAIN_BROKEN")), "unchained lines");

    std::fs::write(&trail, kept(4)).unwrap();
    let last = kept(4).lines().last().unwrap().to_owned();
    std::fs::write(&head, format!("{}\n", support::sha256_hex(last.as_bytes()))).unwrap();
    let rewritten = verify();
    assert_eq!(code(&rewritten), (3, Some("AUDIT_CHAIN_BROKEN")), "a rewritten head: {}", rewritten.stdout);
}

/// Attack 13: hostile sizes: a 1 MiB access token, a dense 11.5 MB JSON answer, a 30 MB tool input
/// on stdin and an 8 MB one through the MCP server: each ends in a coded error, never exit 1.
#[test]
fn hostile_sizes_end_in_a_coded_error() {
    let w = World::start();
    let huge_token = format!(r#"{{"access_token": "{}", "expires_in": 3600}}"#, "A".repeat(1 << 20));
    let tokens = Catcher::start(always(huge_token.as_bytes()));
    let mut cmd = w.command(&["--list-connections"]);
    cmd.env("TOOL_ENV_URL", &tokens.url);
    let token = finish(cmd);
    assert_eq!(code(&token), (6, Some("SCALEKIT_ERROR")), "{}", token.stdout);

    // 11.5 MB of JSON, under the bytes read, but six million values once parsed.
    let dense = format!(r#"{{"error": [{}]}}"#, vec!["1"; 6 << 20].join(",")).into_bytes();
    let answers = Catcher::start(move |head: &[u8]| match head.starts_with(b"POST /oauth/token") {
        true => (200, br#"{"access_token": "t", "expires_in": 3600}"#.to_vec()),
        false => (500, dense.clone()),
    });
    let mut cmd = w.command(&["--list-connections"]);
    cmd.env("TOOL_ENV_URL", &answers.url);
    let answer = finish(cmd);
    assert_eq!(code(&answer), (6, Some("SCALEKIT_ERROR")), "{}", answer.stdout);

    let input = format!(r#"{{"query": "{}"}}"#, "x".repeat(30 << 20));
    let mut cmd = w.command(&["--execute-tool", "--tool-name", "exa_search", "--tool-input", "-"]);
    cmd.stdin(std::process::Stdio::piped());
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    let stdin_input: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((out.status.code(), stdin_input["error"]["code"].as_str()), (Some(2), Some("USAGE")), "{stdin_input}");

    let hello = mcp_hello(1);
    // 8 MB: under the MCP transport's own line limit (16 MiB; a longer line is dropped unread).
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "execute_tool",
        "arguments": {"tool_name": "exa_search", "input": {"query": "x".repeat(8 << 20)}}}});
    let answers = exchange_with(w.command(&["mcp"]), &[hello, call]);
    assert_eq!(
        answers[1]["result"]["structuredContent"]["error"]["code"],
        "USAGE",
        "{}",
        &answers[1].to_string()[..300]
    );
}

/// Attack 14: results past 256 MiB in all (ten large ones left by earlier calls): the next call
/// removes the oldest until they fit.
#[test]
fn result_files_are_capped_in_all() {
    let w = World::start();
    let results = w.home.path().join(".local/state/agent-auth/results");
    std::fs::create_dir_all(&results).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for i in 0..10u64 {
        // Sparse: 30 MiB each without writing them.
        let name = format!("{}-exa_search-0a1b2c{i:02}.json", now - 100 + i);
        std::fs::File::create(results.join(name)).unwrap().set_len(30 << 20).unwrap();
    }
    assert_eq!(w.run(&["--list-connections"]).code, 0);
    let total: u64 = std::fs::read_dir(&results).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    assert!(total <= 256 << 20, "{total} bytes of results are left");
    let oldest = results.join(format!("{}-exa_search-0a1b2c00.json", now - 100));
    assert!(!oldest.exists(), "the oldest went first");
}

/// A planted `.env` whose value names a variable of the runner's environment
/// (`${TOOL_CLIENT_SECRET}`) gets the name, never the value; and a planted identifier never chooses
/// whom the environment's credentials act for.
#[test]
fn a_planted_env_never_reads_the_runner_s_variables_nor_chooses_the_user() {
    let w = World::start();
    let credentials = format!(
        "TOOL_CLIENT_ID={}\nTOOL_CLIENT_SECRET={CLIENT_SECRET}\nTOOL_ENV_URL={}\n",
        support::CLIENT_ID,
        w.server.url()
    );
    std::fs::write(w.path(".env"), format!("{credentials}TOOL_IDENTIFIER=${{TOOL_CLIENT_SECRET}}\n")).unwrap();
    let mut cmd = w.command(&["--generate-link", "--connection-name", "notion-ijIQedmJ"]);
    for name in ["TOOL_IDENTIFIER", "TOOL_CLIENT_ID", "TOOL_CLIENT_SECRET", "TOOL_ENV_URL"] {
        cmd.env_remove(name);
    }
    let run = finish(cmd);
    assert_eq!(run.json["identifier"], "${TOOL_CLIENT_SECRET}", "{}", run.stdout);

    std::fs::write(w.path(".env"), "TOOL_IDENTIFIER=admin@corp\n").unwrap();
    let mut cmd = w.command(&["--generate-link", "--connection-name", "notion-ijIQedmJ"]);
    cmd.env_remove("TOOL_IDENTIFIER");
    let chosen = finish(cmd);
    assert_eq!(code(&chosen), (3, Some("CONFIG_INVALID")), "{}", chosen.stdout);
    let mut server = w.command(&["mcp"]);
    server.env_remove("TOOL_IDENTIFIER");
    let refused = support::output_within(&mut server, support::DEADLINE);
    assert_eq!(refused.status.code(), Some(3), "the MCP server does not start for admin@corp");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("TOOL_IDENTIFIER"));
}

/// The runner's own program and the files its settings name, folders of programs (on `PATH`,
/// `~/.local/bin`), a repository's `.git` folder, and an `.env` named in capitals: never written
/// (or read); an operator's allowed folder does not allow a second name of a key.
#[test]
fn what_runs_later_is_never_written() {
    let w = World::start();
    let policy = w.path("policy.json");
    std::fs::write(&policy, r#"{"notion-ijIQedmJ": ["GET /files/*"]}"#).unwrap();
    let on_path = w.home.path().join("tools");
    std::fs::create_dir_all(&on_path).unwrap();
    std::fs::create_dir_all(w.path("repo/.git")).unwrap();
    std::fs::write(w.path("component.wasm"), agent_auth_host::component::EMBEDDED).unwrap();
    std::fs::create_dir_all(w.home.path().join(".local/bin")).unwrap();
    let path = format!("{}:{}", on_path.display(), std::env::var("PATH").unwrap());
    for target in [
        policy.clone(),
        w.path("component.wasm.sha256"),
        on_path.join("git"),
        w.path("repo/.git/config"),
        w.home.path().join(".local/bin/ls"),
    ] {
        let mut cmd =
            w.command(&download(&target.display().to_string()).iter().map(String::as_str).collect::<Vec<_>>());
        cmd.env("AGENT_AUTH_PROXY_POLICY", &policy)
            .env("AGENT_AUTH_COMPONENT", w.path("component.wasm"))
            .env("PATH", &path);
        let written = finish(cmd);
        assert_eq!(code(&written), (3, Some("FILE_DENIED")), "{}: {}", target.display(), written.stdout);
    }
    assert_eq!(std::fs::read_to_string(&policy).unwrap(), r#"{"notion-ijIQedmJ": ["GET /files/*"]}"#);

    std::fs::write(w.path(".ENV"), format!("STRIPE_KEY={KEY}")).unwrap();
    let capitals = run(&w, &upload(&w.path(".ENV").display().to_string()));
    assert_eq!(code(&capitals), (3, Some("FILE_DENIED")), "{}", capitals.stdout);

    let key = plant_key(&w);
    std::fs::create_dir(w.path("allowed")).unwrap();
    std::fs::hard_link(&key, w.path("allowed/id.txt")).unwrap();
    let mut cmd = w.command(
        &upload(&w.path("allowed/id.txt").display().to_string()).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    cmd.env("AGENT_AUTH_ALLOW_FILES", w.path("allowed"));
    let linked = finish(cmd);
    assert_eq!(code(&linked), (3, Some("FILE_DENIED")), "{}", linked.stdout);
    assert!(!sent(&w, "attacker-wants-this"));
}

/// A file named as the `.env` that is not one (a key's one line): no warning names what it holds.
#[test]
fn a_file_named_as_an_env_file_names_none_of_its_keys() {
    let w = World::start();
    let key = w.home.path().join("wg.key");
    std::fs::write(&key, "LPvqHn0eT2bm8yWsqP9Q6xYz3kRcU1fG7hJ5dA8sNwE=\n").unwrap();
    let run = w.run(&["--env-file", &key.display().to_string(), "--list-connections"]);
    assert!(!run.stdout.contains("LPvq") && !run.stderr.contains("LPvq"), "{}{}", run.stdout, run.stderr);
}

/// Files far larger than anything sent (a sparse terabyte): refused at once, never copied.
#[test]
fn a_huge_file_is_refused_before_it_is_copied() {
    let w = World::start();
    std::fs::File::create(w.path("huge.json")).unwrap().set_len(1 << 40).unwrap();
    let input = w.run(&[
        "--execute-tool",
        "--tool-name",
        "exa_search",
        "--tool-input",
        &format!("@{}", w.path("huge.json").display()),
    ]);
    assert_eq!(code(&input), (2, Some("USAGE")), "{}", input.stdout);
    let upload = run(&w, &upload(&w.path("huge.json").display().to_string()));
    assert_eq!(code(&upload), (2, Some("USAGE")), "{}", upload.stdout);
}

/// Through `agent-auth mcp --files`, a path outside the granted folders is refused as outside
/// them, whatever lies there: the server tells nothing of it (not even that it is a link).
#[test]
fn the_mcp_server_tells_nothing_of_what_lies_outside_its_folders() {
    let w = World::start();
    std::fs::create_dir(w.path("granted")).unwrap();
    std::os::unix::fs::symlink(w.home.path(), w.path("outside-link")).unwrap();
    let call = |id: u64, file: &Path| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "proxy_request", "arguments": {
            "connection_name": "notion-ijIQedmJ", "path": "/v1/file_uploads/u1/send", "method": "POST",
            "input_file": file.display().to_string()}}})
    };
    let requests = [mcp_hello(1), call(2, &w.path("outside-link/x")), call(3, &w.home.path().join("absent/x"))];
    let answers = exchange_with(w.command(&["mcp", "--files", &w.path("granted").display().to_string()]), &requests);
    for answer in &answers[1..] {
        let message = answer["result"]["structuredContent"]["error"]["message"].as_str().unwrap_or_default();
        assert!(message.ends_with("is outside the granted folders"), "{answer}");
    }
}

/// What held before and must keep holding: `..` and `/proc/self/cwd` forms of a refused file, and
/// the operator's `AGENT_AUTH_ALLOW_FILES` and `AGENT_AUTH_PROXY_POLICY` planted in a `./.env`
/// (ignored, with a warning each: the key stays refused, the proxy unrestricted by the planted
/// policy, which would refuse everything).
#[test]
fn the_forms_that_held_still_hold() {
    let w = World::start();
    let key = plant_key(&w);
    let depth = w.cwd.path().components().count() - 1;
    let climbing = format!("{}{}", "../".repeat(depth), key.strip_prefix("/").unwrap().display());
    let through_proc = format!("/proc/self/cwd/{climbing}");
    let refused = run(&w, &upload(&climbing));
    assert_eq!(code(&refused), (3, Some("FILE_DENIED")), "{climbing}: {}", refused.stdout);
    // `..` is resolved in the text, so this names /proc/..., which holds no such file.
    let nowhere = run(&w, &upload(&through_proc));
    assert_eq!(code(&nowhere), (2, Some("INPUT_FILE_UNREADABLE")), "{through_proc}: {}", nowhere.stdout);
    std::os::unix::fs::symlink(&key, w.path("innocent.txt")).unwrap();
    let linked = run(&w, &upload("/proc/self/cwd/innocent.txt"));
    assert_eq!(code(&linked), (3, Some("FILE_DENIED")), "{}", linked.stdout);
    std::fs::write(w.path("deny-all.json"), "{}").unwrap();
    let planted = format!(
        "AGENT_AUTH_ALLOW_FILES={}\nAGENT_AUTH_PROXY_POLICY={}\n",
        key.parent().unwrap().display(),
        w.path("deny-all.json").display()
    );
    std::fs::write(w.path(".env"), planted).unwrap();
    let refused = run(&w, &upload(&key.display().to_string()));
    assert_eq!(code(&refused), (3, Some("FILE_DENIED")), "{}", refused.stdout);
    let proxied = w.run(&["--proxy-request", "--connection-name", "notion-ijIQedmJ", "--path", "/v1/users/me"]);
    assert_eq!(proxied.code, 0, "the planted policy is not the operator's: {}", proxied.stdout);
    assert_eq!(proxied.json["warnings"].as_array().unwrap().len(), 2, "{}", proxied.stdout);
    assert!(!sent(&w, "attacker-wants-this"));
}

/// `agent-auth --generate-link --wait` in custom user verification with the verify URL `route`,
/// started in the background for `w`'s person; returns once the route listens on `port`.
fn waiting_with_route(w: &World, route: &str, port: u16) -> std::process::Child {
    let mut cmd = w.command(&["--generate-link", "--connection-name", "gmail", "--wait", "60"]);
    cmd.env("AGENT_AUTH_USER_VERIFICATION", "custom").env("AGENT_AUTH_VERIFY_URL", route);
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    support::until_listening(port);
    child
}

/// `GET path` on `addr`, the answer's head and body as text (empty when none came within
/// `seconds`).
fn get(addr: std::net::SocketAddr, path: &str, seconds: u64) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(seconds))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn the_verify_route_s_mark_is_the_runner_s_alone() {
    let w = World::verifying();
    let port = support::free_port();
    let route = format!("http://127.0.0.1:{port}/agent-auth/verify");
    let mut link = w.command(&["--generate-link", "--connection-name", "gmail"]);
    link.env("AGENT_AUTH_USER_VERIFICATION", "custom").env("AGENT_AUTH_VERIFY_URL", &route);
    let made = finish(link);
    let callback = w.double.complete_authorization(made.json["action_required"]["link"].as_str().unwrap()).unwrap();
    let callback = callback.expect("custom mode sends the browser to the route");
    let value = |name: &str| support::query_value(&callback, name).expect("the callback's values");
    // The agent has the callback's values (an attacker sent them) and sets the route's mark itself.
    let mut typed = w.command(&[
        "--verify-user",
        "--auth-request-id",
        &value("auth_request_id"),
        "--state",
        &value("state"),
        "--identifier",
        support::IDENTIFIER,
    ]);
    typed
        .env("AGENT_AUTH_USER_VERIFICATION", "custom")
        .env("AGENT_AUTH_VERIFY_URL", &route)
        .env("AGENT_AUTH_VERIFY_ROUTE", "1");
    let refused = finish(typed);
    assert_eq!((refused.code, refused.json["reason"].as_str()), (6, Some("loopback_route_only")), "{}", refused.stdout);
    assert!(!sent(&w, "/user/verify"), "nothing went to Scalekit");
}

#[test]
fn a_localhost_route_holds_both_addresses_and_idle_connections_keep_no_one_out() {
    let w = World::verifying();
    let port = support::free_port();
    let mut child = waiting_with_route(&w, &format!("http://localhost:{port}/agent-auth/verify"), port);
    // Another program cannot sit on the other address a browser may try for localhost.
    if std::net::TcpListener::bind(("::1", 0)).is_ok() {
        assert!(std::net::TcpListener::bind(("::1", port)).is_err(), "[::1]:{port} was left for another program");
        assert!(
            get(std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)), "/agent-auth/verify", 30)
                .contains(" 400 ")
        );
    }
    // A local process holds connections open without a word; the person's browser still gets in,
    // well before an idle connection would be dropped (a queue behind them would wait that long).
    let idle: Vec<std::net::TcpStream> =
        (0..20).map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
    let answer = get(
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        "/agent-auth/verify?auth_request_id=ar_1&state=forged",
        5,
    );
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("No link of this agent-auth has this state"), "{answer}");
    drop(idle);
    let _ = child.kill();
    let _ = child.wait();
}
