//! The OpenClaw skill (`skill/`), checked as its users meet it:
//! - the committed `agent-auth.wasm` is the component this source builds, with its checksum;
//! - every command in SKILL.md runs, in order, against the virtual Scalekit on loopback;
//! - ClawHub's own file selection publishes exactly the skill's four files;
//! - the real OpenClaw CLI (pinned, on Node 24) parses the skill as intended and makes it eligible
//!   only with the runner on PATH and the credentials set;
//! - the same `.wasm` runs under jco, a WASI host we did not write.
//!
//! The third-party tools come from `tests/skill/package-lock.json` (`scripts/test.sh` runs
//! `npm install` there). Without them these tests fail; they never pass silently.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use support::node::{node, node_modules, openclaw};
use support::{
    CLIENT_ID, CLIENT_SECRET, DEADLINE, IDENTIFIER, Run, SECRET_MARKERS, World, finish, output_within, sha256_hex,
};

/// The skill's name: its ClawHub slug and its folder name once installed.
const NAME: &str = "agent-auth";
/// The variables the skill requires (`metadata.openclaw.requires.env`).
const REQUIRED_ENV: [&str; 1] = ["TOOL_ENV_URL"];
/// What publishing `skill/` may ship.
const PUBLISHED: [&str; 4] = ["README.md", "SKILL.md", "agent-auth.wasm", "agent-auth.wasm.sha256"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host-harness sits in the workspace").to_path_buf()
}

fn skill_dir() -> PathBuf {
    repo().join("skill")
}

// ---------------------------------------------------------------------------------------------
// The component in the skill

#[test]
fn the_committed_component_is_what_the_source_builds() {
    let committed = std::fs::read(skill_dir().join("agent-auth.wasm")).expect("skill/agent-auth.wasm is committed");
    let built = agent_auth_host::component::EMBEDDED;
    assert!(
        committed == built,
        "skill/agent-auth.wasm ({} bytes, sha256 {}) is not what this source builds ({} bytes, sha256 {}): run scripts/build-skill.sh and commit both files",
        committed.len(),
        sha256_hex(&committed),
        built.len(),
        sha256_hex(built)
    );
    let checksum = std::fs::read_to_string(skill_dir().join("agent-auth.wasm.sha256")).unwrap();
    assert_eq!(
        checksum,
        format!("{}  agent-auth.wasm\n", sha256_hex(built)),
        "the checksum is in `sha256sum` format, for `sha256sum -c`"
    );
}

// ---------------------------------------------------------------------------------------------
// SKILL.md, command by command

/// Values the agent takes from an earlier command's output: (text of that command, placeholder,
/// JSON pointer into its output).
const CARRIED: [(&str, &str, &str); 3] = [
    ("--path /v1/file_uploads --method POST", "<upload_id>", "/body/id"),
    ("/children --method PATCH", "<block_id>", "/body/results/0/id"),
    ("--path /v1/blocks/<block_id> ", "<file_url>", "/body/file/file/url"),
];

/// The ```sh blocks of a Markdown document, in order.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence == "```sh" => current = Some(Vec::new()),
            Some(lines) if fence == "```" => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            Some(lines) => lines.push(fence),
            None => {}
        }
    }
    blocks
}

/// The first `<placeholder>` left in a command, if any.
fn placeholder(command: &str) -> Option<&str> {
    let start = command.find('<')?;
    let end = start + command[start..].find('>')?;
    Some(&command[start..=end])
}

