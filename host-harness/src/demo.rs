//! `agent-auth demo`: the whole agent flow against the built-in virtual Scalekit, step by step,
//! printing each command an agent would run and what came back. No account or network needed.

use std::process::ExitCode;
use std::sync::Arc;

use agent_auth_contract::exit::Exit;
use agent_auth_contract::shell;
use agent_auth_contract::verification::{MODE_VAR, URL_VAR};
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::command_line::Words;
use crate::component;
use crate::outbound::Network;
use crate::runtime::{Invocation, Runtime, Stdio};
use crate::sandbox::{AgentDirs, EgressPolicy, FileGrants, FileRules, Limits, SensitivePaths};
use crate::settings::Settings;
use virtual_scalekit::{VirtualScalekit, in_process};

/// The demo's user: it has no accounts yet, so Notion needs authorizing first.
const USER: &str = "demo-user";
const NOTION: &str = "notion-ijIQedmJ";

/// The demo's world: one virtual environment shared by every step, and a scratch folder.
struct Demo {
    runtime: Runtime,
    double: Arc<VirtualScalekit>,
    tokio: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    step: usize,
    /// The operator's settings the steps run with (the runner passes them on).
    operator: Vec<(String, String)>,
}

fn indent(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default().lines().map(|l| format!("    {l}\n")).collect()
}

impl Demo {
    fn new() -> Result<Demo> {
        let cache = Settings::from_process().cache_dir;
        Ok(Demo {
            runtime: Runtime::new(&component::Wasm::embedded(), cache.as_deref())?,
            double: Arc::new(VirtualScalekit::new(in_process::URL, None)),
            tokio: tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?,
            dir: tempfile::tempdir()?,
            step: 0,
            operator: Vec::new(),
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
        let mut env = in_process::env(vec![("TOOL_IDENTIFIER".into(), USER.into())]);
        env.extend(self.operator.iter().cloned());
        self.run_with(env, args, expected, show)
    }

    /// The same for an agent handed only an MCP URL: no client credentials, no identifier.
    fn agent_with_mcp_url(&self, url: &str, args: &[&str], show: impl Fn(&Value) -> Value) -> Result<Value> {
        println!("\n$ TOOL_MCP_URL=<the instance URL> agent-auth {}", shown(args));
        self.run_with(vec![("TOOL_MCP_URL".into(), url.into())], args, Exit::Ok, show)
    }

    fn run_with(
        &self,
        env: Vec<(String, String)>,
        args: &[&str],
        expected: Exit,
        show: impl Fn(&Value) -> Value,
    ) -> Result<Value> {
        let places = SensitivePaths::default().places();
        let rules = FileRules { places: &places, confinement: None };
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (files, args) =
            FileGrants::open(&Words::new(args), self.dir.path(), &rules).map_err(|e| anyhow::anyhow!(e.message))?;
        let invocation = Invocation {
            args,
            env,
            egress: EgressPolicy::for_server_urls([in_process::URL]),
            network: Network::Intercepted(self.double.clone()),
            files,
            agent_dirs: Some(AgentDirs {
                config: self.dir.path().join("config"),
                state: self.dir.path().join("state"),
            }),
            limits: Limits::default(),
            proxy_gate: None,
            stdio: Stdio::Memory(Bytes::new()),
        };
        let outcome = self.tokio.block_on(self.runtime.run(invocation))?;
        let result: Value = serde_json::from_slice(&outcome.stdout).context("the component printed no JSON")?;
        print!("  exit {}\n{}", outcome.exit_code, indent(&show(&result)));
        if outcome.exit_code != expected.code() {
            bail!("step {} exited {} instead of {}", self.step, outcome.exit_code, expected.code());
        }
        Ok(result)
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
        self.operator = vec![(MODE_VAR.into(), "custom".into()), (URL_VAR.into(), ROUTE.into())];
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
        self.operator.clear();
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
