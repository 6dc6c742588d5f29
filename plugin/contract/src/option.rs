//! The options operations take, each described once: its flag, its value, its help, how to fill it
//! in, and whether it names a file the runner must grant. [`crate::operation`] says which operation
//! takes which.

/// The value a flag takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// None: the flag is present or absent (`--include-static`).
    Switch,
    /// One value (`--provider P`).
    One(&'static str),
    /// One value that may start with `-` (JSON, or `-` for stdin).
    Raw(&'static str),
    /// A whole number (`--page-size N`).
    Number(&'static str),
    /// Whole seconds, optional: the flag alone means this many (`--wait [SECONDS]`).
    OptionalSeconds(u64),
}

impl Value {
    /// The value's placeholder in usage text (`SECONDS` for seconds), `None` for a switch.
    pub fn placeholder(self) -> Option<&'static str> {
        match self {
            Value::Switch => None,
            Value::One(name) | Value::Raw(name) | Value::Number(name) => Some(name),
            Value::OptionalSeconds(_) => Some("SECONDS"),
        }
    }
}

/// How the component uses a file an option names; the runner grants exactly those files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileUse {
    /// The value is a file the component reads.
    Read,
    /// The value is a file the component writes (atomically: a temporary name, then a rename).
    Write,
    /// A value `@FILE` names a file the component reads; any other value is used as it is.
    ReadIfAt,
}

/// One option.
#[derive(Debug, PartialEq, Eq)]
pub struct Opt {
    /// The flag without its dashes, e.g. `connection-name`.
    pub flag: &'static str,
    /// The value it takes.
    pub value: Value,
    /// One line of help.
    pub help: &'static str,
    /// What to pass, for hints that ask for it: `Add --connection-name NAME (see ...)`.
    pub example: &'static str,
    /// Set when the value names a file.
    pub file: Option<FileUse>,
}

impl Opt {
    /// The option with its value, as one argument: `--state=VALUE` (a value that starts with `-`
    /// stays a value).
    pub fn with(&self, value: &str) -> String {
        format!("--{}={value}", self.flag)
    }
}

const fn opt(flag: &'static str, value: Value, help: &'static str, example: &'static str) -> Opt {
    Opt { flag, value, help, example, file: None }
}

/// `--provider P`
pub static PROVIDER: Opt = opt("provider", Value::One("P"), "Provider key, e.g. NOTION (case-insensitive)", "NOTION");
/// Scalekit's largest page of connections (and the default: every page is read anyway).
pub const CONNECTIONS_PAGE_MAX: u64 = 30;
/// Scalekit's largest page of tools.
pub const TOOLS_PAGE_MAX: u64 = 100;
/// Tools a `--query` search returns when `--page-size` does not say.
pub const SEARCH_PAGE_DEFAULT: u64 = 10;
/// `--page-size N`
pub static PAGE_SIZE: Opt =
    opt("page-size", Value::Number("N"), "Page size (1-30 for connections, 1-100 for tools)", "30");
/// `--page-token X`
pub static PAGE_TOKEN: Opt =
    opt("page-token", Value::One("X"), "Page token from a previous --get-tool call", "TOKEN (next_page_token)");
/// `--connection-name C`
pub static CONNECTION_NAME: Opt = opt(
    "connection-name",
    Value::One("C"),
    "Connection name (the connection's key_id), e.g. notion-ijIQedmJ",
    "NAME (see agent-auth --list-connections --provider P)",
);
/// `--identifier I`
pub static IDENTIFIER: Opt =
    opt("identifier", Value::One("I"), "User identifier (default: TOOL_IDENTIFIER)", "USER_ID");
/// `--tool-name T`
pub static TOOL_NAME: Opt = opt(
    "tool-name",
    Value::One("T"),
    "Tool name (--get-tool takes several)",
    "NAME (see agent-auth --get-tool --provider P)",
);
/// The lengths of a `--query`, in characters (what Scalekit accepts for its own `filter.query`).
pub const QUERY_LENGTH: std::ops::RangeInclusive<usize> = 3..=100;
/// `--query Q`
pub static QUERY: Opt = opt(
    "query",
    Value::One("Q"),
    "Search tools by what is to be done, best first (3-100 characters)",
    "'what you want to do'",
);
/// `--tool-input JSON|@FILE|-`
pub static TOOL_INPUT: Opt = Opt {
    file: Some(FileUse::ReadIfAt),
    ..opt(
        "tool-input",
        Value::Raw("JSON|@FILE|-"),
        "Tool input: a JSON object, @FILE, or - for stdin",
        "'{...}' matching the tool's input_schema (see agent-auth --get-tool --tool-name T)",
    )
};
/// `--path P`
pub static PATH: Opt =
    opt("path", Value::One("P"), "Provider API path, e.g. /v1/users/me (not a URL)", "/v1/... (the provider API path)");
