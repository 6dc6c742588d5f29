//! The tools `agent-auth mcp` serves, each one operation of the table ([`crate::operation`])
//! with its options named for a model. The server's `tools/list` is made from this table (input
//! schemas from the options: their types, ranges and help), and a `tools/call`'s arguments become
//! a [`Call`] here; nothing about a tool is written again in the runner.
//!
//! Which user, which files, which origin: the server decides, never the model; so no tool has an
//! argument for `--identifier`, and the server's own settings stay out of this table.

use serde_json::{Map, Value, json};

use crate::call::Call;
use crate::operation::{Kind, Remote};
use crate::option::{
    self, BODY, CONNECTION_NAME, HEADERS, INPUT_FILE, METHOD, OUTPUT_FILE, Opt, PAGE_SIZE, PATH, PROVIDER, QUERY,
    QUERY_PARAMS, SUMMARY, TOOL_INPUT, TOOL_NAME, WAIT,
};

/// How a tool touches the world, for the client's approval prompts (MCP's annotations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    /// Changes nothing.
    pub read_only: bool,
    /// May destroy or overwrite something.
    pub destructive: bool,
    /// Calling it twice does no more than once.
    pub idempotent: bool,
}

/// Changes nothing, so asking twice is asking once.
const READ: Hints = Hints { read_only: true, destructive: false, idempotent: true };
/// Acts in the provider: anything may change.
const WRITE: Hints = Hints { read_only: false, destructive: true, idempotent: false };

/// The JSON an argument takes, and how it reaches the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A string, passed as it is.
    Text,
    /// A string of `min` to `max` characters, passed as it is.
    Length {
        /// The fewest characters.
        min: usize,
        /// The most characters.
        max: usize,
    },
    /// A whole number from `min` to `max`; when left out, `default` (if any) is passed.
    Count {
        /// The least.
        min: u64,
        /// The most.
        max: u64,
        /// What the tool passes when the model gives none.
        default: Option<u64>,
    },
    /// A JSON object, passed as its JSON text.
    Object,
    /// Any JSON value, passed as its JSON text.
    Json,
}

/// One argument of a tool: a property of its input schema, and the option it fills.
#[derive(Debug, PartialEq, Eq)]
pub struct Argument {
    /// The property's name, e.g. `connection_name`.
    pub name: &'static str,
    /// The option its value goes to.
    pub option: &'static Opt,
    /// Whether the call fails without it.
    pub required: bool,
    /// Its JSON.
    pub shape: Shape,
    /// What a model reads; `None`: the option's own help says it.
    pub about: Option<&'static str>,
}

/// One tool.
#[derive(Debug)]
pub struct McpTool {
    /// Its name.
    pub name: &'static str,
    /// What it does, for a model.
    pub description: &'static str,
    /// The operation it runs.
    pub operation: Kind,
    /// Switches it always passes (`search_tools` is `--get-tool --summary`).
    pub switches: &'static [&'static Opt],
    /// Its arguments, in the order its schema lists them.
    pub arguments: &'static [Argument],
    /// Its annotations.
    pub hints: Hints,
    /// The properties its result has besides the ones every result has ([`McpTool::output_schema`]).
    pub output: fn() -> Value,
}

const fn text(name: &'static str, option: &'static Opt, required: bool) -> Argument {
    Argument { name, option, required, shape: Shape::Text, about: None }
}

const fn about(argument: Argument, about: &'static str) -> Argument {
    Argument { about: Some(about), ..argument }
}

