//! How well a tool matches a free-text request (`--get-tool --query`): each word of the request is
//! looked for in the tool's name, provider, parameter names and description, weighted by where it
//! is found and by how rare it is among the tools searched, so that "search linkedin people" puts
//! the people search first even when no tool's text holds those words side by side.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::scalekit::tools::Tool;

/// Words that say nothing about which tool is meant.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "any", "by", "for", "from", "i", "in", "into", "is", "it", "me", "my", "of", "on", "or", "the",
    "to", "with",
];

/// Words that mean the same to someone asking for a tool; a match through one counts [`SYNONYM`].
const SYNONYMS: &[&[&str]] = &[
    &["get", "read", "retrieve", "fetch", "show", "view", "open"],
    &["search", "find", "query", "lookup", "look"],
    &["list", "all", "enumerate"],
    &["create", "add", "new", "make", "insert", "write"],
    &["send", "post", "write"],
    &["update", "edit", "change", "modify", "set"],
    &["delete", "remove", "erase"],
    &["email", "mail", "mails", "emails"],
    &["message", "messages", "msg"],
    &["people", "person", "profile", "profiles", "user", "users", "contact", "contacts"],
    &["page", "doc", "document", "note"],
];

/// The weight of a match in each place a word can be found, strongest first.
const NAME: f64 = 3.0;
const PROVIDER: f64 = 2.0;
const PARAMETER: f64 = 1.5;
const DESCRIPTION: f64 = 1.0;
/// A word matched only as a prefix (`page` in `pages`, `send` in `sending`) counts this much.
const PREFIX: f64 = 0.7;
/// The shortest word that matches as a prefix.
const PREFIX_MIN: usize = 4;
/// A word matched only through a synonym counts this much.
const SYNONYM: f64 = 0.6;

/// The lower-case words of `text`: runs of letters and digits (`notion_page_get` is three).
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// A tool's words, by where they were found.
struct Fields {
    name: BTreeSet<String>,
    provider: BTreeSet<String>,
    parameters: BTreeSet<String>,
    description: BTreeSet<String>,
}

impl Fields {
    fn of(tool: &Tool) -> Fields {
        let properties = tool.input_schema.get("properties").and_then(Value::as_object);
        Fields {
            name: words(&tool.name).collect(),
            provider: words(&tool.provider).collect(),
            parameters: properties.into_iter().flat_map(|p| p.keys()).flat_map(|k| words(k)).collect(),
            description: words(&tool.description).collect(),
        }
    }

    /// How strongly `term` matches: the best place it is found.
    fn weight(&self, term: &Term) -> f64 {
        let places = [(&self.name, NAME), (&self.provider, PROVIDER), (&self.parameters, PARAMETER)];
        let places = places.into_iter().chain([(&self.description, DESCRIPTION)]);
        places
            .map(|(words, weight)| weight * words.iter().map(|w| term.closeness(w)).fold(0.0, f64::max))
            .fold(0.0, f64::max)
    }

    /// The share of the name's words that some term matches: all of `notion_page_get` for
    /// "get notion page", three quarters of `notion_page_content_get`.
    fn name_covered(&self, terms: &[Term]) -> f64 {
        let covered = self.name.iter().filter(|word| terms.iter().any(|t| t.closeness(word) > 0.0)).count();
        covered as f64 / self.name.len().max(1) as f64
    }
}

/// A word of the query, with the words that stand for it and how much each counts.
struct Term {
    alternatives: Vec<(&'static str, f64)>,
    word: String,
}

impl Term {
    fn new(word: String) -> Term {
        let groups = SYNONYMS.iter().filter(|group| group.contains(&word.as_str()));
        let alternatives = groups.flat_map(|group| group.iter()).filter(|s| **s != word).map(|s| (*s, SYNONYM));
        Term { alternatives: alternatives.collect(), word }
    }