/// The method of `--proxy-request` without `--method`.
pub const DEFAULT_METHOD: &str = "GET";
/// `--method M`
pub static METHOD: Opt = opt("method", Value::One("M"), "HTTP method (default GET)", DEFAULT_METHOD);
/// `--query-params JSON`
pub static QUERY_PARAMS: Opt = opt(
    "query-params",
    Value::One("JSON"),
    "Query parameters as a JSON object; an array value repeats the key",
    "'{\"key\": \"value\"}'",
);
/// `--body JSON`
pub static BODY: Opt = opt("body", Value::Raw("JSON"), "Request body as JSON", "'{\"key\": \"value\"}'");
/// `--headers JSON`
pub static HEADERS: Opt = opt(
    "headers",
    Value::One("JSON"),
    "Extra request headers as a JSON object",
    "'{\"Notion-Version\": \"2022-06-28\"}'",
);
/// `--input-file F`
pub static INPUT_FILE: Opt = Opt {
    file: Some(FileUse::Read),
    ..opt("input-file", Value::One("F"), "Upload this file as multipart/form-data (field \"file\")", "FILE")
};
/// `--output-file F`
pub static OUTPUT_FILE: Opt = Opt {
    file: Some(FileUse::Write),
    ..opt("output-file", Value::One("F"), "Save a 2xx response body to this file instead of printing it", "FILE")
};
/// The seconds `--wait` alone waits for a person.
pub const WAIT_DEFAULT_SECONDS: u64 = 300;
/// `--wait [SECONDS]`
pub static WAIT: Opt = opt(
    "wait",
    Value::OptionalSeconds(WAIT_DEFAULT_SECONDS),
    "Wait until the accounts are active (default 300 seconds)",
    "SECONDS",
);
/// `--for-url URL`
pub static FOR_URL: Opt = opt(
    "for-url",
    Value::One("URL"),
    "Pick the service whose provider serves this API URL",
    "https://api.example.com/...",
);
/// `--include-static`
pub static INCLUDE_STATIC: Opt =
    opt("include-static", Value::Switch, "Hand out a non-OAuth account's static credential fields", "");
/// `--summary`
pub static SUMMARY: Opt = opt(
    "summary",
    Value::Switch,
    "Compact entries: name, provider, one sentence, required parameters and their types",
    "",
);
/// `--dry-run`
pub static DRY_RUN: Opt = opt(
    "dry-run",
    Value::Switch,
    "Check everything and print the request that would be sent, sending nothing that changes anything",
    "",
);
/// The default of `--max-output-bytes`: a result's `data` or `body` larger than this goes to a file.
pub const OUTPUT_BUDGET: u64 = 16 * 1024;
/// The budgets `--max-output-bytes` accepts.
pub const OUTPUT_BUDGET_RANGE: std::ops::RangeInclusive<u64> = 1024..=1 << 30;
/// `--max-output-bytes N`
pub static MAX_OUTPUT_BYTES: Opt = opt(
    "max-output-bytes",
    Value::Number("N"),
    "A result's data or body over N bytes goes to a file, with its shape and a preview on stdout (default 16384)",
    "16384",
);
/// `--raw`
pub static RAW: Opt =
    opt("raw", Value::Switch, "Print only the token and a newline; a failure goes to stderr as JSON", "");

/// Whether a command line asks for raw output (`--get-token ... --raw`): then a failure, the
/// runner's own included, goes to stderr and stdout stays empty. Read from the words themselves,
/// so that even a usage error follows it.
pub fn raw_output<S: AsRef<str>>(argv: &[S]) -> bool {
    let given = |word: &str| argv.iter().any(|a| a.as_ref() == word);
    given("--raw") && given("--get-token")
}
/// `--name N`
pub static NAME: Opt =
    opt("name", Value::One("N"), "Name of the new MCP config", "NAME (lower-case letters, digits, - and _)");
/// `--description D`
pub static DESCRIPTION: Opt = opt("description", Value::One("D"), "MCP config description", "'what it is for'");
/// `--tools CONNECTION[:TOOLS]`
pub static TOOLS: Opt = opt(
    "tools",
    Value::One("CONNECTION[:TOOLS]"),
    "A connection and the tools it exposes (all without a list); once per connection",
    "CONNECTION[:tool1,tool2] once per connection (no tool list = every tool)",
);
/// `--config-name N`
pub static CONFIG_NAME: Opt =
    opt("config-name", Value::One("N"), "MCP config name", "NAME (see agent-auth --list-mcp-configs)");
