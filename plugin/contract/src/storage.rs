//! agent-auth's own folders, which the runner creates and grants the component, and the files the
//! component keeps in them.

/// The variable naming the config folder (default: the user's config folder + `agent-auth`).
pub const CONFIG_DIR_VAR: &str = "AGENT_AUTH_CONFIG_DIR";
/// The variable naming the state folder (default: the user's state folder + `agent-auth`).
pub const STATE_DIR_VAR: &str = "AGENT_AUTH_STATE_DIR";
/// In the config folder: service names mapped to connections, for `--get-token` (owner-only, 0600).
pub const CONNECTIONS_FILE: &str = "connections.json";
/// In the config folder: held while a call changes `connections.json`.
pub const CONNECTIONS_LOCK_FILE: &str = "connections.json.lock";
/// In the state folder: the audit trail, one JSON line per audited call.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// In the state folder: the digest of the audit trail's last line, which `--audit-log --verify`
/// checks the trail's end against.
pub const AUDIT_HEAD_FILE: &str = "audit.jsonl.head";
/// In the state folder: held while a call appends to the audit trail.
pub const AUDIT_LOCK_FILE: &str = "audit.jsonl.lock";
/// In the state folder: the start of the names of the Scalekit access-token cache files
/// (`<prefix><key>.json`), which the runner makes readable by their owner only.
pub const TOKEN_CACHE_PREFIX: &str = "scalekit-token-";
/// In the state folder: the start of the names of the files that remember an environment's
/// connections, tool listings and active accounts between calls (`<prefix><key>.json`).
pub const MEMORY_PREFIX: &str = "scalekit-memory-";
/// In the state folder: the `state` of each authorization link made for custom user
/// verification (its digest, never the value), whom the link is for and until when, and whether
/// it was used.
pub const LINK_STATES_FILE: &str = "link-states.json";
/// In the state folder: held while a call reads and changes `link-states.json`.
pub const LINK_STATES_LOCK_FILE: &str = "link-states.json.lock";
/// In the state folder: results too large for stdout (`--max-output-bytes`), one file each,
/// readable by their owner only and removed by the runner after a day.
pub const RESULTS_DIR: &str = "results";
/// How long a result file is kept, in seconds.
pub const RESULT_KEPT_FOR: i64 = 24 * 60 * 60;
/// The most the result files take together, in bytes: past it the oldest are removed first.
pub const RESULTS_MAX_BYTES: u64 = 256 << 20;
/// The extensions of result files: JSON (pretty-printed), text, and bytes.
pub const RESULT_EXTENSIONS: [&str; 3] = ["json", "txt", "bin"];

/// The name of a result written at `secs`: `<secs>-<label>-<digest>.<extension>`, the label
/// reduced to letters, digits, `_` and `-`.
pub fn result_file_name(secs: i64, label: &str, digest: &str, extension: &str) -> String {
    let label: String = label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
    format!("{secs}-{label}-{digest}.{extension}")
}

/// When the result file `name` was written, if it is one that [`result_file_name`] makes (or the
/// temporary name it is written under first, `.<name>.<16 hex>.partial`): nothing else in the
/// folder is ever touched.
pub fn result_written_at(name: &str) -> Option<i64> {
    let name = match name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial")) {
        Some(temporary) => temporary.rsplit_once('.').filter(|(_, hex)| is_hex(hex, 16))?.0,
        None => name,
    };
    let (stem, extension) = name.rsplit_once('.')?;
    let (rest, digest) = stem.rsplit_once('-')?;
    let (secs, label) = rest.split_once('-')?;
    let label_ok = !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let secs_ok = !secs.is_empty() && secs.chars().all(|c| c.is_ascii_digit());
    (RESULT_EXTENSIONS.contains(&extension) && is_hex(digest, 8) && label_ok && secs_ok).then(|| secs.parse().ok())?
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::{result_file_name, result_written_at};

    #[test]
    fn only_result_names_are_results() {
        let name = result_file_name(1_764_600_000, "proxy-notion/ij", "0a1b2c3d", "json");
        assert_eq!(name, "1764600000-proxy-notion-ij-0a1b2c3d.json");
        assert_eq!(result_written_at(&name), Some(1_764_600_000));
        assert_eq!(result_written_at(&format!(".{name}.0123456789abcdef.partial")), Some(1_764_600_000));
        for other in
            ["2023-summary.csv", "2023-summary-0a1b2c3d.csv", "x-y-0a1b2c3d.json", "12-notes.json", "notes.json"]
        {
            assert_eq!(result_written_at(other), None, "{other}");
        }
    }
}
