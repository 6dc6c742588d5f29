//! Every operation, described once: its flag and operand, its options, whether it needs Scalekit
//! credentials, whom it acts for, and what the audit trail records. The component's parser,
//! dispatcher and audit trail, and the runner's file grants, read this table; so does `--help`.

use crate::option::{self, FileUse, Opt, Value};

/// Operations on agent-auth's local files only: they need no Scalekit credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Local {
    /// `--configure SERVICE`
    Configure,
    /// `--list-services`
    ListServices,
    /// `--audit-log`
    AuditLog,
    /// `--doctor`: reads the variables itself, so that missing ones are a finding, not an error.
    Doctor,
}

/// Operations that call Scalekit: they need the client credentials and the environment URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// `--list-connections`
    ListConnections,
    /// `--generate-link`
    GenerateLink,
    /// `--verify-user`
    VerifyUser,
    /// `--get-tool`
    GetTool,
    /// `--execute-tool`
    ExecuteTool,
    /// `--proxy-request`
    ProxyRequest,
    /// `--get-authorization`
    GetAuthorization,
    /// `--get-token [SERVICE]...`
    GetToken,
    /// `--create-mcp-config`
    CreateMcpConfig,
    /// `--list-mcp-configs`
    ListMcpConfigs,
    /// `--ensure-mcp-instance`
    EnsureMcpInstance,
    /// `--mcp-auth-state`
    McpAuthState,
    /// `--create-mcp-session-token`
    CreateMcpSessionToken,
}

/// Which operation, and so whether it needs credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Local files only.
    Local(Local),
    /// Calls Scalekit.
    Remote(Remote),
}

/// Whom an operation acts for: the user identifier it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum User {
    /// Nobody (the operation may still list `--identifier` among its options, e.g. to store it).
    Nobody,
    /// `--identifier`, else `TOOL_IDENTIFIER`, when either is set; the operation can do without.
    Optional,
    /// `--identifier`, else `TOOL_IDENTIFIER`, else (in a terminal) asked for on stderr;
    /// `IDENTIFIER_REQUIRED` without one.
    Required,
}

impl User {
    /// Whether `--identifier` comes with the operation (it then need not be listed as an option).
    pub fn takes_identifier(self) -> bool {
        self != User::Nobody
    }
}

/// One piece of an audit entry's `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The operation's own value(s), e.g. the services of `--get-token`.
    Operand,
    /// The option's value(s).
    Value(&'static Opt),
    /// The option's value in upper case, or the given default when it is absent.
    Upper(&'static Opt, &'static str),
    /// A URL without its query string or fragment, which may carry a key.
    UrlWithoutQuery(&'static Opt),
}

/// What the audit trail records of an operation (operations without one are not recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    /// The pieces of `target`, present ones joined by `separator`.
    pub target: &'static [Part],
    /// Between the pieces.
    pub separator: &'static str,
}

/// The value an operation's flag itself takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    /// None: `--list-connections`.
    None,
    /// One value: `--configure SERVICE`.
    One(&'static str),
    /// Any number of uses, each with or without a value: `--get-token [SERVICE]...`.
    OptionalMany(&'static str),
}

/// One option as an operation takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Takes {
    /// The option.
    pub option: &'static Opt,
    /// Whether the operation fails without it.
    pub required: bool,
    /// Whether it may be given more than once (each use adds a value).
    pub repeats: bool,
}

/// Optional, at most once.
const fn optional(option: &'static Opt) -> Takes {
    Takes { option, required: false, repeats: false }
}

/// Required, exactly once.
const fn required(option: &'static Opt) -> Takes {
    Takes { option, required: true, repeats: false }
}

/// Optional, any number of times.
const fn repeated(option: &'static Opt) -> Takes {
    Takes { option, required: false, repeats: true }
}

/// At least once.
const fn required_repeated(option: &'static Opt) -> Takes {
    Takes { option, required: true, repeats: true }
}