/// The longest wait of `wait_for_authorization`, in seconds (its schema's maximum; the CLI's
/// `--wait` has none: a person at a terminal can stop it).
pub const WAIT_MAX: u64 = 1800;

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
pub static TOOLS: [McpTool; 7] = [
    McpTool {
        name: "list_connections",
        description: "List the Scalekit connections of this environment (one per provider app), optionally of one provider, and which one is selected for it. Use the key_id as connection_name in other tools.",
        operation: Kind::Remote(Remote::ListConnections),
        switches: &[],
        arguments: &[text("provider", &PROVIDER, false)],
        hints: READ,
        output: || {
            json!({
                "provider": {"type": "string"},
                "connections": {"type": "array", "items": {"type": "object", "properties": {
                    "key_id": {"type": "string"}, "provider_key": {"type": "string"}, "type": {"type": "string"},
                    "status": {"type": "string"}, "id": {"type": "string"}, "enabled": {"type": "boolean"}}}},
                "selected": {"type": ["string", "null"], "description": "The connection used for the provider."}
            })
        },
    },
    McpTool {
        name: "search_tools",
        description: "Find the tool for a task: ranks the tools of every connected provider (or of one provider) by the words of the query, best first, as compact entries (name, provider, one sentence, required parameters). Then call get_tool_schema for its full input schema, or execute_tool.",
        operation: Kind::Remote(Remote::GetTool),
        switches: &[&SUMMARY],
        arguments: &[
            Argument {
                shape: Shape::Length { min: *option::QUERY_LENGTH.start(), max: *option::QUERY_LENGTH.end() },
                ..about(
                    text("query", &QUERY, false),
                    "What is to be done, in a few words, e.g. \"read a notion page\".",
                )
            },
            about(text("provider", &PROVIDER, false), "Only this provider's tools, e.g. NOTION."),
            Argument {
                shape: Shape::Count { min: 1, max: option::TOOLS_PAGE_MAX, default: None },
                ..about(text("limit", &PAGE_SIZE, false), "How many entries (default 10).")
            },
        ],
        hints: READ,
        output: || {
            json!({
                "tools": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "provider": {"type": "string"}, "about": {"type": "string"},
                    "required": {"type": "object", "description": "Each required parameter's type."}}}},
                "next_page_token": {"type": "string"},
                "total_size": {"type": "integer"}
            })
        },
    },
    McpTool {
        name: "get_tool_schema",
        description: "The full JSON input schema of one tool (by its exact name, from search_tools), with its description and provider.",
        operation: Kind::Remote(Remote::GetTool),
        switches: &[],
        arguments: &[about(text("tool_name", &TOOL_NAME, true), "The tool's name, e.g. notion_page_get.")],
        hints: READ,
        output: || {
            json!({"tool": {"type": "object", "properties": {
                "name": {"type": "string"}, "description": {"type": "string"}, "provider": {"type": "string"},
                "input_schema": {"type": "object"}}}})
        },
    },
    McpTool {
        name: "authorize",
        description: "Check whether the user's account on a connection (or on a provider's selected connection) is active. When a person must act, the result is an error with a fresh authorization link: show it to the person verbatim, and call this tool again, or wait_for_authorization, once they say they are done.",
        operation: Kind::Remote(Remote::GenerateLink),
        switches: &[],
        arguments: &[
            text("connection_name", &CONNECTION_NAME, false),
            about(text("provider", &PROVIDER, false), "Or a provider key, whose selected connection is used."),
        ],
        hints: Hints { read_only: false, destructive: false, idempotent: true },
        output: account,
    },
    McpTool {
        name: "wait_for_authorization",
        description: "Wait until the person has authorized the connection (after you showed them the link from authorize), checking every few seconds; reports progress and stops when cancelled.",
        operation: Kind::Remote(Remote::GenerateLink),
        switches: &[],
        arguments: &[
            text("connection_name", &CONNECTION_NAME, true),
            Argument {
                shape: Shape::Count { min: 1, max: WAIT_MAX, default: Some(option::WAIT_DEFAULT_SECONDS) },
                ..about(text("timeout_seconds", &WAIT, false), "How long to wait, in seconds (default 300).")
            },
        ],
        hints: READ,
        output: account,
    },
    McpTool {
        name: "execute_tool",
        description: "Run a Scalekit tool for the user. The input is checked against the tool's schema first: every problem comes back at once, with the corrected input when it is certain. The connection is the tool's provider's selected one unless connection_name says otherwise. An account that needs authorizing returns the link to show the person.",
        operation: Kind::Remote(Remote::ExecuteTool),
        switches: &[],
        arguments: &[
            about(text("tool_name", &TOOL_NAME, true), "The tool's exact name, e.g. notion_page_get."),
            Argument {
                shape: Shape::Object,
                ..about(text("input", &TOOL_INPUT, true), "The tool's input, matching its input schema.")
            },
            about(
                text("connection_name", &CONNECTION_NAME, false),
                "A connection's key_id, when not the provider's selected one.",
            ),
        ],
        hints: WRITE,
        output: || {
            json!({
                "tool_name": {"type": "string"},
                "connection_name": {"type": ["string", "null"]},
                "identifier": {"type": "string"},
                "execution_id": {"type": ["string", "null"]},
                "data": {"description": "What the tool returned."}
            })
        },
    },
    McpTool {
        name: "proxy_request",
        description: "Call the provider's own API through Scalekit's proxy with the user's credentials, for what no tool does. path is the provider's API path (never a full URL). Files are only read from and written to the folders the operator granted.",
        operation: Kind::Remote(Remote::ProxyRequest),
        switches: &[],
        arguments: &[
            text("connection_name", &CONNECTION_NAME, true),
            text("path", &PATH, true),
            text("method", &METHOD, false),
            Argument { shape: Shape::Object, ..text("query", &QUERY_PARAMS, false) },
            Argument { shape: Shape::Object, ..text("headers", &HEADERS, false) },
            Argument {
                shape: Shape::Json,
                ..about(text("body", &BODY, false), "A JSON body; with input_file, the form fields.")
            },
            text("input_file", &INPUT_FILE, false),
            text("output_file", &OUTPUT_FILE, false),
        ],
        hints: WRITE,
        output: || {
            json!({
                "status": {"type": "integer", "description": "The provider's HTTP status."},
                "content_type": {"type": "string"},
                "body": {"description": "The provider's answer: JSON, or text."},
                "saved_to": {"type": "string", "description": "With output_file: where the body was saved."},
                "bytes": {"type": "integer", "description": "With output_file: its size."}
            })
        },
    },
];

