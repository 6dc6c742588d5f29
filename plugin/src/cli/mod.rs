//! The command-line grammar of `shared/spec/cli.md`: exactly one operation flag and its options.

mod grammar;

pub use grammar::{Command, Operation, ParseOutcome, ProxyArgs, parse};
