//! What each catalogue tool does with its input, against the providers' [`Workspace`]: the answer
//! the provider would give, or the provider's error, which Scalekit reports as `TOOL_ERROR`.
//! The input has already been checked against the tool's schema.

use agent_auth_contract::rfc3339;
use serde_json::{Value, json};

use super::state::{State, ToolFailure};
use super::workspace::NotionPage;

fn fail<T>(code: &'static str, message: impl Into<String>) -> Result<T, ToolFailure> {
    Err(ToolFailure { code, message: message.into() })
}

fn text<'a>(params: &'a Value, key: &str) -> &'a str {
    params.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn count(params: &Value, key: &str, default: u64) -> usize {
    params.get(key).and_then(Value::as_u64).unwrap_or(default) as usize
}

/// Lower-case words of at least two characters.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| w.len() > 1).map(str::to_lowercase).collect()
}

fn notion_url(page: &NotionPage) -> String {
    let slug: String = page
        .title
        .split_whitespace()
        .map(|w| w.replace(|c: char| !c.is_alphanumeric(), ""))
        .collect::<Vec<_>>()
        .join("-");
    format!("https://www.notion.so/{slug}-{}", page.id.replace('-', ""))
}

pub fn notion_page_get(state: &mut State, identifier: &str, params: &Value) -> Result<Value, ToolFailure> {
    let id = text(params, "page_id");
    let Some(page) = state.workspace.notion_page(id, identifier) else {
        return fail(
            "object_not_found",
            format!(
                "Could not find page with ID: {id}. Make sure the relevant pages and databases are shared with your integration."
            ),
        );
    };
    let parent = match &page.parent {
        Some(id) => json!({"type": "page_id", "page_id": id}),
        None => json!({"type": "workspace", "workspace": true}),
    };
    Ok(json!({
        "object": "page", "id": page.id, "url": notion_url(page), "parent": parent,
        "properties": {"title": {"type": "title", "title": [{"plain_text": page.title}]}},
        "last_edited_time": page.last_edited_time,
    }))
}

/// `notion_page_search`: see [`search_pages`].
pub fn notion_page_search(state: &mut State, identifier: &str, params: &Value) -> Result<Value, ToolFailure> {
    search_pages(state, identifier, params)
}

/// The pages `identifier` can see whose titles hold every word of `query`, a page at a time
/// (`page_size`, `start_cursor`), optionally sorted by their last edit (`sort_direction`).
pub(super) fn search_pages(state: &State, identifier: &str, params: &Value) -> Result<Value, ToolFailure> {
    let wanted = words(text(params, "query"));
    let mut found: Vec<&NotionPage> = state
        .workspace
        .notion_pages
        .iter()
        .filter(|p| p.owner.as_deref().is_none_or(|o| o == identifier))
        .filter(|p| {
            let title = words(&p.title);
            wanted.iter().all(|w| title.contains(w))
        })
        .collect();
    if let Some(direction) = params.get("sort_direction").and_then(Value::as_str) {
        found.sort_by(|a, b| a.last_edited_time.cmp(&b.last_edited_time));
        if direction == "descending" {
            found.reverse();
        }
    }
    let start = match params.get("start_cursor").and_then(Value::as_str) {
        None => 0,
        Some(cursor) => match found.iter().position(|p| p.id == cursor) {
            Some(at) => at,
            None => return fail("validation_error", format!("start_cursor {cursor} is not a cursor of this search.")),
        },
    };
    let size = count(params, "page_size", 100);
    let page: Vec<Value> =
        found[start..].iter().take(size).map(|p| json!({"object": "page", "id": p.id, "title": p.title})).collect();
    let next = found.get(start + size).map(|p| p.id.clone());
    Ok(json!({"results": page, "has_more": next.is_some(), "next_cursor": next}))
}

pub fn notion_page_create(state: &mut State, identifier: &str, params: &Value) -> Result<Value, ToolFailure> {
    let parent = text(params, "parent_page_id");
    let Some(parent) = state.workspace.notion_page(parent, identifier).map(|p| p.id.clone()) else {
        return fail("object_not_found", format!("Could not find page with ID: {parent}."));
    };
    let id = state.uuid();
    let paragraphs = params.get("paragraphs").and_then(Value::as_array).into_iter().flatten();
    let page = NotionPage {
        id,
        title: text(params, "title").to_owned(),
        parent: Some(parent),
        paragraphs: paragraphs.filter_map(Value::as_str).map(str::to_owned).collect(),
        last_edited_time: rfc3339::format_system_time(std::time::SystemTime::now()),
        owner: Some(identifier.to_owned()),
    };
    let created = json!({"object": "page", "id": page.id, "url": notion_url(&page)});
    state.workspace.notion_pages.push(page);
    Ok(created)
}

