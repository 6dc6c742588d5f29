//! The command line of `docs/cli.md`: exactly one operation flag and the options the operation
//! table (`agent_auth_contract::operation`) gives it. What each option must look like is checked
//! here for every operation alike; what its value must be, by the operation itself.

mod args;
mod command;

use agent_auth_contract::operation::{self, GLOBAL_OPTIONS, OPERATIONS, Operand, Takes};
use agent_auth_contract::option::Value;
use clap::parser::ValueSource;

pub use args::Args;

use crate::output::{Code, Failure};

/// What parsing produced.
#[derive(Debug)]
pub enum ParseOutcome {
    /// Run this operation.
    Run(Args),
    /// `--help` or `--version`: print this text on stdout and exit 0.
    Print(String),
}

/// A `USAGE` failure.
pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Failure {
    Failure::new(Code::Usage, message, hint)
}

/// Parses the full argument list (the first item is the program name).
pub fn parse(argv: Vec<String>) -> Result<ParseOutcome, Failure> {
    let matches = match command::command().try_get_matches_from(argv) {
        Ok(matches) => matches,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            return Ok(ParseOutcome::Print(e.render().to_string()));
        }
        Err(e) => return Err(clap_failure(e)),
    };
    let given = |flag: &str| matches.value_source(flag) == Some(ValueSource::CommandLine);
    let Some(op) = OPERATIONS.iter().find(|op| given(op.flag)) else {
        // Not reached: clap already refused a command line without one flag of the group.
        return Err(usage(
            "one operation flag is required",
            "Run agent-auth --help for the operations and their options.",
        ));
    };
    let args = Args::read(&matches, op, &operation::every_option());
    check(&args)?;
    Ok(ParseOutcome::Run(args))
}

/// The table's rules: options the operation does not take, options given more often than it
/// takes them, required options missing (or blank), and seconds that would not wait.
fn check(args: &Args) -> Result<(), Failure> {
    let op = args.operation();
    let name = format!("--{}", op.flag);
    if matches!(op.operand, Operand::One(_)) && args.operand().len() > 1 {
        return Err(usage(
            format!("{name} takes one value"),
            format!("Pass {name} once; run several calls for several values."),
        ));
    }
    let unused: Vec<String> =
        args.given().filter(|(opt, _)| !op.takes(opt)).map(|(opt, _)| format!("--{}", opt.flag)).collect();
    if !unused.is_empty() {
        return Err(usage(
            format!("{name} does not take {}", unused.join(", ")),
            format!("Remove {}; run agent-auth --help for each operation's options.", unused.join(", ")),
        ));
    }
    let chosen: Vec<String> = op
        .one_of
        .iter()
        .filter(|option| args.all(option).iter().any(|v| !v.trim().is_empty()))
        .map(|option| format!("--{}", option.flag))
        .collect();
    if !op.one_of.is_empty() && chosen.len() != 1 {
        let flags: Vec<String> = op.one_of.iter().map(|option| format!("--{}", option.flag)).collect();
        let ways: Vec<String> =
            op.one_of.iter().map(|option| format!("--{} {}", option.flag, option.example)).collect();
        return Err(match chosen.as_slice() {
            [] => usage(format!("{name} needs {}", flags.join(" or ")), format!("Add {}.", ways.join(", or "))),
            _ => usage(
                format!("{name} takes one of {}, not {}", flags.join(", "), chosen.join(" and ")),
                format!("Keep one of {}.", chosen.join(", ")),
            ),
        });
    }
    let globals = GLOBAL_OPTIONS.iter().map(|option| Takes { option, required: false, repeats: false });
    for takes in op.all_options().chain(globals) {
        let flag = format!("--{}", takes.option.flag);
        let values = args.all(takes.option);
        if values.len() > 1 && !takes.repeats {
            return Err(usage(
                format!("{name} takes {flag} once"),
                format!("Pass {flag} once; run several calls for several values."),
            ));
        }
        // A repeatable option is there when given at all; its values are the operation's to judge.
        let missing = if takes.repeats { values.is_empty() } else { values.iter().all(|v| v.trim().is_empty()) };
        if takes.required && missing {
            return Err(usage(format!("{name} needs {flag}"), format!("Add {flag} {}.", takes.option.example)));
        }
        if matches!(takes.option.value, Value::OptionalSeconds(_)) && values.iter().any(|v| v.parse::<u64>() == Ok(0)) {
            return Err(usage(
                format!("{flag} 0 would not wait"),
                format!("Pass {flag} SECONDS (at least 1), or leave {flag} out."),
            ));
        }
    }
    Ok(())
}

/// clap's error as a `USAGE` failure: its first line, and its tip as the hint.
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

#[cfg(test)]
mod tests {
    use agent_auth_contract::option::{PAGE_SIZE, TOOL_NAME, TOOLS, WAIT};

    use super::*;

    fn run(args: &[&str]) -> Result<ParseOutcome, Failure> {
        parse(std::iter::once("agent-auth").chain(args.iter().copied()).map(String::from).collect())
    }

