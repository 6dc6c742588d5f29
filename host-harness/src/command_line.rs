//! The runner's command line, read once, here, into what it asks for ([`CommandLine::read`]);
//! every other part of the runner reads that value, never the words. The command line is the
//! agent's to type (a prompt-injected model's, perhaps): it chooses a program, an operation and
//! its values, never the code that runs, the network or the folders, which are the operator's
//! ([`crate::settings`]).

use std::path::PathBuf;

use agent_auth_contract::operation;
use agent_auth_contract::option::{self, ENV_FILE, FileUse, RUNNER_OPTIONS, WAIT, WAIT_DEFAULT_SECONDS};

use crate::component::COMPONENT_VAR;
use crate::error::{Code, RunnerError};

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub struct CommandLine {
    /// `--get-token ... --raw` (`TOKEN=$(agent-auth --get-token S --raw)`): a failure, the
    /// runner's own included, goes to stderr and leaves the captured stdout empty. Read from the
    /// words themselves, so that even a usage error follows it.
    pub raw: bool,
    /// `agent-auth mcp`: its failures go to stderr as text, stdout carrying only MCP messages.
    pub mcp: bool,
    /// The program, or why the words cannot be run.
    pub program: Result<Program, RunnerError>,
}

/// The programs `agent-auth` is.
#[derive(Debug, PartialEq)]
pub enum Program {
    /// `agent-auth [RUNNER OPTIONS] OPERATION [OPTIONS]`: one operation of the component.
    Operation(RunnerOptions, Words),
    /// `agent-auth mcp ...`: the operations as MCP tools.
    Mcp(RunnerOptions, Mcp),
    /// `agent-auth sandbox ...`: the virtual Scalekit on loopback, with the words its own options
    /// are read from (by the virtual Scalekit's own command).
    VirtualScalekit(Vec<String>),
    /// `agent-auth demo`.
    Demo,
    /// `agent-auth compile`.
    Compile,
}

/// Options the runner consumes before the operation; the component never sees them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RunnerOptions {
    /// `--env-file PATH`
    pub env_file: Option<PathBuf>,
    /// `--timeout SECONDS`, unparsed (checked when the call is set up).
    pub timeout: Option<String>,
}

impl CommandLine {
    /// Reads the words after the program's name.
    pub fn read(args: Vec<String>) -> CommandLine {
        let raw = option::raw_output(&args);
        let mcp = args.first().is_some_and(|a| a == "mcp");
        let program = match args.first().map(String::as_str) {
            Some("sandbox") => Ok(Program::VirtualScalekit(args[1..].to_vec())),
            Some("demo") => Ok(Program::Demo),
            Some("compile") => compile(&args[1..]),
            Some("mcp") => runner_options(args[1..].to_vec())
                .and_then(|(runner, rest)| Ok(Program::Mcp(runner, Mcp::read(&rest)?))),
            _ => runner_options(args).map(|(runner, rest)| Program::Operation(runner, Words::new(rest))),
        };
        CommandLine { raw, mcp, program }
    }
}

fn compile(rest: &[String]) -> Result<Program, RunnerError> {
    match rest.first() {
        None => Ok(Program::Compile),
        Some(extra) => Err(RunnerError::new(
            Code::Usage,
            format!("agent-auth compile takes no {extra}"),
            format!(
                "Run agent-auth compile; it compiles the component the operator chose ({COMPONENT_VAR}) or the built-in one."
            ),
        )),
    }
}

/// Splits the runner's options from the words that follow.
fn runner_options(args: Vec<String>) -> Result<(RunnerOptions, Vec<String>), RunnerError> {
    let mut opts = RunnerOptions::default();
    let mut rest = Vec::new();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        if flag == "--component" {
            // Code is the operator's choice, never a flag's: the agent types the command line.
            return Err(RunnerError::new(
                Code::Usage,
                "--component is not taken: which component runs is the operator's choice",
                format!(
                    "Drop --component; the runner's own component runs (an operator may set {COMPONENT_VAR} in the runner's environment)."
                ),
            ));
        }
        let Some(option) = RUNNER_OPTIONS.iter().find(|o| flag.strip_prefix("--") == Some(o.flag)) else {
            rest.push(arg);
            continue;
        };
        let value = inline.or_else(|| iter.next()).ok_or_else(|| {
            RunnerError::new(
                Code::Usage,
                format!("{flag} needs a value"),
                format!("Pass {flag} {} before the operation.", option.example),
            )
        })?;
        if *option == &ENV_FILE {
            opts.env_file = Some(PathBuf::from(value));
        } else {
            opts.timeout = Some(value);
        }
    }
    Ok((opts, rest))
}

/// The component's words, and what the runner reads in them, read as the component's parser
/// reads them (by the operation table: a value that looks like a flag is still a value).
#[derive(Debug, Clone, PartialEq)]
pub struct Words {
    argv: Vec<String>,
    named: Vec<Named>,
    wait: Option<u64>,
    doctor: bool,
}

