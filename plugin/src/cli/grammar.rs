//! Parses arguments into one validated [`Operation`] (clap does the flag syntax).

use clap::{ArgGroup, CommandFactory, FromArgMatches, Parser};

use crate::output::{Code, Failure};

const AFTER_HELP: &str = "\
Configuration: TOOL_CLIENT_ID, TOOL_CLIENT_SECRET, TOOL_ENV_URL, TOOL_IDENTIFIER
(or SCALEKIT_CLIENT_ID, SCALEKIT_CLIENT_SECRET, SCALEKIT_ENV_URL), from the environment or .env.

Runner options (the agent-auth runner only, before the operation):
  --component PATH   run another build of the component (or AGENT_AUTH_COMPONENT)
  --env-file PATH    read variables from PATH instead of ./.env
  --timeout SECONDS  wall-clock limit for the whole call (default 120)

Output: exactly one JSON object on stdout. Exit codes: 0 done, 1 internal error, 2 usage,
3 configuration, 4 a person must act (see action_required), 5 not found, 6 rejected by
Scalekit or the provider, 7 transport failure (retry later).";

#[derive(Parser, Debug)]
#[command(
    name = "agent-auth",
    version,
    about = "Act in third-party services through Scalekit AgentKit, for an AI agent.",
    after_help = AFTER_HELP,
    disable_help_subcommand = true
)]
#[command(group(ArgGroup::new("operation").required(true).multiple(false).args([
    "list_connections", "generate_link", "get_tool", "execute_tool", "proxy_request", "get_authorization",
    "configure", "list_services", "get_token", "create_mcp_config", "list_mcp_configs", "ensure_mcp_instance",
    "mcp_auth_state", "audit_log",
])))]
struct Args {
    /// List the app connections (optionally of one provider) and select the first COMPLETED one.
    #[arg(long, help_heading = "Operations")]
    list_connections: bool,
    /// Check a connected account and, when it is not active, create an authorization link.
    #[arg(long, help_heading = "Operations")]
    generate_link: bool,
    /// List tools with their JSON input schemas.
    #[arg(long, help_heading = "Operations")]
    get_tool: bool,
    /// Execute a tool for a connected account.
    #[arg(long, help_heading = "Operations")]
    execute_tool: bool,
    /// Call the provider's own API through the Scalekit proxy.
    #[arg(long, help_heading = "Operations")]
    proxy_request: bool,
    /// Report the connected account's authorization (never the token values).
    #[arg(long, help_heading = "Operations")]
    get_authorization: bool,

