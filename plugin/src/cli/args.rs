//! The arguments of one command line, read against the operation table: which operation, and the
//! values of the options it was given.

use agent_auth_contract::operation::{Operand, Operation};
use agent_auth_contract::option::{Opt, Value};
use clap::ArgMatches;

/// One operation and the values of its options, as given.
#[derive(Debug, Clone)]
pub struct Args {
    operation: &'static Operation,
    /// The operation flag's own values (`--get-token a --get-token b`).
    operand: Vec<String>,
    /// Each option given, by flag, with its values in order (none for a switch).
    given: Vec<(&'static Opt, Vec<String>)>,
}

impl Args {
    /// Reads `matches` for `operation` and every option in `options`.
    pub(super) fn read(matches: &ArgMatches, operation: &'static Operation, options: &[&'static Opt]) -> Args {
        let operand = match operation.operand {
            Operand::None => Vec::new(),
            Operand::One(_) | Operand::OptionalMany(_) => values(matches, operation.flag),
        };
        let given = options
            .iter()
            .filter(|opt| matches.value_source(opt.flag) == Some(clap::parser::ValueSource::CommandLine))
            .map(|opt| (*opt, option_values(matches, opt)))
            .collect();
        Args { operation, operand, given }
    }

    /// The operation.
    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    /// The options given, in the order of the table.
    pub fn given(&self) -> impl Iterator<Item = (&'static Opt, &[String])> {
        self.given.iter().map(|(opt, values)| (*opt, values.as_slice()))
    }

    /// The operation flag's own values, e.g. the services of `--get-token`.
    pub fn operand(&self) -> &[String] {
        &self.operand
    }

    /// Every value of `opt`, in order (empty when it was not given).
    pub fn all(&self, opt: &Opt) -> &[String] {
        self.given.iter().find(|(o, _)| *o == opt).map_or(&[], |(_, values)| values.as_slice())
    }

    /// The value of `opt`, when given.
    pub fn text(&self, opt: &Opt) -> Option<&str> {
        self.all(opt).first().map(String::as_str)
    }

    /// The value of an option the table marks required for this operation (the parser has checked
    /// that it was given and is not blank).
    pub fn required(&self, opt: &Opt) -> String {
        self.text(opt).unwrap_or_default().to_owned()
    }

    /// Whether `opt` was given.
    pub fn has(&self, opt: &Opt) -> bool {
        self.given.iter().any(|(o, _)| *o == opt)
    }

    /// This command line again with `changes` (each replaces an option's values, or adds it), as
    /// an argument array an agent can run as is (`next`). Runner options are not known here.
    pub fn again(&self, changes: &[(&'static Opt, &str)]) -> Vec<String> {
        let flag = format!("--{}", self.operation.flag);
        let mut out = vec!["agent-auth".to_owned()];
        if self.operand.is_empty() {
            out.push(flag.clone());
        }
        for value in &self.operand {
            out.extend([flag.clone(), value.clone()]);
        }
        let mut given = self.given.clone();
        for (opt, value) in changes {
            match given.iter_mut().find(|(o, _)| o == opt) {
                Some((_, values)) => *values = vec![(*value).to_owned()],
                None => given.push((opt, vec![(*value).to_owned()])),
            }
        }
        for (opt, values) in given {
            if values.is_empty() {
                out.push(format!("--{}", opt.flag));
            }
            for value in values {
                out.extend([format!("--{}", opt.flag), value]);
            }
        }
        out
    }

    /// The value of a whole-number option (the parser has checked that it is one).
    pub fn number(&self, opt: &Opt) -> Option<u64> {
        self.text(opt).and_then(|text| text.parse().ok())
    }
}

fn values(matches: &ArgMatches, id: &str) -> Vec<String> {
    matches.get_many::<String>(id).map(|values| values.cloned().collect()).unwrap_or_default()
}

/// An option's values; `--wait` given alone counts as its default.
fn option_values(matches: &ArgMatches, opt: &Opt) -> Vec<String> {
    match opt.value {
        Value::Switch => Vec::new(),
        Value::OptionalSeconds(default) => matches
            .get_occurrences::<String>(opt.flag)
            .into_iter()
            .flatten()
            .map(|mut occurrence| occurrence.next().cloned().unwrap_or_else(|| default.to_string()))
            .collect(),
        Value::One(_) | Value::Raw(_) | Value::Number(_) => values(matches, opt.flag),
    }
}