    /// How well it matches `word`: 1 for the same word, [`PREFIX`] when one begins the other,
    /// and [`SYNONYM`] times that through a synonym.
    fn closeness(&self, word: &str) -> f64 {
        let prefix = |short: &str, long: &str| short.chars().count() >= PREFIX_MIN && long.starts_with(short);
        let direct = |t: &str| match () {
            _ if word == t => 1.0,
            _ if prefix(t, word) || prefix(word, t) => PREFIX,
            _ => 0.0,
        };
        self.alternatives.iter().map(|(s, factor)| factor * direct(s)).fold(direct(&self.word), f64::max)
    }
}

/// The tools that match `query`, best first: each word scores its best place times its rarity,
/// and a tool matching fewer of the words is scaled down in proportion; among equals, the tool
/// whose name the words cover most, then by name.
pub fn rank<'t>(query: &str, tools: &'t [Tool]) -> Vec<&'t Tool> {
    let mut words_meant: Vec<String> = words(query).filter(|w| !STOP_WORDS.contains(&w.as_str())).collect();
    if words_meant.is_empty() {
        words_meant = words(query).collect();
    }
    let mut seen = BTreeSet::new();
    words_meant.retain(|t| seen.insert(t.clone()));
    let terms: Vec<Term> = words_meant.into_iter().map(Term::new).collect();
    let fields: Vec<Fields> = tools.iter().map(Fields::of).collect();
    let count = tools.len() as f64;
    let rarity: Vec<f64> = terms
        .iter()
        .map(|term| {
            let holding = fields.iter().filter(|f| f.weight(term) > 0.0).count() as f64;
            (1.0 + count / holding.max(1.0)).ln()
        })
        .collect();
    let mut scored: Vec<(f64, f64, &Tool)> = tools
        .iter()
        .zip(&fields)
        .filter_map(|(tool, f)| {
            let weights: Vec<f64> = terms.iter().map(|t| f.weight(t)).collect();
            let matched = weights.iter().filter(|w| **w > 0.0).count();
            let sum: f64 = weights.iter().zip(&rarity).map(|(w, r)| w * r).sum();
            let score = sum * matched as f64 / terms.len() as f64;
            (matched > 0).then(|| (score, f.name_covered(&terms), tool))
        })
        .collect();
    scored.sort_by(|(a, a_covered, x), (b, b_covered, y)| {
        b.total_cmp(a).then(b_covered.total_cmp(a_covered)).then_with(|| x.name.cmp(&y.name))
    });
    scored.into_iter().map(|(_, _, tool)| tool).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::rank;
    use crate::scalekit::tools::Tool;

    fn tool(name: &str, provider: &str, description: &str, parameters: &[&str]) -> Tool {
        let properties: serde_json::Map<_, _> = parameters.iter().map(|p| (p.to_string(), json!({}))).collect();
        Tool {
            name: name.into(),
            provider: provider.into(),
            description: description.into(),
            input_schema: json!({"type": "object", "properties": properties}),
        }
    }

    fn catalogue() -> Vec<Tool> {
        vec![
            tool("notion_page_get", "NOTION", "Retrieve a Notion page's properties by its id.", &["page_id"]),
            tool("notion_page_search", "NOTION", "Search pages and databases shared with the integration.", &["query"]),
            tool("notion_page_content_get", "NOTION", "Read the blocks of a page.", &["page_id", "start_cursor"]),
            tool("harvestapi_search_people", "HARVESTAPI", "Search LinkedIn profiles of people.", &["keywords"]),
            tool("harvestapi_get_company", "HARVESTAPI", "A LinkedIn company by its URL.", &["url"]),
            tool("exa_search", "EXA", "Search the web with Exa.", &["query", "num_results"]),
            tool("gmail_send_email", "GMAIL", "Send an email from the mailbox.", &["to", "subject", "body"]),
        ]
    }

    fn names(query: &str) -> Vec<String> {
        rank(query, &catalogue()).into_iter().map(|t| t.name.clone()).collect()
    }

    #[test]
    fn words_need_not_stand_side_by_side() {
        assert_eq!(names("search linkedin people")[0], "harvestapi_search_people");
        assert_eq!(names("people on LinkedIn")[0], "harvestapi_search_people");
    }

    #[test]
    fn synonyms_match_and_the_closest_name_wins_a_tie() {
        assert_eq!(names("read a notion page")[..2], ["notion_page_get", "notion_page_content_get"]);
        assert_eq!(names("post an email")[0], "gmail_send_email");
    }

    #[test]
    fn the_name_outweighs_the_description_and_plurals_match() {
        assert_eq!(names("read notion page content")[0], "notion_page_content_get");
        assert_eq!(names("search notion pages")[0], "notion_page_search");
        assert_eq!(names("sending emails")[0], "gmail_send_email");
    }

    #[test]
    fn a_word_found_everywhere_weighs_less_than_a_rare_one() {
        let ranked = names("web search");
        assert_eq!(ranked[0], "exa_search");
        assert!(ranked.len() >= 3, "every search tool matches one word: {ranked:?}");
    }

    #[test]
    fn nothing_matches_nothing_and_stop_words_alone_still_search() {
        assert!(names("weather forecast").is_empty());
        assert_eq!(names("the company"), ["harvestapi_get_company"]);
        assert_eq!(
            names("the"),
            ["exa_search", "gmail_send_email", "notion_page_content_get", "notion_page_search"],
            "only stop words: they are searched"
        );
    }
}