/// One operation.
#[derive(Debug, PartialEq, Eq)]
pub struct Operation {
    /// Which one.
    pub kind: Kind,
    /// Its flag without dashes, e.g. `list-connections`; also its name in the audit trail.
    pub flag: &'static str,
    /// The value the flag itself takes ([`Operand::None`] for most).
    pub operand: Operand,
    /// One line of help.
    pub about: &'static str,
    /// The options it takes, in the order `--help` lists them.
    pub options: &'static [Takes],
    /// Whom it acts for.
    pub user: User,
    /// Options of which exactly one must be given (each listed in `options` as optional):
    /// `--generate-link` names its connection, or a provider whose selected connection is used.
    pub one_of: &'static [&'static Opt],
    /// What the audit trail records; `None`: not recorded.
    pub audit: Option<Audit>,
}

impl Operation {
    /// Whether it takes `option` (counting the `--identifier` that [`User`] implies, and the
    /// [`GLOBAL_OPTIONS`]).
    pub fn takes(&self, option: &Opt) -> bool {
        self.options.iter().any(|t| t.option == option)
            || (option == &option::IDENTIFIER && self.user.takes_identifier())
            || GLOBAL_OPTIONS.contains(&option)
    }

    /// The options it takes, `--identifier` included when [`User`] implies it (the
    /// [`GLOBAL_OPTIONS`] aside).
    pub fn all_options(&self) -> impl Iterator<Item = Takes> + '_ {
        self.options.iter().copied().chain(implied_identifier(self))
    }

    /// One-line grammar: `--get-token [SERVICE]... [--for-url URL] [--include-static] [--identifier I]`.
    pub fn synopsis(&self) -> String {
        let mut parts = vec![match self.operand {
            Operand::None => format!("--{}", self.flag),
            Operand::One(name) => format!("--{} {name}", self.flag),
            Operand::OptionalMany(name) => format!("--{} [{name}]...", self.flag),
        }];
        let shown = |option: &Opt| match (option.value, option.value.placeholder()) {
            (Value::OptionalSeconds(_), Some(name)) => format!("--{} [{name}]", option.flag),
            (_, Some(name)) => format!("--{} {name}", option.flag),
            (_, None) => format!("--{}", option.flag),
        };
        for takes in self.all_options() {
            let repeat = if takes.repeats { "..." } else { "" };
            if self.one_of.first() == Some(&takes.option) {
                let choices: Vec<String> = self.one_of.iter().map(|o| shown(o)).collect();
                parts.push(format!("({})", choices.join(" | ")));
            } else if self.one_of.contains(&takes.option) {
                continue;
            } else if takes.required {
                parts.push(format!("{}{repeat}", shown(takes.option)));
            } else {
                parts.push(format!("[{}]{repeat}", shown(takes.option)));
            }
        }
        parts.join(" ")
    }
}

impl Kind {
    /// Its entry in [`OPERATIONS`].
    pub fn operation(self) -> &'static Operation {
        OPERATIONS.iter().find(|op| op.kind == self).expect("every kind has its entry (tested)")
    }

    /// Its flag with the dashes, e.g. `--verify-user`.
    pub fn flag(self) -> String {
        format!("--{}", self.operation().flag)
    }
}

/// Options every operation takes.
pub static GLOBAL_OPTIONS: &[&Opt] = &[&option::AGENT_RUN_ID, &option::NO_CACHE];

use option::{
    AUTH_REQUEST_ID, BODY, CONFIG_NAME, CONNECTION_NAME, DESCRIPTION, DRY_RUN, EXPECT_HEAD, EXPIRY, FOR_URL, HEADERS,
    IDENTIFIER, INCLUDE_STATIC, INPUT_FILE, INSTANCE_ID, LIMIT, MAX_OUTPUT_BYTES, METHOD, NAME, OUTPUT_FILE, PAGE_SIZE,
    PAGE_TOKEN, PATH, PROVIDER, QUERY, QUERY_PARAMS, RAW, SINCE, STATE, SUMMARY, TOOL_INPUT, TOOL_NAME, TOOLS, VERIFY,
    WAIT,
};