    /// Provider key, e.g. NOTION (case-insensitive).
    #[arg(long, value_name = "P")]
    provider: Option<String>,
    /// Page size (1-30 for connections, 1-100 for tools).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Page token from a previous --get-tool call.
    #[arg(long, value_name = "X")]
    page_token: Option<String>,
    /// Connection name (the connection's key_id), e.g. notion-ijIQedmJ.
    #[arg(long, value_name = "C")]
    connection_name: Option<String>,
    /// User identifier (default: TOOL_IDENTIFIER).
    #[arg(long, value_name = "I")]
    identifier: Option<String>,
    /// Tool name; repeat for several with --get-tool.
    #[arg(long = "tool-name", value_name = "T")]
    tool_names: Vec<String>,
    /// Free-text tool search (3-100 characters).
    #[arg(long, value_name = "Q")]
    query: Option<String>,
    /// Tool input: a JSON object, @FILE, or - for stdin.
    #[arg(long, value_name = "JSON|@FILE|-", allow_hyphen_values = true)]
    tool_input: Option<String>,
    /// Provider API path, e.g. /v1/users/me (not a URL).
    #[arg(long, value_name = "P")]
    path: Option<String>,
    /// HTTP method for --proxy-request.
    #[arg(long, value_name = "M")]
    method: Option<String>,
    /// Query parameters as a JSON object; an array value repeats the key.
    #[arg(long, value_name = "JSON")]
    query_params: Option<String>,
    /// Request body as JSON.
    #[arg(long, value_name = "JSON", allow_hyphen_values = true)]
    body: Option<String>,
    /// Extra request headers as a JSON object.
    #[arg(long, value_name = "JSON")]
    headers: Option<String>,
    /// Upload this file as multipart/form-data (field "file").
    #[arg(long, value_name = "F")]
    input_file: Option<String>,
    /// Save the raw response body to this file.
    #[arg(long, value_name = "F")]
    output_file: Option<String>,
    /// With --generate-link or --ensure-mcp-instance: wait until the accounts are active (default 300 seconds).
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "300")]
    wait: Option<u64>,

    /// Map a service name to a connection (and identifier) for --get-token.
    #[arg(long, value_name = "SERVICE", help_heading = "Operations")]
    configure: Option<String>,
    /// List the configured services.
    #[arg(long, help_heading = "Operations")]
    list_services: bool,
    /// Print a fresh provider access token for SERVICE; repeat for several.
    #[arg(long = "get-token", value_name = "SERVICE", num_args = 0..=1, default_missing_value = "", help_heading = "Operations")]
    get_token: Vec<String>,
    /// With --get-token: pick the service whose provider serves this API URL.
    #[arg(long, value_name = "URL")]
    for_url: Option<String>,
    /// With --get-token: hand out a non-OAuth account's static credential fields.
    #[arg(long)]
    include_static: bool,
    /// Create an MCP config (with --name and --tools).
    #[arg(long, help_heading = "Operations")]
    create_mcp_config: bool,
    /// List the MCP configs.
    #[arg(long, help_heading = "Operations")]
    list_mcp_configs: bool,
    /// Get or create a user's MCP instance of a config, with each connection's authorization.
    #[arg(long, help_heading = "Operations")]
    ensure_mcp_instance: bool,
    /// Show the authorization state of an MCP instance.
    #[arg(long, help_heading = "Operations")]
    mcp_auth_state: bool,
    /// Read the local audit trail.
    #[arg(long, help_heading = "Operations")]
    audit_log: bool,
    /// MCP config name.
    #[arg(long, value_name = "N")]
    name: Option<String>,
    /// MCP config description.
    #[arg(long, value_name = "D")]
    description: Option<String>,
    /// CONNECTION[:tool1,tool2,...] for --create-mcp-config; repeat per connection.
    #[arg(long, value_name = "CONNECTION[:TOOLS]")]
    tools: Vec<String>,
    /// MCP config name for --ensure-mcp-instance.
    #[arg(long, value_name = "N")]
    config_name: Option<String>,
    /// MCP instance id for --mcp-auth-state.
    #[arg(long, value_name = "ID")]
    instance_id: Option<String>,
    /// With --audit-log: entries at or after T (RFC 3339, or an age like 30m, 24h, 7d).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// With --audit-log: at most N entries, the newest (default 50).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Correlates this call in the audit trail and Scalekit's tool logs (default: AGENT_RUN_ID).
    #[arg(long, value_name = "ID")]
    agent_run_id: Option<String>,
}

/// One validated operation with its options.
#[derive(Debug, PartialEq)]
pub enum Operation {
    /// `--list-connections`
    ListConnections { provider: Option<String>, page_size: u32 },
    /// `--generate-link`, optionally waiting this many seconds for the account to become active.
    GenerateLink { connection_name: String, identifier: Option<String>, wait: Option<u64> },
    /// `--get-tool`
    GetTool {
        provider: Option<String>,
        tool_names: Vec<String>,
        query: Option<String>,
        page_size: Option<u32>,
        page_token: Option<String>,
    },
    /// `--execute-tool`
    ExecuteTool { tool_name: String, connection_name: String, tool_input: String, identifier: Option<String> },
    /// `--proxy-request`
    ProxyRequest(ProxyArgs),
    /// `--get-authorization`
    GetAuthorization { connection_name: String, identifier: Option<String> },
    /// `--configure SERVICE`
    Configure { service: String, connection_name: String, identifier: Option<String> },
    /// `--list-services`
    ListServices,
    /// `--get-token [SERVICE]... [--for-url URL]`
    GetToken { services: Vec<String>, for_url: Option<String>, identifier: Option<String>, include_static: bool },
    /// `--create-mcp-config`
    CreateMcpConfig { name: String, description: Option<String>, tools: Vec<String> },
    /// `--list-mcp-configs`
    ListMcpConfigs,
    /// `--ensure-mcp-instance`
    EnsureMcpInstance { config_name: String, identifier: Option<String>, wait: Option<u64> },
    /// `--mcp-auth-state`
    McpAuthState { instance_id: String },
    /// `--audit-log`
    AuditLog { since: Option<String>, limit: Option<usize> },
}