/// What `--version` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `agent-auth VERSION`.
    Plain,
    /// `--verbose`: also the SHA-256 of the component that runs, and where it comes from.
    Verbose,
}

/// A value that names a file the component reads or writes: the runner opens and grants it.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    /// The word that holds the value.
    pub at: usize,
    /// Whether the value is in its flag's word (`--output-file=F`).
    pub inline: bool,
    /// The flag, without dashes.
    pub flag: String,
    /// How the component uses the file.
    pub file: FileUse,
    /// The value as given.
    pub value: String,
}

impl Words {
    /// Reads `argv` (the operation and its options).
    pub fn new(argv: Vec<String>) -> Words {
        let flags = operation::flags(&argv);
        let named = flags
            .iter()
            .filter_map(|f| {
                let (file, value) = (operation::file_use(f.name)?, f.value?);
                let at = if f.inline { f.at } else { f.at + 1 };
                Some(Named { at, inline: f.inline, flag: f.name.to_owned(), file, value: value.to_owned() })
            })
            .collect();
        let wait = flags
            .iter()
            .find(|f| f.name == WAIT.flag)
            .map(|f| f.value.and_then(|v| v.parse().ok()).unwrap_or(WAIT_DEFAULT_SECONDS));
        let doctor = flags.iter().any(|f| f.name == "doctor");
        Words { named, wait, doctor, argv }
    }

    /// The words.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The values that name files.
    pub fn named_files(&self) -> &[Named] {
        &self.named
    }

    /// `--wait [SECONDS]`'s seconds (its default without a number), when given: the wall-clock
    /// limit stretches to them. The component itself checks the value.
    pub fn wait(&self) -> Option<u64> {
        self.wait
    }

    /// Whether the operation is `--doctor`, which is given the runner's own facts.
    pub fn doctor(&self) -> bool {
        self.doctor
    }

    /// Whether the words ask for the version alone: `--version` (or `-V`), or with `--verbose`
    /// the component's digest too.
    pub fn version(&self) -> Option<Version> {
        let version = |w: &String| w == "--version" || w == "-V";
        match self.argv.as_slice() {
            [flag] if version(flag) => Some(Version::Plain),
            [a, b] if (version(a) && b == "--verbose") || (a == "--verbose" && version(b)) => Some(Version::Verbose),
            _ => None,
        }
    }
}

impl From<&agent_auth_contract::call::Call> for Words {
    fn from(call: &agent_auth_contract::call::Call) -> Words {
        Words::new(call.argv())
    }
}

/// What `agent-auth mcp` was asked to do.
#[derive(Debug, PartialEq)]
pub enum Mcp {
    /// `--list-tools`: print the server's own tools as `tools/list` gives them, and stop (what an
    /// agent host registers before anyone calls).
    ListTools,
    /// Serve over stdio.
    Serve(McpOptions),
}

/// What `agent-auth mcp` serves with.
#[derive(Debug, Default, PartialEq)]
pub struct McpOptions {
    /// `--identifier I`: the one user the server acts for (else `TOOL_IDENTIFIER`).
    pub identifier: Option<String>,
    /// `--files DIR`, repeated: the only folders `proxy_request` reads and writes files in.
    pub files: Vec<PathBuf>,
    /// `--expose CONNECTION:TOOL[,TOOL...]`, repeated: Scalekit tools served as tools of their
    /// own, each run on that connection.
    pub expose: Vec<(String, Vec<String>)>,
}

fn mcp_usage(message: impl Into<String>) -> RunnerError {
    RunnerError::new(
        Code::Usage,
        message,
        "Run agent-auth mcp [--identifier I] [--expose CONNECTION:TOOL[,TOOL...]]... [--files DIR]... (after --env-file PATH and --timeout SECONDS, if any), or agent-auth mcp --list-tools.",
    )
}

