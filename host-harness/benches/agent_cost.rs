//! What a task costs an agent: the seed's four worked examples played as an agent following
//! SKILL.md would, before (the five-step flow of `tool_exec.py`) and after (the short path), on a
//! fresh machine each against the virtual Scalekit on loopback; for each, the invocations, the
//! bytes of stdout the model reads, and the requests sent. Then three scripted mistakes, each
//! fixed in one retry from the error alone. Prints a Markdown table (the README's) and fails when
//! a goal is missed: the one call of each short path doing the job, at least 3x fewer stdout
//! bytes for the Notion example, every mistake fixed in one retry.
//! Run: `cargo bench -p agent-auth --bench agent_cost`.

use std::process::Command;

use serde_json::{Value, json};

mod support;
use support::{Machine, served_during};

const NOTION_PAGE: &str = "59833787-2cf9-4fdf-8782-e53db20768a5";

/// One invocation as the agent saw it.
struct Step {
    code: i32,
    json: Value,
    stdout: usize,
    requests: usize,
}

/// The steps of one way through a task.
#[derive(Default)]
struct Path {
    steps: Vec<Step>,
}

impl Path {
    fn invocations(&self) -> usize {
        self.steps.len()
    }
    fn stdout(&self) -> usize {
        self.steps.iter().map(|s| s.stdout).sum()
    }
    fn requests(&self) -> usize {
        self.steps.iter().map(|s| s.requests).sum()
    }
    fn last(&self) -> &Value {
        &self.steps.last().expect("a step").json
    }
}

/// An agent on one machine, reading each result as a model would.
struct Agent<'a> {
    double: &'a virtual_scalekit::VirtualScalekit,
    machine: Machine<'a>,
    path: Path,
}

impl Agent<'_> {
    /// Runs one command and keeps what it cost.
    fn run(&mut self, args: &[&str]) -> &Value {
        let cmd: Command = self.machine.agent_auth(args);
        let (out, requests) = served_during(self.double, || { cmd }.output().expect("run agent-auth"));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let code = out.status.code().unwrap_or(-1);
        self.path.steps.push(Step { code, json, stdout: out.stdout.len(), requests: requests.len() });
        &self.path.steps.last().unwrap().json
    }

    fn succeeded(&self) -> bool {
        self.path.steps.last().is_some_and(|s| s.code == 0)
    }
}

