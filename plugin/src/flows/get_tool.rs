//! `--get-tool`: the catalogue with each tool's input schema.

use crate::output::{Code, Failure, Success, shell};
use crate::scalekit::Scalekit;
use crate::scalekit::tools::{self, ToolQuery};

/// Lists tools by provider, names and/or free text; one `--tool-name` also returns `tool`.
pub fn run(sk: &Scalekit, query: ToolQuery) -> Result<Success, Failure> {
    let query = ToolQuery { provider: query.provider.map(|p| p.trim().to_uppercase()), ..query };
    let page = tools::list(sk, &query)?;
    let missing: Vec<&String> = query.names.iter().filter(|n| !page.tools.iter().any(|t| &t.name == *n)).collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        let hint = match &query.provider {
            Some(p) => format!("List {p}'s tools: agent-auth --get-tool --provider {}", shell::word(p)),
            None => "Search the catalogue: agent-auth --get-tool --query 'what you want to do', or --provider PROVIDER"
                .to_owned(),
        };
        return Err(Failure::new(Code::ToolNotFound, format!("no tool named {}", names.join(", ")), hint)
            .with("missing", &names)
            .with("tools", &page.tools));
    }
    let mut success = Success::default();
    if page.tools.is_empty() {
        success.warnings.push("no tools match; try --query with other words, or another --provider".into());
    }
    if let [only] = query.names.as_slice() {
        if let Some(tool) = page.tools.iter().find(|t| &t.name == only) {
            success = success.with("tool", tool);
        }
    }
    Ok(success
        .with("tools", &page.tools)
        .with("next_page_token", &page.next_page_token)
        .with("total_size", page.total_size))
}
