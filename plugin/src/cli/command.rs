//! The clap command built from the operation table: flag syntax, typo suggestions and `--help`.

use agent_auth_contract::operation::{self, OPERATIONS, Operand};
use agent_auth_contract::option::{Opt, Value};
use clap::builder::ValueParser;
use clap::{Arg, ArgAction, ArgGroup, Command};

const ABOUT: &str = "Act in third-party services through Scalekit AgentKit, for an AI agent.";

const AFTER_OPERATIONS: &str = "\
Configuration: TOOL_CLIENT_ID, TOOL_CLIENT_SECRET, TOOL_ENV_URL, TOOL_IDENTIFIER
(or SCALEKIT_CLIENT_ID, SCALEKIT_CLIENT_SECRET, SCALEKIT_ENV_URL), from the environment or .env.

Runner options (the agent-auth runner only, before the operation):
  --component PATH   run another build of the component (or AGENT_AUTH_COMPONENT)
  --env-file PATH    read variables from PATH instead of ./.env
  --timeout SECONDS  wall-clock limit for the whole call (default 120)

Output: exactly one JSON object on stdout. Exit codes: 0 done, 1 internal error, 2 usage,
3 configuration, 4 a person must act (see action_required), 5 not found, 6 rejected by
Scalekit or the provider, 7 transport failure (retry later).";

/// The id of the group that holds the operation flags (exactly one is required).
pub const OPERATION_GROUP: &str = "operation";

/// The whole grammar.
pub fn command() -> Command {
    let mut command = Command::new("agent-auth")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .after_help(after_help())
        .disable_help_subcommand(true);
    for op in OPERATIONS {
        command = command.arg(operation_arg(op.flag, op.operand, op.about));
    }
    for opt in operation::every_option() {
        command = command.arg(option_arg(opt));
    }
    command
        .group(ArgGroup::new(OPERATION_GROUP).required(true).multiple(false).args(OPERATIONS.iter().map(|op| op.flag)))
}

/// Each operation with its options, then configuration, runner options and exit codes.
fn after_help() -> String {
    let synopses: Vec<String> = OPERATIONS.iter().map(|op| format!("  {}", op.synopsis())).collect();
    let globals: Vec<String> = operation::GLOBAL_OPTIONS
        .iter()
        .map(|o| format!("--{} {}", o.flag, o.value.placeholder().unwrap_or("")))
        .collect();
    format!(
        "Each operation and its options (every one also takes {}):\n{}\n\n{AFTER_OPERATIONS}",
        globals.join(", ").trim_end(),
        synopses.join("\n")
    )
}

fn operation_arg(flag: &'static str, operand: Operand, about: &'static str) -> Arg {
    let arg = Arg::new(flag).long(flag).help(about).help_heading("Operations");
    match operand {
        Operand::None => arg.action(ArgAction::SetTrue),
        Operand::One(name) => arg.value_name(name).action(ArgAction::Set),
        Operand::OptionalMany(name) => {
            arg.value_name(name).num_args(0..=1).default_missing_value("").action(ArgAction::Append)
        }
    }
}

/// A whole number, kept as the text given (the operation reads it with `Args::number`).
fn whole_number() -> ValueParser {
    ValueParser::new(|text: &str| text.parse::<u64>().map(|_| text.to_owned()))
}

/// Every valued option appends: how often it may be given is the operation's rule, checked after
/// parsing, so that the message can name the operation.
fn option_arg(opt: &'static Opt) -> Arg {
    let arg = Arg::new(opt.flag).long(opt.flag).help(opt.help);
    let valued = |name: &'static str| arg.clone().value_name(name).action(ArgAction::Append);
    match opt.value {
        Value::Switch => arg.action(ArgAction::SetTrue),
        Value::One(name) => valued(name),
        Value::Raw(name) => valued(name).allow_hyphen_values(true),
        Value::Number(name) => valued(name).value_parser(whole_number()),
        Value::OptionalSeconds(_) => valued("SECONDS").num_args(0..=1).value_parser(whole_number()),
    }
}