impl Mcp {
    /// Reads the server's own options from `rest` (the runner's are already split off).
    pub fn read(rest: &[String]) -> Result<Mcp, RunnerError> {
        if rest.iter().any(|arg| arg == "--list-tools") {
            return match rest {
                [_] => Ok(Mcp::ListTools),
                _ => Err(mcp_usage("--list-tools lists the server's own tools and takes no other option")),
            };
        }
        let mut opts = McpOptions::default();
        let mut iter = rest.iter();
        while let Some(arg) = iter.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| iter.next().cloned())
                    .ok_or_else(|| mcp_usage(format!("{flag} needs a value")))
            };
            match flag {
                "--identifier" => opts.identifier = Some(value()?),
                "--files" => opts.files.push(PathBuf::from(value()?)),
                "--expose" => {
                    let given = value()?;
                    let (connection, names) = given.split_once(':').unwrap_or((given.as_str(), ""));
                    let names: Vec<String> =
                        names.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect();
                    if connection.trim().is_empty() || names.is_empty() {
                        return Err(mcp_usage(format!("--expose {given} names no connection or no tool")));
                    }
                    opts.expose.push((connection.trim().to_owned(), names));
                }
                other => return Err(mcp_usage(format!("agent-auth mcp does not take {other}"))),
            }
        }
        Ok(Mcp::Serve(opts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn operation(v: &[&str]) -> (RunnerOptions, Words) {
        match CommandLine::read(words(v)).program {
            Ok(Program::Operation(runner, words)) => (runner, words),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn runner_options_are_split_from_the_operation() {
        let (runner, rest) =
            operation(&["--env-file", "x.env", "--list-connections", "--timeout=5", "--provider", "notion"]);
        assert_eq!(runner.env_file, Some(PathBuf::from("x.env")));
        assert_eq!(runner.timeout.as_deref(), Some("5"));
        assert_eq!(rest.argv(), ["--list-connections", "--provider", "notion"]);
    }

    #[test]
    fn no_flag_chooses_the_code() {
        for args in [vec!["--component", "evil.wasm", "--list-connections"], vec!["--component=evil.wasm"]] {
            let err = CommandLine::read(words(&args)).program.unwrap_err();
            assert_eq!(err.code, Code::Usage);
            assert!(err.hint.contains(COMPONENT_VAR), "{}", err.hint);
        }
        let mcp = CommandLine::read(words(&["mcp", "--component", "evil.wasm"])).program.unwrap_err();
        assert!(mcp.hint.contains(COMPONENT_VAR), "{}", mcp.hint);
    }

    #[test]
    fn wait_stretches_to_its_seconds_and_a_value_is_never_a_flag() {
        let wait = |v: &[&str]| operation(v).1.wait();
        assert_eq!(wait(&["--generate-link", "--wait", "45"]), Some(45));
        assert_eq!(wait(&["--generate-link", "--wait", "--connection-name", "x"]), Some(300));
        assert_eq!(wait(&["--wait=9"]), Some(9));
        assert_eq!(wait(&["--generate-link"]), None);
        assert_eq!(wait(&["--proxy-request", "--body", "--wait"]), None, "--body's value");
        assert!(!operation(&["--proxy-request", "--body", "--doctor"]).1.doctor(), "--body's value");
        assert!(operation(&["--doctor"]).1.doctor());
    }

    #[test]
    fn version_alone_or_verbose() {
        assert_eq!(operation(&["-V"]).1.version(), Some(Version::Plain));
        assert_eq!(operation(&["--version", "--verbose"]).1.version(), Some(Version::Verbose));
        assert_eq!(operation(&["--verbose", "--version"]).1.version(), Some(Version::Verbose));
        assert_eq!(operation(&["--version", "--list-connections"]).1.version(), None);
    }

    #[test]
    fn named_files_are_found_as_the_parser_finds_them() {
        let (_, words) =
            operation(&["--proxy-request", "--body", "--input-file=x", "--input-file", "a.pdf", "--output-file=o"]);
        let named: Vec<(usize, bool, &str, &str)> =
            words.named_files().iter().map(|n| (n.at, n.inline, n.flag.as_str(), n.value.as_str())).collect();
        assert_eq!(named, [(4, false, "input-file", "a.pdf"), (5, true, "output-file", "o")]);
    }

    #[test]
    fn each_program_is_read_with_its_own_options() {
        let read = |v: &[&str]| CommandLine::read(words(v)).program;
        assert_eq!(read(&["demo"]), Ok(Program::Demo));
        assert_eq!(read(&["compile"]), Ok(Program::Compile));
        assert_eq!(read(&["compile", "x"]).unwrap_err().code, Code::Usage);
        assert_eq!(read(&["sandbox", "--port", "0"]), Ok(Program::VirtualScalekit(words(&["--port", "0"]))));
        assert_eq!(read(&["mcp", "--list-tools"]), Ok(Program::Mcp(RunnerOptions::default(), Mcp::ListTools)));
        assert!(CommandLine::read(words(&["--get-token", "s", "--raw", "--timeout"])).raw);
    }

    #[test]
    fn mcp_options() {
        let served = Mcp::read(&words(&["--identifier", "alice", "--expose", "gmail:a, b", "--files=/tmp"])).unwrap();
        let Mcp::Serve(opts) = served else { panic!("serve") };
        assert_eq!(opts.identifier.as_deref(), Some("alice"));
        assert_eq!(opts.expose, [("gmail".to_owned(), vec!["a".to_owned(), "b".to_owned()])]);
        assert_eq!(opts.files, [PathBuf::from("/tmp")]);
        assert_eq!(Mcp::read(&words(&["--list-tools", "--identifier", "x"])).unwrap_err().code, Code::Usage);
        assert_eq!(Mcp::read(&words(&["--expose", "gmail:"])).unwrap_err().code, Code::Usage);
        assert_eq!(Mcp::read(&words(&["--nope"])).unwrap_err().code, Code::Usage);
    }
}
