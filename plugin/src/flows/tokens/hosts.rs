//! `--get-token --for-url`: which provider serves an API host. The table is data: add a row to
//! support another API. The URL is only read, never requested.

/// One row: a host (exact, or `*.example.com` for any subdomain), an optional path prefix, and the
/// Scalekit provider keys that serve it, preferred first.
pub struct HostRule {
    /// `api.notion.com`, or `*.atlassian.net` for every subdomain (not the bare domain).
    pub host: &'static str,
    /// Only paths starting with this (`""`: every path).
    pub path_prefix: &'static str,
    /// Provider keys (`provider_key` of a connection), preferred first.
    pub providers: &'static [&'static str],
}

const fn rule(host: &'static str, path_prefix: &'static str, providers: &'static [&'static str]) -> HostRule {
    HostRule { host, path_prefix, providers }
}

/// The built-in table. The first matching row wins, so specific rows come before wildcards.
pub const TABLE: &[HostRule] = &[
    // Google: Gmail has its own provider key; the other Google APIs live under GOOGLE (or a
    // product key on some environments).
    rule("gmail.googleapis.com", "", &["GMAIL", "GOOGLE"]),
    rule("www.googleapis.com", "/gmail/", &["GMAIL", "GOOGLE"]),
    rule("www.googleapis.com", "/upload/gmail/", &["GMAIL", "GOOGLE"]),
    rule("www.googleapis.com", "/calendar/", &["GOOGLECALENDAR", "GOOGLE"]),
    rule("www.googleapis.com", "/drive/", &["GOOGLEDRIVE", "GOOGLE"]),
    rule("www.googleapis.com", "/upload/drive/", &["GOOGLEDRIVE", "GOOGLE"]),
    rule("www.googleapis.com", "/youtube/", &["YOUTUBE", "GOOGLE"]),
    rule("sheets.googleapis.com", "", &["GOOGLESHEETS", "GOOGLE"]),
    rule("docs.googleapis.com", "", &["GOOGLEDOCS", "GOOGLE"]),
    rule("slides.googleapis.com", "", &["GOOGLESLIDES", "GOOGLE"]),
    rule("forms.googleapis.com", "", &["GOOGLEFORMS", "GOOGLE"]),
    rule("meet.googleapis.com", "", &["GOOGLEMEET", "GOOGLE"]),
    rule("youtube.googleapis.com", "", &["YOUTUBE", "GOOGLE"]),
    rule("*.googleapis.com", "", &["GOOGLE", "GMAIL"]),
    rule("slack.com", "", &["SLACK"]),
    rule("*.slack.com", "", &["SLACK"]),
    rule("api.notion.com", "", &["NOTION"]),
    rule("api.github.com", "", &["GITHUB"]),
    rule("uploads.github.com", "", &["GITHUB"]),
    rule("api.linear.app", "", &["LINEAR"]),
    rule("api.exa.ai", "", &["EXA"]),
    rule("api.hubapi.com", "", &["HUBSPOT"]),
    rule("api.hubspot.com", "", &["HUBSPOT"]),
    rule("graph.microsoft.com", "", &["OUTLOOK", "MICROSOFTTEAMS", "ONEDRIVE", "SHAREPOINT", "MICROSOFT"]),
    rule("*.atlassian.net", "/wiki/", &["CONFLUENCE"]),
    rule("*.atlassian.net", "", &["JIRA", "CONFLUENCE"]),
    rule("api.atlassian.com", "", &["JIRA", "CONFLUENCE"]),
    rule("api.zoom.us", "", &["ZOOM"]),
    rule("app.asana.com", "", &["ASANA"]),
    rule("api.airtable.com", "", &["AIRTABLE"]),
    rule("*.salesforce.com", "", &["SALESFORCE"]),
    rule("*.dropboxapi.com", "", &["DROPBOX"]),
    rule("api.box.com", "", &["BOX"]),
    rule("upload.box.com", "", &["BOX"]),
    rule("*.zendesk.com", "", &["ZENDESK"]),
    rule("api.intercom.io", "", &["INTERCOM"]),
    rule("api.figma.com", "", &["FIGMA"]),
    rule("api.trello.com", "", &["TRELLO"]),
    rule("api.monday.com", "", &["MONDAY"]),
    rule("api.clickup.com", "", &["CLICKUP"]),
    rule("*.myshopify.com", "", &["SHOPIFY"]),
    rule("api.stripe.com", "", &["STRIPE"]),
    rule("api.twilio.com", "", &["TWILIO"]),
    rule("api.twitter.com", "", &["TWITTER"]),
    rule("api.x.com", "", &["TWITTER"]),
    rule("api.linkedin.com", "", &["LINKEDIN"]),
    rule("api.search.brave.com", "", &["BRAVE"]),
    rule("*.datadoghq.com", "", &["DATADOG"]),
    rule("*.datadoghq.eu", "", &["DATADOG"]),
    rule("*.snowflakecomputing.com", "", &["SNOWFLAKE"]),
];

