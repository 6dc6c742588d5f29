//! Results too large for an agent's context: a `data` or `body` whose JSON is over the budget
//! (`--max-output-bytes`, 16 KiB by default) is kept in a file in the state folder's `results`
//! folder (owner-only; the runner removes it after a day) and stdout carries `result_file`
//! instead: its path, size, format, top-level shape and a preview that together fit the budget.
//! The value is measured and written as a stream: a result of many megabytes is never copied
//! whole inside the component's memory cap.

use std::io::Write;
use std::path::Path;

use agent_auth_contract::option::{MAX_OUTPUT_BYTES, OUTPUT_BUDGET, OUTPUT_BUDGET_RANGE};
use agent_auth_contract::rfc3339;
use agent_auth_contract::storage::{RESULT_KEPT_FOR, RESULTS_DIR, result_file_name};
use serde_json::{Map, Value, json};

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
/// Levels the shape describes below the top, at most.
const SHAPE_DEPTH: usize = 2;

/// What the file holds.
enum Kept {
    Json(Value),
    Text(String),
    /// A base64 body, saved decoded.
    Binary(String),
}

impl Kept {
    /// The value of `key` in `fields`, taken out (a base64 `body` is its bytes).
    fn take(fields: &mut Map<String, Value>, key: &str) -> Option<Kept> {
        let base64 = fields.get("body_encoding").and_then(Value::as_str) == Some("base64");
        Some(match fields.remove(key)? {
            Value::String(text) if base64 => Kept::Binary(text),
            Value::String(text) => Kept::Text(text),
            json => Kept::Json(json),
        })
    }

    /// Puts the value back where [`Kept::take`] found it.
    fn put_back(self, fields: &mut Map<String, Value>, key: &str) {
        let value = match self {
            Kept::Json(value) => value,
            Kept::Text(text) | Kept::Binary(text) => Value::String(text),
        };
        fields.insert(key.to_owned(), value);
    }

    /// Streams the file's bytes into `out`.
    fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            Kept::Json(value) => serde_json::to_writer_pretty(out, value).map_err(std::io::Error::other),
            Kept::Text(text) => out.write_all(text.as_bytes()),
            Kept::Binary(text) => {
                let mut decoder =
                    base64::read::DecoderReader::new(text.as_bytes(), &base64::engine::general_purpose::STANDARD);
                std::io::copy(&mut decoder, out).map(drop)
            }
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

    /// The outline, as deep as fits in `room` bytes.
    fn shape(&self, room: usize) -> Value {
        match self {
            Kept::Json(value) => (0..=SHAPE_DEPTH)
                .rev()
                .map(|depth| shape(value, depth))
                .find(|s| s.to_string().len() <= room)
                .unwrap_or_else(|| shape(value, 0)),
            Kept::Text(text) => json!({"lines": text.lines().count(), "chars": text.chars().count()}),
            Kept::Binary(text) => json!({"bytes": text.len() / 4 * 3}),
        }
    }

    /// The start of the value as compact text, at most `room` bytes once escaped in JSON.
    fn preview(&self, room: usize) -> Option<String> {
        let mut start = Limited { bytes: Vec::new(), room };
        match self {
            // Serialising stops with an error once the room is full: only the start is made.
            Kept::Json(value) => drop(serde_json::to_writer(&mut start, value)),
            Kept::Text(text) => drop(start.write_all(text.as_bytes())),
            Kept::Binary(_) => return None,
        }
        let whole = start.bytes.len() < room;
        let text = match std::str::from_utf8(&start.bytes) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&start.bytes[..e.valid_up_to()]).unwrap_or_default(),
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
        Some(if whole && end == text.len() { text.to_owned() } else { format!("{}…", &text[..end]) })
    }
}

/// A writer that keeps the first `room` bytes and then refuses more.
struct Limited {
    bytes: Vec<u8>,
    room: usize,
}

