//! `agent-auth demo`: the whole agent flow against the built-in virtual Scalekit, step by step,
//! printing each command an agent would run and what came back. No account or network needed.

use std::process::ExitCode;
use std::sync::Arc;

use agent_auth_contract::exit::Exit;
use agent_auth_contract::shell;
use agent_auth_contract::storage::{CONFIG_DIR_VAR, STATE_DIR_VAR};
use agent_auth_contract::variables::{ENV_URL, IDENTIFIER, MCP_URL, VIRTUAL_ENV_URL};
use agent_auth_contract::verification::{MODE_VAR, URL_VAR};
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use serde_json::{Value, json};
use virtual_scalekit::{VirtualScalekit, in_process};

use crate::command_line::Words;
use crate::credentials::Credentials;
use crate::outbound::Network;
use crate::runtime::Stdio;

use crate::settings::{CACHE_DIR_VAR, Settings};
use crate::setup::{Setup, report};

/// The demo's user: it has no accounts yet, so Notion needs authorizing first.
const USER: &str = "demo-user";
const NOTION: &str = "notion-ijIQedmJ";

/// The demo's world: one virtual environment shared by every step, and a scratch folder.
struct Demo {
    /// The agent's calls, as the runner makes them (`TOOL_ENV_URL=sandbox`, the demo's user),
    /// with agent-auth's folders in the scratch folder.
    agent: Setup,
    double: Arc<VirtualScalekit>,
    tokio: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    step: usize,
}

fn indent(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default().lines().map(|l| format!("    {l}\n")).collect()
}

/// The operator's settings of the demo: agent-auth's folders in `dir`, the compile cache where the
/// runner keeps it.
fn settings(dir: &std::path::Path) -> Settings {
    let cache = Settings::from_process().cache_dir;
    Settings::from_vars(
        |name| match name {
            CONFIG_DIR_VAR => Some(dir.join("config").display().to_string()),
            STATE_DIR_VAR => Some(dir.join("state").display().to_string()),
            CACHE_DIR_VAR => cache.as_ref().map(|c| c.display().to_string()),
            _ => None,
        },
        None,
    )
}

/// A runner set up with `vars` for its credentials, its network the demo's virtual Scalekit.
fn setup(dir: &std::path::Path, vars: Vec<(String, String)>, double: &Arc<VirtualScalekit>) -> Result<Setup> {
    let credentials = Credentials { vars, warnings: Vec::new() };
    let mut setup =
        Setup::new(settings(dir), credentials, None, dir.to_path_buf()).map_err(|e| anyhow::anyhow!(e.message))?;
    setup.network = Network::Intercepted(double.clone());
    Ok(setup)
}

impl Demo {
    fn new() -> Result<Demo> {
        let dir = tempfile::tempdir()?;
        let double = Arc::new(VirtualScalekit::new(in_process::URL, None));
        let vars = vec![(ENV_URL.name.into(), VIRTUAL_ENV_URL.into()), (IDENTIFIER.name.into(), USER.into())];
        Ok(Demo {
            agent: setup(dir.path(), vars, &double)?,
            double,
            tokio: tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?,
            dir,
            step: 0,
        })
    }

    /// Prints a step's title and what it is for.
    fn title(&mut self, title: &str, why: &str) {
        self.step += 1;
        println!("\n{}. {title}\n   {why}", self.step);
    }

    /// Runs one command as an agent would; checks its exit code; prints the part that matters.
    fn agent(&self, args: &[&str], expected: Exit, show: impl Fn(&Value) -> Value) -> Result<Value> {
        println!("\n$ agent-auth {}", shown(args));
        self.call(&self.agent, args, expected, show)
    }

    /// The same for an agent handed only an MCP URL: no client credentials, no identifier.
    fn agent_with_mcp_url(&self, url: &str, args: &[&str], show: impl Fn(&Value) -> Value) -> Result<Value> {
        println!("\n$ TOOL_MCP_URL=<the instance URL> agent-auth {}", shown(args));
        let handed = setup(self.dir.path(), vec![(MCP_URL.name.into(), url.into())], &self.double)?;
        self.call(&handed, args, Exit::Ok, show)
    }

