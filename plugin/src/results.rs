//! Results too large for an agent's context: a `data` or `body` whose JSON is over the budget
//! (`--max-output-bytes`, 16 KiB by default) is kept in a file in the state folder's `results`
//! folder (owner-only; removed after a day) and stdout carries `result_file` instead: its path,
//! size, format, top-level shape and a preview that together fit the budget.

use std::io::Write;
use std::path::Path;

use agent_auth_contract::option::{MAX_OUTPUT_BYTES, OUTPUT_BUDGET, OUTPUT_BUDGET_RANGE};
use agent_auth_contract::rfc3339;
use agent_auth_contract::storage::{RESULT_KEPT_FOR, RESULTS_DIR};
use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::cli::{Args, usage};
use crate::clock;
use crate::files::AtomicFile;
use crate::output::{Failure, Success};

/// How many bytes of `data` or `body` stdout may carry.
#[derive(Debug, Clone, Copy)]
pub struct Budget(usize);

impl Budget {
    /// `--max-output-bytes N`, or the default.
    pub fn parse(args: &Args) -> Result<Budget, Failure> {
        let bytes = args.number(&MAX_OUTPUT_BYTES).unwrap_or(OUTPUT_BUDGET);
        if !OUTPUT_BUDGET_RANGE.contains(&bytes) {
            return Err(usage(
                format!("--max-output-bytes {bytes} is out of range"),
                format!(
                    "Use a budget from {} to {} bytes; larger results go to a file either way.",
                    OUTPUT_BUDGET_RANGE.start(),
                    OUTPUT_BUDGET_RANGE.end()
                ),
            ));
        }
        Ok(Budget(bytes as usize))
    }
}

/// Room kept in the budget for `result_file`'s other fields and the rest of the result.
const ENVELOPE: usize = 1024;
/// The smallest preview worth showing, in bytes.
const PREVIEW_MIN: usize = 256;
/// Object keys the shape names before it counts the rest.
const SHAPE_KEYS: usize = 40;
/// Levels the shape describes below the top.
const SHAPE_DEPTH: usize = 2;

/// What the file holds.
enum Kept {
    Json(Value),
    Text(String),
    Binary(Vec<u8>),
}

impl Kept {
    /// The value of `key` in `fields` (a base64 `body` is its bytes).
    fn take(fields: &mut Map<String, Value>, key: &str) -> Option<Kept> {
        let base64 = fields.get("body_encoding").and_then(Value::as_str) == Some("base64");
        Some(match fields.remove(key)? {
            Value::String(text) if base64 => {
                fields.remove("body_encoding");
                Kept::Binary(base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default())
            }
            Value::String(text) => Kept::Text(text),
            json => Kept::Json(json),
        })
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Kept::Json(value) => serde_json::to_vec_pretty(value).unwrap_or_default(),
            Kept::Text(text) => text.as_bytes().to_vec(),
            Kept::Binary(bytes) => bytes.clone(),
        }
    }

    /// The file name's extension and `format`.
    fn format(&self) -> (&'static str, &'static str) {
        match self {
            Kept::Json(_) => ("json", "json"),
            Kept::Text(_) => ("txt", "text"),
            Kept::Binary(_) => ("bin", "binary"),
        }
    }

    fn shape(&self) -> Value {
        match self {
            Kept::Json(value) => shape(value, SHAPE_DEPTH),
            Kept::Text(text) => json!({"lines": text.lines().count(), "chars": text.chars().count()}),
            Kept::Binary(bytes) => json!({"bytes": bytes.len()}),
        }
    }

    /// The start of the value as compact text, at most `room` bytes once escaped in JSON.
    fn preview(&self, room: usize) -> Option<String> {
        let text = match self {
            Kept::Json(value) => serde_json::to_string(value).ok()?,
            Kept::Text(text) => text.clone(),
            Kept::Binary(_) => return None,
        };
        let mut used = 0;
        let end = text
            .char_indices()
            .find(|(_, c)| {
                used += match c {
                    '"' | '\\' => 2,
                    c if c.is_control() => 6,
                    c => c.len_utf8(),
                };
                used > room
            })
            .map_or(text.len(), |(at, _)| at);
        Some(if end < text.len() { format!("{}…", &text[..end]) } else { text })
    }
}