impl Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let take = buf.len().min(self.room.saturating_sub(self.bytes.len()));
        if take == 0 && !buf.is_empty() {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        self.bytes.extend_from_slice(&buf[..take]);
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer that only counts.
#[derive(Default)]
struct Counted(usize);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
    let mut size = Counted::default();
    if let Some(value) = success.fields.get(key) {
        let _ = serde_json::to_writer(&mut size, value);
    }
    let (size, budget) = (size.0, budget.0);
    if size <= budget {
        return success;
    }
    let Some(state_dir) = state_dir else {
        success.warnings.push(format!(
            "{key} is {size} bytes, over the {budget} byte budget, and there is no state folder to keep it in"
        ));
        return success;
    };
    let Some(kept) = Kept::take(&mut success.fields, key) else { return success };
    match keep(&kept, &state_dir.join(RESULTS_DIR), label) {
        Ok((path, bytes, at)) => {
            let shape = kept.shape((budget - ENVELOPE.min(budget)) / 2);
            let room = budget.saturating_sub(ENVELOPE + shape.to_string().len());
            let (_, format) = kept.format();
            if matches!(kept, Kept::Binary(_)) {
                success.fields.remove("body_encoding");
            }
            let preview = (room >= PREVIEW_MIN).then(|| kept.preview(room)).flatten();
            let file = json!({
                "path": path,
                "bytes": bytes,
                "format": format,
                "shape": shape,
                "preview": preview,
                "expires_at": rfc3339::format(at + RESULT_KEPT_FOR),
            });
            success.fields.insert("result_file".into(), file);
            success.warnings.push(format!(
                "{key} is {size} bytes, over the {budget} byte budget: saved to {path}; read it in parts"
            ));
        }
        Err(why) => {
            kept.put_back(&mut success.fields, key);
            success.warnings.push(format!("{key} is {size} bytes but could not be saved ({why})"));
        }
    }
    success
}

/// Writes the file (under a temporary name, then renamed; named by the time, the label and a
/// random tag); returns its path, size and when it was written.
fn keep(kept: &Kept, dir: &Path, label: &str) -> std::io::Result<(String, u64, i64)> {
    std::fs::create_dir_all(dir)?;
    let now = clock::now();
    let (extension, _) = kept.format();
    let tag = format!("{:08x}", crate::bindings::wasi::random::random::get_random_u64() as u32);
    let path = dir.join(result_file_name(now, label, &tag, extension)).to_string_lossy().into_owned();
    let failed = |f: Failure| std::io::Error::other(f.message.clone());
    let mut file = AtomicFile::create(&path).map_err(failed)?;
    // Buffered: serialising writes many small pieces, each a host call unbuffered.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, &mut file);
    kept.write_to(&mut out)?;
    out.flush()?;
    drop(out);
    let written = file.commit().map_err(failed)?;
    Ok((path, written, now))
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
    fn a_shape_too_large_for_its_room_goes_less_deep() {
        let wide: serde_json::Map<String, serde_json::Value> =
            (0..40).map(|i| (format!("key{i}"), json!({"a": 1, "b": [1, 2]}))).collect();
        let kept = Kept::Json(serde_json::Value::Object(wide));
        assert!(kept.shape(100_000).to_string().contains(r#""a":"number""#), "two levels when they fit");
        assert_eq!(kept.shape(1_500)["key0"], "object (2 keys)", "one level when two do not fit");
        assert_eq!(kept.shape(1_000), json!("object (40 keys)"));
    }

    #[test]
    fn a_preview_fits_its_room_once_escaped() {
        let kept = Kept::Json(json!({"text": "\"quoted\" ".repeat(100)}));
        let preview = kept.preview(300).unwrap();
        let escaped = serde_json::to_string(&preview).unwrap();
        assert!(escaped.len() <= 300 + 6, "{} bytes: {escaped}", escaped.len());
        assert!(preview.ends_with('…') && preview.starts_with("{\"text\":"), "{preview}");
        assert_eq!(Kept::Text("short".into()).preview(300).as_deref(), Some("short"));
        let accented = Kept::Text("é".repeat(400));
        assert!(accented.preview(301).unwrap().ends_with('…'), "cut on a character boundary");
    }
}