#[test]
fn every_command_in_skill_md_runs_against_the_virtual_scalekit() {
    let w = World::start();
    let skill = skill_dir();
    let commands = shell_blocks(&std::fs::read_to_string(skill.join("SKILL.md")).unwrap());
    assert!(commands.len() >= 15, "SKILL.md lost its commands: {commands:#?}");
    assert!(
        commands.iter().any(|c| c.contains("--execute-tool") && !c.contains("--connection-name")),
        "SKILL.md teaches the short path: one --execute-tool call without --connection-name"
    );

    // Names with spaces and a `#`, as people's files have.
    let upload = w.path("Q3 report #1.pdf");
    let report = b"%PDF-1.7 the Q3 report";
    std::fs::write(&upload, report).unwrap();
    let saved = w.path("Q3 report #1 (downloaded).pdf");
    let mut values: HashMap<&str, String> = HashMap::from([
        ("{baseDir}", skill.display().to_string()),
        ("<absolute path of the file>", upload.display().to_string()),
        ("<absolute path to save to>", saved.display().to_string()),
    ]);

    for written in &commands {
        let mut command = written.clone();
        for (name, value) in &values {
            command = command.replace(name, value);
        }
        assert!(placeholder(&command).is_none(), "no value for {:?} in\n{written}", placeholder(&command));
        if let Some(run_by) = written.strip_prefix("agent-auth ") {
            assert!(!run_by.contains("--component"), "no flag chooses the code; the runner's own runs:\n{written}");
            let run = finish(w.shell(&command));
            assert_eq!((run.code, &run.json["ok"]), (0, &json!(true)), "{written}\n{}\n{}", run.stdout, run.stderr);
            for (after, name, pointer) in CARRIED {
                if written.contains(after) {
                    let value = run
                        .json
                        .pointer(pointer)
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| panic!("{pointer} missing after\n{written}\n{}", run.stdout));
                    values.insert(name, value.to_owned());
                }
            }
        } else {
            let out = output_within(&mut w.shell(&command), DEADLINE);
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "{written}\n{text}");
            assert!(!SECRET_MARKERS.iter().any(|m| text.contains(m)), "a secret leaked: {text}");
        }
    }
    let downloaded = std::fs::read(&saved).expect("the download example saved the file");
    assert_eq!(downloaded, report, "the file downloaded from the block is the one uploaded and attached");
}

/// The Managed Agents article's instruction as written: a folder whose `.env` holds only
/// `TOOL_ENV_URL=<instance URL>` and `TOOL_IDENTIFIER`. SKILL.md's tool-listing and execute
/// commands work there, through the instance's MCP server, without the client credentials.
#[test]
fn skill_md_s_tool_commands_work_with_only_an_instance_url_in_dot_env() {
    let w = World::start();
    let config = ["--create-mcp-config", "--name", "skill", "--tools", "notion-ijIQedmJ", "--tools", "exa"];
    assert_eq!(w.run(&[&config[..], &["--tools", "harvestapi-7Qx2"]].concat()).code, 0);
    let ensured = w.run(&["--ensure-mcp-instance", "--config-name", "skill"]);
    assert_eq!(ensured.code, 0, "{}", ensured.stdout);
    let url = ensured.json["url"].as_str().unwrap();
    let folder = w.path("openclaw-workspace");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join(".env"), format!("TOOL_ENV_URL={url}\nTOOL_IDENTIFIER=alice\n")).unwrap();

    let commands = shell_blocks(&std::fs::read_to_string(skill_dir().join("SKILL.md")).unwrap());
    let tool_commands: Vec<&String> =
        commands.iter().filter(|c| c.contains("--get-tool") || c.contains("--execute-tool")).collect();
    assert!(tool_commands.len() >= 6, "{tool_commands:#?}");
    for written in tool_commands {
        let command = written.replace("{baseDir}", &skill_dir().display().to_string());
        let mut shell = w.shell(&command);
        shell.env_remove("TOOL_CLIENT_ID").env_remove("TOOL_CLIENT_SECRET").env_remove("TOOL_ENV_URL");
        shell.env_remove("TOOL_IDENTIFIER").current_dir(&folder);
        let run = finish(shell);
        assert_eq!((run.code, &run.json["ok"]), (0, &json!(true)), "{written}\n{}\n{}", run.stdout, run.stderr);
        assert!(run.json["mcp_server"].is_string(), "it went through the MCP URL: {}", run.stdout);
        let secret = url.split_once("token=").unwrap().1;
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the URL's token leaked: {}", run.stdout);
    }
}

