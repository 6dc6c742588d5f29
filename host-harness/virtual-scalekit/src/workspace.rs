//! What the providers behind the virtual Scalekit hold: Notion pages, Slack channels, mailboxes,
//! repositories, people, web pages, Linear teams and calendars. The catalogue's tools
//! ([`super::toolbox`]) and the proxy's Notion routes read and change it.

/// A Notion page.
#[derive(Debug, Clone)]
pub struct NotionPage {
    /// A UUID with dashes.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The page it sits under, if any.
    pub parent: Option<String>,
    /// Paragraphs of text.
    pub paragraphs: Vec<String>,
    /// RFC 3339 time of the last edit.
    pub last_edited_time: String,
    /// The identifier that created it; `None`: the seeded workspace, which every account sees.
    pub owner: Option<String>,
}

/// A Slack channel and what was posted to it.
#[derive(Debug, Clone)]
pub struct SlackChannel {
    /// `C...`
    pub id: String,
    /// Without the `#`.
    pub name: String,
    /// Posted messages: (ts, text).
    pub messages: Vec<(String, String)>,
}

/// A mail in the mailbox.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Gmail's message id.
    pub id: String,
    /// Sender.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject line.
    pub subject: String,
    /// The first words of the body.
    pub snippet: String,
    /// Gmail's labels (`INBOX`, `UNREAD`, `SENT`).
    pub labels: Vec<&'static str>,
    /// The identifier that sent it; `None`: the seeded inbox, which every account sees.
    pub owner: Option<String>,
}

/// A LinkedIn profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Full name.
    pub name: String,
    /// Headline.
    pub headline: String,
    /// City.
    pub location: String,
    /// Public profile URL.
    pub url: String,
}

/// A web page Exa can find.
#[derive(Debug, Clone)]
pub struct WebPage {
    /// Title.
    pub title: String,
    /// URL.
    pub url: String,
    /// Text Exa indexes.
    pub text: String,
}

/// A calendar event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Event id.
    pub id: String,
    /// The calendar it is in.
    pub calendar: String,
    /// Title.
    pub summary: String,
    /// RFC 3339 start.
    pub start: String,
}

/// Everything the virtual providers hold.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Notion pages.
    pub notion_pages: Vec<NotionPage>,
    /// Notion's workspace users: (id, name).
    pub notion_users: Vec<(String, String)>,
    /// Slack channels.
    pub slack_channels: Vec<SlackChannel>,
    /// The Gmail mailbox.
    pub mails: Vec<Mail>,
    /// GitHub repositories (`owner/repo`) and their branches (name, protected).
    pub repositories: Vec<(String, Vec<(String, bool)>)>,
    /// People HarvestAPI finds.
    pub profiles: Vec<Profile>,
    /// Pages Exa finds.
    pub web: Vec<WebPage>,
    /// Linear teams: (id, key).
    pub linear_teams: Vec<(String, String)>,
    /// Linear issues created: (identifier, team id, title).
    pub linear_issues: Vec<(String, String, String)>,
    /// Calendar events.
    pub events: Vec<Event>,
}

fn page(id: &str, title: &str, paragraphs: &[&str], edited: &str) -> NotionPage {
    NotionPage {
        id: id.into(),
        title: title.into(),
        parent: None,
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        last_edited_time: edited.into(),
        owner: None,
    }
}