/// Options of `--proxy-request`, still unparsed JSON strings.
#[derive(Debug, PartialEq)]
pub struct ProxyArgs {
    pub connection_name: String,
    pub path: String,
    pub method: String,
    pub query_params: Option<String>,
    pub body: Option<String>,
    pub headers: Option<String>,
    pub input_file: Option<String>,
    pub output_file: Option<String>,
    pub identifier: Option<String>,
}

/// One operation and the options every operation takes.
#[derive(Debug)]
pub struct Command {
    /// What to do.
    pub operation: Operation,
    /// `--agent-run-id`, to correlate this call in the audit trail and Scalekit's logs.
    pub agent_run_id: Option<String>,
}

/// What parsing produced.
#[derive(Debug)]
pub enum ParseOutcome {
    /// Run this command.
    Run(Command),
    /// `--help` or `--version`: print this text on stdout and exit 0.
    Print(String),
}

/// Default page size for the connection listing: the server's maximum, so fewest round trips.
const CONNECTIONS_PAGE_MAX: u32 = 30;

fn usage(message: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure::new(Code::Usage, message, hint)
}

fn required(value: Option<String>, flag: &str, op: &str, example: &str) -> Result<String, Failure> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(usage(format!("{op} needs {flag}"), format!("Add {flag} {example}."))),
    }
}

/// Rejects options that the chosen operation does not use, so a typo never passes silently.
fn reject_unused(args: &Args, op: &str, allowed: &[&str]) -> Result<(), Failure> {
    let given = [
        ("--provider", args.provider.is_some()),
        ("--page-size", args.page_size.is_some()),
        ("--page-token", args.page_token.is_some()),
        ("--connection-name", args.connection_name.is_some()),
        ("--identifier", args.identifier.is_some()),
        ("--tool-name", !args.tool_names.is_empty()),
        ("--query", args.query.is_some()),
        ("--tool-input", args.tool_input.is_some()),
        ("--path", args.path.is_some()),
        ("--method", args.method.is_some()),
        ("--query-params", args.query_params.is_some()),
        ("--body", args.body.is_some()),
        ("--headers", args.headers.is_some()),
        ("--input-file", args.input_file.is_some()),
        ("--output-file", args.output_file.is_some()),
        ("--wait", args.wait.is_some()),
        ("--for-url", args.for_url.is_some()),
        ("--include-static", args.include_static),
        ("--name", args.name.is_some()),
        ("--description", args.description.is_some()),
        ("--tools", !args.tools.is_empty()),
        ("--config-name", args.config_name.is_some()),
        ("--instance-id", args.instance_id.is_some()),
        ("--since", args.since.is_some()),
        ("--limit", args.limit.is_some()),
        ("--list-connections", false),
    ];
    let unused: Vec<&str> =
        given.iter().filter(|(flag, set)| *set && !allowed.contains(flag)).map(|(f, _)| *f).collect();
    if unused.is_empty() {
        return Ok(());
    }
    Err(usage(
        format!("{op} does not take {}", unused.join(", ")),
        format!("Remove {}; run agent-auth --help for each operation's options.", unused.join(", ")),
    ))
}

fn clap_failure(err: clap::Error) -> Failure {
    let rendered = err.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_owned();
    let tip = lines.find(|l| l.starts_with("tip:")).map(|l| l.trim_start_matches("tip: ").to_owned());
    let hint = match tip {
        Some(tip) => format!("{}{}.", tip[..1].to_uppercase(), &tip[1..]),
        None => "Run agent-auth --help for the operations and their options.".to_owned(),
    };
    usage(message, hint)
}

/// Parses the full argument list (the first item is the program name).
pub fn parse(argv: Vec<String>) -> Result<ParseOutcome, Failure> {
    let command = Args::command();
    let matches = match command.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            return Ok(ParseOutcome::Print(e.render().to_string()));
        }
        Err(e) => return Err(clap_failure(e)),
    };
    let args = Args::from_arg_matches(&matches).map_err(clap_failure)?;
    let agent_run_id = args.agent_run_id.clone().filter(|id| !id.trim().is_empty());
    validate(args).map(|operation| ParseOutcome::Run(Command { operation, agent_run_id }))
}