#[test]
fn skill_md_is_one_the_agent_can_follow() {
    let text = std::fs::read_to_string(skill_dir().join("SKILL.md")).unwrap();
    assert!(text.starts_with("---\nname: agent-auth\n"), "the frontmatter opens the file and names the skill first");
    assert!(text.len() < 16_000, "SKILL.md goes into the agent's context whole: keep it short ({} bytes)", text.len());
    let help = succeeded(
        "agent-auth --help",
        output_within(Command::new(env!("CARGO_BIN_EXE_agent-auth")).arg("--help"), DEADLINE),
    );
    // The flags `--help` lists: the first word of its option lines.
    let flags: Vec<&str> = help
        .lines()
        .filter_map(|line| {
            line.trim_start().trim_start_matches("-V, ").trim_start_matches("-h, ").split_whitespace().next()
        })
        .filter(|word| word.starts_with("--"))
        .collect();
    assert!(flags.len() > 30 && flags.contains(&"--env-file") && flags.contains(&"--execute-tool"), "{flags:?}");
    for block in shell_blocks(&text).iter().filter(|b| b.starts_with("agent-auth ")) {
        for flag in block.split_whitespace().filter(|w| w.starts_with("--")) {
            assert!(flags.contains(&flag), "{flag} is not an agent-auth flag (in {block})");
        }
    }
    for kind in ["authorize", "dashboard_account_setup", "complete_connection"] {
        assert!(text.contains(&format!("`{kind}`")), "SKILL.md explains action_required.kind {kind}");
    }
    for exit in 0..=7 {
        assert!(text.contains(&format!("\n| {exit} |")), "SKILL.md explains exit {exit}");
    }
}

// ---------------------------------------------------------------------------------------------
// Third-party tools: Node 24, ClawHub, OpenClaw, jco