pub fn notion_user_list(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    let users = &state.workspace.notion_users;
    let size = count(params, "page_size", 100);
    let results: Vec<Value> = users
        .iter()
        .take(size)
        .map(|(id, name)| json!({"object": "user", "id": id, "name": name, "type": "person"}))
        .collect();
    Ok(json!({"results": results, "has_more": users.len() > size}))
}

pub fn slack_list_channels(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    // Every channel of the workspace is public.
    let types = params.get("types").and_then(Value::as_array);
    let public = types.is_none_or(|t| t.iter().any(|v| v == "public_channel"));
    let channels: Vec<Value> = state
        .workspace
        .slack_channels
        .iter()
        .filter(|_| public)
        .take(count(params, "limit", 100))
        .map(|c| json!({"id": c.id, "name": c.name}))
        .collect();
    Ok(json!({"channels": channels}))
}

pub fn slack_send_message(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    let wanted = text(params, "channel").trim_start_matches('#');
    let text = text(params, "text");
    if text.trim().is_empty() {
        return fail("no_text", "Slack API error: no_text");
    }
    let Some(channel) = state.workspace.slack_channels.iter_mut().find(|c| c.id == wanted || c.name == wanted) else {
        return fail("channel_not_found", "Slack API error: channel_not_found");
    };
    let ts = format!("1763712000.{:06}", 100 + channel.messages.len());
    channel.messages.push((ts.clone(), text.to_owned()));
    Ok(json!({"ok": true, "channel": channel.id, "ts": ts, "message": {"text": text}}))
}

pub fn gmail_fetch_mails(state: &mut State, identifier: &str, params: &Value) -> Result<Value, ToolFailure> {
    let query = text(params, "query").to_lowercase();
    let matches = |m: &&super::workspace::Mail| {
        query.split_whitespace().all(|term| match term.split_once(':') {
            Some(("is", "unread")) => m.labels.contains(&"UNREAD"),
            Some(("is", "read")) => !m.labels.contains(&"UNREAD"),
            Some(("in", place)) => m.labels.iter().any(|l| l.eq_ignore_ascii_case(place)),
            Some(("from", who)) => m.from.to_lowercase().contains(who),
            Some(("to", who)) => m.to.iter().any(|t| t.to_lowercase().contains(who)),
            Some(("subject", word)) => m.subject.to_lowercase().contains(word),
            _ => format!("{} {} {}", m.from, m.subject, m.snippet).to_lowercase().contains(term),
        })
    };
    let found: Vec<Value> = state
        .workspace
        .mails
        .iter()
        .filter(|m| m.owner.as_deref().is_none_or(|o| o == identifier))
        .filter(matches)
        .take(count(params, "max_results", 100))
        .map(|m| json!({"id": m.id, "subject": m.subject, "from": m.from, "snippet": m.snippet, "labelIds": m.labels}))
        .collect();
    Ok(json!({"resultSizeEstimate": found.len(), "messages": found}))
}

