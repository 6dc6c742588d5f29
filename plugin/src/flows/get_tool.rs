//! `--get-tool`: the catalogue with each tool's input schema.

use agent_auth_contract::option::{
    PAGE_SIZE, PAGE_TOKEN, PROVIDER, QUERY, QUERY_LENGTH, SUMMARY, TOOL_NAME, TOOLS_PAGE_MAX,
};
use agent_auth_contract::shell;
use serde::Serialize;
use serde_json::{Map, Value};

use super::operation::{Context, RemoteOperation};
use crate::cli::{Args, usage};
use crate::output::{Code, Failure, Success};
use crate::scalekit::Scalekit;
use crate::scalekit::tools::{self, Tool, ToolPage, ToolQuery};
use crate::schema;

/// `--get-tool [--provider P] [--tool-name T]... [--query Q] [--summary] [--page-size N] [--page-token X]`.
pub struct GetTool {
    query: ToolQuery,
    /// `tools` as compact entries.
    summary: bool,
}

impl RemoteOperation for GetTool {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let query = args.text(&QUERY).map(str::to_owned);
        if query.as_ref().is_some_and(|q| !QUERY_LENGTH.contains(&q.chars().count())) {
            return Err(usage(
                format!("--query must be {} to {} characters", QUERY_LENGTH.start(), QUERY_LENGTH.end()),
                "Use a longer or shorter search phrase, or --provider P to list a provider's tools.",
            ));
        }
        let page_size = args.number(&PAGE_SIZE);
        if let Some(n) = page_size.filter(|n| !(1..=TOOLS_PAGE_MAX).contains(n)) {
            return Err(usage(
                format!("--page-size {n} is out of range for --get-tool"),
                format!("Use a page size from 1 to {TOOLS_PAGE_MAX} and follow next_page_token with --page-token."),
            ));
        }
        Ok(GetTool {
            query: ToolQuery {
                provider: args.text(&PROVIDER).map(|p| p.trim().to_uppercase()),
                names: args.all(&TOOL_NAME).to_vec(),
                query,
                page_size: page_size.map(|n| n as u32),
                page_token: args.text(&PAGE_TOKEN).map(str::to_owned),
            },
            summary: args.has(&SUMMARY),
        })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        list(ctx, self.query, self.summary)
    }
}

/// The tool `name` with its schema, remembered from a recent step or asked of Scalekit.
pub fn find(sk: &Scalekit, name: &str) -> Result<Tool, Failure> {
    if let Some(tool) = sk.cache.tool(name, None) {
        return Ok(tool);
    }
    let page = tools::list(sk, &ToolQuery { names: vec![name.to_owned()], ..ToolQuery::default() })?;
    sk.cache.remember_named_tools(&page.tools);
    page.tools.into_iter().find(|t| t.name == name).ok_or_else(|| not_found(&[name], None))
}

/// `TOOL_NOT_FOUND` for `names`, with where to look.
fn not_found(names: &[&str], provider: Option<&str>) -> Failure {
    let hint = match provider {
        Some(p) => format!("List {p}'s tools: agent-auth --get-tool --provider {}", shell::word(p)),
        None => "Search the catalogue: agent-auth --get-tool --query 'what you want to do', or --provider PROVIDER"
            .to_owned(),
    };
    Failure::new(Code::ToolNotFound, format!("no tool named {}", names.join(", ")), hint).with("missing", names)
}

/// One tool by name, from a provider's listing a recent call fetched.
fn remembered(ctx: &Context, query: &ToolQuery) -> Option<ToolPage> {
    let [name] = query.names.as_slice() else { return None };
    if query.query.is_some() || query.page_token.is_some() || query.page_size.is_some() {
        return None;
    }
    let tool = ctx.sk.cache.tool(name, query.provider.as_deref())?;
    Some(ToolPage { tools: vec![tool], next_page_token: String::new(), total_size: 1 })
}