    fn call(&self, setup: &Setup, args: &[&str], expected: Exit, show: impl Fn(&Value) -> Value) -> Result<Value> {
        let words = Words::new(args.iter().map(|a| a.to_string()).collect());
        let invoked = setup.invoke(&words, setup.limits.clone(), Stdio::Memory(Bytes::new()));
        let (stdout, exit) = report(self.tokio.block_on(invoked).map_err(|e| anyhow::anyhow!(e.message))?);
        let result: Value = serde_json::from_str(&stdout).context("the component printed no JSON")?;
        print!("  exit {exit}\n{}", indent(&show(&result)));
        if exit != expected.code() {
            bail!("step {} exited {exit} instead of {}", self.step, expected.code());
        }
        Ok(result)
    }

    /// The operator's settings from now on: `vars` beside the agent's own (none: back to none).
    fn operator_sets(&mut self, vars: &[(&str, &str)]) {
        let operator = [MODE_VAR, URL_VAR];
        self.agent.env.retain(|(name, _)| !operator.contains(&name.as_str()));
        self.agent.env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    }

    fn run(&mut self) -> Result<()> {
        println!("agent-auth demo: an agent reads a Notion page for {USER}, against the built-in virtual Scalekit.");
        println!("Every step is a command an agent runs; each prints one JSON object (trimmed here) and an exit code.");

        self.title(
            "Discover the connection",
            "Every page of connections is read; the first COMPLETED Notion connection is selected.",
        );
        self.agent(&["--list-connections", "--provider", "notion"], Exit::Ok, |r| {
            let statuses: Vec<Value> = r["connections"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    json!(format!("{} ({})", c["key_id"].as_str().unwrap_or(""), c["status"].as_str().unwrap_or("")))
                })
                .collect();
            json!({"connections": statuses, "selected": r["selected"], "warnings": r["warnings"]})
        })?;

        self.title("Check the account", "The user has not connected Notion yet: exit 4, and a link for the person.");
        let blocked = self.agent(
            &["--generate-link", "--connection-name", NOTION],
            Exit::ActionRequired,
            |r| json!({"error": r["error"]["code"], "status": r["status"], "action_required": r["action_required"]}),
        )?;
        let link = blocked["action_required"]["link"].as_str().context("no authorization link")?.to_owned();

        self.title(
            "The person authorizes",
            "A person would open the link and press Authorize; the demo approves it in-process.",
        );
        self.double.complete_authorization(&link).map_err(anyhow::Error::msg)?;
        println!("  approved {link}");
        self.agent(
            &["--generate-link", "--connection-name", NOTION],
            Exit::Ok,
            |r| json!({"status": r["status"], "active": r["active"]}),
        )?;

        self.title("List the tools", "The catalogue for Notion, names only here.");
        self.agent(&["--get-tool", "--provider", "notion"], Exit::Ok, |r| {
            json!(r["tools"].as_array().into_iter().flatten().map(|t| t["name"].clone()).collect::<Vec<_>>())
        })?;

        self.title("Read the schema", "Never guess parameter names: read input_schema first.");
        self.agent(&["--get-tool", "--tool-name", "notion_page_search"], Exit::Ok, |r| {
            r["tool"]["input_schema"].clone()
        })?;

        self.title("Execute the tool", "The input goes exactly as the schema says.");
        self.agent(
            &[
                "--execute-tool",
                "--tool-name",
                "notion_page_search",
                "--connection-name",
                NOTION,
                "--tool-input",
                r#"{"query": "roadmap", "page_size": 5}"#,
            ],
            Exit::Ok,
            |r| json!({"execution_id": r["execution_id"], "data": r["data"]}),
        )?;