/// A value's outline: leaves by type (strings with their length), arrays by length and first
/// item, objects by key, `depth` levels down.
fn shape(value: &Value, depth: usize) -> Value {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "boolean".into(),
        Value::Number(_) => "number".into(),
        Value::String(s) => format!("string ({} chars)", s.chars().count()).into(),
        Value::Array(items) if depth == 0 || items.is_empty() => format!("array ({} items)", items.len()).into(),
        Value::Array(items) => json!({"items": items.len(), "first": shape(&items[0], depth - 1)}),
        Value::Object(map) if depth == 0 => format!("object ({} keys)", map.len()).into(),
        Value::Object(map) => {
            let mut outline: Map<String, Value> =
                map.iter().take(SHAPE_KEYS).map(|(k, v)| (k.clone(), shape(v, depth - 1))).collect();
            if map.len() > SHAPE_KEYS {
                outline.insert("…".into(), format!("{} more keys", map.len() - SHAPE_KEYS).into());
            }
            Value::Object(outline)
        }
    }
}

/// Keeps `success`'s `key` (`data` or `body`) in a file when its JSON is over `budget`, naming
/// the file after `label`; without a state folder, or when the file cannot be written, the
/// value stays where it is and a warning says why.
pub fn fit(mut success: Success, key: &str, budget: Budget, state_dir: Option<&Path>, label: &str) -> Success {
    let size = success.fields.get(key).map_or(0, |v| serde_json::to_string(v).map_or(0, |t| t.len()));
    if size <= budget.0 {
        return success;
    }
    let Some(state_dir) = state_dir else {
        success.warnings.push(format!(
            "{key} is {size} bytes, over the {} byte budget, and there is no state folder to keep it in",
            budget.0
        ));
        return success;
    };
    let mut fields = success.fields.clone();
    let Some(kept) = Kept::take(&mut fields, key) else { return success };
    match keep(&kept, &state_dir.join(RESULTS_DIR), label) {
        Ok((path, bytes, at)) => {
            let shape = kept.shape();
            let shape_len = serde_json::to_string(&shape).map_or(0, |t| t.len());
            let room = budget.0.saturating_sub(ENVELOPE + shape_len).max(PREVIEW_MIN);
            let (_, format) = kept.format();
            let file = json!({
                "path": path,
                "bytes": bytes,
                "format": format,
                "shape": shape,
                "preview": kept.preview(room),
                "expires_at": rfc3339::format(at + RESULT_KEPT_FOR),
            });
            fields.insert("result_file".into(), file);
            success.fields = fields;
            success.warnings.push(format!(
                "{key} is {size} bytes, over the {} byte budget: saved to {path}; read it in parts",
                budget.0
            ));
        }
        Err(why) => success.warnings.push(format!("{key} is {size} bytes but could not be saved ({why})")),
    }
    success
}

/// Writes the file (under a temporary name, then renamed) after removing results older than a
/// day; returns its path, size and when it was written.
fn keep(kept: &Kept, dir: &Path, label: &str) -> std::io::Result<(String, u64, i64)> {
    std::fs::create_dir_all(dir)?;
    let now = clock::now();
    sweep(dir, now);
    let bytes = kept.bytes();
    let digest: String = Sha256::digest(&bytes).iter().take(4).map(|b| format!("{b:02x}")).collect();
    let label: String = label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
    let (extension, _) = kept.format();
    let path = dir.join(format!("{now}-{label}-{digest}.{extension}")).to_string_lossy().into_owned();
    let unwritable = |_| std::io::Error::other(format!("{} is not writable", dir.display()));
    let mut file = AtomicFile::create(&path).map_err(unwritable)?;
    file.write_all(&bytes)?;
    let written = file.commit().map_err(unwritable)?;
    Ok((path, written, now))
}

/// Removes the results written more than a day before `now` (their names start with the time).
fn sweep(dir: &Path, now: i64) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let written = name.split('-').next().and_then(|t| t.parse::<i64>().ok());
        if written.is_some_and(|t| now - t > RESULT_KEPT_FOR) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Kept, shape};

    #[test]
    fn a_shape_names_keys_types_and_lengths_two_levels_down() {
        let value = json!({"object": "list", "results": [{"id": "b1", "paragraph": {"text": "x"}}], "has_more": true});
        assert_eq!(
            shape(&value, 2),
            json!({"object": "string (4 chars)", "results": {"items": 1, "first": "object (2 keys)"}, "has_more": "boolean"})
        );
    }

    #[test]
    fn a_preview_fits_its_room_once_escaped() {
        let kept = Kept::Json(json!({"text": "\"quoted\" ".repeat(100)}));
        let preview = kept.preview(300).unwrap();
        let escaped = serde_json::to_string(&preview).unwrap();
        assert!(escaped.len() <= 300 + 6, "{} bytes: {escaped}", escaped.len());
        assert!(preview.ends_with('…') && preview.starts_with("{\"text\":"), "{preview}");
        assert_eq!(Kept::Text("short".into()).preview(300).as_deref(), Some("short"));
    }
}
