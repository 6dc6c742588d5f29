//! `docs/cli.md` stays true: its grammar is the operation table's, operation by operation, and it
//! says what every operation returns.

use std::path::Path;

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
        assert!(
            text.contains(&format!("`--{} {}`", option.flag, option.value.placeholder().unwrap_or(""))),
            "{}",
            option.flag
        );
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