/// Why a call cannot be run: its arguments do not fit the tool's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadArguments(pub String);

/// The tool named `name`.
pub fn find(name: &str) -> Option<&'static McpTool> {
    TOOLS.iter().find(|tool| tool.name == name)
}

impl Argument {
    /// Its property in the input schema: the JSON type, the range, the description.
    fn property(&self) -> Value {
        let mut property = match self.shape {
            Shape::Text => json!({"type": "string"}),
            Shape::Length { min, max } => json!({"type": "string", "minLength": min, "maxLength": max}),
            Shape::Count { min, max, default } => {
                let mut count = json!({"type": "integer", "minimum": min, "maximum": max});
                if let Some(default) = default {
                    count["default"] = default.into();
                }
                count
            }
            Shape::Object => json!({"type": "object"}),
            Shape::Json => json!({}),
        };
        property["description"] = self.about.unwrap_or(self.option.help).into();
        property
    }

    /// Its value as the option's text, `None` when it is left out (and has no default).
    fn read(&self, args: &Map<String, Value>) -> Result<Option<String>, BadArguments> {
        let name = self.name;
        let given = args.get(name).filter(|v| !v.is_null());
        match (self.shape, given) {
            (Shape::Count { default, .. }, None) => Ok(default.map(|d| d.to_string())),
            (_, None) => Ok(None),
            (Shape::Text | Shape::Length { .. }, Some(value)) => match value {
                Value::String(text) => Ok(Some(text.clone())),
                _ => Err(BadArguments(format!("{name} must be a string"))),
            },
            (Shape::Count { min, max, .. }, Some(value)) => match value.as_u64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n.to_string())),
                Some(n) => Err(BadArguments(format!("{name} {n} is not from {min} to {max}"))),
                None => Err(BadArguments(format!("{name} must be a whole number"))),
            },
            (Shape::Object, Some(value)) if !value.is_object() => {
                Err(BadArguments(format!("{name} must be an object")))
            }
            (Shape::Object | Shape::Json, Some(value)) => Ok(Some(value.to_string())),
        }
    }
}

