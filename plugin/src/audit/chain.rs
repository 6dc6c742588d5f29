//! The audit trail's chain. Every line carries `prev`, the SHA-256 of the line before it (`null`
//! on the first line), and the head file beside the trail holds the digest of the last line, so
//! a line changed, inserted or removed anywhere (the last included) breaks the chain where it was.
//! Appends are serialised by a lock file: parallel calls neither tear lines nor fork the chain.
//!
//! The chain shows edits made without care for it; one who can write the state folder can also
//! rewrite every digest after the line they changed. A copy of the head kept elsewhere shows that.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use agent_auth_contract::storage::{AUDIT_FILE, AUDIT_HEAD_FILE, AUDIT_LOCK_FILE};
use serde_json::{Map, Value};

use crate::digest::sha256_hex;
use crate::files::AtomicFile;
use crate::lock::Lock;

/// The field holding the previous line's digest.
pub const PREV: &str = "prev";
/// How much of the trail's end is read to find its last line; a longer line is found by
/// reading the whole trail.
const TAIL: u64 = 64 * 1024;

/// The trail's files in the state folder.
pub struct Trail {
    /// `audit.jsonl`.
    pub path: PathBuf,
    head: PathBuf,
    lock: PathBuf,
}

impl Trail {
    /// The trail in `state_dir`.
    pub fn in_dir(state_dir: &Path) -> Trail {
        Trail {
            path: state_dir.join(AUDIT_FILE),
            head: state_dir.join(AUDIT_HEAD_FILE),
            lock: state_dir.join(AUDIT_LOCK_FILE),
        }
    }