/// Every operation, in the order `--help` lists them.
pub static OPERATIONS: &[Operation] = &[
    Operation {
        kind: Kind::Remote(Remote::ListConnections),
        flag: "list-connections",
        operand: Operand::None,
        about: "List the app connections (optionally of one provider) and select the first COMPLETED one",
        // --identifier is accepted and ignored: tool_exec.py required it everywhere, so agents pass it.
        options: &[optional(&PROVIDER), optional(&PAGE_SIZE), optional(&IDENTIFIER)],
        user: User::Nobody,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Remote(Remote::GenerateLink),
        flag: "generate-link",
        operand: Operand::None,
        about: "Check a connected account and, when it is not active, create an authorization link",
        options: &[optional(&CONNECTION_NAME), optional(&PROVIDER), optional(&WAIT)],
        user: User::Required,
        one_of: &[&CONNECTION_NAME, &PROVIDER],
        audit: None,
    },
    Operation {
        kind: Kind::Remote(Remote::VerifyUser),
        flag: "verify-user",
        operand: Operand::None,
        about: "Finish an authorization link from its verify URL's query (custom user verification)",
        options: &[required(&AUTH_REQUEST_ID), required(&STATE)],
        // The person is the one the link was made for; a host's own --identifier must match it.
        user: User::Optional,
        one_of: &[],
        // It activates an account: the request is recorded (never the state).
        audit: Some(Audit { target: &[Part::Value(&AUTH_REQUEST_ID)], separator: "" }),
    },
    Operation {
        kind: Kind::Remote(Remote::GetTool),
        flag: "get-tool",
        operand: Operand::None,
        about: "List tools with their JSON input schemas",
        options: &[
            optional(&PROVIDER),
            repeated(&TOOL_NAME),
            optional(&QUERY),
            optional(&SUMMARY),
            optional(&PAGE_SIZE),
            optional(&PAGE_TOKEN),
            optional(&IDENTIFIER),
        ],
        user: User::Nobody,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Remote(Remote::ExecuteTool),
        flag: "execute-tool",
        operand: Operand::None,
        about: "Execute a tool for a connected account",
        options: &[
            required(&TOOL_NAME),
            optional(&CONNECTION_NAME),
            required(&TOOL_INPUT),
            optional(&DRY_RUN),
            optional(&MAX_OUTPUT_BYTES),
        ],
        user: User::Required,
        one_of: &[],
        audit: Some(Audit { target: &[Part::Value(&TOOL_NAME)], separator: "" }),
    },
    Operation {
        kind: Kind::Remote(Remote::ProxyRequest),
        flag: "proxy-request",
        operand: Operand::None,
        about: "Call the provider's own API through the Scalekit proxy",
        options: &[
            required(&CONNECTION_NAME),
            required(&PATH),
            optional(&METHOD),
            optional(&QUERY_PARAMS),
            optional(&BODY),
            optional(&HEADERS),
            optional(&INPUT_FILE),
            optional(&OUTPUT_FILE),
            optional(&DRY_RUN),
            optional(&MAX_OUTPUT_BYTES),
        ],
        user: User::Required,
        one_of: &[],
        audit: Some(Audit {
            target: &[Part::Upper(&METHOD, option::DEFAULT_METHOD), Part::Value(&PATH)],
            separator: " ",
        }),
    },
    Operation {
        kind: Kind::Remote(Remote::GetAuthorization),
        flag: "get-authorization",
        operand: Operand::None,
        about: "Report the connected account's authorization (never the token values)",
        options: &[required(&CONNECTION_NAME)],
        user: User::Required,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Local(Local::Configure),
        flag: "configure",
        operand: Operand::One("SERVICE"),
        about: "Map a service name to a connection (and identifier) for --get-token",
        options: &[required(&CONNECTION_NAME), optional(&IDENTIFIER)],
        user: User::Nobody,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Local(Local::ListServices),
        flag: "list-services",
        operand: Operand::None,
        about: "List the configured services",
        options: &[],
        user: User::Nobody,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Remote(Remote::GetToken),
        flag: "get-token",
        operand: Operand::OptionalMany("SERVICE"),
        about: "Print a fresh provider access token for SERVICE; repeat for several",
        options: &[optional(&FOR_URL), optional(&INCLUDE_STATIC), optional(&RAW)],
        user: User::Optional,
        one_of: &[],
        audit: Some(Audit { target: &[Part::Operand, Part::UrlWithoutQuery(&FOR_URL)], separator: "," }),
    },
    Operation {
        kind: Kind::Remote(Remote::CreateMcpConfig),
        flag: "create-mcp-config",
        operand: Operand::None,
        about: "Create an MCP config (with --name and --tools)",
        options: &[required(&NAME), optional(&DESCRIPTION), required_repeated(&TOOLS)],
        user: User::Nobody,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Remote(Remote::ListMcpConfigs),
        flag: "list-mcp-configs",
        operand: Operand::None,
        about: "List the MCP configs",
        options: &[],
        user: User::Nobody,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Remote(Remote::EnsureMcpInstance),
        flag: "ensure-mcp-instance",
        operand: Operand::None,
        about: "Get or create a user's MCP instance of a config, with each connection's authorization",
        options: &[required(&CONFIG_NAME), optional(&WAIT)],
        user: User::Required,
        one_of: &[],
        audit: Some(Audit { target: &[Part::Value(&CONFIG_NAME)], separator: "" }),
    },
    Operation {
        kind: Kind::Remote(Remote::McpAuthState),
        flag: "mcp-auth-state",
        operand: Operand::None,
        about: "Show the authorization state of an MCP instance",
        options: &[required(&INSTANCE_ID)],
        user: User::Nobody,
        one_of: &[],
        audit: Some(Audit { target: &[Part::Value(&INSTANCE_ID)], separator: "" }),
    },
    Operation {
        kind: Kind::Remote(Remote::CreateMcpSessionToken),
        flag: "create-mcp-session-token",
        operand: Operand::None,
        about: "Create a session token for an MCP config's server URL, acting for one user",
        options: &[required(&CONFIG_NAME), optional(&EXPIRY)],
        user: User::Required,
        one_of: &[],
        audit: Some(Audit { target: &[Part::Value(&CONFIG_NAME)], separator: "" }),
    },
    Operation {
        kind: Kind::Local(Local::AuditLog),
        flag: "audit-log",
        operand: Operand::None,
        about: "Read the local audit trail",
        options: &[optional(&SINCE), optional(&LIMIT), optional(&VERIFY), optional(&EXPECT_HEAD)],
        user: User::Nobody,
        one_of: &[],
        audit: None,
    },
    Operation {
        kind: Kind::Local(Local::Doctor),
        flag: "doctor",
        operand: Operand::None,
        about: "Check what breaks first for new users (variables, folders, network, clock, credentials, connections, accounts) and how to fix it",
        options: &[],
        user: User::Optional,
        one_of: &[],
        audit: None,
    },
];