impl McpTool {
    /// Its input schema.
    pub fn input_schema(&self) -> Map<String, Value> {
        let properties: Map<String, Value> = self.arguments.iter().map(|a| (a.name.to_owned(), a.property())).collect();
        let required: Vec<&str> = self.arguments.iter().filter(|a| a.required).map(|a| a.name).collect();
        object(json!({"type": "object", "properties": properties, "required": required}))
    }

    /// Its output schema: the object the CLI prints, `ok` first. A failure has `error` (and, when
    /// a person must act, `action_required`); a success has the tool's own properties.
    pub fn output_schema(&self) -> Map<String, Value> {
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
        if let (Some(all), Value::Object(own)) = (properties.as_object_mut(), (self.output)()) {
            all.extend(own);
        }
        object(json!({"type": "object", "properties": properties, "required": ["ok"]}))
    }

    /// The call its arguments make: each one checked against its shape and put in its option,
    /// the tool's switches added, and of the operation's choice (`connection_name` or
    /// `provider`) exactly one given.
    pub fn call(&self, args: &Map<String, Value>) -> Result<Call, BadArguments> {
        let mut call = self.switches.iter().fold(Call::new(self.operation), |call, switch| call.switch(switch));
        for argument in self.arguments {
            match argument.read(args)? {
                Some(value) => call = call.with(argument.option, value),
                None if argument.required => return Err(BadArguments(format!("{} is required", argument.name))),
                None => {}
            }
        }
        let choice: Vec<&str> = self
            .arguments
            .iter()
            .filter(|a| self.operation.operation().one_of.contains(&a.option))
            .map(|a| a.name)
            .collect();
        let chosen = choice.iter().filter(|name| args.get(**name).is_some_and(|v| !v.is_null())).count();
        if !choice.is_empty() && chosen != 1 {
            let both = if chosen > 1 { ", not both" } else { "" };
            return Err(BadArguments(format!("give {}{both}", choice.join(" or "))));
        }
        Ok(call)
    }
}