fn validate(a: Args) -> Result<Operation, Failure> {
    if a.list_connections {
        // --identifier is accepted and ignored: tool_exec.py required it everywhere, so agents pass it.
        reject_unused(&a, "--list-connections", &["--provider", "--page-size", "--identifier"])?;
        let page_size = a.page_size.unwrap_or(CONNECTIONS_PAGE_MAX);
        if !(1..=CONNECTIONS_PAGE_MAX).contains(&page_size) {
            return Err(usage(
                format!("--page-size {page_size} is out of range for --list-connections"),
                "Use a page size from 1 to 30 (Scalekit's maximum); every page is read anyway.",
            ));
        }
        return Ok(Operation::ListConnections { provider: a.provider, page_size });
    }
    if a.generate_link {
        reject_unused(&a, "--generate-link", &["--connection-name", "--identifier", "--wait"])?;
        let connection_name = required(
            a.connection_name,
            "--connection-name",
            "--generate-link",
            "NAME (see agent-auth --list-connections --provider P)",
        )?;
        if a.wait == Some(0) {
            return Err(usage("--wait 0 would not wait", "Pass --wait SECONDS (at least 1), or leave --wait out."));
        }
        return Ok(Operation::GenerateLink { connection_name, identifier: a.identifier, wait: a.wait });
    }
    if a.get_tool {
        reject_unused(
            &a,
            "--get-tool",
            &["--provider", "--tool-name", "--query", "--page-size", "--page-token", "--identifier"],
        )?;
        if let Some(q) = &a.query {
            let n = q.chars().count();
            if !(3..=100).contains(&n) {
                return Err(usage(
                    "--query must be 3 to 100 characters",
                    "Use a longer or shorter search phrase, or --provider P to list a provider's tools.",
                ));
            }
        }
        if let Some(n) = a.page_size {
            if !(1..=100).contains(&n) {
                return Err(usage(
                    format!("--page-size {n} is out of range for --get-tool"),
                    "Use a page size from 1 to 100 and follow next_page_token with --page-token.",
                ));
            }
        }
        return Ok(Operation::GetTool {
            provider: a.provider,
            tool_names: a.tool_names,
            query: a.query,
            page_size: a.page_size,
            page_token: a.page_token,
        });
    }
    if a.execute_tool {
        reject_unused(&a, "--execute-tool", &["--tool-name", "--connection-name", "--tool-input", "--identifier"])?;
        let mut names = a.tool_names.into_iter();
        let tool_name =
            required(names.next(), "--tool-name", "--execute-tool", "NAME (see agent-auth --get-tool --provider P)")?;
        if names.next().is_some() {
            return Err(usage(
                "--execute-tool runs one tool",
                "Pass --tool-name once; run several tools as several calls.",
            ));
        }
        let connection_name = required(
            a.connection_name,
            "--connection-name",
            "--execute-tool",
            "NAME (see agent-auth --list-connections --provider P)",
        )?;
        let tool_input = required(
            a.tool_input,
            "--tool-input",
            "--execute-tool",
            "'{...}' matching the tool's input_schema (see agent-auth --get-tool --tool-name T)",
        )?;
        return Ok(Operation::ExecuteTool { tool_name, connection_name, tool_input, identifier: a.identifier });
    }
    if a.proxy_request {
        reject_unused(
            &a,
            "--proxy-request",
            &[
                "--connection-name",
                "--path",
                "--method",
                "--query-params",
                "--body",
                "--headers",
                "--input-file",
                "--output-file",
                "--identifier",
            ],
        )?;
        let connection_name = required(
            a.connection_name,
            "--connection-name",
            "--proxy-request",
            "NAME (see agent-auth --list-connections --provider P)",
        )?;
        let path = required(a.path, "--path", "--proxy-request", "/v1/... (the provider API path)")?;
        return Ok(Operation::ProxyRequest(ProxyArgs {
            connection_name,
            path,
            method: a.method.unwrap_or_else(|| "GET".into()),
            query_params: a.query_params,
            body: a.body,
            headers: a.headers,
            input_file: a.input_file,
            output_file: a.output_file,
            identifier: a.identifier,
        }));
    }
    if let Some(service) = a.configure.clone() {
        reject_unused(&a, "--configure", &["--connection-name", "--identifier"])?;
        let connection_name = required(
            a.connection_name,
            "--connection-name",
            "--configure",
            "NAME (see agent-auth --list-connections --provider P)",
        )?;
        if service.trim().is_empty() {
            return Err(usage(
                "--configure needs a service name",
                "Pass a short name, e.g. --configure gmail --connection-name gmail_u3134a.",
            ));
        }
        return Ok(Operation::Configure { service, connection_name, identifier: a.identifier });
    }
    if a.list_services {
        reject_unused(&a, "--list-services", &[])?;
        return Ok(Operation::ListServices);
    }
    if !a.get_token.is_empty() {
        reject_unused(&a, "--get-token", &["--for-url", "--identifier", "--include-static"])?;
        let services: Vec<String> = a.get_token.into_iter().filter(|s| !s.trim().is_empty()).collect();
        if services.is_empty() && a.for_url.is_none() {
            return Err(usage(
                "--get-token needs a SERVICE or --for-url URL",
                "Pass --get-token SERVICE (see agent-auth --list-services), or --get-token --for-url https://api.example.com/...",
            ));
        }
        return Ok(Operation::GetToken {
            services,
            for_url: a.for_url,
            identifier: a.identifier,
            include_static: a.include_static,
        });
    }
    if a.create_mcp_config {
        reject_unused(&a, "--create-mcp-config", &["--name", "--description", "--tools"])?;
        let name = required(a.name, "--name", "--create-mcp-config", "NAME (lower-case letters, digits, - and _)")?;
        if a.tools.is_empty() {
            return Err(usage(
                "--create-mcp-config needs --tools",
                "Add --tools CONNECTION[:tool1,tool2] once per connection (no tool list = every tool).",
            ));
        }
        return Ok(Operation::CreateMcpConfig { name, description: a.description, tools: a.tools });
    }
    if a.list_mcp_configs {
        reject_unused(&a, "--list-mcp-configs", &[])?;
        return Ok(Operation::ListMcpConfigs);
    }
    if a.ensure_mcp_instance {
        reject_unused(&a, "--ensure-mcp-instance", &["--config-name", "--identifier", "--wait"])?;
        let config_name = required(
            a.config_name,
            "--config-name",
            "--ensure-mcp-instance",
            "NAME (see agent-auth --list-mcp-configs)",
        )?;
        return Ok(Operation::EnsureMcpInstance { config_name, identifier: a.identifier, wait: a.wait });
    }
    if a.mcp_auth_state {
        reject_unused(&a, "--mcp-auth-state", &["--instance-id"])?;
        let instance_id =
            required(a.instance_id, "--instance-id", "--mcp-auth-state", "ID (from agent-auth --ensure-mcp-instance)")?;
        return Ok(Operation::McpAuthState { instance_id });
    }
    if a.audit_log {
        reject_unused(&a, "--audit-log", &["--since", "--limit"])?;
        return Ok(Operation::AuditLog { since: a.since, limit: a.limit });
    }
    reject_unused(&a, "--get-authorization", &["--connection-name", "--identifier"])?;
    let connection_name = required(
        a.connection_name,
        "--connection-name",
        "--get-authorization",
        "NAME (see agent-auth --list-connections --provider P)",
    )?;
    Ok(Operation::GetAuthorization { connection_name, identifier: a.identifier })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<ParseOutcome, Failure> {
        parse(std::iter::once("agent-auth").chain(args.iter().copied()).map(String::from).collect())
    }

    #[test]
    fn exactly_one_operation_is_required() {
        assert_eq!(run(&[]).unwrap_err().code, Code::Usage);
        assert_eq!(run(&["--get-tool", "--list-connections"]).unwrap_err().code, Code::Usage);
    }

    #[test]
    fn options_of_other_operations_are_rejected() {
        let err = run(&["--list-connections", "--path", "/x"]).unwrap_err();
        assert!(err.message.contains("--path"), "{}", err.message);
    }

    #[test]
    fn typos_get_a_suggestion() {
        let err = run(&["--get-tool", "--tool-nme", "x"]).unwrap_err();
        assert!(err.hint.contains("--tool-name"), "{}", err.hint);
    }

    #[test]
    fn wait_takes_optional_seconds() {
        let wait = |args: &[&str]| match run(args) {
            Ok(ParseOutcome::Run(Command { operation: Operation::GenerateLink { wait, .. }, .. })) => wait,
            other => panic!("{other:?}"),
        };
        assert_eq!(wait(&["--generate-link", "--connection-name", "gmail"]), None);
        assert_eq!(wait(&["--generate-link", "--connection-name", "gmail", "--wait"]), Some(300));
        assert_eq!(wait(&["--generate-link", "--wait", "45", "--connection-name", "gmail"]), Some(45));
        assert_eq!(run(&["--execute-tool", "--wait"]).unwrap_err().code, Code::Usage);
    }

    #[test]
    fn connections_page_size_is_capped_at_thirty() {
        assert_eq!(run(&["--list-connections", "--page-size", "31"]).unwrap_err().code, Code::Usage);
    }
}