    fn parsed(args: &[&str]) -> Args {
        match run(args) {
            Ok(ParseOutcome::Run(args)) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exactly_one_operation_is_required() {
        assert_eq!(run(&[]).unwrap_err().code, Code::Usage);
        assert_eq!(run(&["--get-tool", "--list-connections"]).unwrap_err().code, Code::Usage);
        assert_eq!(parsed(&["--get-tool"]).operation().flag, "get-tool");
    }

    #[test]
    fn every_operation_parses_to_itself() {
        for op in OPERATIONS {
            let mut argv = vec![format!("--{}", op.flag)];
            if let operation::Operand::One(_) = op.operand {
                argv.push("x".into());
            }
            for takes in op.options.iter().filter(|t| t.required || op.one_of.first() == Some(&t.option)) {
                argv.push(format!("--{}", takes.option.flag));
                argv.push("x".into());
            }
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            assert_eq!(parsed(&argv).operation(), op, "{argv:?}");
        }
    }

    #[test]
    fn options_of_other_operations_are_rejected() {
        let err = run(&["--list-connections", "--path", "/x"]).unwrap_err();
        assert_eq!(err.message, "--list-connections does not take --path");
    }

    #[test]
    fn required_options_and_repeats_follow_the_table() {
        let err = run(&["--proxy-request", "--path", "/v1/users/me"]).unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.hint.as_str()),
            (
                "--proxy-request needs --connection-name",
                "Add --connection-name NAME (see agent-auth --list-connections --provider P)."
            )
        );
        let err = run(&["--execute-tool", "--tool-name", "a", "--tool-name", "b"]).unwrap_err();
        assert_eq!(err.message, "--execute-tool takes --tool-name once");
        assert_eq!(parsed(&["--get-tool", "--tool-name", "a", "--tool-name", "b"]).all(&TOOL_NAME), ["a", "b"]);
        assert_eq!(
            run(&["--get-authorization", "--connection-name", "  "]).unwrap_err().message,
            "--get-authorization needs --connection-name"
        );
    }

    #[test]
    fn an_operation_with_a_choice_takes_exactly_one_of_it() {
        let err = run(&["--generate-link", "--connection-name", " "]).unwrap_err();
        assert_eq!(err.message, "--generate-link needs --connection-name or --provider");
        assert!(err.hint.contains("--provider NOTION"), "{}", err.hint);
        let err = run(&["--generate-link", "--connection-name", "gmail", "--provider", "GMAIL"]).unwrap_err();
        assert_eq!(
            err.message,
            "--generate-link takes one of --connection-name, --provider, not --connection-name and --provider"
        );
        assert_eq!(parsed(&["--generate-link", "--provider", "GMAIL"]).operation().flag, "generate-link");
    }

    #[test]
    fn options_every_operation_takes_are_checked_too() {
        let err = run(&["--list-services", "--agent-run-id", "a", "--agent-run-id", "b"]).unwrap_err();
        assert_eq!(err.message, "--list-services takes --agent-run-id once");
        let err = run(&["--configure", "gmail", "--configure", "notion", "--connection-name", "gmail"]).unwrap_err();
        assert_eq!(err.message, "--configure takes one value");
    }

    #[test]
    fn no_operation_waits_zero_seconds() {
        for op in ["--generate-link", "--ensure-mcp-instance"] {
            let err = run(&[op, "--connection-name", "c", "--config-name", "c", "--wait", "0"]).unwrap_err();
            assert!(
                err.message == "--wait 0 would not wait" || err.message.contains("does not take"),
                "{op}: {}",
                err.message
            );
        }
        let err = run(&["--ensure-mcp-instance", "--config-name", "c", "--wait", "0"]).unwrap_err();
        assert_eq!(err.message, "--wait 0 would not wait");
    }

    #[test]
    fn a_blank_value_of_a_repeatable_option_is_the_operation_s_to_judge() {
        assert_eq!(parsed(&["--create-mcp-config", "--name", "n", "--tools", " "]).all(&TOOLS), [" "]);
    }

    #[test]
    fn typos_get_a_suggestion() {
        let err = run(&["--get-tool", "--tool-nme", "x"]).unwrap_err();
        assert!(err.hint.contains("--tool-name"), "{}", err.hint);
    }

    #[test]
    fn wait_takes_optional_seconds() {
        let wait = |args: &[&str]| parsed(args).number(&WAIT);
        assert_eq!(wait(&["--generate-link", "--connection-name", "gmail"]), None);
        assert_eq!(wait(&["--generate-link", "--connection-name", "gmail", "--wait"]), Some(300));
        assert_eq!(wait(&["--generate-link", "--wait", "45", "--connection-name", "gmail"]), Some(45));
        assert_eq!(run(&["--execute-tool", "--wait"]).unwrap_err().code, Code::Usage);
    }

    #[test]
    fn numbers_are_checked_by_the_parser() {
        assert!(
            run(&["--list-connections", "--page-size", "ten"]).unwrap_err().message.contains("invalid value 'ten'")
        );
        assert_eq!(parsed(&["--list-connections", "--page-size", "7"]).number(&PAGE_SIZE), Some(7));
    }

    #[test]
    fn get_token_takes_services_with_or_without_values() {
        assert_eq!(parsed(&["--get-token", "gmail", "--get-token", "notion"]).operand(), ["gmail", "notion"]);
        assert_eq!(parsed(&["--get-token", "--for-url", "https://api.notion.com/v1"]).operand(), [""]);
    }

    #[test]
    fn help_lists_each_operation_with_its_options() {
        let Ok(ParseOutcome::Print(help)) = run(&["--help"]) else { panic!("--help prints") };
        for op in OPERATIONS {
            assert!(help.contains(&format!("  {}\n", op.synopsis())), "{}", op.flag);
        }
    }
}
