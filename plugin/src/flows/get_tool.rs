//! `--get-tool`: the catalogue with each tool's input schema.

use agent_auth_contract::option::{
    PAGE_SIZE, PAGE_TOKEN, PROVIDER, QUERY, QUERY_LENGTH, SEARCH_PAGE_DEFAULT, SUMMARY, TOOL_NAME, TOOLS_PAGE_MAX,
};
use agent_auth_contract::shell;
use serde::Serialize;
use serde_json::{Map, Value};

use super::operation::{Context, HostedOperation, RemoteOperation};
use crate::cli::{Args, usage};
use crate::hosted::HostedServer;
use crate::output::{Code, Failure, Success};
use crate::relevance;
use crate::scalekit::Scalekit;
use crate::scalekit::connections;
use crate::scalekit::tools::{self, Tool, ToolPage, ToolQuery};
use crate::schema;
use crate::storage::Storage;

/// `--get-tool [--provider P] [--tool-name T]... [--query Q] [--summary] [--page-size N] [--page-token X]`.
pub struct GetTool {
    mode: Mode,
    /// `tools` as compact entries.
    summary: bool,
}

/// A listing Scalekit pages, or a search agent-auth ranks.
enum Mode {
    List(ToolQuery),
    Search(Search),
}

/// `--query`: the tools of one provider, or of every provider with a connection here, best first.
struct Search {
    text: String,
    provider: Option<String>,
    /// Tools per page.
    limit: usize,
    /// How many better ones came before this page (our `next_page_token`).
    offset: usize,
}

impl RemoteOperation for GetTool {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let page_size = args.number(&PAGE_SIZE);
        if let Some(n) = page_size.filter(|n| !(1..=TOOLS_PAGE_MAX).contains(n)) {
            return Err(usage(
                format!("--page-size {n} is out of range for --get-tool"),
                format!("Use a page size from 1 to {TOOLS_PAGE_MAX} and follow next_page_token with --page-token."),
            ));
        }
        let provider = args.text(&PROVIDER).map(|p| p.trim().to_uppercase());
        let page_token = args.text(&PAGE_TOKEN).map(str::to_owned);
        let summary = args.has(&SUMMARY);
        let Some(text) = args.text(&QUERY).map(str::to_owned) else {
            let query = ToolQuery {
                provider,
                names: args.all(&TOOL_NAME).to_vec(),
                page_size: page_size.map(|n| n as u32),
                page_token,
            };
            return Ok(GetTool { mode: Mode::List(query), summary });
        };
        if !QUERY_LENGTH.contains(&text.chars().count()) {
            return Err(usage(
                format!("--query must be {} to {} characters", QUERY_LENGTH.start(), QUERY_LENGTH.end()),
                "Use a longer or shorter search phrase, or --provider P to list a provider's tools.",
            ));
        }
        if !args.all(&TOOL_NAME).is_empty() {
            return Err(usage(
                "--query and --tool-name do not go together",
                "Search with --query 'what you want to do', or look tools up by name with --tool-name T.",
            ));
        }
        let offset = offset_of(page_token.as_deref())?;
        let limit = page_size.unwrap_or(SEARCH_PAGE_DEFAULT) as usize;
        Ok(GetTool { mode: Mode::Search(Search { text, provider, limit, offset }), summary })
    }

    fn run(self, ctx: &Context) -> Result<Success, Failure> {
        match self.mode {
            Mode::List(query) => list(ctx, query, self.summary),
            Mode::Search(search) => search.run(ctx, self.summary),
        }
    }
}

impl HostedOperation for GetTool {
    /// The same listing from a hosted MCP server's `tools/list`, every option applied here:
    /// `--provider` as the names' prefix (`NOTION`: `notion_...`), `--tool-name`, `--query`,
    /// `--summary`, and pages by offset.
    fn run_hosted(self, server: &HostedServer, _: &Storage) -> Result<Success, Failure> {
        let provider = match &self.mode {
            Mode::Search(search) => search.provider.as_deref(),
            Mode::List(query) => query.provider.as_deref(),
        };
        let prefix = provider.map(|p| format!("{}_", p.to_lowercase()));
        let catalogue: Vec<Tool> = server
            .tools()?
            .into_iter()
            .filter(|t| prefix.as_ref().is_none_or(|p| t.name.to_lowercase().starts_with(p.as_str())))
            .collect();
        let mut success = Success::default().with("mcp_server", server.shown);
        let (chosen, offset, limit): (Vec<&Tool>, usize, Option<usize>) = match &self.mode {
            Mode::Search(search) => {
                let ranked = relevance::rank(&search.text, &catalogue);
                if ranked.is_empty() {
                    success
                        .warnings
                        .push(format!("no tool of the MCP server at {} matches; try other words", server.shown));
                }
                (ranked, search.offset, Some(search.limit))
            }
            Mode::List(query) => {
                let missing: Vec<&str> = query
                    .names
                    .iter()
                    .map(String::as_str)
                    .filter(|n| !catalogue.iter().any(|t| t.name == *n))
                    .collect();
                if let [only] = missing.as_slice() {
                    return Err(not_served(server, only, &catalogue));
                }
                if !missing.is_empty() {
                    return Err(not_found(&missing, None).with("mcp_server", server.shown));
                }
                let listed: Vec<&Tool> =
                    catalogue.iter().filter(|t| query.names.is_empty() || query.names.contains(&t.name)).collect();
                if let [only] = query.names.as_slice()
                    && let Some(tool) = listed.iter().find(|t| &t.name == only)
                {
                    success = success.with("tool", tool);
                }
                (listed, offset_of(query.page_token.as_deref())?, query.page_size.map(|n| n as usize))
            }
        };
        let end = limit.map_or(chosen.len(), |n| chosen.len().min(offset.saturating_add(n)));
        let page = chosen.get(offset..end).unwrap_or_default().iter().copied();
        let next = if end < chosen.len() { end.to_string() } else { String::new() };
        Ok(success
            .with("tools", entries(page, self.summary))
            .with("next_page_token", next)
            .with("total_size", chosen.len()))
    }
}