/// Asks Scalekit; a provider's whole listing is remembered for the schemas the next steps read.
fn fetch(ctx: &Context, query: &ToolQuery) -> Result<ToolPage, Failure> {
    let page = tools::list(&ctx.sk, query)?;
    let whole_listing = query.names.is_empty() && query.query.is_none() && query.page_token.is_none();
    if let Some(provider) = query.provider.as_deref().filter(|_| whole_listing && page.next_page_token.is_empty()) {
        ctx.sk.cache.remember_tools(provider, &page.tools);
    } else if !query.names.is_empty() {
        ctx.sk.cache.remember_named_tools(&page.tools);
    }
    Ok(page)
}

/// A tool in about 150 bytes: what a model needs to choose it, and `--get-tool --tool-name T`
/// for the rest.
#[derive(Serialize)]
struct Summary<'t> {
    name: &'t str,
    provider: &'t str,
    /// The first sentence of the description.
    about: String,
    /// Each required parameter and its type.
    required: Map<String, Value>,
}

/// Longest `about`, in characters.
const ABOUT_MAX: usize = 100;

impl<'t> Summary<'t> {
    fn of(tool: &'t Tool) -> Summary<'t> {
        let text = tool.description.trim();
        let first = text.find(". ").map_or(text, |end| &text[..=end]);
        let about = match first.char_indices().nth(ABOUT_MAX) {
            Some((cut, _)) => format!("{}…", first[..cut].trim_end()),
            None => first.to_owned(),
        };
        let schema = &tool.input_schema;
        let names = schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
        let required = names
            .map(|name| {
                let kind = schema.pointer(&format!("/properties/{}/type", schema::pointer_segment(name)));
                let kind = match kind {
                    Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("|"),
                    Some(Value::String(kind)) => kind.clone(),
                    _ => "any".to_owned(),
                };
                (name.to_owned(), Value::from(kind))
            })
            .collect();
        Summary { name: &tool.name, provider: &tool.provider, about, required }
    }
}

/// Lists tools by provider, names and/or free text; one `--tool-name` also returns `tool`.
fn list(ctx: &Context, query: ToolQuery, summary: bool) -> Result<Success, Failure> {
    let page = match remembered(ctx, &query) {
        Some(page) => page,
        None => fetch(ctx, &query)?,
    };
    let missing: Vec<&str> =
        query.names.iter().map(String::as_str).filter(|n| !page.tools.iter().any(|t| t.name == *n)).collect();
    if !missing.is_empty() {
        return Err(not_found(&missing, query.provider.as_deref()).with("tools", &page.tools));
    }
    let mut success = Success::default();
    if page.tools.is_empty() {
        success.warnings.push("no tools match; try --query with other words, or another --provider".into());
    }
    if let [only] = query.names.as_slice()
        && let Some(tool) = page.tools.iter().find(|t| &t.name == only)
    {
        success = success.with("tool", tool);
    }
    let success = if summary {
        success.with("tools", page.tools.iter().map(Summary::of).collect::<Vec<_>>())
    } else {
        success.with("tools", &page.tools)
    };
    Ok(success.with("next_page_token", &page.next_page_token).with("total_size", page.total_size))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Summary;
    use crate::scalekit::tools::Tool;

    fn tool(description: &str) -> Tool {
        Tool {
            name: "exa_search".into(),
            description: description.into(),
            provider: "EXA".into(),
            input_schema: json!({
                "type": "object",
                "properties": {"query": {"type": "string"}, "limit": {"type": ["integer", "null"]}, "x": {}},
                "required": ["query", "limit", "x"]
            }),
        }
    }

    #[test]
    fn a_summary_keeps_the_first_sentence_and_the_required_parameters() {
        let t = tool("Search the web with Exa. Returns titles, URLs and text.");
        let s = serde_json::to_value(Summary::of(&t)).unwrap();
        assert_eq!(
            s,
            json!({"name": "exa_search", "provider": "EXA", "about": "Search the web with Exa.",
                   "required": {"query": "string", "limit": "integer|null", "x": "any"}})
        );
    }

    #[test]
    fn a_long_sentence_is_cut() {
        let t = tool(&"word ".repeat(60));
        let about = Summary::of(&t).about;
        assert!(about.chars().count() <= 101 && about.ends_with('…'), "{about}");
    }
}