fn succeeded(what: &str, out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs one of the `tests/skill/*.mjs` scripts (they use the clawhub package) on `path`.
fn clawhub_script(script: &str, path: &Path) -> Output {
    let home = tempfile::tempdir().unwrap();
    output_within(node(home.path()).arg(repo().join("tests/skill").join(script)).arg(path), DEADLINE)
}

/// The files `clawhub skill publish <folder>` would upload, by ClawHub's own code.
fn published_files(folder: &Path) -> Vec<String> {
    serde_json::from_str(&succeeded("clawhub's file selection", clawhub_script("publish-files.mjs", folder))).unwrap()
}

/// The frontmatter as the ClawHub registry reads it, checked by the clawhub package's own schema.
fn clawhub_metadata(skill_md: &Path) -> Result<Value, String> {
    let out = clawhub_script("clawhub-metadata.mjs", skill_md);
    match out.status.success() {
        true => Ok(serde_json::from_slice(&out.stdout).unwrap()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

#[test]
fn clawhub_reads_the_frontmatter_as_intended() {
    let skill_md = skill_dir().join("SKILL.md");
    let read = clawhub_metadata(&skill_md).unwrap_or_else(|e| panic!("ClawHub's schema rejects the frontmatter: {e}"));
    assert_eq!(read["name"], NAME);
    let description = read["description"].as_str().unwrap();
    assert!(!description.contains('\n') && description.len() < 160, "one line under 160 characters: {description:?}");
    let metadata = &read["metadata"];
    assert_eq!(metadata["primaryEnv"], "TOOL_CLIENT_SECRET");
    assert_eq!(metadata["requires"], json!({"bins": ["agent-auth"], "env": REQUIRED_ENV}));
    // The installer pins the runner version this source builds.
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        metadata["install"],
        json!([{"id": "uv", "kind": "uv", "package": format!("agent-auth=={version}"), "bins": ["agent-auth"],
        "label": "Install the agent-auth runner (uv tool install agent-auth)"}])
    );
    let declared: Vec<&str> =
        metadata["envVars"].as_array().unwrap().iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(declared, ["TOOL_CLIENT_ID", "TOOL_CLIENT_SECRET", "TOOL_ENV_URL", "TOOL_IDENTIFIER"]);

    // The schema is strict enough to catch an installer OpenClaw would silently drop.
    let folder = tempfile::tempdir().unwrap();
    let exec = std::fs::read_to_string(&skill_md).unwrap().replace("kind: uv", "kind: exec");
    std::fs::write(folder.path().join("SKILL.md"), exec).unwrap();
    let refused = clawhub_metadata(&folder.path().join("SKILL.md")).expect_err("an exec installer is refused");
    assert!(refused.contains("install[0].kind"), "{refused}");
}

#[test]
fn clawhub_publishes_only_the_skill_files() {
    assert_eq!(published_files(&skill_dir()), PUBLISHED);
    // Whatever else lands in the folder (notes, caches, backups, secrets) stays home.
    let folder = tempfile::tempdir().unwrap();
    copy_skill(folder.path());
    for stray in [".env", "notes.md", "agent-auth.wasm.orig", "cache/agent-auth.cwasm", "target/x.wasm"] {
        let path = folder.path().join(stray);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "stray").unwrap();
    }
    assert_eq!(published_files(folder.path()), PUBLISHED);
}

/// Copies `skill/` as git has it (the checked-in files), into `to`.
fn copy_skill(to: &Path) {
    for name in PUBLISHED.iter().chain([".clawhubignore"].iter()) {
        std::fs::copy(skill_dir().join(name), to.join(name)).unwrap();
    }
}

/// An OpenClaw home with the skill installed from this clone, as the book's skill chapter says:
/// `openclaw skills install ./skill`. It lands in `<workspace>/skills/agent-auth`.
fn openclaw_home() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let out = output_within(
        openclaw(home.path()).args(["skills", "install"]).arg(skill_dir()).env("PATH", SYSTEM_PATH),
        DEADLINE,
    );
    let said = succeeded("openclaw skills install", out);
    let installed = home.path().join(".openclaw/workspace/skills").join(NAME);
    assert!(said.contains(&format!("Installed {NAME} ")), "{said}");
    for name in PUBLISHED {
        assert_eq!(
            std::fs::read(installed.join(name)).unwrap(),
            std::fs::read(skill_dir().join(name)).unwrap(),
            "{name} installed as is"
        );
    }
    (home, installed)
}

/// `openclaw skills info agent-auth --json` with exactly this PATH and these variables.
fn skill_info(home: &Path, path: &str, vars: &[(&str, &str)]) -> Value {
    let out = output_within(
        openclaw(home).args(["skills", "info", NAME, "--json"]).env("PATH", path).envs(vars.iter().copied()),
        DEADLINE,
    );
    let stdout = succeeded("openclaw skills info", out);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("openclaw printed no JSON ({e}):\n{stdout}"))
}

const SYSTEM_PATH: &str = "/usr/bin:/bin";

fn path_with_runner() -> String {
    let runner_dir = Path::new(env!("CARGO_BIN_EXE_agent-auth")).parent().unwrap();
    format!("{}:{SYSTEM_PATH}", runner_dir.display())
}

