//! The clap command built from the operation table: flag syntax, typo suggestions and `--help`.

use agent_auth_contract::exit::Exit;
use agent_auth_contract::operation::{self, OPERATIONS, Operand};
use agent_auth_contract::option::{Opt, RUNNER_OPTIONS, Value};
use agent_auth_contract::variables::SETTINGS;
use clap::builder::ValueParser;
use clap::{Arg, ArgAction, ArgGroup, Command};

const ABOUT: &str = "Act in third-party services through Scalekit AgentKit, for an AI agent.";

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

/// `--flag VALUE`, as usage shows it.
fn usage_of(opt: &Opt) -> String {
    match opt.value.placeholder() {
        Some(name) => format!("--{} {name}", opt.flag),
        None => format!("--{}", opt.flag),
    }
}

/// Each operation with its options, then the configuration, the runner's options and the exit codes.
fn after_help() -> String {
    let synopses: Vec<String> = OPERATIONS.iter().map(|op| format!("  {}", op.synopsis())).collect();
    let globals: Vec<String> = operation::GLOBAL_OPTIONS.iter().map(|o| usage_of(o)).collect();
    let names = |fallback: bool| {
        SETTINGS.iter().filter_map(|s| if fallback { s.fallback } else { Some(s.name) }).collect::<Vec<_>>().join(", ")
    };
    let width = RUNNER_OPTIONS.iter().map(|o| usage_of(o).len()).max().unwrap_or(0);
    let runner: Vec<String> = RUNNER_OPTIONS.iter().map(|o| format!("  {:width$}  {}", usage_of(o), o.help)).collect();
    let exits: Vec<String> = Exit::ALL.iter().map(|e| format!("{} {}", e.code(), e.summary())).collect();
    format!(
        "Each operation and its options (every one also takes {}):\n{}\n\n\
         Configuration: {}\n(or {}), from the environment or .env.\n\n\
         Runner options (the agent-auth runner only, before the operation):\n{}\n\n{}",
        globals.join(", "),
        synopses.join("\n"),
        names(false),
        names(true),
        runner.join("\n"),
        wrap(&format!("Output: exactly one JSON object on stdout. Exit codes: {}.", exits.join(", ")), 95)
    )
}

/// `text` broken into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> String {
    let (mut out, mut line) = (String::new(), 0);
    for word in text.split(' ') {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

fn operation_arg(flag: &'static str, operand: Operand, about: &'static str) -> Arg {
    let arg = Arg::new(flag).long(flag).help(about).help_heading("Operations");
    match operand {
        Operand::None => arg.action(ArgAction::SetTrue),
        Operand::One(name) => arg.value_name(name).action(ArgAction::Append),
        Operand::OptionalMany(name) => {
            arg.value_name(name).num_args(0..=1).default_missing_value("").action(ArgAction::Append)
        }
    }
}

/// An option's help, with the operations that take it when only a few do.
fn help_of(opt: &'static Opt) -> String {
    let takers: Vec<String> = OPERATIONS.iter().filter(|op| op.takes(opt)).map(|op| format!("--{}", op.flag)).collect();
    if takers.is_empty() || takers.len() > 3 {
        opt.help.to_owned()
    } else {
        format!("{} [{}]", opt.help, takers.join(", "))
    }
}

/// A whole number, kept as the text given (the operation reads it with `Args::number`).
fn whole_number() -> ValueParser {
    ValueParser::new(|text: &str| text.parse::<u64>().map(|_| text.to_owned()))
}

/// Every valued option appends: how often it may be given is the operation's rule, checked after
/// parsing, so that the message can name the operation.
fn option_arg(opt: &'static Opt) -> Arg {
    let arg = Arg::new(opt.flag).long(opt.flag).help(help_of(opt));
    let valued = |name: &'static str| arg.clone().value_name(name).action(ArgAction::Append);
    match opt.value {
        Value::Switch => arg.action(ArgAction::SetTrue),
        Value::One(name) => valued(name),
        Value::Raw(name) => valued(name).allow_hyphen_values(true),
        Value::Number(name) => valued(name).value_parser(whole_number()),
        Value::OptionalSeconds(_) => valued("SECONDS").num_args(0..=1).value_parser(whole_number()),
    }
}
