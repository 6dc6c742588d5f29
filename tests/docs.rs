//! `docs/cli.md` stays true: its grammar is the operation table's, operation by operation; its exit
//! codes are the contract's, and so are the runner codes it lists; and it says what every
//! operation returns. The book's table of MCP tools is the contract's too. The book builds with
//! mdBook, every page is in its summary, and every link in it and in the README leads to a page
//! (and a heading) that is there.

use std::path::{Path, PathBuf};
use std::process::Command;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use agent_auth_contract::code::Code;
use agent_auth_contract::exit::Exit;
use agent_auth_contract::mcp_tools::TOOLS;
use agent_auth_contract::operation::{GLOBAL_OPTIONS, OPERATIONS};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cli_md() -> String {
    std::fs::read_to_string(repo().join("docs/cli.md")).expect("docs/cli.md")
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
    let page = repo().join("docs/user/mcp-server.md");
    let readme = std::fs::read_to_string(page).expect("the MCP server's chapter");
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
    assert_eq!(names, TOOLS.iter().map(|t| t.name).collect::<Vec<_>>(), "the chapter lists the tools in order");
    for (tool, row) in TOOLS.iter().zip(&rows) {
        let runs = ticked(row[1]);
        assert!(runs[0].starts_with(&format!("--{}", tool.operation.operation().flag)), "{}: {}", tool.name, row[1]);
        let arguments: Vec<String> =
            tool.arguments.iter().map(|a| format!("{}{}", a.name, if a.required { "" } else { "?" })).collect();
        assert_eq!(ticked(row[2]), arguments, "{}", tool.name);
    }
}

/// The book's pages (every Markdown file under `docs/`, `SUMMARY.md` aside), relative to `docs/`.
fn book_pages() -> Vec<PathBuf> {
    let docs = repo().join("docs");
    let mut pages = Vec::new();
    let mut folders = vec![docs.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") && !path.ends_with("SUMMARY.md") {
                pages.push(path.strip_prefix(&docs).unwrap().to_path_buf());
            }
        }
    }
    pages.sort();
    pages
}

/// A page's links (destinations, as written) and its headings' ids, as mdBook makes them.
fn links_and_ids(markdown: &str) -> (Vec<String>, Vec<String>) {
    let (mut links, mut ids, mut heading) = (Vec::new(), Vec::new(), None::<String>);
    for event in Parser::new_ext(markdown, Options::all()) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.into_string()),
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => ids.extend(heading.take().map(|h| id_of(&h))),
            _ => {}
        }
    }
    (links, ids)
}

/// The id mdBook gives a heading: lower case, spaces to `-`, only letters, digits, `-` and `_`.
fn id_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_link_of_the_book_and_the_readme_leads_somewhere() {
    let docs = repo().join("docs");
    let mut pages: Vec<PathBuf> = book_pages().into_iter().map(|p| docs.join(p)).collect();
    pages.push(docs.join("SUMMARY.md"));
    pages.push(repo().join("README.md"));
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for link in links_and_ids(&text).0 {
            if link.contains("://") || link.starts_with("mailto:") {
                continue; // the web: not reachable from here, and not ours to keep
            }
            let (file, anchor) = link.split_once('#').map_or((link.as_str(), None), |(f, a)| (f, Some(a)));
            let target = if file.is_empty() { page.clone() } else { page.parent().unwrap().join(file) };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", page.display()));
                continue;
            }
            if let Some(anchor) = anchor.filter(|_| target.extension().is_some_and(|e| e == "md")) {
                let ids = links_and_ids(&std::fs::read_to_string(&target).unwrap()).1;
                if !ids.iter().any(|id| id == anchor) {
                    broken.push(format!("{}: {link} (no heading #{anchor})", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_page_is_in_the_summary() {
    let summary = std::fs::read_to_string(repo().join("docs/SUMMARY.md")).unwrap();
    let listed = links_and_ids(&summary).0;
    for page in book_pages() {
        let page = page.to_string_lossy().into_owned();
        assert!(listed.contains(&page), "docs/{page} is not in docs/SUMMARY.md, so the book does not show it");
    }
}

#[test]
fn the_book_builds() {
    let out = tempfile::tempdir().unwrap();
    let built = Command::new("mdbook")
        .arg("build")
        .arg(repo().join("docs"))
        .arg("--dest-dir")
        .arg(out.path())
        .output()
        .unwrap_or_else(|e| panic!("mdbook ({e}): scripts/setup.sh installs it"));
    assert!(built.status.success(), "mdbook build docs: {}", String::from_utf8_lossy(&built.stderr));
    for page in book_pages() {
        let html = out.path().join(page.with_extension("html"));
        assert!(html.exists(), "{} was not built", html.display());
    }
}
