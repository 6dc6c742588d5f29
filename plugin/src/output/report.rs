//! Building and printing the single JSON result, and the matching human text on stderr.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use agent_auth_contract::exit::Exit;
pub use agent_auth_contract::printed::ActionRequired;
use agent_auth_contract::printed::{Printed, Problem};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Code;

/// A successful result: the operation's fields plus warnings.
#[derive(Debug, Default)]
pub struct Success {
    /// Operation fields, in the order they were added.
    pub fields: Map<String, Value>,
    /// Things the caller should know; also printed on stderr.
    pub warnings: Vec<String>,
    /// Printed on stdout instead of the JSON object, with a newline (`--get-token --raw`).
    pub raw: Option<String>,
}

impl Success {
    /// The same success printed as `text` and a newline alone (its fields still describe the
    /// call to the audit trail).
    pub fn printed_as(mut self, text: String) -> Self {
        self.raw = Some(text);
        self
    }

    /// Adds one field.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.fields.insert(key.to_owned(), serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }
}

/// A failed result. Boxed, so that every `Result<_, Failure>` stays a pointer wide on the error
/// side however much a failure reports; its [`Report`] is reached through `Deref`.
#[derive(Debug)]
pub struct Failure(Box<Report>);

/// What a failure reports: a stable code, a message, a one-line hint, and any context fields.
#[derive(Debug)]
pub struct Report {
    /// The stable code; decides the exit code.
    pub code: Code,
    /// What went wrong.
    pub message: String,
    /// What to do next, in one sentence (a command where one fixes it).
    pub hint: String,
    /// Set when a person must act.
    pub action_required: Option<ActionRequired>,
    /// Context fields merged into the top level of the JSON.
    pub fields: Map<String, Value>,
    /// Warnings gathered before the failure.
    pub warnings: Vec<String>,
}

impl std::ops::Deref for Failure {
    type Target = Report;
    fn deref(&self) -> &Report {
        &self.0
    }
}

impl std::ops::DerefMut for Failure {
    fn deref_mut(&mut self) -> &mut Report {
        &mut self.0
    }
}

impl Failure {
    /// A failure with a code, a message and a hint.
    pub fn new(code: Code, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure(Box::new(Report {
            code,
            message: message.into(),
            hint: hint.into(),
            action_required: None,
            fields: Map::new(),
            warnings: Vec::new(),
        }))
    }

    /// The report, to take its parts apart.
    pub fn into_report(self) -> Report {
        *self.0
    }

    /// Adds one context field.
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.fields.insert(key.to_owned(), serde_json::to_value(value).unwrap_or(Value::Null));
        self
    }

    /// Adds every field of a success object (the partial result the failure interrupts).
    pub fn with_fields(mut self, fields: Map<String, Value>) -> Self {
        for (k, v) in fields {
            self.fields.entry(k).or_insert(v);
        }
        self
    }

    /// The command that fixes the problem, as an argument array an agent can run as is
    /// (`next`, beside the one-line hint).
    pub fn next<S: AsRef<str>>(self, argv: impl IntoIterator<Item = S>) -> Self {
        let argv: Vec<String> = argv.into_iter().map(|a| a.as_ref().to_owned()).collect();
        self.with("next", argv)
    }

    /// Says what a person must do.
    pub fn action(mut self, action: ActionRequired) -> Self {
        self.action_required = Some(action);
        self
    }

    /// Adds warnings gathered before the failure.
    pub fn warn(mut self, warnings: Vec<String>) -> Self {
        self.warnings.extend(warnings);
        self
    }
}

/// `result` with `warning` before its other warnings.
pub fn warned_first(result: Result<Success, Failure>, warning: String) -> Result<Success, Failure> {
    match result {
        Ok(mut success) => {
            success.warnings.insert(0, warning);
            Ok(success)
        }
        Err(mut failure) => {
            failure.warnings.insert(0, warning);
            Err(failure)
        }
    }
}

static EMITTED: AtomicBool = AtomicBool::new(false);
static COLOUR: OnceLock<bool> = OnceLock::new();
static RAW: AtomicBool = AtomicBool::new(false);