fn mail(id: &str, from: &str, subject: &str, snippet: &str, labels: &[&'static str]) -> Mail {
    Mail {
        id: id.into(),
        from: from.into(),
        to: vec!["alice@example.com".into()],
        subject: subject.into(),
        snippet: snippet.into(),
        labels: labels.to_vec(),
        owner: None,
    }
}

fn profile(name: &str, headline: &str, location: &str, slug: &str) -> Profile {
    Profile {
        name: name.into(),
        headline: headline.into(),
        location: location.into(),
        url: format!("https://www.linkedin.com/in/{slug}"),
    }
}

fn web(title: &str, url: &str, text: &str) -> WebPage {
    WebPage { title: title.into(), url: url.into(), text: text.into() }
}

impl Workspace {
    /// The demo workspace.
    pub fn seeded() -> Workspace {
        Workspace {
            notion_pages: vec![
                page(
                    "59833787-2cf9-4fdf-8782-e53db20768a5",
                    "Q3 roadmap",
                    &["Ship agent-auth 1.0.", "MCP server for every client."],
                    "2026-11-20T16:02:00.000Z",
                ),
                page(
                    "1f0b3c55-9a2e-4c1d-8e7f-3a9b2c4d5e6f",
                    "Hiring plan",
                    &["Two engineers in Berlin."],
                    "2026-11-18T09:30:00.000Z",
                ),
                page(
                    "3c9e1d7a-5b2f-4e8a-9c1d-2f4a6b8c0e13",
                    "Alice's notes",
                    &["Ask about the Q3 roadmap."],
                    "2026-11-19T11:15:00.000Z",
                ),
            ],
            notion_users: vec![("u_1".into(), "Alice Example".into()), ("u_2".into(), "Jordan Lee".into())],
            slack_channels: vec![
                SlackChannel { id: "C024BE91L".into(), name: "general".into(), messages: Vec::new() },
                SlackChannel { id: "C024BE92M".into(), name: "eng".into(), messages: Vec::new() },
            ],
            mails: vec![
                mail(
                    "18c2f0a1b2c3d4e5",
                    "cfo@example.com",
                    "Quarterly numbers",
                    "The Q3 numbers are in the attached sheet.",
                    &["INBOX", "UNREAD"],
                ),
                mail(
                    "18c2f0a1b2c3d4e6",
                    "jordan@example.com",
                    "Design review moved",
                    "The design review is now on Monday at 15:00.",
                    &["INBOX", "UNREAD"],
                ),
                mail(
                    "18c2f0a1b2c3d4e7",
                    "newsletter@example.com",
                    "This week in WebAssembly",
                    "Components, WASI 0.2 and more.",
                    &["INBOX"],
                ),
            ],
            repositories: vec![("acme/agent-auth".into(), vec![("main".into(), true), ("release-1.4".into(), false)])],
            profiles: vec![
                profile("Jordan Lee", "Staff Engineer at Example", "Berlin", "jordanlee"),
                profile("Sam Okafor", "Staff Engineer, Platform at Acme", "Berlin", "samokafor"),
                profile("Mia Chen", "Senior Product Designer", "Berlin", "miachen"),
                profile("Lukas Weber", "Staff Engineer at Northwind", "Munich", "lukasweber"),
            ],
            web: vec![
                web(
                    "WebAssembly Component Model",
                    "https://component-model.bytecodealliance.org/",
                    "The WebAssembly component model: components, WIT interfaces and worlds.",
                ),
                web(
                    "WASI 0.2 is out",
                    "https://bytecodealliance.org/articles/WASI-0.2",
                    "WASI 0.2 brings components, wasi:http and wasi:cli to WebAssembly.",
                ),
                web(
                    "wasmtime",
                    "https://wasmtime.dev/",
                    "A fast and secure runtime for WebAssembly and its component model.",
                ),
                web(
                    "Model Context Protocol",
                    "https://modelcontextprotocol.io/",
                    "An open protocol that connects AI agents to tools and data.",
                ),
            ],
            linear_teams: vec![("team_eng".into(), "ENG".into())],
            linear_issues: Vec::new(),
            events: vec![
                Event {
                    id: "evt_1".into(),
                    calendar: "primary".into(),
                    summary: "Design review".into(),
                    start: "2026-11-24T15:00:00Z".into(),
                },
                Event {
                    id: "evt_2".into(),
                    calendar: "primary".into(),
                    summary: "Q3 planning".into(),
                    start: "2026-12-03T10:00:00Z".into(),
                },
            ],
        }
    }

    /// The Notion page `id` (dashes optional) that `owner` can see.
    pub fn notion_page(&self, id: &str, owner: &str) -> Option<&NotionPage> {
        let bare = |s: &str| s.replace('-', "").to_ascii_lowercase();
        self.notion_pages.iter().find(|p| bare(&p.id) == bare(id) && p.owner.as_deref().is_none_or(|o| o == owner))
    }
}