        self.title("No tool for it", "There is no tool that returns the integration's own user: exit 5.");
        self.agent(&["--get-tool", "--tool-name", "notion_users_me"], Exit::NotFound, |r| r["error"].clone())?;
        self.title("Fall back to the proxy", "Call Notion's own API through Scalekit, which adds the credentials.");
        self.agent(
            &[
                "--proxy-request",
                "--connection-name",
                NOTION,
                "--path",
                "/v1/users/me",
                "--headers",
                r#"{"Notion-Version": "2022-06-28"}"#,
            ],
            Exit::Ok,
            |r| json!({"status": r["status"], "body": r["body"]}),
        )?;

        self.title(
            "Upload a file",
            "Notion uploads are a proxy call to create the upload, then a multipart send of the file.",
        );
        std::fs::write(self.dir.path().join("q3-report.pdf"), b"%PDF-1.7\nQ3 report\n%%EOF\n")?;
        let created = self.agent(
            &[
                "--proxy-request",
                "--connection-name",
                NOTION,
                "--path",
                "/v1/file_uploads",
                "--method",
                "POST",
                "--body",
                r#"{"mode": "single_part", "filename": "q3-report.pdf"}"#,
            ],
            Exit::Ok,
            |r| json!({"id": r["body"]["id"], "status": r["body"]["status"]}),
        )?;
        let send = format!("/v1/file_uploads/{}/send", created["body"]["id"].as_str().context("no upload id")?);
        self.agent(
            &[
                "--proxy-request",
                "--connection-name",
                NOTION,
                "--path",
                &send,
                "--method",
                "POST",
                "--input-file",
                "q3-report.pdf",
            ],
            Exit::Ok,
            |r| r["body"].clone(),
        )?;

        self.title("Download a file", "The raw bytes go to --output-file, written atomically.");
        self.agent(
            &[
                "--proxy-request",
                "--connection-name",
                NOTION,
                "--path",
                "/files/q3-report.pdf",
                "--output-file",
                "downloaded.pdf",
            ],
            Exit::Ok,
            |r| json!({"saved_to": r["saved_to"], "bytes": r["bytes"], "content_type": r["content_type"]}),
        )?;

        self.managed_agents()?;
        self.user_verification()?;

        println!(
            "\nDone: discover, authorize, read a schema, execute, fall back to the proxy, upload and download, hand an agent an MCP URL, and verify who finishes a link."
        );
        println!(
            "Against your own environment, set TOOL_CLIENT_ID, TOOL_CLIENT_SECRET, TOOL_ENV_URL and TOOL_IDENTIFIER."
        );
        Ok(())
    }

    /// The Managed Agents flow: a config once, the user's instance, the person authorizes, then an
    /// agent holding only the instance URL lists the config's tools and calls one.
    fn managed_agents(&mut self) -> Result<()> {
        self.title(
            "Create an MCP config",
            "Once per use case: which connections and tools an agent gets (Notion's page tools, all of Gmail).",
        );
        self.agent(
            &["--create-mcp-config", "--name", "notion-digest", "--tools", &format!("{NOTION}:notion_page_search,notion_page_get"), "--tools", "gmail"],
            Exit::Ok,
            |r| json!({"created": r["created"], "connections": r["config"]["connections"].as_array().into_iter().flatten().map(|c| c["connection_name"].clone()).collect::<Vec<_>>()}),
        )?;
        self.title(
            "Ensure the user's instance",
            "Per user: a pre-authenticated MCP URL (a secret, never shown here); Gmail still needs the person.",
        );
        let ensure = ["--ensure-mcp-instance", "--config-name", "notion-digest"];
        let pending = self.agent(
            &ensure,
            Exit::ActionRequired,
            |r| json!({"ready": r["ready"], "connections": r["connections"]}),
        )?;
        let link = pending["action_required"]["link"].as_str().context("no authorization link")?.to_owned();
        self.double.complete_authorization(&link).map_err(anyhow::Error::msg)?;
        println!("  approved {link}");
        let ready = self.agent(&ensure, Exit::Ok, |r| json!({"ready": r["ready"]}))?;
        let url = ready["url"].as_str().context("no instance URL")?.to_owned();

        self.title(
            "Hand the agent the MCP URL",
            "It needs no client secret: the URL acts for one user, with only the config's tools.",
        );
        self.agent_with_mcp_url(&url, &["--get-tool", "--summary"], |r| {
            json!(r["tools"].as_array().into_iter().flatten().map(|t| t["name"].clone()).collect::<Vec<_>>())
        })?;
        self.agent_with_mcp_url(
            &url,
            &["--execute-tool", "--tool-name", "notion_page_search", "--tool-input", r#"{"query": "roadmap"}"#],
            |r| json!({"mcp_server": r["mcp_server"], "data": r["data"]}),
        )?;
        Ok(())
    }
}