/// The parts of a URL that choose the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiUrl {
    /// Lower-case host, without port or user information.
    pub host: String,
    /// The path, `/` when there is none.
    pub path: String,
}

/// Reads the host and path of `url` (`https://host/path?q`, or `host/path` without a scheme).
pub fn parse(url: &str) -> Option<ApiUrl> {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            rest
        }
        Some(_) => return None,
        None => url,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host_port,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.contains('.')
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with(['.', '-']);
    if !valid {
        return None;
    }
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let path = if tail[..path_end].is_empty() { "/".to_owned() } else { tail[..path_end].to_owned() };
    Some(ApiUrl { host, path })
}

fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(domain) => host.strip_suffix(domain).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => pattern == host,
    }
}

/// The provider keys that serve `url`, preferred first; `None` when the table has no row for it.
pub fn providers_for(url: &ApiUrl) -> Option<&'static [&'static str]> {
    TABLE.iter().find(|r| host_matches(r.host, &url.host) && url.path.starts_with(r.path_prefix)).map(|r| r.providers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn providers(url: &str) -> Option<&'static [&'static str]> {
        providers_for(&parse(url).unwrap())
    }

    #[test]
    fn parses_hosts_and_paths() {
        assert_eq!(
            parse("https://api.notion.com/v1/pages?x=1").unwrap(),
            ApiUrl { host: "api.notion.com".into(), path: "/v1/pages".into() }
        );
        assert_eq!(
            parse("HTTPS://user:pw@API.GitHub.com:443").unwrap(),
            ApiUrl { host: "api.github.com".into(), path: "/".into() }
        );
        assert_eq!(parse("slack.com/api/chat.postMessage").unwrap().host, "slack.com");
        assert_eq!(parse("api.linear.app.").unwrap().host, "api.linear.app");
        assert!(parse("").is_none());
        assert!(parse("https:///v1").is_none());
        assert!(parse("localhost").is_none());
        assert!(parse("://x.com").is_none());
    }

    #[test]
    fn finds_providers() {
        assert_eq!(
            providers("https://gmail.googleapis.com/gmail/v1/users/me/messages"),
            Some(&["GMAIL", "GOOGLE"][..])
        );
        assert_eq!(providers("https://www.googleapis.com/gmail/v1/users/me/profile"), Some(&["GMAIL", "GOOGLE"][..]));
        assert_eq!(
            providers("https://www.googleapis.com/calendar/v3/calendars/primary/events"),
            Some(&["GOOGLECALENDAR", "GOOGLE"][..])
        );
        assert_eq!(providers("https://www.googleapis.com/oauth2/v2/userinfo"), Some(&["GOOGLE", "GMAIL"][..]));
        assert_eq!(providers("https://slack.com/api/conversations.list"), Some(&["SLACK"][..]));
        assert_eq!(providers("https://api.notion.com/v1/search"), Some(&["NOTION"][..]));
        assert_eq!(providers("https://api.github.com/user"), Some(&["GITHUB"][..]));
        assert_eq!(providers("https://api.linear.app/graphql"), Some(&["LINEAR"][..]));
        assert_eq!(providers("https://api.exa.ai/search"), Some(&["EXA"][..]));
        assert_eq!(providers("https://acme.atlassian.net/wiki/rest/api/content"), Some(&["CONFLUENCE"][..]));
        assert_eq!(providers("https://acme.atlassian.net/rest/api/3/issue/X-1"), Some(&["JIRA", "CONFLUENCE"][..]));
        assert_eq!(providers("https://atlassian.net/"), None);
        assert_eq!(providers("https://evilgoogleapis.com/"), None);
        assert_eq!(providers("https://api.example.com/v1"), None);
    }

    #[test]
    fn every_row_is_well_formed() {
        for r in TABLE {
            assert!(!r.providers.is_empty(), "{}", r.host);
            assert!(r.providers.iter().all(|p| p.chars().all(|c| c.is_ascii_uppercase())), "{}", r.host);
            assert!(r.path_prefix.is_empty() || r.path_prefix.starts_with('/'), "{}", r.host);
            assert_eq!(r.host, r.host.to_ascii_lowercase());
        }
    }
}