/// `TOOL_NOT_FOUND` for `name`, which the hosted server's `catalogue` lacks, naming its lookalike.
pub fn not_served(server: &HostedServer, name: &str, catalogue: &[Tool]) -> Failure {
    let failure = not_found(&[name], None).with("mcp_server", server.shown);
    suggesting(failure, schema::closest(name, catalogue.iter().map(|t| t.name.as_str())))
}

/// A page token of ours: how many tools came before the page.
fn offset_of(token: Option<&str>) -> Result<usize, Failure> {
    match token.filter(|t| !t.is_empty()) {
        None => Ok(0),
        Some(token) => token.parse().map_err(|_| {
            usage(
                format!("--page-token {token} is not from an earlier --get-tool call"),
                "Pass the next_page_token of the same --get-tool call, or leave --page-token out.",
            )
        }),
    }
}

impl Search {
    /// Ranks the searched providers' tools against the text and returns one page of them.
    fn run(self, ctx: &Context, summary: bool) -> Result<Success, Failure> {
        let named = self.provider.is_some();
        let providers = match self.provider {
            Some(provider) => vec![provider],
            None => providers_here(ctx)?,
        };
        // One provider's listing failing does not fail the search: the others are still ranked.
        let (mut catalogue, mut fetched, mut failed) = (Vec::new(), Vec::new(), Vec::new());
        for provider in &providers {
            if let Some(tools) = ctx.sk.cache.tools_of(provider) {
                catalogue.extend(tools);
                continue;
            }
            match tools::all_of(&ctx.sk, provider) {
                Ok(tools) => {
                    catalogue.extend(tools.iter().cloned());
                    fetched.push((provider.clone(), tools));
                }
                Err(e) => failed.push((provider.as_str(), Failure::from(e))),
            }
        }
        ctx.sk.cache.remember_listings(fetched);
        if !failed.is_empty() && failed.len() == providers.len() {
            return Err(failed.swap_remove(0).1);
        }
        let ranked = relevance::rank(&self.text, &catalogue);
        let end = ranked.len().min(self.offset.saturating_add(self.limit));
        let page = ranked.get(self.offset..end).unwrap_or_default().iter().copied();
        let next = if end < ranked.len() { end.to_string() } else { String::new() };
        let mut success = Success::default();
        for (provider, failure) in &failed {
            success.warnings.push(format!("{provider}'s tools were not searched: {}", failure.message));
        }
        if providers.is_empty() {
            success.warnings.push(
                "no connections here, so no provider was searched; pass --provider P to search a provider's tools"
                    .into(),
            );
        } else if ranked.is_empty() {
            let elsewhere =
                if named { "another --provider" } else { "--provider P for a provider without a connection here" };
            success
                .warnings
                .push(format!("no tool of {} matches; try other words, or {elsewhere}", providers.join(", ")));
        }
        Ok(success.with("tools", entries(page, summary)).with("next_page_token", next).with("total_size", ranked.len()))
    }
}

/// The providers of this environment's connections, in the listing's order.
fn providers_here(ctx: &Context) -> Result<Vec<String>, Failure> {
    let (all, _) = connections::all(&ctx.sk)?;
    let mut providers: Vec<String> = Vec::new();
    for key in all.iter().map(|c| c.provider_key.to_uppercase()).filter(|p| !p.is_empty()) {
        if !providers.contains(&key) {
            providers.push(key);
        }
    }
    Ok(providers)
}

/// Every tool of `provider`, remembered from a recent call or read now (and remembered).
fn provider_tools(sk: &Scalekit, provider: &str) -> Result<Vec<Tool>, Failure> {
    if let Some(tools) = sk.cache.tools_of(provider) {
        return Ok(tools);
    }
    let tools = tools::all_of(sk, provider)?;
    sk.cache.remember_tools(provider, &tools);
    Ok(tools)
}

