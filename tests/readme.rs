//! The examples of the README and of the book (`docs/`) are real: every `console` block starting
//! with `$ agent-auth` is run, page by page in [`PAGES`]' order and in order within a page, against
//! one virtual Scalekit on loopback, and its stdout must equal the `json` block that follows. The loopback URL is shown as https://acme.scalekit.cloud and the test's home folder as
//! /home/alice. Values that differ on every run are compared by their form only: RFC 3339
//! timestamps, `duration_ms`, MCP server ids, instance tokens and session tokens, and the audit
//! trail's call ids and chain digests (`call`, `prev`, `head`). A `# exit N`
//! line in the console block gives the expected exit code (0 otherwise). A command may start with
//! variable assignments (`TOOL_MCP_URL="$URL" agent-auth ...`): `$URL` is the `url` an earlier
//! example printed, `$SERVER` and `$TOKEN` the `mcp_server_url` and `token`; a command given
//! `TOOL_MCP_URL` runs without the client credentials, as the agent it is handed to would. Run
//! with `UPDATE_README=1` to rewrite the json blocks from real output.

/// The pages with examples, in the order they run (later ones see what earlier ones did: the
/// audit trail lists the calls before it).
const PAGES: [&str; 6] = [
    "README.md",
    "docs/user/operations.md",
    "docs/operator/user-verification.md",
    "docs/operator/audit.md",
    "docs/user/tokens.md",
    "docs/user/hosted-mcp.md",
];

mod support;

use serde_json::Value;
use support::{World, finish_handing_out};

const SHOWN_URL: &str = "https://acme.scalekit.cloud";
const SHOWN_HOME: &str = "/home/alice";

struct Example {
    command: String,
    exit: i32,
    /// The page it is on (an index into [`PAGES`]).
    page: usize,
    /// Byte range of the json block's body in its page.
    json_range: std::ops::Range<usize>,
}

fn examples(page: usize, readme: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(start) = readme[rest..].find("```console\n$ ") {
        let block_start = rest + start + "```console\n".len();
        let block_end = block_start + readme[block_start..].find("```").expect("closed console block");
        let block = &readme[block_start..block_end];
        let command = block.lines().next().unwrap().trim_start_matches("$ ").to_owned();
        let exit = block.lines().find_map(|l| l.strip_prefix("# exit ")).map_or(0, |n| n.trim().parse().unwrap());
        let json_start = block_end
            + readme[block_end..].find("```json\n").expect("a json block follows each command")
            + "```json\n".len();
        let json_end = json_start + readme[json_start..].find("```").expect("closed json block");
        out.push(Example { command, exit, page, json_range: json_start..json_end });
        rest = json_end;
    }
    out
}

/// Splits a shell command line (single and double quotes, no expansions).
fn words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (_, c) => (word.push(c), started = true).1,
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Replaces what differs on every run (see the module doc) by a placeholder.
fn mask_variable(v: &mut Value) {
    match v {
        Value::String(s) if s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z') => *s = "<timestamp>".into(),
        Value::String(s) if s.contains("/mcp/v3/servers/") || s.contains("?token=") => {
            let cut =
                s.find("?token=").map(|i| i + 7).or_else(|| s.find("/servers/").map(|i| i + 9)).unwrap_or(s.len());
            s.replace_range(cut.., "<random>");
        }
        Value::Array(items) => items.iter_mut().for_each(mask_variable),
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "duration_ms" && value.is_number() {
                    *value = Value::from(0);
                } else if matches!(key.as_str(), "token" | "call" | "prev" | "head") && value.is_string() {
                    *value = Value::from("<random>");
                } else {
                    mask_variable(value);
                }
            }
        }
        _ => {}
    }
}

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every Markdown file of the book and the README.
fn every_page() -> Vec<String> {
    let mut pages = vec!["README.md".to_owned()];
    let mut folders = vec![repo().join("docs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path.strip_prefix(repo()).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    pages
}

#[test]
fn every_page_with_examples_is_run() {
    for page in every_page() {
        let text = std::fs::read_to_string(repo().join(&page)).unwrap();
        if text.contains("```console\n$ ") {
            assert!(PAGES.contains(&page.as_str()), "{page} shows examples: add it to PAGES in tests/readme.rs");
        }
    }
}

#[test]
fn readme_examples_print_what_the_readme_shows() {
    let mut texts: Vec<String> = PAGES.iter().map(|p| std::fs::read_to_string(repo().join(p)).unwrap()).collect();
    let found: Vec<Example> = texts.iter().enumerate().flat_map(|(page, text)| examples(page, text)).collect();
    assert!(found.len() >= 6, "the docs show one example per operation");
    let world = World::start();
    let update = std::env::var_os("UPDATE_README").is_some();
    let mut replacements = Vec::new();
    // What later examples refer to as `$NAME`.
    let mut printed: Vec<(&str, String)> = Vec::new();
    for example in &found {
        let substituted =
            |word: &str| printed.iter().fold(word.to_owned(), |w, (name, value)| w.replace(&format!("${name}"), value));
        let all = words(&example.command);
        let at = all.iter().position(|w| w == "agent-auth").expect("the command runs agent-auth");
        let assigned: Vec<(String, String)> = all[..at]
            .iter()
            .map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), substituted(v))).expect("NAME=VALUE"))
            .collect();
        let args: Vec<String> = all[at + 1..].iter().map(|w| substituted(w)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let handed_out: &[&str] = if args.contains(&"--get-token") { &["ya29.virtual-"] } else { &[] };
        let mut command = world.command(&args);
        if assigned.iter().any(|(k, _)| k == "TOOL_MCP_URL") {
            command.env_remove("TOOL_CLIENT_ID").env_remove("TOOL_CLIENT_SECRET").env_remove("TOOL_ENV_URL");
        }
        command.envs(assigned);
        let run = finish_handing_out(command, handed_out);
        for (name, key) in [("URL", "url"), ("SERVER", "mcp_server_url"), ("TOKEN", "token")] {
            if let Some(value) = run.json[key].as_str() {
                printed.retain(|(n, _)| *n != name);
                printed.push((name, value.to_owned()));
            }
        }
        assert_eq!(run.code, example.exit, "`{}` exited {}:\n{}{}", example.command, run.code, run.stdout, run.stderr);
        let shown = run
            .stdout
            .replace(&world.server.url(), SHOWN_URL)
            .replace(&world.home.path().to_string_lossy().into_owned(), SHOWN_HOME);
        if update {
            replacements.push((example.page, example.json_range.clone(), shown));
            continue;
        }
        let page = &texts[example.page];
        let mut want: Value = serde_json::from_str(&page[example.json_range.clone()]).expect("the page's json parses");
        let mut got: Value = serde_json::from_str(&shown).unwrap();
        mask_variable(&mut want);
        mask_variable(&mut got);
        assert_eq!(
            got, want,
            "{}: the output of `{}` is stale; rerun with UPDATE_README=1",
            PAGES[example.page], example.command
        );
    }
    if update {
        for (page, range, text) in replacements.into_iter().rev() {
            texts[page].replace_range(range, &text);
        }
        for (page, text) in PAGES.iter().zip(&texts) {
            std::fs::write(repo().join(page), text).unwrap();
        }
    }
}