fn credentials(url: &str) -> [(&'static str, String); 3] {
    [
        ("TOOL_CLIENT_ID", CLIENT_ID.to_owned()),
        ("TOOL_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("TOOL_ENV_URL", url.to_owned()),
    ]
}

#[test]
fn openclaw_parses_the_skill_and_gates_it_on_the_runner_and_credentials() {
    let (home, installed) = openclaw_home();
    let text = std::fs::read_to_string(installed.join("SKILL.md")).unwrap();
    let description = text.lines().find_map(|l| l.strip_prefix("description: ")).unwrap();

    let bare = skill_info(home.path(), SYSTEM_PATH, &[]);
    assert_eq!(bare["name"], NAME);
    assert_eq!(bare["description"], description);
    assert_eq!(bare["skillKey"], NAME);
    assert_eq!(bare["baseDir"], installed.display().to_string());
    assert_eq!(bare["primaryEnv"], "TOOL_CLIENT_SECRET");
    assert_eq!(bare["homepage"], "https://github.com/agent-auth/agent-auth");
    assert_eq!(bare["emoji"], "🔐");
    assert_eq!(bare["requirements"]["bins"], json!(["agent-auth"]));
    assert_eq!(bare["requirements"]["env"], json!(REQUIRED_ENV));
    assert_eq!(
        bare["install"],
        json!([{"id": "uv", "kind": "uv", "label": "Install the agent-auth runner (uv tool install agent-auth)", "bins": ["agent-auth"]}])
    );
    assert_eq!(
        (&bare["eligible"], &bare["disabled"], &bare["userInvocable"]),
        (&json!(false), &json!(false), &json!(true))
    );
    assert_eq!(bare["missing"]["bins"], json!(["agent-auth"]));
    assert_eq!(bare["missing"]["env"], json!(REQUIRED_ENV));

    let creds = credentials("https://acme.scalekit.cloud");
    let vars: Vec<(&str, &str)> = creds.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let no_runner = skill_info(home.path(), SYSTEM_PATH, &vars);
    assert_eq!(
        (&no_runner["eligible"], &no_runner["missing"]["bins"], &no_runner["missing"]["env"]),
        (&json!(false), &json!(["agent-auth"]), &json!([]))
    );

    let no_url = skill_info(home.path(), &path_with_runner(), &[("TOOL_CLIENT_ID", CLIENT_ID)]);
    assert_eq!(no_url["eligible"], false);
    assert_eq!(no_url["missing"]["bins"], json!([]));
    assert_eq!(no_url["missing"]["env"], json!(["TOOL_ENV_URL"]));
    // The Managed Agents way: a user's MCP instance URL is all the skill needs.
    let instance = "https://acme.scalekit.cloud/mcp/v3/instances/mcpi_1?token=0123";
    let mcp_only = skill_info(home.path(), &path_with_runner(), &[("TOOL_ENV_URL", instance)]);
    assert_eq!((&mcp_only["eligible"], &mcp_only["missing"]["env"]), (&json!(true), &json!([])), "{mcp_only:#}");

    let ready = skill_info(home.path(), &path_with_runner(), &vars);
    assert_eq!((&ready["eligible"], &ready["modelVisible"]), (&json!(true), &json!(true)), "{ready:#}");
    assert_eq!(ready["missing"], json!({"bins": [], "anyBins": [], "env": [], "config": [], "os": []}));

    // The documented way: the secret as the skill's apiKey, the rest in skills.entries.<name>.env.
    let config = json!({"skills": {"entries": {NAME: {"apiKey": CLIENT_SECRET, "env": {"TOOL_CLIENT_ID": CLIENT_ID, "TOOL_ENV_URL": "https://acme.scalekit.cloud"}}}}});
    std::fs::write(home.path().join(".openclaw/openclaw.json"), config.to_string()).unwrap();
    let configured = skill_info(home.path(), &path_with_runner(), &[]);
    assert_eq!((&configured["eligible"], &configured["missing"]["env"]), (&json!(true), &json!([])), "{configured:#}");
    let stripped = skill_info(home.path(), SYSTEM_PATH, &[]);
    assert_eq!((&stripped["eligible"], &stripped["missing"]["bins"]), (&json!(false), &json!(["agent-auth"])));
}

/// `jco run skill/agent-auth.wasm ARGS` against the virtual Scalekit on loopback.
fn jco_run(w: &World, args: &[&str]) -> Run {
    let mut cmd = node(w.home.path());
    cmd.arg(node_modules().join("@bytecodealliance/jco/dist/jco.js"))
        .arg("run")
        .arg(skill_dir().join("agent-auth.wasm"))
        .args(args)
        .env("PATH", SYSTEM_PATH)
        .env("TOOL_IDENTIFIER", IDENTIFIER);
    for (name, value) in credentials(&w.server.url()) {
        cmd.env(name, value);
    }
    finish(cmd)
}

#[test]
fn the_skill_component_runs_under_jco() {
    let w = World::start();
    let listed = jco_run(&w, &["--list-connections", "--provider", "notion"]);
    assert_eq!(
        (listed.code, listed.json["selected"].as_str()),
        (0, Some("notion-ijIQedmJ")),
        "{}\n{}",
        listed.stdout,
        listed.stderr
    );
    assert_eq!(listed.json["connections"].as_array().map(Vec::len), Some(3), "both pages were read");

    let tool = jco_run(&w, &["--get-tool", "--tool-name", "notion_page_get"]);
    assert_eq!(
        (tool.code, tool.json["tool"]["input_schema"]["required"].clone()),
        (0, json!(["page_id"])),
        "{}",
        tool.stdout
    );

    let missing = jco_run(&w, &["--get-tool", "--tool-name", "notion_page_delete"]);
    assert_eq!(
        (missing.code, missing.json["error"]["code"].as_str()),
        (5, Some("TOOL_NOT_FOUND")),
        "exit codes cross the host: {}",
        missing.stdout
    );

    let input = r#"{"page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"}"#;
    let executed = jco_run(
        &w,
        &[
            "--execute-tool",
            "--tool-name",
            "notion_page_get",
            "--connection-name",
            "notion-ijIQedmJ",
            "--tool-input",
            input,
        ],
    );
    assert_eq!(
        (executed.code, executed.json["data"]["object"].as_str()),
        (0, Some("page")),
        "{}\n{}",
        executed.stdout,
        executed.stderr
    );

    // The same answers as under the runner.
    for args in [
        &["--list-connections", "--provider", "notion"][..],
        &["--get-tool", "--tool-name", "notion_page_get"],
        &["--get-tool", "--tool-name", "notion_page_delete"],
    ] {
        let (jco, runner) = (jco_run(&w, args), w.run(args));
        assert_eq!((jco.code, &jco.json), (runner.code, &runner.json), "{args:?}");
    }

    // The limitations the book records: jco grants no files and no config or state folders.
    std::fs::write(w.path("report.pdf"), b"%PDF-1.7").unwrap();
    let report = w.path("report.pdf").display().to_string();
    let upload = jco_run(
        &w,
        &[
            "--proxy-request",
            "--connection-name",
            "notion-ijIQedmJ",
            "--path",
            "/v1/file_uploads/x/send",
            "--method",
            "POST",
            "--input-file",
            &report,
        ],
    );
    assert_eq!(upload.json["error"]["code"], "INPUT_FILE_UNREADABLE", "{}", upload.stdout);
    let saved = w.path("saved.pdf").display().to_string();
    let download = jco_run(
        &w,
        &[
            "--proxy-request",
            "--connection-name",
            "notion-ijIQedmJ",
            "--path",
            "/files/q3.pdf",
            "--output-file",
            &saved,
        ],
    );
    assert_eq!(download.json["error"]["code"], "OUTPUT_FILE_UNWRITABLE", "{}", download.stdout);
    let input = w.path("input.json").display().to_string();
    std::fs::write(&input, r#"{"page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"}"#).unwrap();
    let at_file = jco_run(
        &w,
        &[
            "--execute-tool",
            "--tool-name",
            "notion_page_get",
            "--connection-name",
            "notion-ijIQedmJ",
            "--tool-input",
            &format!("@{input}"),
        ],
    );
    assert_eq!(at_file.json["error"]["code"], "INPUT_FILE_UNREADABLE", "{}", at_file.stdout);
    for local in [&["--list-services"][..], &["--audit-log"]] {
        assert_eq!(jco_run(&w, local).json["error"]["code"], "CONFIG_MISSING", "{local:?}");
    }
}