pub fn gmail_send_message(state: &mut State, identifier: &str, params: &Value) -> Result<Value, ToolFailure> {
    let to: Vec<String> =
        params["to"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    if to.is_empty() {
        return fail("invalidArgument", "Recipient address required");
    }
    if let Some(bad) = to.iter().find(|a| !a.contains('@') || a.starts_with('@') || a.ends_with('@')) {
        return fail("invalidArgument", format!("Invalid To header: {bad}"));
    }
    let id = format!("18c2f0a1b2c3{:04x}", 0xd500 + state.workspace.mails.len());
    let from = if identifier.contains('@') { identifier.to_owned() } else { format!("{identifier}@example.com") };
    let snippet: String = text(params, "body").chars().take(100).collect();
    state.workspace.mails.push(super::workspace::Mail {
        id: id.clone(),
        from,
        to,
        subject: text(params, "subject").to_owned(),
        snippet,
        labels: vec!["SENT"],
        owner: Some(identifier.to_owned()),
    });
    Ok(json!({"id": id, "threadId": id, "labelIds": ["SENT"]}))
}

pub fn github_branches_list(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    let full = format!("{}/{}", text(params, "owner"), text(params, "repo"));
    match state.workspace.repositories.iter().find(|(name, _)| name.eq_ignore_ascii_case(&full)) {
        Some((_, branches)) => {
            Ok(branches.iter().map(|(name, protected)| json!({"name": name, "protected": protected})).collect())
        }
        None => fail("NOT_FOUND", format!("GitHub API error: Not Found ({full})")),
    }
}

/// People per page of `harvestapi_search_people`.
const PEOPLE_PAGE: usize = 10;

pub fn harvestapi_search_people(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    let wanted = words(text(params, "search"));
    let location = text(params, "location").to_lowercase();
    let found: Vec<&super::workspace::Profile> = state
        .workspace
        .profiles
        .iter()
        .filter(|p| {
            let said = words(&format!("{} {}", p.name, p.headline));
            wanted.iter().all(|w| said.contains(w))
        })
        .filter(|p| p.location.to_lowercase().contains(&location))
        .collect();
    let page = count(params, "page", 1).max(1);
    let elements: Vec<Value> = found
        .iter()
        .skip((page - 1) * PEOPLE_PAGE)
        .take(PEOPLE_PAGE)
        .map(|p| json!({"name": p.name, "headline": p.headline, "location": p.location, "linkedinUrl": p.url}))
        .collect();
    Ok(
        json!({"elements": elements, "pagination": {"pageNumber": page, "totalPages": found.len().div_ceil(PEOPLE_PAGE).max(1), "totalElements": found.len()}}),
    )
}

pub fn exa_search(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    let wanted = words(text(params, "query"));
    let domains: Vec<&str> =
        params["include_domains"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let mut scored: Vec<(f64, &super::workspace::WebPage)> = state
        .workspace
        .web
        .iter()
        .filter(|w| {
            let host = w.url.split('/').nth(2).unwrap_or_default();
            domains.is_empty() || domains.iter().any(|d| host == *d || host.ends_with(&format!(".{d}")))
        })
        .map(|w| {
            let said = format!("{} {}", w.title, w.text).to_lowercase();
            let hits = wanted.iter().filter(|q| said.contains(q.as_str())).count();
            (hits as f64 / wanted.len().max(1) as f64, w)
        })
        .filter(|(score, _)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let results: Vec<Value> = scored
        .iter()
        .take(count(params, "num_results", 10))
        .map(|(score, w)| json!({"title": w.title, "url": w.url, "score": (score * 100.0).round() / 100.0}))
        .collect();
    Ok(json!({"results": results}))
}

pub fn linear_issue_create(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    let team = text(params, "team_id");
    let Some((team_id, key)) =
        state.workspace.linear_teams.iter().find(|(id, key)| id == team || key.eq_ignore_ascii_case(team)).cloned()
    else {
        return fail("NOT_FOUND", "Entity not found: Team");
    };
    let earlier = state.workspace.linear_issues.iter().filter(|(_, team, _)| *team == team_id).count();
    let identifier = format!("{key}-{}", 1042 + earlier);
    let title = text(params, "title").to_owned();
    state.workspace.linear_issues.push((identifier.clone(), team_id, title.clone()));
    Ok(
        json!({"issue": {"id": identifier, "title": title, "priority": params.get("priority").cloned().unwrap_or(json!(0)), "url": format!("https://linear.app/acme/issue/{identifier}")}}),
    )
}

pub fn googlecalendar_list_events(state: &mut State, _: &str, params: &Value) -> Result<Value, ToolFailure> {
    let calendar = text(params, "calendar_id");
    if calendar != "primary" && !state.workspace.events.iter().any(|e| e.calendar == calendar) {
        return fail("notFound", format!("Calendar not found: {calendar}"));
    }
    let from = match params.get("time_min").and_then(Value::as_str) {
        Some(t) => Some(rfc3339::parse(t).ok_or_else(|| ToolFailure {
            code: "badRequest",
            message: format!("Bad Request: time_min {t} is not an RFC 3339 time"),
        })?),
        None => None,
    };
    let mut events: Vec<&super::workspace::Event> = state
        .workspace
        .events
        .iter()
        .filter(|e| e.calendar == calendar)
        .filter(|e| from.is_none_or(|from| rfc3339::parse(&e.start).is_some_and(|start| start >= from)))
        .collect();
    events.sort_by(|a, b| a.start.cmp(&b.start));
    let items: Vec<Value> = events
        .iter()
        .take(count(params, "max_results", 250))
        .map(|e| json!({"id": e.id, "summary": e.summary, "start": {"dateTime": e.start}}))
        .collect();
    Ok(json!({"items": items}))
}
