//! The MCP tools and the operation each one runs: a tool call becomes a command line for the
//! component (every value the model gives is passed as `--flag=value`, so none can be read as
//! another flag). Which user, which files, which origin: the server decides, never the model.

use serde_json::{Map, Value, json};

/// How a tool touches the world, for the client's approval prompts.
#[derive(Debug, Clone, Copy)]
pub struct Hints {
    /// Changes nothing.
    pub read_only: bool,
    /// May destroy or overwrite something.
    pub destructive: bool,
    /// Calling it twice does no more than once.
    pub idempotent: bool,
}

/// One of the server's own tools.
#[derive(Debug)]
pub struct MetaTool {
    /// Its name.
    pub name: &'static str,
    /// What it does, for a model.
    pub description: &'static str,
    /// Its input schema's properties.
    pub properties: fn() -> Value,
    /// The required properties.
    pub required: &'static [&'static str],
    /// The properties its result has besides the ones every result has ([`output_schema`]).
    pub output: fn() -> Value,
    /// Its annotations.
    pub hints: Hints,
}

const READ: Hints = Hints { read_only: true, destructive: false, idempotent: true };

/// What `authorize` and `wait_for_authorization` say of the account.
fn account() -> Value {
    json!({
        "connection_name": {"type": "string"},
        "identifier": {"type": "string", "description": "The user the account belongs to."},
        "connection_type": {"type": ["string", "null"]},
        "connected_account_id": {"type": ["string", "null"], "description": "null before the account exists."},
        "status": {"type": "string", "description": "ACTIVE once authorized."},
        "active": {"type": "boolean"}
    })
}

/// The tools, in the order `tools/list` gives them.
pub const META_TOOLS: [MetaTool; 7] = [
    MetaTool {
        name: "list_connections",
        description: "List the Scalekit connections of this environment (one per provider app), optionally of one provider, and which one is selected for it. Use the key_id as connection_name in other tools.",
        properties: || json!({"provider": {"type": "string", "description": "Provider key, e.g. NOTION, GMAIL, SLACK (any case)."}}),
        required: &[],
        output: || {
            json!({
                "provider": {"type": "string"},
                "connections": {"type": "array", "items": {"type": "object", "properties": {
                    "key_id": {"type": "string"}, "provider_key": {"type": "string"}, "type": {"type": "string"},
                    "status": {"type": "string"}, "id": {"type": "string"}, "enabled": {"type": "boolean"}}}},
                "selected": {"type": ["string", "null"], "description": "The connection used for the provider."}
            })
        },
        hints: READ,
    },
    MetaTool {
        name: "search_tools",
        description: "Find the tool for a task: ranks the tools of every connected provider (or of one provider) by the words of the query, best first, as compact entries (name, provider, one sentence, required parameters). Then call get_tool_schema for its full input schema, or execute_tool.",
        properties: || {
            json!({
                "query": {"type": "string", "minLength": 3, "maxLength": 100, "description": "What is to be done, in a few words, e.g. \"read a notion page\"."},
                "provider": {"type": "string", "description": "Only this provider's tools, e.g. NOTION."},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "How many entries (default 10)."}
            })
        },
        required: &[],
        output: || {
            json!({
                "tools": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "provider": {"type": "string"}, "about": {"type": "string"},
                    "required": {"type": "object", "description": "Each required parameter's type."}}}},
                "next_page_token": {"type": "string"},
                "total_size": {"type": "integer"}
            })
        },
        hints: READ,
    },
    MetaTool {
        name: "get_tool_schema",
        description: "The full JSON input schema of one tool (by its exact name, from search_tools), with its description and provider.",
        properties: || json!({"tool_name": {"type": "string", "description": "The tool's name, e.g. notion_page_get."}}),
        required: &["tool_name"],
        output: || {
            json!({"tool": {"type": "object", "properties": {
                "name": {"type": "string"}, "description": {"type": "string"}, "provider": {"type": "string"},
                "input_schema": {"type": "object"}}}})
        },
        hints: READ,
    },
    MetaTool {
        name: "authorize",
        description: "Check whether the user's account on a connection (or on a provider's selected connection) is active. When a person must act, the result is an error with a fresh authorization link: show it to the person verbatim, and call this tool again, or wait_for_authorization, once they say they are done.",
        properties: || {
            json!({
                "connection_name": {"type": "string", "description": "The connection's key_id (from list_connections)."},
                "provider": {"type": "string", "description": "Or a provider key, whose selected connection is used."}
            })
        },
        required: &[],
        output: account,
        hints: Hints { read_only: false, destructive: false, idempotent: true },
    },
    MetaTool {
        name: "wait_for_authorization",
        description: "Wait until the person has authorized the connection (after you showed them the link from authorize), checking every few seconds; reports progress and stops when cancelled.",
        properties: || {
            json!({
                "connection_name": {"type": "string", "description": "The connection's key_id."},
                "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": WAIT_MAX, "description": "How long to wait (default 300)."}
            })
        },
        required: &["connection_name"],
        output: account,
        hints: READ,
    },
    MetaTool {
        name: "execute_tool",
        description: "Run a Scalekit tool for the user. The input is checked against the tool's schema first: every problem comes back at once, with the corrected input when it is certain. The connection is the tool's provider's selected one unless connection_name says otherwise. An account that needs authorizing returns the link to show the person.",
        properties: || {
            json!({
                "tool_name": {"type": "string", "description": "The tool's exact name, e.g. notion_page_get."},
                "input": {"type": "object", "description": "The tool's input, matching its input schema."},
                "connection_name": {"type": "string", "description": "A connection's key_id, when not the provider's selected one."}
            })
        },
        required: &["tool_name", "input"],
        output: || {
            json!({
                "tool_name": {"type": "string"},
                "connection_name": {"type": ["string", "null"]},
                "identifier": {"type": "string"},
                "execution_id": {"type": ["string", "null"]},
                "data": {"description": "What the tool returned."}
            })
        },
        hints: Hints { read_only: false, destructive: true, idempotent: false },
    },
    MetaTool {
        name: "proxy_request",
        description: "Call the provider's own API through Scalekit's proxy with the user's credentials, for what no tool does. path is the provider's API path (never a full URL). Files are only read from and written to the folders the operator granted.",
        properties: || {
            json!({
                "connection_name": {"type": "string", "description": "The connection's key_id."},
                "path": {"type": "string", "description": "The provider API path, e.g. /v1/users/me."},
                "method": {"type": "string", "description": "HTTP method (default GET)."},
                "query": {"type": "object", "description": "Query parameters; an array value repeats the key."},
                "headers": {"type": "object", "description": "Extra headers, e.g. {\"Notion-Version\": \"2022-06-28\"}."},
                "body": {"description": "A JSON body; with input_file, the form fields."},
                "input_file": {"type": "string", "description": "A file to upload (multipart part \"file\")."},
                "output_file": {"type": "string", "description": "Save a 2xx body to this file instead of returning it."}
            })
        },
        required: &["connection_name", "path"],
        output: || {
            json!({
                "status": {"type": "integer", "description": "The provider's HTTP status."},
                "content_type": {"type": "string"},
                "body": {"description": "The provider's answer: JSON, or text."},
                "saved_to": {"type": "string", "description": "With output_file: where the body was saved."},
                "bytes": {"type": "integer", "description": "With output_file: its size."}
            })
        },
        hints: Hints { read_only: false, destructive: true, idempotent: false },
    },
];

