//! The demo catalogue: the providers the skill talks about, connections in every status (two
//! COMPLETED for Notion, a DRAFT one on the first page and the usable one on the second), accounts
//! in every status, a proxy-disabled connection, tools with real-looking schemas (what they do is
//! [`super::toolbox`]), and the providers' [`Workspace`].

use std::time::{Duration, SystemTime};

use agent_auth_contract::rfc3339;
use serde_json::{Map, Value, json};

use super::state::Behaviour;
use super::state::{Account, Auth, Connection, Credentials, McpMapping, State, Tool};
use super::toolbox;
use super::workspace::Workspace;

/// The identifier whose accounts the catalogue seeds.
pub const DEMO_IDENTIFIER: &str = "alice";

struct ConnectionSeed(&'static str, &'static str, &'static str, &'static str, bool);

const CONNECTIONS: &[ConnectionSeed] = &[
    ConnectionSeed("notion-draft01", "NOTION", "OAUTH", "DRAFT", true),
    ConnectionSeed("slack-main", "SLACK", "OAUTH", "COMPLETED", true),
    ConnectionSeed("gmail", "GMAIL", "OAUTH", "COMPLETED", true),
    ConnectionSeed("github-connect", "GITHUB", "OAUTH", "COMPLETED", true),
    ConnectionSeed("harvestapi-7Qx2", "HARVESTAPI", "API_KEY", "COMPLETED", true),
    ConnectionSeed("exa", "EXA", "API_KEY", "COMPLETED", true),
    ConnectionSeed("linear", "LINEAR", "OAUTH", "COMPLETED", false),
    ConnectionSeed("datadog", "DATADOG", "API_KEY", "IN_PROGRESS", true),
    ConnectionSeed("googlecalendar", "GOOGLE", "OAUTH", "COMPLETED", true),
    ConnectionSeed("twitter-bearer", "TWITTER", "BEARER", "COMPLETED", true),
];

/// Filler providers so that the listing spans two pages of 30.
const FILLER: &[&str] = &[
    "HUBSPOT",
    "SALESFORCE",
    "JIRA",
    "CONFLUENCE",
    "OUTLOOK",
    "MICROSOFTTEAMS",
    "ZOOM",
    "ASANA",
    "AIRTABLE",
    "SNOWFLAKE",
    "DROPBOX",
    "BOX",
    "ZENDESK",
    "INTERCOM",
    "FIGMA",
    "TRELLO",
    "MONDAY",
    "CLICKUP",
    "SHOPIFY",
    "STRIPE",
    "TWILIO",
];

const LATE_CONNECTIONS: &[ConnectionSeed] = &[
    ConnectionSeed("notion-ijIQedmJ", "NOTION", "OAUTH", "COMPLETED", true),
    ConnectionSeed("notion-team", "NOTION", "OAUTH", "COMPLETED", true),
];

fn tool(provider: &str, name: &str, description: &str, input_schema: Value, behaviour: Behaviour) -> Tool {
    Tool {
        id: String::new(),
        provider: provider.into(),
        name: name.into(),
        description: description.into(),
        input_schema,
        behaviour,
    }
}

