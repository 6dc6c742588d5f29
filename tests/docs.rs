//! `docs/cli.md` stays true: its grammar is the operation table's, operation by operation; its exit
//! codes are the contract's, and so are the runner codes it lists; and it says what every
//! operation returns. The README's table of MCP tools is the contract's too.

use std::path::Path;

use agent_auth_contract::code::Code;
use agent_auth_contract::exit::Exit;
use agent_auth_contract::mcp_tools::TOOLS;
use agent_auth_contract::operation::{GLOBAL_OPTIONS, OPERATIONS};

fn cli_md() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md")).expect("docs/cli.md")
}

/// The fenced block that follows `marker`.
fn block_after(text: &str, marker: &str) -> Vec<String> {
    let after = &text[text.find(marker).unwrap_or_else(|| panic!("docs/cli.md lacks {marker:?}"))..];
    let start = after.find("```\n").expect("a fenced block") + 4;
    let end = after[start..].find("```").expect("the block ends") + start;
    after[start..end].lines().map(str::to_owned).collect()
}

#[test]
fn the_grammar_is_the_operation_table() {
    let text = cli_md();
    let documented = block_after(&text, "Each operation and its options");
    let table: Vec<String> = OPERATIONS.iter().map(|op| op.synopsis()).collect();
    assert_eq!(documented, table, "update the grammar in docs/cli.md from `agent-auth --help`");
    for option in GLOBAL_OPTIONS {
        let usage = match option.value.placeholder() {
            Some(name) => format!("`--{} {name}`", option.flag),
            None => format!("`--{}`", option.flag),
        };
        assert!(text.contains(&usage), "docs/cli.md does not name {usage}");
    }
}

#[test]
fn every_operation_says_what_it_returns() {
    let text = cli_md();
    let returns = &text[text.find("## What each operation returns").expect("the section")..];
    for op in OPERATIONS {
        assert!(
            returns.contains(&format!("\n- `--{}", op.flag)),
            "docs/cli.md does not say what --{} returns",
            op.flag
        );
    }
}

#[test]
fn the_exit_codes_are_the_contract_s() {
    let text = cli_md();
    let section = &text[text.find("## Exit codes").expect("the section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |end| end + 3)];
    let rows: Vec<u8> = section.lines().filter_map(|l| l.strip_prefix("| ")?.split(' ').next()?.parse().ok()).collect();
    assert_eq!(rows, Exit::ALL.map(Exit::code));
    // The runner's codes: "`A`, `B` (3); `C` (7); ...".
    let runner = section.lines().skip_while(|l| !l.starts_with("The runner reports")).collect::<Vec<_>>().join(" ");
    let mut listed = 0;
    for group in runner.split(';') {
        let exit: u8 = group.rsplit('(').next().and_then(|n| n.split(')').next()?.trim().parse().ok()).expect("(N)");
        for name in group.split('`').skip(1).step_by(2) {
            let code: Code =
                serde_json::from_value(serde_json::json!(name)).unwrap_or_else(|_| panic!("{name} is not a code"));
            assert_eq!(code.exit().code(), exit, "{name}");
            listed += 1;
        }
    }
    assert!(listed >= 10, "the runner's codes are listed: {runner}");
}

#[test]
fn the_mcp_tools_table_is_the_contract_s() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).expect("README");
    let section = &readme[readme.find("The tools, each with annotations").expect("the MCP tools' section")..];
    let rows: Vec<Vec<&str>> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.split(" | ").collect())
        .collect();
    let ticked = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let names: Vec<String> = rows.iter().map(|row| ticked(row[0]).concat()).collect();
    assert_eq!(names, TOOLS.iter().map(|t| t.name).collect::<Vec<_>>(), "the README lists the tools in order");
    for (tool, row) in TOOLS.iter().zip(&rows) {
        let runs = ticked(row[1]);
        assert!(runs[0].starts_with(&format!("--{}", tool.operation.operation().flag)), "{}: {}", tool.name, row[1]);
        let arguments: Vec<String> =
            tool.arguments.iter().map(|a| format!("{}{}", a.name, if a.required { "" } else { "?" })).collect();
        assert_eq!(ticked(row[2]), arguments, "{}", tool.name);
    }
}