/// The tool's input schema.
pub fn input_schema(tool: &MetaTool) -> Map<String, Value> {
    let schema = json!({"type": "object", "properties": (tool.properties)(), "required": tool.required});
    schema.as_object().cloned().unwrap_or_default()
}

/// The tool's output schema: the object the CLI prints, `ok` first. A failure has `error` (and,
/// when a person must act, `action_required`); a success has the tool's own properties.
pub fn output_schema(tool: &MetaTool) -> Map<String, Value> {
    let mut properties = json!({
        "ok": {"type": "boolean"},
        "error": {"type": "object", "description": "Why the call failed and what to do.", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "hint": {"type": "string"}},
            "required": ["code", "message", "hint"]},
        "action_required": {"type": "object", "description": "What a person must do first, e.g. open a link.",
            "properties": {"kind": {"type": "string"}, "message": {"type": "string"}, "link": {"type": "string"},
            "expires_at": {"type": "string"}}},
        "warnings": {"type": "array", "items": {"type": "string"}}
    });
    if let (Some(all), Value::Object(own)) = (properties.as_object_mut(), (tool.output)()) {
        all.extend(own);
    }
    let schema = json!({"type": "object", "properties": properties, "required": ["ok"]});
    schema.as_object().cloned().unwrap_or_default()
}

/// Why a call cannot be run.
#[derive(Debug, PartialEq)]
pub struct BadArguments(pub String);

/// An argument as the component's `--flag=value`.
fn flag(name: &str, value: &str) -> String {
    format!("--{name}={value}")
}

fn text<'a>(args: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, BadArguments> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(BadArguments(format!("{key} must be a string"))),
    }
}

fn needed<'a>(args: &'a Map<String, Value>, key: &str) -> Result<&'a str, BadArguments> {
    text(args, key)?.ok_or_else(|| BadArguments(format!("{key} is required")))
}

fn number(args: &Map<String, Value>, key: &str) -> Result<Option<u64>, BadArguments> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| BadArguments(format!("{key} must be a whole number"))),
    }
}

/// A JSON argument passed on as JSON text.
fn json_flag(args: &Map<String, Value>, key: &str, flag_name: &str) -> Option<String> {
    args.get(key).filter(|v| !v.is_null()).map(|v| flag(flag_name, &v.to_string()))
}

/// The default wait of `wait_for_authorization`, in seconds.
pub const WAIT_DEFAULT: u64 = 300;
/// The longest wait of `wait_for_authorization`, in seconds (its schema's maximum).
pub const WAIT_MAX: u64 = 1800;