    /// Appends `entry` with its `prev`, then moves the head to it.
    pub fn append(&self, mut entry: Map<String, Value>) -> std::io::Result<()> {
        let lock = Lock::brief(&self.lock);
        if lock.is_none() {
            crate::output::progress("the audit trail's lock is held for too long; appending without it");
        }
        let (last, torn) = match std::fs::File::open(&self.path) {
            Ok(mut file) => last_line(&mut file)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, false),
            Err(e) => return Err(e),
        };
        entry.insert(PREV.into(), last.map_or(Value::Null, |line| sha256_hex(line.as_bytes()).into()));
        let line = Value::Object(entry).to_string();
        // A line cut short by a call that died goes on its own line, where --verify shows it.
        let text = format!("{}{line}\n", if torn { "\n" } else { "" });
        // One write of the whole line: formatting straight into the file is a host call per piece.
        std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?.write_all(text.as_bytes())?;
        let failed = |f: crate::output::Failure| std::io::Error::other(f.message.clone());
        let mut head = AtomicFile::create(&self.head.to_string_lossy()).map_err(failed)?;
        head.write_all(format!("{}\n", sha256_hex(line.as_bytes())).as_bytes())?;
        head.commit_cache().map_err(failed)?;
        drop(lock);
        Ok(())
    }

    /// The trail's text (empty when there is none yet) and its head, read while no call appends.
    pub fn read(&self) -> std::io::Result<(String, Option<String>)> {
        let _lock = Lock::brief(&self.lock);
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        Ok((text, self.head()?))
    }

    /// The head's digest, when the trail has one (trails written before the chain have none).
    fn head(&self) -> std::io::Result<Option<String>> {
        match std::fs::read_to_string(&self.head) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The trail's last line, and whether the file ends without a newline (a torn last line).
fn last_line(file: &mut std::fs::File) -> std::io::Result<(Option<String>, bool)> {
    let len = file.metadata()?.len();
    let mut from = len.saturating_sub(TAIL);
    loop {
        file.seek(SeekFrom::Start(from))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        let torn = !tail.is_empty() && !tail.ends_with(b"\n");
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        match body.iter().rposition(|&b| b == b'\n') {
            Some(i) => return Ok((Some(String::from_utf8_lossy(&body[i + 1..]).into_owned()), torn)),
            None if from == 0 => {
                let line = (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned());
                return Ok((line, torn));
            }
            None => from = 0,
        }
    }
}

/// A trail whose chain holds.
#[derive(Debug, PartialEq)]
pub struct Verified {
    /// Lines checked against the line before them.
    pub chained: usize,
    /// Lines at the start written before the chain existed, which nothing vouches for.
    pub unchained: usize,
    /// Whether the last line was checked against the head.
    pub head_checked: bool,
}

/// Where the chain breaks.
#[derive(Debug, PartialEq)]
pub struct Broken {
    /// The first line (from 1) that cannot be trusted.
    pub line: usize,
    /// What was found, in words.
    pub why: String,
}

/// Walks the chain of the trail's `text`, and checks its end against `head` when there is one.
pub fn verify(text: &str, head: Option<&str>) -> Result<Verified, Broken> {
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    let (mut chained, mut unchained) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let entry = serde_json::from_str::<Value>(line).ok().filter(Value::is_object);
        let Some(entry) = entry else {
            return Err(Broken { line: n, why: format!("line {n} is not an audit entry (changed, or cut short)") });
        };
        let Some(prev) = entry.get(PREV) else {
            if chained == 0 {
                unchained += 1;
                continue;
            }
            return Err(Broken {
                line: n,
                why: format!("line {n} has no link to the line before it (changed or inserted)"),
            });
        };
        let expected = match i.checked_sub(1) {
            Some(before) => Value::from(sha256_hex(lines[before].as_bytes())),
            None => Value::Null,
        };
        if *prev != expected {
            return Err(match i {
                0 => Broken {
                    line: 1,
                    why: "line 1 follows a line that is not there: lines before it were removed".into(),
                },
                _ => Broken {
                    line: i,
                    why: format!(
                        "line {n} does not follow line {i}: line {i} was changed, or lines were removed after it"
                    ),
                },
            });
        }
        chained += 1;
    }
    if let Some(head) = head {
        let last = lines.last().map(|line| sha256_hex(line.as_bytes()));
        if last.as_deref() != Some(head) {
            let n = lines.len();
            let why = match n {
                0 => "the trail is empty but its head names a last line: it was emptied".to_owned(),
                _ => format!(
                    "the last line ({n}) is not the one last written: it was changed, or lines were removed after it"
                ),
            };
            return Err(Broken { line: n.max(1), why });
        }
    }
    Ok(Verified { chained, unchained, head_checked: head.is_some() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chained trail of `n` lines, and its head.
    fn trail(n: usize) -> (Vec<String>, String) {
        let mut lines: Vec<String> = Vec::new();
        for i in 0..n {
            let prev = lines.last().map_or(Value::Null, |l| sha256_hex(l.as_bytes()).into());
            lines.push(serde_json::json!({"operation": "execute-tool", "n": i, "prev": prev}).to_string());
        }
        let head = sha256_hex(lines.last().unwrap().as_bytes());
        (lines, head)
    }

    fn text(lines: &[String]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn an_untouched_trail_verifies() {
        let (lines, head) = trail(4);
        let verified = verify(&text(&lines), Some(&head)).unwrap();
        assert_eq!(verified, Verified { chained: 4, unchained: 0, head_checked: true });
    }

    #[test]
    fn a_changed_line_is_named() {
        let (mut lines, head) = trail(5);
        lines[1] = lines[1].replace("execute-tool", "list-connections");
        assert_eq!(verify(&text(&lines), Some(&head)).unwrap_err().line, 2);
    }

    #[test]
    fn a_removed_line_is_found_after_the_line_before_it() {
        let (mut lines, head) = trail(5);
        lines.remove(2);
        assert_eq!(verify(&text(&lines), Some(&head)).unwrap_err().line, 2);
        let (mut lines, head) = trail(3);
        lines.remove(0);
        assert_eq!(verify(&text(&lines), Some(&head)).unwrap_err().line, 1);
    }

    #[test]
    fn the_end_is_checked_against_the_head() {
        let (mut lines, head) = trail(3);
        lines.pop();
        let broken = verify(&text(&lines), Some(&head)).unwrap_err();
        assert_eq!(broken.line, 2, "{}", broken.why);
        assert!(verify("", Some(&head)).is_err());
        assert!(verify(&text(&lines), None).is_ok(), "without a head only the links are checked");
    }

    #[test]
    fn lines_from_before_the_chain_are_counted_apart() {
        let old = serde_json::json!({"operation": "get-token"}).to_string();
        let (lines, _) = trail(1);
        let linked = serde_json::json!({"operation": "x", "prev": sha256_hex(old.as_bytes())}).to_string();
        let verified = verify(&text(&[old.clone(), linked]), None).unwrap();
        assert_eq!(verified, Verified { chained: 1, unchained: 1, head_checked: false });
        // After the chain starts, a line without a link was put there by hand.
        assert_eq!(verify(&text(&[lines[0].clone(), old]), None).unwrap_err().line, 2);
    }

    #[test]
    fn a_torn_line_is_not_an_entry() {
        let (lines, _) = trail(2);
        let torn = format!("{}\n{}\n", lines[0], &lines[1][..10]);
        assert_eq!(verify(&torn, None).unwrap_err().line, 2);
    }
}