/// For a command whose stdout is a value a script captures (`--raw`): a failure is printed on
/// stderr as the JSON object alone, and stdout stays empty.
pub fn set_raw(raw: bool) {
    RAW.store(raw, Ordering::SeqCst);
}

/// Decides once whether stderr text may use colour (a terminal, and `NO_COLOR` unset).
pub fn set_colour(enabled: bool) {
    let _ = COLOUR.set(enabled);
}

fn paint(style: &str, text: &str) -> String {
    if *COLOUR.get().unwrap_or(&false) { format!("\x1b[{style}m{text}\x1b[0m") } else { text.to_owned() }
}

/// Writes `label text` as one line on stderr in a single write: stderr is unbuffered, so this is
/// one host call instead of four, and the lines of calls running side by side never interleave.
fn say(label: &str, text: &str) {
    let _ = std::io::stderr().write_all(format!("{label} {text}\n").as_bytes());
}

fn print_json(printed: &Printed) {
    if EMITTED.swap(true, Ordering::SeqCst) {
        return; // exactly one object on stdout, whatever happens
    }
    // Through a large buffer: stdout is line-buffered, and each line would be a host call of
    // its own (a round of wakeups in the host).
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let _ = serde_json::to_writer_pretty(&mut out, printed);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// Prints a progress line on stderr (people read it; agents read the final JSON).
pub fn progress(line: &str) {
    if RAW.load(Ordering::SeqCst) {
        return; // stderr carries the JSON error alone
    }
    say(&paint("2", "…"), line);
}

fn print_warnings(warnings: &[String]) {
    for w in warnings {
        say(&paint("33", "warning:"), w);
    }
}

/// Prints a success object and returns exit code 0.
pub fn emit_success(success: Success) -> u8 {
    print_warnings(&success.warnings);
    if let Some(text) = success.raw {
        if !EMITTED.swap(true, Ordering::SeqCst) {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(format!("{text}\n").as_bytes());
            let _ = out.flush();
        }
        return Exit::Ok.code();
    }
    print_json(&Printed::success(success.fields, success.warnings));
    Exit::Ok.code()
}

/// Prints a failure object (and its text on stderr) and returns its exit code.
pub fn emit_failure(failure: Failure) -> u8 {
    let failure = failure.into_report();
    let raw = RAW.load(Ordering::SeqCst);
    if !raw {
        print_human(&failure);
    }
    let code = failure.code;
    let printed = Printed {
        ok: false,
        error: Some(Problem { code, message: failure.message, hint: failure.hint }),
        fields: failure.fields,
        action_required: failure.action_required,
        warnings: failure.warnings,
    };
    if raw {
        let text = serde_json::to_string_pretty(&printed).unwrap_or_default();
        let _ = std::io::stderr().write_all(format!("{text}\n").as_bytes());
    } else {
        print_json(&printed);
    }
    code.exit().code()
}

/// A failure as people read it on stderr: warnings, the error, what to do.
fn print_human(failure: &Report) {
    print_warnings(&failure.warnings);
    say(&paint("31", "error:"), &failure.message);
    if let Some(action) = &failure.action_required {
        say(&paint("36", "action required:"), &action.message);
        // Each connection's link by its name when there are several to connect (`links`).
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        for link in action.links.iter().flatten() {
            say(" ", &format!("{}: {}", text(&link["connection_name"]), text(&link["link"])));
        }
        if let (Some(link), None) = (&action.link, &action.links) {
            say(" ", link);
        }
    }
    if !failure.hint.is_empty() {
        say(&paint("2", "hint:"), &failure.hint);
    }
}

/// Flushes stdout and stderr before the component exits.
pub fn flush() {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

/// Turns a panic into an `INTERNAL_ERROR` object and exit code 1 instead of a trace.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let code = emit_failure(Failure::new(
            Code::InternalError,
            format!("agent-auth hit a bug: {what}"),
            "Report this with the command you ran; retrying will not help.",
        ));
        flush();
        crate::bindings::wasi::cli::exit::exit_with_code(code);
    }));
}