/// The seconds a `wait_for_authorization` call waits, checked against [`WAIT_MAX`].
pub fn wait_seconds(args: &Map<String, Value>) -> Result<u64, BadArguments> {
    match number(args, "timeout_seconds")?.unwrap_or(WAIT_DEFAULT) {
        s @ 1..=WAIT_MAX => Ok(s),
        s => Err(BadArguments(format!("timeout_seconds {s} is not from 1 to {WAIT_MAX}"))),
    }
}

/// The command line of a call to the meta tool `name`; `None` for a name that is not one.
/// `authorize` by provider is [`Command::ByProvider`]: the connection is read first.
pub fn command(name: &str, args: &Map<String, Value>) -> Result<Option<Command>, BadArguments> {
    let argv = |v: Vec<String>| Ok(Some(Command::Run(v)));
    match name {
        "list_connections" => {
            let mut v = vec!["--list-connections".to_owned()];
            v.extend(text(args, "provider")?.map(|p| flag("provider", p)));
            argv(v)
        }
        "search_tools" => {
            let mut v = vec!["--get-tool".to_owned(), "--summary".to_owned()];
            v.extend(text(args, "query")?.map(|q| flag("query", q)));
            v.extend(text(args, "provider")?.map(|p| flag("provider", p)));
            v.extend(number(args, "limit")?.map(|n| flag("page-size", &n.to_string())));
            argv(v)
        }
        "get_tool_schema" => argv(vec!["--get-tool".into(), flag("tool-name", needed(args, "tool_name")?)]),
        "authorize" => match (text(args, "connection_name")?, text(args, "provider")?) {
            (Some(c), _) => argv(vec!["--generate-link".into(), flag("connection-name", c)]),
            (None, Some(p)) => Ok(Some(Command::ByProvider(p.to_owned()))),
            (None, None) => Err(BadArguments("give connection_name or provider".into())),
        },
        "wait_for_authorization" => {
            let seconds = wait_seconds(args)?;
            let c = needed(args, "connection_name")?;
            argv(vec!["--generate-link".into(), flag("connection-name", c), flag("wait", &seconds.to_string())])
        }
        "execute_tool" => {
            let input = args
                .get("input")
                .filter(|v| v.is_object())
                .ok_or_else(|| BadArguments("input must be an object".into()))?;
            argv(execute(needed(args, "tool_name")?, input, text(args, "connection_name")?))
        }
        "proxy_request" => {
            let mut v = vec![
                "--proxy-request".to_owned(),
                flag("connection-name", needed(args, "connection_name")?),
                flag("path", needed(args, "path")?),
            ];
            v.extend(text(args, "method")?.map(|m| flag("method", m)));
            v.extend(json_flag(args, "query", "query-params"));
            v.extend(json_flag(args, "headers", "headers"));
            v.extend(json_flag(args, "body", "body"));
            v.extend(text(args, "input_file")?.map(|f| flag("input-file", f)));
            v.extend(text(args, "output_file")?.map(|f| flag("output-file", f)));
            argv(v)
        }
        _ => Ok(None),
    }
}

/// `--execute-tool` for `tool` with `input`.
pub fn execute(tool: &str, input: &Value, connection: Option<&str>) -> Vec<String> {
    let mut v = vec!["--execute-tool".to_owned(), flag("tool-name", tool), flag("tool-input", &input.to_string())];
    v.extend(connection.map(|c| flag("connection-name", c)));
    v
}

/// What a call runs.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// One operation.
    Run(Vec<String>),
    /// `authorize` by provider: `--list-connections --provider P`, then `--generate-link` for
    /// the connection it selects.
    ByProvider(String),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Command, command};

    fn run(name: &str, args: serde_json::Value) -> Vec<String> {
        match command(name, args.as_object().unwrap()).unwrap().unwrap() {
            Command::Run(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn values_never_become_flags() {
        let v = run("execute_tool", json!({"tool_name": "--identifier", "input": {"q": "--x"}}));
        assert_eq!(v, ["--execute-tool", "--tool-name=--identifier", r#"--tool-input={"q":"--x"}"#]);
    }

    #[test]
    fn calls_become_operations() {
        assert_eq!(
            run("search_tools", json!({"query": "send email", "limit": 3})),
            ["--get-tool", "--summary", "--query=send email", "--page-size=3"]
        );
        assert_eq!(
            run("wait_for_authorization", json!({"connection_name": "gmail"})),
            ["--generate-link", "--connection-name=gmail", "--wait=300"]
        );
        let by_provider = command("authorize", json!({"provider": "NOTION"}).as_object().unwrap());
        assert_eq!(by_provider, Ok(Some(Command::ByProvider("NOTION".into()))));
        assert_eq!(command("nope", &serde_json::Map::new()), Ok(None));
        assert!(command("get_tool_schema", &serde_json::Map::new()).is_err());
    }
}