/// Every option some operation takes (each once, in first-use order), the global ones last.
pub fn every_option() -> Vec<&'static Opt> {
    let mut all: Vec<&'static Opt> = Vec::new();
    for takes in OPERATIONS.iter().flat_map(Operation::all_options) {
        if !all.contains(&takes.option) {
            all.push(takes.option);
        }
    }
    all.extend(GLOBAL_OPTIONS.iter().copied().filter(|g| !all.contains(g)).collect::<Vec<_>>());
    all
}

fn implied_identifier(op: &Operation) -> Option<Takes> {
    op.user.takes_identifier().then_some(optional(&IDENTIFIER))
}

/// Whether a flag takes the argument after it as its value.
#[derive(Clone, Copy, PartialEq)]
enum Consumes {
    No,
    Always,
    /// When it is a whole number (`--wait [SECONDS]`).
    Number,
    /// When it is not a flag (`--get-token [SERVICE]`).
    NotFlag,
}

/// What `name` (without dashes) takes after it; unknown flags take nothing.
fn consumes(name: &str) -> Consumes {
    if let Some(opt) = every_option().into_iter().find(|o| o.flag == name) {
        return match opt.value {
            Value::Switch => Consumes::No,
            Value::OptionalSeconds(_) => Consumes::Number,
            Value::One(_) | Value::Raw(_) | Value::Number(_) => Consumes::Always,
        };
    }
    match OPERATIONS.iter().find(|op| op.flag == name).map(|op| op.operand) {
        Some(Operand::One(_)) => Consumes::Always,
        Some(Operand::OptionalMany(_)) => Consumes::NotFlag,
        Some(Operand::None) | None => Consumes::No,
    }
}

