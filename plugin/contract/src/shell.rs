//! Quoting a value as one POSIX shell word, for the commands that hints suggest and the demo shows,
//! so they can be pasted into a shell.

/// `s` unchanged when the shell would read it as one plain word, else single-quoted.
pub fn word(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain { s.to_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::word;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(word("alice@example.com"), "alice@example.com");
        assert_eq!(word("--tool-input={}"), "'--tool-input={}'");
        assert_eq!(word("Alice Smith"), "'Alice Smith'");
        assert_eq!(word("o'brien"), r"'o'\''brien'");
        assert_eq!(word(""), "''");
    }
}