fn tools() -> Vec<Tool> {
    vec![
        tool(
            "NOTION",
            "notion_page_get",
            "Retrieve a Notion page's properties by its id.",
            json!({"type": "object", "properties": {"page_id": {"type": "string", "description": "The page id (32 hex characters, dashes optional)."}}, "required": ["page_id"], "additionalProperties": false}),
            toolbox::notion_page_get,
        ),
        tool(
            "NOTION",
            "notion_page_search",
            "Search pages and databases the integration can access.",
            json!({"type": "object", "properties": {
                "query": {"type": "string", "description": "Text to search for in titles."},
                "page_size": {"type": "integer", "minimum": 1, "maximum": 100},
                "sort_direction": {"type": "string", "enum": ["ascending", "descending"]},
                "start_cursor": {"type": "string"}}, "additionalProperties": false}),
            toolbox::notion_page_search,
        ),
        tool(
            "NOTION",
            "notion_page_create",
            "Create a page under a parent page.",
            json!({"type": "object", "properties": {
                "parent_page_id": {"type": "string"}, "title": {"type": "string"},
                "paragraphs": {"type": "array", "items": {"type": "string"}}}, "required": ["parent_page_id", "title"], "additionalProperties": false}),
            toolbox::notion_page_create,
        ),
        tool(
            "NOTION",
            "notion_user_list",
            "List the users of the workspace.",
            json!({"type": "object", "properties": {"page_size": {"type": "integer", "minimum": 1, "maximum": 100}}}),
            toolbox::notion_user_list,
        ),
        tool(
            "SLACK",
            "slack_list_channels",
            "List the channels of the workspace.",
            json!({"type": "object", "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                "types": {"type": "array", "items": {"type": "string", "enum": ["public_channel", "private_channel", "im", "mpim"]}}}}),
            toolbox::slack_list_channels,
        ),
        tool(
            "SLACK",
            "slack_send_message",
            "Post a message to a channel.",
            json!({"type": "object", "properties": {"channel": {"type": "string"}, "text": {"type": "string"}}, "required": ["channel", "text"]}),
            toolbox::slack_send_message,
        ),
        tool(
            "GMAIL",
            "gmail_fetch_mails",
            "Fetch emails matching a Gmail search query.",
            json!({"type": "object", "properties": {"query": {"type": "string"}, "max_results": {"type": "integer", "minimum": 1, "maximum": 500}}}),
            toolbox::gmail_fetch_mails,
        ),
        tool(
            "GMAIL",
            "gmail_send_message",
            "Send an email.",
            json!({"type": "object", "properties": {"to": {"type": "array", "items": {"type": "string"}}, "subject": {"type": "string"}, "body": {"type": "string"}}, "required": ["to", "subject", "body"]}),
            toolbox::gmail_send_message,
        ),
        tool(
            "GITHUB",
            "github_branches_list",
            "List the branches of a repository.",
            json!({"type": "object", "properties": {"owner": {"type": "string"}, "repo": {"type": "string"}}, "required": ["owner", "repo"]}),
            toolbox::github_branches_list,
        ),
        tool(
            "HARVESTAPI",
            "harvestapi_search_people",
            "Search LinkedIn profiles.",
            json!({"type": "object", "properties": {"search": {"type": "string"}, "location": {"type": "string"}, "page": {"type": "integer", "minimum": 1}}, "required": ["search"]}),
            toolbox::harvestapi_search_people,
        ),
        tool(
            "EXA",
            "exa_search",
            "Search the web with Exa.",
            json!({"type": "object", "properties": {"query": {"type": "string"}, "num_results": {"type": "integer", "minimum": 1, "maximum": 100},
                "include_domains": {"type": "array", "items": {"type": "string"}}}, "required": ["query"]}),
            toolbox::exa_search,
        ),
        tool(
            "LINEAR",
            "linear_issue_create",
            "Create an issue in a team.",
            json!({"type": "object", "properties": {"team_id": {"type": "string"}, "title": {"type": "string"}, "priority": {"type": "integer", "minimum": 0, "maximum": 4}}, "required": ["team_id", "title"]}),
            toolbox::linear_issue_create,
        ),
        tool(
            "GOOGLE",
            "googlecalendar_list_events",
            "List events of a calendar.",
            json!({"type": "object", "properties": {"calendar_id": {"type": "string"}, "time_min": {"type": "string"}, "max_results": {"type": "integer"}}, "required": ["calendar_id"]}),
            toolbox::googlecalendar_list_events,
        ),
    ]
}

fn oauth(token: &str) -> Auth {
    Auth::OAuthTokens {
        access_token: format!("ya29.virtual-{token}-access"),
        refresh_token: format!("1//virtual-{token}-refresh"),
        scopes: vec!["read".into(), "write".into()],
    }
}

fn api_key(key: &str) -> Auth {
    let mut fields = Map::new();
    fields.insert("api_key".into(), Value::String(key.into()));
    Auth::Static(fields)
}

/// The seeded environment.
pub fn seeded(base_url: &str, credentials: Option<Credentials>) -> State {
    let now = SystemTime::now();
    let created = "2026-03-10T09:00:00Z".to_owned();
    let mut state = State {
        base_url: base_url.trim_end_matches('/').to_owned(),
        credentials,
        issued_tokens: Vec::new(),
        revoked_tokens: 0,
        requests: Vec::new(),
        connections: Vec::new(),
        accounts: Vec::new(),
        tools: Vec::new(),
        links: Vec::new(),
        link_lifetime: Duration::from_secs(600),
        custom_verification: false,
        auth_requests: Vec::new(),
        mcp_configs: Vec::new(),
        mcp_instances: Vec::new(),
        mcp_session_tokens: Vec::new(),
        notion_uploads: Vec::new(),
        notion_blocks: Vec::new(),
        workspace: Workspace::seeded(),
        counter: 0,
    };
    let seeds = CONNECTIONS.iter().map(|c| (c.0.to_owned(), c.1, c.2, c.3, c.4));
    let fillers = FILLER.iter().map(|p| (p.to_lowercase(), *p, "OAUTH", "COMPLETED", true));
    let late = LATE_CONNECTIONS.iter().map(|c| (c.0.to_owned(), c.1, c.2, c.3, c.4));
    for (key_id, provider_key, kind, status, proxy_enabled) in seeds.chain(fillers).chain(late).collect::<Vec<_>>() {
        let id = state.next_id("conn");
        state.connections.push(Connection {
            id,
            key_id,
            provider_key: provider_key.into(),
            kind,
            status,
            proxy_enabled,
            created_at: created.clone(),
        });
    }
    let expires = rfc3339::format_system_time(now + Duration::from_secs(3600));
    let accounts: [(&str, &'static str, &'static str, Auth); 8] = [
        ("notion-ijIQedmJ", "ACTIVE", "OAUTH", oauth("notion")),
        ("slack-main", "ACTIVE", "OAUTH", oauth("slack")),
        ("gmail", "PENDING_AUTH", "OAUTH", Auth::None),
        ("github-connect", "EXPIRED", "OAUTH", oauth("github")),
        ("exa", "ACTIVE", "API_KEY", api_key("exa-virtual-api-key-3f9a")),
        ("harvestapi-7Qx2", "ACTIVE", "API_KEY", api_key("harvest-virtual-api-key-77c1")),
        ("googlecalendar", "ACTIVE", "OAUTH", oauth("google")),
        ("twitter-bearer", "EXPIRED", "BEARER", api_key("twitter-virtual-api-key-5e21")),
    ];
    for (connector, status, authorization_type, auth) in accounts {
        let connection = state.connection(connector).cloned().expect("seeded connection");
        let id = state.next_id("ca");
        state.accounts.push(Account {
            id,
            connector: connector.into(),
            identifier: DEMO_IDENTIFIER.into(),
            provider: connection.provider_key.to_lowercase(),
            connection_id: connection.id,
            status,
            authorization_type,
            token_expires_at: matches!(auth, Auth::OAuthTokens { .. }).then(|| expires.clone()),
            updated_at: created.clone(),
            auth,
            provider_refuses: false,
        });
    }
    for mut t in tools() {
        t.id = state.next_id("tol");
        state.tools.push(t);
    }
    let mappings = [("gmail", "gmail_fetch_mails"), ("slack-main", "slack_send_message")]
        .iter()
        .filter_map(|(name, tool)| {
            let c = state.connection(name)?;
            Some(McpMapping {
                connection_id: c.id.clone(),
                connection_name: (*name).into(),
                provider: c.provider_key.clone(),
                tools: vec![(*tool).into()],
            })
        })
        .collect();
    let config = super::mcp_configs::new_config(
        &mut state,
        "inbox-summary",
        "Reads the inbox and posts a summary to Slack.",
        mappings,
    );
    state.mcp_configs.push(config);
    state
}
