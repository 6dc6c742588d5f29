//! The valid name or value a mistyped one was probably meant to be.

use strsim::{jaro_winkler, normalized_damerau_levenshtein};

/// How alike two names must be (0 to 1) to be offered as "did you mean".
const LIKENESS: f64 = 0.7;

/// `page-Id` and `pageId` compare as `page_id`: case and separators are a model's usual slips.
fn folded(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, '_' | '-' | ' ' | '.')).flat_map(char::to_lowercase).collect()
}

/// How alike `a` and `b` are, from 0 to 1; 1 when they differ only in case and separators.
fn likeness(a: &str, b: &str) -> f64 {
    let (a, b) = (folded(a), folded(b));
    if a == b {
        return 1.0;
    }
    normalized_damerau_levenshtein(&a, &b).max(jaro_winkler(&a, &b) - 0.1)
}

/// The candidate most like `given`, when one is alike enough and no other is as alike (two
/// equally good guesses are no suggestion).
pub fn closest<'c>(given: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut scored: Vec<(f64, &str)> =
        candidates.into_iter().map(|c| (likeness(given, c), c)).filter(|(score, _)| *score >= LIKENESS).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    match scored.as_slice() {
        [(best, c), (second, _), ..] if best - second > 1e-9 => Some(c),
        [(_, c)] => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn slips_of_case_separators_and_letters_find_their_name() {
        let names = ["query", "max_results", "page_id"];
        assert_eq!(closest("qurey", names), Some("query"));
        assert_eq!(closest("pageId", names), Some("page_id"));
        assert_eq!(closest("maxResults", names), Some("max_results"));
        assert_eq!(closest("max_result", names), Some("max_results"));
    }

    #[test]
    fn two_equally_good_guesses_are_no_suggestion() {
        assert_eq!(closest("type_c", ["type_a", "type_b"]), None);
    }

    #[test]
    fn a_different_word_finds_nothing() {
        assert_eq!(closest("location", ["query", "max_results"]), None);
        assert_eq!(closest("x", ["query"]), None);
    }
}