/// A Scalekit tool served as a tool of its own (`agent-auth mcp --expose`): its arguments are the
/// tool's input, run on `connection`.
pub fn exposed_call(tool: &str, input: &Map<String, Value>, connection: &str) -> Call {
    Call::new(Kind::Remote(Remote::ExecuteTool))
        .with(&TOOL_NAME, tool)
        .with(&TOOL_INPUT, Value::Object(input.clone()).to_string())
        .with(&CONNECTION_NAME, connection)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::option::Value as Takes;

    fn call(name: &str, args: Value) -> Result<Vec<String>, BadArguments> {
        find(name).expect("a tool").call(args.as_object().unwrap()).map(|call| call.argv())
    }

    #[test]
    fn calls_become_operations() {
        assert_eq!(
            call("search_tools", json!({"query": "send email", "limit": 3})).unwrap(),
            ["--get-tool", "--summary", "--query=send email", "--page-size=3"]
        );
        assert_eq!(
            call("wait_for_authorization", json!({"connection_name": "gmail"})).unwrap(),
            ["--generate-link", "--connection-name=gmail", "--wait=300"]
        );
        assert_eq!(call("authorize", json!({"provider": "NOTION"})).unwrap(), ["--generate-link", "--provider=NOTION"]);
        assert_eq!(
            call("execute_tool", json!({"tool_name": "--identifier", "input": {"q": "--x"}})).unwrap(),
            ["--execute-tool", "--tool-name=--identifier", r#"--tool-input={"q":"--x"}"#]
        );
        assert!(find("nope").is_none());
    }

    #[test]
    fn arguments_that_do_not_fit_are_refused_before_anything_runs() {
        let refused = |name: &str, args: Value| call(name, args).unwrap_err().0;
        assert_eq!(refused("get_tool_schema", json!({})), "tool_name is required");
        assert_eq!(refused("authorize", json!({})), "give connection_name or provider");
        assert_eq!(
            refused("authorize", json!({"connection_name": "gmail", "provider": "GMAIL"})),
            "give connection_name or provider, not both"
        );
        assert_eq!(
            refused("wait_for_authorization", json!({"connection_name": "g", "timeout_seconds": 0})),
            format!("timeout_seconds 0 is not from 1 to {WAIT_MAX}")
        );
        assert_eq!(refused("execute_tool", json!({"tool_name": "t", "input": "{}"})), "input must be an object");
        assert_eq!(refused("list_connections", json!({"provider": 7})), "provider must be a string");
    }

    #[test]
    fn each_argument_fills_an_option_its_operation_takes_with_the_json_that_option_reads() {
        let seen: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
        for tool in &TOOLS {
            assert_eq!(seen.iter().filter(|n| **n == tool.name).count(), 1, "{}", tool.name);
            let op = tool.operation.operation();
            for switch in tool.switches {
                assert!(op.takes(switch) && switch.value == Takes::Switch, "{} --{}", tool.name, switch.flag);
            }
            for argument in tool.arguments {
                let option = argument.option;
                assert!(op.takes(option), "{}: {} is not an option of --{}", tool.name, argument.name, op.flag);
                assert_ne!(option, &crate::option::IDENTIFIER, "{}: the server names the user", tool.name);
                let fits = match (argument.shape, option.value) {
                    (Shape::Count { .. }, Takes::Number(_) | Takes::OptionalSeconds(_)) => true,
                    (Shape::Object | Shape::Json, Takes::One(p) | Takes::Raw(p)) => p.starts_with("JSON"),
                    (Shape::Text | Shape::Length { .. }, Takes::One(p) | Takes::Raw(p)) => !p.starts_with("JSON"),
                    _ => false,
                };
                assert!(
                    fits,
                    "{}: {} is {:?}, --{} takes {:?}",
                    tool.name, argument.name, argument.shape, option.flag, option.value
                );
            }
        }
    }

    #[test]
    fn descriptions_state_the_defaults_the_operations_use() {
        let described = |tool: &str, name: &str| {
            let argument = find(tool).unwrap().arguments.iter().find(|a| a.name == name).unwrap();
            argument.about.unwrap_or(argument.option.help)
        };
        assert!(described("search_tools", "limit").contains(&format!("default {}", option::SEARCH_PAGE_DEFAULT)));
        assert!(
            described("wait_for_authorization", "timeout_seconds")
                .contains(&format!("default {}", option::WAIT_DEFAULT_SECONDS))
        );
        assert!(described("proxy_request", "method").contains(&format!("default {}", option::DEFAULT_METHOD)));
    }

    #[test]
    fn schemas_list_every_argument_and_the_required_ones() {
        let tool = find("proxy_request").unwrap();
        let schema = tool.input_schema();
        assert_eq!(schema["required"], json!(["connection_name", "path"]));
        assert_eq!(schema["properties"]["path"]["description"], PATH.help);
        assert_eq!(schema["properties"]["query"]["type"], "object");
        let wait = find("wait_for_authorization").unwrap().input_schema();
        assert_eq!(wait["properties"]["timeout_seconds"]["maximum"], WAIT_MAX);
        assert_eq!(tool.output_schema()["required"], json!(["ok"]));
        assert!(tool.output_schema()["properties"]["status"].is_object());
    }
}