impl Demo {
    /// Production: the environment in "Custom user verification", the verify route on a gateway
    /// the operator runs. A link carries the route's URL and a fresh state; only the route, with
    /// that state, finishes it, and only for the person the link was made for.
    fn user_verification(&mut self) -> Result<()> {
        const ROUTE: &str = "https://gateway.example.com/agent-auth/verify";
        self.double = Arc::new(VirtualScalekit::new(in_process::URL, None).with_custom_verification());
        self.agent.network = Network::Intercepted(self.double.clone());
        self.operator_sets(&[(MODE_VAR, "custom"), (URL_VAR, ROUTE)]);
        self.title(
            "In production: custom user verification",
            "The operator sets AGENT_AUTH_USER_VERIFICATION=custom: each link carries the verify URL and a fresh state.",
        );
        let blocked = self.agent(
            &["--generate-link", "--connection-name", "gmail"],
            Exit::ActionRequired,
            |r| json!({"error": r["error"]["code"], "status": r["status"], "link": r["action_required"]["link"]}),
        )?;
        let link = blocked["action_required"]["link"].as_str().context("no authorization link")?.to_owned();
        let callback = self.double.complete_authorization(&link).map_err(anyhow::Error::msg)?;
        let callback = callback.context("the consent did not go to the verify URL")?;
        let query = callback.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let (request, state) = (value("auth_request_id"), value("state"));
        println!("  approved; the browser goes to {callback}");

        self.title(
            "A forged callback finishes nothing",
            "Someone with the auth_request_id but not the link's state: refused, nothing sent to Scalekit.",
        );
        // The gateway's route names the person its own session knows is at the browser.
        let forged = ["--verify-user", "--auth-request-id", &request, "--state", "forged-state", "--identifier", USER];
        self.agent(&forged, Exit::Rejected, |r| json!({"error": r["error"]["code"], "reason": r["reason"]}))?;

        self.title(
            "The gateway's route finishes it",
            "With the link's state: Scalekit activates the account of the person the link was made for; once.",
        );
        let callback_args = ["--verify-user", "--auth-request-id", &request, "--state", &state, "--identifier", USER];
        self.agent(
            &callback_args,
            Exit::Ok,
            |r| json!({"identifier": r["identifier"], "status": r["status"], "redirect_url": r["redirect_url"]}),
        )?;
        self.agent(&callback_args, Exit::Rejected, |r| json!({"error": r["error"]["code"], "reason": r["reason"]}))?;
        self.agent(
            &["--generate-link", "--connection-name", "gmail"],
            Exit::Ok,
            |r| json!({"status": r["status"], "active": r["active"]}),
        )?;
        self.operator_sets(&[]);
        Ok(())
    }
}

/// `args` as a shell would take them.
fn shown(args: &[&str]) -> String {
    args.iter().map(|a| shell::word(a)).collect::<Vec<_>>().join(" ")
}

/// Runs `agent-auth demo`.
pub fn main() -> ExitCode {
    match Demo::new().and_then(|mut demo| demo.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e:#}");
            ExitCode::from(Exit::Internal.code())
        }
    }
}