/// `--instance-id ID`
pub static INSTANCE_ID: Opt =
    opt("instance-id", Value::One("ID"), "MCP instance id", "ID (from agent-auth --ensure-mcp-instance)");
/// `--expiry SECONDS`
pub static EXPIRY: Opt = opt(
    "expiry",
    Value::Number("SECONDS"),
    "How long the session token works: 60 to 86400 seconds (default 3600)",
    "3600",
);
/// The lifetimes `--expiry` may ask for (Scalekit: 60 s to 24 h).
pub const EXPIRY_SECONDS: std::ops::RangeInclusive<u64> = 60..=86_400;
/// A session token's lifetime when `--expiry` does not say (Scalekit's default, 1 h).
pub const EXPIRY_DEFAULT_SECONDS: u64 = 3600;
/// `--since T`
pub static SINCE: Opt =
    opt("since", Value::One("T"), "Entries at or after T (RFC 3339, or an age like 30m, 24h, 7d)", "24h");
/// `--limit N`
pub static LIMIT: Opt = opt("limit", Value::Number("N"), "At most N entries, the newest (default 50)", "50");
/// `--verify`
pub static VERIFY: Opt = opt(
    "verify",
    Value::Switch,
    "Check the audit trail's chain of digests and report the first line changed or removed",
    "",
);
/// `--auth-request-id ID` (`--verify-user`)
pub static AUTH_REQUEST_ID: Opt = opt(
    "auth-request-id",
    Value::One("ID"),
    "The auth_request_id Scalekit added to the verify URL",
    "ID (from the verify URL's query)",
);
/// `--state S` (`--verify-user`)
pub static STATE: Opt =
    opt("state", Value::One("S"), "The state Scalekit added to the verify URL", "STATE (from the verify URL's query)");
/// `--expect-head DIGEST` (with `--verify`)
pub static EXPECT_HEAD: Opt = opt(
    "expect-head",
    Value::One("DIGEST"),
    "With --verify: a last line's digest kept elsewhere (a former head); that line must still be in the trail",
    "DIGEST (the head --verify printed earlier)",
);
/// `--no-cache`, taken by every operation
pub static NO_CACHE: Opt = opt(
    "no-cache",
    Value::Switch,
    "Ask Scalekit afresh instead of trusting what earlier calls saw (default: AGENT_AUTH_NO_CACHE)",
    "",
);

/// `--limit` without a value.
pub const AUDIT_LIMIT_DEFAULT: u64 = 50;

/// `--agent-run-id ID`, taken by every operation
pub static AGENT_RUN_ID: Opt = opt(
    "agent-run-id",
    Value::One("ID"),
    "Correlates this call in the audit trail and Scalekit's tool logs (default: AGENT_RUN_ID)",
    "RUN_ID",
);

/// `--timeout` without a value: the wall-clock limit of one call, in seconds.
pub const TIMEOUT_DEFAULT_SECONDS: u64 = 120;

/// `--env-file PATH`, a runner option
pub static ENV_FILE: Opt =
    opt("env-file", Value::One("PATH"), "read the credentials from PATH instead of ./.env", "PATH");
/// `--timeout SECONDS`, a runner option
pub static TIMEOUT: Opt =
    opt("timeout", Value::Number("SECONDS"), "wall-clock limit for the whole call (default 120)", "SECONDS");
/// The runner's own options, given before the operation; the component never sees them.
pub static RUNNER_OPTIONS: [&Opt; 2] = [&ENV_FILE, &TIMEOUT];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_states_the_defaults_the_code_uses() {
        assert!(WAIT.help.contains(&format!("default {WAIT_DEFAULT_SECONDS} ")), "{}", WAIT.help);
        assert!(METHOD.help.contains(&format!("default {DEFAULT_METHOD}")), "{}", METHOD.help);
        assert!(LIMIT.help.contains(&format!("default {AUDIT_LIMIT_DEFAULT}")), "{}", LIMIT.help);
        assert!(TIMEOUT.help.contains(&format!("default {TIMEOUT_DEFAULT_SECONDS}")), "{}", TIMEOUT.help);
        let pages = format!("1-{CONNECTIONS_PAGE_MAX} for connections, 1-{TOOLS_PAGE_MAX} for tools");
        assert!(PAGE_SIZE.help.contains(&pages), "{}", PAGE_SIZE.help);
        let length = format!("{}-{} characters", QUERY_LENGTH.start(), QUERY_LENGTH.end());
        assert!(QUERY.help.contains(&length), "{}", QUERY.help);
    }
}