/// One flag of a command line and the value it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag<'a> {
    /// Its name, without the dashes.
    pub name: &'a str,
    /// The index of its argument.
    pub at: usize,
    /// Its value, when it takes one: after `=` in its own argument (`inline`), or the next argument.
    pub value: Option<&'a str>,
    /// Whether the value is in the flag's own argument.
    pub inline: bool,
}

/// The flags of a command line (after the program name), in order, read as the component's parser
/// reads them: a flag that takes a value consumes the next argument (or its `=` part), so a value
/// that looks like a flag (`--body --path=/x`) is not one.
pub fn flags(args: &[String]) -> Vec<Flag<'_>> {
    let mut flags = Vec::new();
    let mut rest = args.iter().enumerate().peekable();
    while let Some((at, arg)) = rest.next() {
        let Some(flag) = arg.strip_prefix("--") else { continue };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (flag, None),
        };
        let next_fits = |next: &(usize, &String)| match consumes(name) {
            Consumes::No => false,
            Consumes::Always => true,
            Consumes::Number => next.1.parse::<u64>().is_ok(),
            Consumes::NotFlag => !next.1.starts_with('-'),
        };
        let value = match inline {
            Some(value) => Some(value),
            None => rest.next_if(next_fits).map(|(_, v)| v.as_str()),
        };
        flags.push(Flag { name, at, value, inline: inline.is_some() });
    }
    flags
}