/// A worked example: its provider, and the call that does it once the connection is known.
struct Example {
    name: &'static str,
    provider: &'static str,
    /// The tool and its input; `None`: the proxy call below.
    tool: Option<(&'static str, Value)>,
    proxy_path: Option<String>,
}

/// Before: list the connections, check the account, list the provider's tools, read the tool's
/// schema, execute (for the proxy: list, check, call).
fn five_steps(agent: &mut Agent, example: &Example) {
    let selected = agent.run(&["--list-connections", "--provider", example.provider])["selected"]
        .as_str()
        .expect("a selected connection")
        .to_owned();
    agent.run(&["--generate-link", "--connection-name", &selected]);
    match &example.tool {
        Some((tool, input)) => {
            agent.run(&["--get-tool", "--provider", example.provider]);
            agent.run(&["--get-tool", "--tool-name", tool]);
            agent.run(&[
                "--execute-tool",
                "--tool-name",
                tool,
                "--connection-name",
                &selected,
                "--tool-input",
                &input.to_string(),
            ]);
        }
        None => {
            let path = example.proxy_path.as_deref().unwrap();
            agent.run(&["--proxy-request", "--connection-name", &selected, "--path", path]);
        }
    }
}

/// After: the one call SKILL.md's short path makes once the tool (or, for the proxy, the
/// connection a previous step named) is known.
fn short_path(agent: &mut Agent, example: &Example, connection: &str) {
    match &example.tool {
        Some((tool, input)) => agent.run(&["--execute-tool", "--tool-name", tool, "--tool-input", &input.to_string()]),
        None => {
            let path = example.proxy_path.as_deref().unwrap();
            agent.run(&["--proxy-request", "--connection-name", connection, "--path", path])
        }
    };
}

/// A mistake: a wrong input, and how the agent reads the error to fix it.
struct Mistake {
    name: &'static str,
    tool: &'static str,
    input: Value,
    /// The agent's intent for parameters it forgot (a missing required field names its key).
    intent: Value,
}

/// Plays the mistake: the wrong call, then one retry built from the error alone (`next` as
/// is, or the missing parameters the violations name filled from the intent). Returns the
/// retries it took to succeed (`None`: not fixed in one).
fn play_mistake(agent: &mut Agent, mistake: &Mistake) -> Option<usize> {
    let input = mistake.input.to_string();
    let error = agent.run(&["--execute-tool", "--tool-name", mistake.tool, "--tool-input", &input]).clone();
    if agent.succeeded() || error["error"]["code"] != "INVALID_TOOL_INPUT" {
        return None;
    }
    let retry: Vec<String> = match error["next"].as_array() {
        Some(next) => next.iter().skip(1).filter_map(|a| a.as_str().map(str::to_owned)).collect(),
        None => {
            let mut fixed = mistake.input.clone();
            for violation in error["violations"].as_array()?.iter().filter(|v| v["constraint"] == "required") {
                let key = violation["pointer"].as_str()?.trim_start_matches('/');
                fixed[key] = mistake.intent.get(key)?.clone();
            }
            ["--execute-tool", "--tool-name", mistake.tool, "--tool-input", &fixed.to_string()]
                .map(str::to_owned)
                .to_vec()
        }
    };
    agent.run(&retry.iter().map(String::as_str).collect::<Vec<_>>());
    agent.succeeded().then_some(1)
}

fn main() {
    let Some((double, loopback)) = support::serve() else { return };
    let url = loopback.url();
    let warm = Machine::new(&url);
    assert!(warm.agent_auth(&["compile"]).output().unwrap().status.success(), "compile");
    let fresh = || {
        let machine = Machine::new(&url);
        // Every machine shares the warm compile cache: the cost measured is the agent's, not the compiler's.
        std::fs::remove_dir(machine.cache.path()).unwrap();
        std::os::unix::fs::symlink(warm.cache.path(), machine.cache.path()).unwrap();
        Agent { double: &double, machine, path: Path::default() }
    };
    let examples = [
        Example {
            name: "LinkedIn search (HARVESTAPI)",
            provider: "HARVESTAPI",
            tool: Some(("harvestapi_search_people", json!({"search": "staff engineer", "location": "Berlin"}))),
            proxy_path: None,
        },
        Example {
            name: "web search (EXA)",
            provider: "EXA",
            tool: Some(("exa_search", json!({"query": "WebAssembly component model", "num_results": 5}))),
            proxy_path: None,
        },
        Example {
            name: "read a Notion page",
            provider: "NOTION",
            tool: Some(("notion_page_get", json!({"page_id": NOTION_PAGE}))),
            proxy_path: None,
        },
        Example {
            name: "page blocks through the proxy",
            provider: "NOTION",
            tool: None,
            proxy_path: Some(format!("/v1/blocks/{NOTION_PAGE}/children")),
        },
    ];

    println!(
        "| example | before: invocations | stdout bytes | requests | after: invocations | stdout bytes | requests |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut missed = Vec::new();
    let mut connection = String::new();
    for example in &examples {
        let mut before = fresh();
        five_steps(&mut before, example);
        assert!(before.succeeded(), "{}: the five steps failed: {}", example.name, before.path.last());
        // The short path is one call by construction; what is measured is that it does the job.
        let mut after = fresh();
        assert!(
            example.tool.is_some() || !connection.is_empty(),
            "the proxy example follows one that names its connection"
        );
        short_path(&mut after, example, &connection);
        assert!(after.succeeded(), "{}: the short path failed: {}", example.name, after.path.last());
        if let Some(name) = after.path.last()["connection_name"].as_str() {
            connection = name.to_owned();
        }
        let (b, a) = (&before.path, &after.path);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            example.name,
            b.invocations(),
            b.stdout(),
            b.requests(),
            a.invocations(),
            a.stdout(),
            a.requests()
        );
        if example.name == "read a Notion page" && a.stdout() * 3 > b.stdout() {
            missed.push(format!("{}: {} stdout bytes is not 3x fewer than {}", example.name, a.stdout(), b.stdout()));
        }
    }

    // From nothing: find the tool by what is to be done, then run it.
    let mut cold = fresh();
    let found = cold.run(&["--get-tool", "--query", "read a notion page", "--summary", "--page-size", "3"]).clone();
    assert_eq!(found["tools"][0]["name"], "notion_page_get", "the search ranks the tool first: {found}");
    cold.run(&[
        "--execute-tool",
        "--tool-name",
        "notion_page_get",
        "--tool-input",
        &json!({"page_id": NOTION_PAGE}).to_string(),
    ]);
    assert!(cold.succeeded(), "{}", cold.path.last());
    println!(
        "| read a Notion page, tool unknown (search, then execute) | | | | {} | {} | {} |",
        cold.path.invocations(),
        cold.path.stdout(),
        cold.path.requests()
    );

    let mistakes = [
        Mistake {
            name: "misspelt parameter (`qeury`)",
            tool: "exa_search",
            input: json!({"qeury": "WebAssembly component model"}),
            intent: json!({}),
        },
        Mistake {
            name: "wrong enum value (`sort_direction: asc`)",
            tool: "notion_page_search",
            input: json!({"query": "roadmap", "sort_direction": "asc"}),
            intent: json!({}),
        },
        Mistake {
            name: "missing required field (`search`)",
            tool: "harvestapi_search_people",
            input: json!({"location": "Berlin"}),
            intent: json!({"search": "staff engineer"}),
        },
    ];
    println!("\n| mistake | retries to success | invocations | stdout bytes | requests |");
    println!("|---|---:|---:|---:|---:|");
    for mistake in &mistakes {
        let mut agent = fresh();
        let retries = play_mistake(&mut agent, mistake);
        let p = &agent.path;
        let shown = retries.map_or("not fixed".to_owned(), |r| r.to_string());
        println!("| {} | {shown} | {} | {} | {} |", mistake.name, p.invocations(), p.stdout(), p.requests());
        if retries != Some(1) {
            missed.push(format!("{}: not fixed in one retry: {}", mistake.name, p.last()));
        }
    }
    assert!(missed.is_empty(), "goals missed:\n{}", missed.join("\n"));
}