/// The tool `name` with its schema, remembered from a recent step or asked of Scalekit.
pub fn find(sk: &Scalekit, name: &str) -> Result<Tool, Failure> {
    match sk.cache.tool(name, None) {
        Some(tool) => Ok(tool),
        None => look_up(sk, name),
    }
}

/// The tool `name` as Scalekit has it now (and remembered so).
pub fn look_up(sk: &Scalekit, name: &str) -> Result<Tool, Failure> {
    let page = tools::list(sk, &ToolQuery { names: vec![name.to_owned()], ..ToolQuery::default() })?;
    sk.cache.remember_named_tools(&page.tools);
    let found = page.tools.into_iter().find(|t| t.name == name);
    found.ok_or_else(|| with_lookalike(sk, not_found(&[name], None), name))
}

/// `failure` for the unknown tool `name`, naming the one it was likely meant to be (the
/// command, corrected, becomes `next`; see `app`).
fn with_lookalike(sk: &Scalekit, failure: Failure, name: &str) -> Failure {
    suggesting(failure, lookalike(sk, name).as_deref())
}

/// `failure` naming `close`, the tool it was likely meant to be, when there is one.
fn suggesting(mut failure: Failure, close: Option<&str>) -> Failure {
    let Some(close) = close else { return failure };
    failure.hint = format!("Did you mean {close}? next is the command with it.");
    failure.with("did_you_mean", close)
}

/// A tool named like `name` in the listing of the provider its first word names
/// (`notion_page_read`: NOTION's), for a name that was almost right.
fn lookalike(sk: &Scalekit, name: &str) -> Option<String> {
    let provider = name.split('_').next().filter(|p| !p.is_empty())?.to_uppercase();
    let tools = provider_tools(sk, &provider).ok()?;
    schema::closest(name, tools.iter().map(|t| t.name.as_str())).map(str::to_owned)
}

/// `TOOL_NOT_FOUND` for `names`, with where to look.
fn not_found(names: &[&str], provider: Option<&str>) -> Failure {
    let hint = match provider {
        Some(p) => format!("List {p}'s tools: agent-auth --get-tool --provider {}", shell::word(p)),
        None => "Search the catalogue: agent-auth --get-tool --query 'what you want to do', or --provider PROVIDER"
            .to_owned(),
    };
    let failure =
        Failure::new(Code::ToolNotFound, format!("no tool named {}", names.join(", ")), hint).with("missing", names);
    // A search by the name's words finds what it was meant to be.
    let words = names.join(" ").replace(['_', '-'], " ");
    match provider {
        None if QUERY_LENGTH.contains(&words.chars().count()) => {
            failure.next(["agent-auth", "--get-tool", "--query", words.as_str(), "--summary"])
        }
        _ => failure,
    }
}

/// One tool by name, from a provider's listing a recent call fetched.
fn remembered(ctx: &Context, query: &ToolQuery) -> Option<ToolPage> {
    let [name] = query.names.as_slice() else { return None };
    if query.page_token.is_some() || query.page_size.is_some() {
        return None;
    }
    let tool = ctx.sk.cache.tool(name, query.provider.as_deref())?;
    Some(ToolPage { tools: vec![tool], next_page_token: String::new(), total_size: 1 })
}

/// Asks Scalekit; a provider's whole listing is remembered for the schemas the next steps read.
fn fetch(ctx: &Context, query: &ToolQuery) -> Result<ToolPage, Failure> {
    let page = tools::list(&ctx.sk, query)?;
    let whole_listing = query.names.is_empty() && query.page_token.is_none();
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
    #[serde(skip_serializing_if = "str::is_empty")]
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

/// Lists tools by provider and/or names; one `--tool-name` also returns `tool`.
fn list(ctx: &Context, query: ToolQuery, summary: bool) -> Result<Success, Failure> {
    let page = match remembered(ctx, &query) {
        Some(page) => page,
        None => fetch(ctx, &query)?,
    };
    let missing: Vec<&str> =
        query.names.iter().map(String::as_str).filter(|n| !page.tools.iter().any(|t| t.name == *n)).collect();
    if !missing.is_empty() {
        let failure = not_found(&missing, query.provider.as_deref()).with("tools", &page.tools);
        return Err(match missing.as_slice() {
            [only] if query.names.len() == 1 => with_lookalike(&ctx.sk, failure, only),
            _ => failure,
        });
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
    Ok(success
        .with("tools", entries(page.tools.iter(), summary))
        .with("next_page_token", &page.next_page_token)
        .with("total_size", page.total_size))
}

/// `tools`: whole, or as compact entries with `--summary`.
fn entries<'t>(tools: impl Iterator<Item = &'t Tool>, summary: bool) -> Value {
    let value = if summary {
        serde_json::to_value(tools.map(Summary::of).collect::<Vec<_>>())
    } else {
        serde_json::to_value(tools.collect::<Vec<_>>())
    };
    value.unwrap_or_default()
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