/// How the component uses the file named by `--flag` (without dashes), if it names one.
pub fn file_use(flag: &str) -> Option<FileUse> {
    every_option().into_iter().find(|o| o.flag == flag).and_then(|o| o.file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(flag: &str) -> &'static Operation {
        OPERATIONS.iter().find(|op| op.flag == flag).expect("an operation of the table")
    }

    /// Fails to compile when a variant is added, until it is listed in the test below.
    fn listed(kind: Kind) {
        match kind {
            Kind::Local(Local::Configure | Local::ListServices | Local::AuditLog | Local::Doctor) => {}
            Kind::Remote(
                Remote::ListConnections
                | Remote::GenerateLink
                | Remote::VerifyUser
                | Remote::GetTool
                | Remote::ExecuteTool
                | Remote::ProxyRequest
                | Remote::GetAuthorization
                | Remote::GetToken
                | Remote::CreateMcpConfig
                | Remote::ListMcpConfigs
                | Remote::EnsureMcpInstance
                | Remote::McpAuthState
                | Remote::CreateMcpSessionToken,
            ) => {}
        }
    }

    #[test]
    fn every_operation_is_in_the_table_once() {
        let locals = [Local::Configure, Local::ListServices, Local::AuditLog, Local::Doctor].map(Kind::Local);
        let remotes = [
            Remote::ListConnections,
            Remote::GenerateLink,
            Remote::VerifyUser,
            Remote::GetTool,
            Remote::ExecuteTool,
            Remote::ProxyRequest,
            Remote::GetAuthorization,
            Remote::GetToken,
            Remote::CreateMcpConfig,
            Remote::ListMcpConfigs,
            Remote::EnsureMcpInstance,
            Remote::McpAuthState,
            Remote::CreateMcpSessionToken,
        ]
        .map(Kind::Remote);
        for kind in locals.iter().chain(&remotes) {
            listed(*kind);
            assert_eq!(OPERATIONS.iter().filter(|op| op.kind == *kind).count(), 1, "{kind:?}");
        }
        assert_eq!(OPERATIONS.len(), locals.len() + remotes.len());
        for op in OPERATIONS {
            assert_eq!(OPERATIONS.iter().filter(|o| o.flag == op.flag).count(), 1, "{}", op.flag);
        }
    }

    #[test]
    fn audited_parts_are_options_of_their_operation() {
        for op in OPERATIONS {
            for part in op.audit.iter().flat_map(|a| a.target) {
                match part {
                    Part::Operand => assert_ne!(op.operand, Operand::None, "{}", op.flag),
                    Part::Value(o) | Part::Upper(o, _) | Part::UrlWithoutQuery(o) => {
                        assert!(op.takes(o), "{}", op.flag)
                    }
                }
            }
        }
    }

    #[test]
    fn identifier_comes_with_acting_for_a_user_and_is_never_listed_twice() {
        for op in OPERATIONS {
            let listed = op.options.iter().any(|t| t.option == &IDENTIFIER);
            assert!(!(listed && op.user.takes_identifier()), "{} lists --identifier that User implies", op.flag);
            assert_eq!(op.all_options().count(), op.options.len() + usize::from(op.user.takes_identifier()));
        }
    }

    #[test]
    fn a_choice_is_between_optional_options_of_the_operation() {
        for op in OPERATIONS.iter().filter(|op| !op.one_of.is_empty()) {
            assert!(op.one_of.len() >= 2, "{}: a choice of one is a required option", op.flag);
            for choice in op.one_of {
                let takes = op.all_options().find(|t| t.option == *choice);
                assert!(takes.is_some_and(|t| !t.required && !t.repeats), "{} --{}", op.flag, choice.flag);
            }
        }
    }

    #[test]
    fn values_are_read_as_the_parser_reads_them() {
        let args: Vec<String> = [
            "--proxy-request",
            "--body",
            "--path=/v1/allowed",
            "--path",
            "/v1/secret",
            "--dry-run",
            "--wait",
            "--method=post",
        ]
        .map(String::from)
        .to_vec();
        let values_of = |args: &[String], wanted: &Opt| -> Vec<String> {
            flags(args)
                .into_iter()
                .filter(|f| f.name == wanted.flag)
                .filter_map(|f| f.value.map(str::to_owned))
                .collect()
        };
        assert_eq!(values_of(&args, &option::PATH), ["/v1/secret"]);
        assert_eq!(values_of(&args, &option::BODY), ["--path=/v1/allowed"]);
        assert_eq!(values_of(&args, &option::METHOD), ["post"]);
        let tokens: Vec<String> = ["--get-token", "gmail", "--get-token", "--raw"].map(String::from).to_vec();
        assert!(values_of(&tokens, &option::RAW).is_empty(), "a switch has no value");
        let at = flags(&args).into_iter().find(|f| f.name == "body").unwrap();
        assert_eq!((at.at, at.inline, at.value), (1, false, Some("--path=/v1/allowed")));
    }

    #[test]
    fn files_the_runner_grants() {
        assert_eq!(file_use("input-file"), Some(FileUse::Read));
        assert_eq!(file_use("output-file"), Some(FileUse::Write));
        assert_eq!(file_use("tool-input"), Some(FileUse::ReadIfAt));
        assert_eq!(file_use("path"), None);
        assert_eq!(file_use("nope"), None);
    }

    #[test]
    fn synopses() {
        let get_token = find("get-token");
        assert_eq!(
            get_token.synopsis(),
            "--get-token [SERVICE]... [--for-url URL] [--include-static] [--raw] [--identifier I]"
        );
        assert_eq!(
            find("execute-tool").synopsis(),
            "--execute-tool --tool-name T [--connection-name C] --tool-input JSON|@FILE|- [--dry-run] [--max-output-bytes N] [--identifier I]"
        );
        assert!(find("get-tool").synopsis().contains(" [--tool-name T]... "));
        assert_eq!(
            find("generate-link").synopsis(),
            "--generate-link (--connection-name C | --provider P) [--wait [SECONDS]] [--identifier I]"
        );
    }
}
