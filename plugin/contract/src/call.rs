//! One call of an operation as typed values: what the runner builds when it runs an operation
//! itself (the MCP server's tools, the verify route's `--verify-user`, `--expose`'s listing).
//! [`Call::argv`] writes it as the component's command line, from the operation table, and is
//! the only code that writes one; the component's parser reads it back with the same table.
//! Every value is one `--flag=value` argument, so no value can be read as another flag.

use crate::operation::{Kind, Operation};
use crate::option::Opt;

/// An operation and the options given to it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    kind: Kind,
    given: Vec<(&'static Opt, Option<String>)>,
}

impl Call {
    /// The operation `kind` with no options yet.
    pub fn new(kind: Kind) -> Call {
        Call { kind, given: Vec::new() }
    }

    /// Adds `option` with `value` (a repeatable option may be added more than once).
    pub fn with(mut self, option: &'static Opt, value: impl Into<String>) -> Call {
        self.given.push((option, Some(value.into())));
        self
    }

    /// Adds the switch `option` (`--summary`).
    pub fn switch(mut self, option: &'static Opt) -> Call {
        self.given.push((option, None));
        self
    }

    /// The operation's entry in the table.
    pub fn operation(&self) -> &'static Operation {
        self.kind.operation()
    }

    /// The first value given for `option`.
    pub fn value(&self, option: &Opt) -> Option<&str> {
        self.given.iter().find(|(given, _)| *given == option).and_then(|(_, value)| value.as_deref())
    }

    /// The component's command line (without the program name).
    pub fn argv(&self) -> Vec<String> {
        let options = self.given.iter().map(|(option, value)| match value {
            Some(value) => option.with(value),
            None => format!("--{}", option.flag),
        });
        std::iter::once(self.kind.flag()).chain(options).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::Remote;
    use crate::option::{SUMMARY, TOOL_INPUT, TOOL_NAME};

    #[test]
    fn values_never_become_flags() {
        let call = Call::new(Kind::Remote(Remote::ExecuteTool))
            .with(&TOOL_NAME, "--identifier")
            .with(&TOOL_INPUT, r#"{"q":"--x"}"#);
        assert_eq!(call.argv(), ["--execute-tool", "--tool-name=--identifier", r#"--tool-input={"q":"--x"}"#]);
        assert_eq!(call.value(&TOOL_NAME), Some("--identifier"));
    }

    #[test]
    fn switches_and_repeats_keep_their_order() {
        let call =
            Call::new(Kind::Remote(Remote::GetTool)).switch(&SUMMARY).with(&TOOL_NAME, "a").with(&TOOL_NAME, "b");
        assert_eq!(call.argv(), ["--get-tool", "--summary", "--tool-name=a", "--tool-name=b"]);
        assert_eq!(call.operation().flag, "get-tool");
    }
}
