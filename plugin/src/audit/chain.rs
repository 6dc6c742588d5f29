//! The audit trail's chain. Every line carries `prev`, the SHA-256 of the line before it (`null`
//! on the first line), and the head file beside the trail holds the number of lines and the
//! digest of the last one (`N DIGEST`), so a line changed, inserted or removed anywhere (the last
//! included) breaks the chain where it was, and so does a missing head. Appends are serialised by
//! a lock file: parallel calls neither tear lines nor fork the chain.
//!
//! The chain shows edits made without care for it; one who can write the state folder can also
//! rewrite every digest after the line they changed, and the head with them. A digest the
//! operator kept elsewhere shows that (`--verify --expect-head DIGEST`): the line it names must
//! still be in the trail, and with it every line before it.

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

    /// Appends `entry` with its `prev`, then moves the head to it. The head goes on vouching
    /// only for a trail it vouched for: when it did not (it is missing, holds no count, or names
    /// another end), the new head keeps where it lost track, so an append never launders an
    /// edit. A single line beyond the head, left by a call that died before moving it, is taken.
    pub fn append(&self, mut entry: Map<String, Value>) -> std::io::Result<()> {
        let lock = Lock::brief(&self.lock);
        if lock.is_none() {
            crate::output::progress("the audit trail's lock is held for too long; appending without it");
        }
        let old = self.head()?;
        let (last, torn, lines, lost) = match std::fs::File::open(&self.path) {
            Ok(mut file) => {
                let (before, last, torn) = last_lines(&mut file)?;
                let digest = |line: &Option<String>| line.as_deref().map(|l| sha256_hex(l.as_bytes()));
                let vouched = match &old {
                    None if last.is_none() => Some(0),
                    Some(Head { lines: Some(n), last: end, .. }) if Some(end) == digest(&last).as_ref() => Some(*n),
                    Some(Head { lines: Some(n), last: end, .. }) if Some(end) == digest(&before).as_ref() => {
                        Some(n + 1)
                    }
                    _ => None,
                };
                let lost_before = old.as_ref().and_then(|h| h.lost);
                match vouched {
                    Some(n) => (last, torn, n, lost_before),
                    None => {
                        let n = count_lines(&mut file)?;
                        (last, torn, n, Some(lost_before.unwrap_or(n.max(1))))
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (None, false, 0, old.as_ref().map(|h| h.lost.unwrap_or(1)))
            }
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
        let head_line = Head { lines: Some(lines + 1), last: sha256_hex(line.as_bytes()), lost };
        head.write_all(format!("{head_line}\n").as_bytes())?;
        head.commit_cache().map_err(failed)?;
        drop(lock);
        Ok(())
    }

    /// The trail's text (empty when there is none yet) and its head, read while no call appends.
    pub fn read(&self) -> std::io::Result<(String, Option<Head>)> {
        let _lock = Lock::brief(&self.lock);
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        Ok((text, self.head()?))
    }

    /// The head, when the trail has one.
    fn head(&self) -> std::io::Result<Option<Head>> {
        match std::fs::read_to_string(&self.head) {
            Ok(text) => Ok(Some(Head::parse(&text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The head file's content: how many lines the trail has, the digest of the last one, and, once
/// it lost track of the trail, the line where it did (`N DIGEST`, or `N DIGEST lost K`; a head
/// written before it counted lines holds the digest alone).
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// The number of lines, when the head says.
    pub lines: Option<usize>,
    /// The SHA-256 (hex) of the last line.
    pub last: String,
    /// The line up to which nothing vouches for the trail, once an append found a head that did
    /// not vouch for it.
    pub lost: Option<usize>,
}

impl Head {
    /// Reads `N DIGEST [lost K]` (or a lone digest).
    fn parse(text: &str) -> Head {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            [n, digest, "lost", k] => Head { lines: n.parse().ok(), last: (*digest).to_owned(), lost: k.parse().ok() },
            [n, digest] => Head { lines: n.parse().ok(), last: (*digest).to_owned(), lost: None },
            _ => Head { lines: None, last: text.trim().to_owned(), lost: None },
        }
    }
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(n) = self.lines {
            write!(f, "{n} ")?;
        }
        f.write_str(&self.last)?;
        match self.lost {
            Some(k) => write!(f, " lost {k}"),
            None => Ok(()),
        }
    }
}

/// The number of lines in `file` (a last line without its newline counts).
fn count_lines(file: &mut std::fs::File) -> std::io::Result<usize> {
    file.seek(SeekFrom::Start(0))?;
    let (mut lines, mut buffer, mut ends_open) = (0, vec![0u8; 64 * 1024], false);
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(lines + usize::from(ends_open));
        }
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count();
        ends_open = buffer[n - 1] != b'\n';
    }
}

/// The trail's last two lines (the one before the last, the last) and whether the file ends
/// without a newline (a torn last line).
fn last_lines(file: &mut std::fs::File) -> std::io::Result<(Option<String>, Option<String>, bool)> {
    let len = file.metadata()?.len();
    let mut from = len.saturating_sub(TAIL);
    loop {
        file.seek(SeekFrom::Start(from))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        let torn = !tail.is_empty() && !tail.ends_with(b"\n");
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        match body.iter().rposition(|&b| b == b'\n') {
            Some(i) => {
                let last = text(&body[i + 1..]);
                match body[..i].iter().rposition(|&b| b == b'\n') {
                    Some(j) => return Ok((Some(text(&body[j + 1..i])), Some(last), torn)),
                    None if from == 0 => return Ok((Some(text(&body[..i])), Some(last), torn)),
                    None => from = 0,
                }
            }
            None if from == 0 => return Ok((None, (!body.is_empty()).then(|| text(body)), torn)),
            None => from = 0,
        }
    }
}

/// A trail whose chain holds.
#[derive(Debug, PartialEq)]
pub struct Verified {
    /// Lines checked against the line before them.
    pub chained: usize,
    /// The digest of the last line (what to keep elsewhere for `--expect-head`), when there is one.
    pub head: Option<String>,
}

/// Where the chain breaks.
#[derive(Debug, PartialEq)]
pub struct Broken {
    /// The first line (from 1) that cannot be trusted.
    pub line: usize,
    /// What was found, in words.
    pub why: String,
}

/// Walks the chain of the trail's `text`, checks its end against `head`, and, when the operator
/// kept a digest elsewhere (`expected`), that the line it names is still there. Every line must
/// be chained, and a trail must have its head.
pub fn verify(text: &str, head: Option<&Head>, expected: Option<&str>) -> Result<Verified, Broken> {
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    let digests: Vec<String> = lines.iter().map(|line| sha256_hex(line.as_bytes())).collect();
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let entry = serde_json::from_str::<Value>(line).ok().filter(Value::is_object);
        let Some(entry) = entry else {
            return Err(Broken { line: n, why: format!("line {n} is not an audit entry (changed, or cut short)") });
        };
        let Some(prev) = entry.get(PREV) else {
            return Err(Broken {
                line: n,
                why: format!(
                    "line {n} has no link to the line before it (written before the chain, inserted or replaced)"
                ),
            });
        };
        let expected_prev = i.checked_sub(1).map_or(Value::Null, |before| Value::from(digests[before].clone()));
        if *prev != expected_prev {
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
    }
    let n = lines.len();
    match head {
        None if n > 0 => {
            return Err(Broken {
                line: n,
                why:
                    "the trail has no head file, so its end cannot be checked: lines may have been removed from the end"
                        .into(),
            });
        }
        None => {}
        Some(head) => {
            if let Some(k) = head.lost {
                return Err(Broken {
                    line: k.min(n).max(1),
                    why: format!(
                        "the head lost track of the trail at line {k}: an audited call found it did not vouch for the trail (it was missing, held no count, or named another end), so nothing vouches for the lines up to there"
                    ),
                });
            }
            let Some(count) = head.lines else {
                return Err(Broken {
                    line: n.max(1),
                    why: "the head holds no line count (an older agent-auth wrote it, or it was rewritten): lines may have been removed from the end".into(),
                });
            };
            if count != n {
                let why = match count > n {
                    true => {
                        format!("the trail has {n} lines but its head says {count}: lines were removed from the end")
                    }
                    false => format!("the trail has {n} lines but its head says {count}: lines were added after it"),
                };
                return Err(Broken { line: (n.min(count) + usize::from(count < n)).max(1), why });
            }
            if digests.last() != Some(&head.last) {
                let why = match n {
                    0 => "the trail is empty but its head names a last line: it was emptied".to_owned(),
                    _ => format!(
                        "the last line ({n}) is not the one last written: it was changed, or lines were removed after it"
                    ),
                };
                return Err(Broken { line: n.max(1), why });
            }
        }
    }
    if let Some(expected) = expected
        && !digests.iter().any(|d| d.eq_ignore_ascii_case(expected.trim()))
    {
        return Err(Broken {
            line: 1,
            why: "no line has the digest kept elsewhere: the trail was rewritten up to that line or cut before it"
                .into(),
        });
    }
    Ok(Verified { chained: n, head: digests.last().cloned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chained trail of `n` lines, and its head.
    fn trail(n: usize) -> (Vec<String>, Head) {
        let mut lines: Vec<String> = Vec::new();
        for i in 0..n {
            let prev = lines.last().map_or(Value::Null, |l| sha256_hex(l.as_bytes()).into());
            lines.push(serde_json::json!({"operation": "execute-tool", "n": i, "prev": prev}).to_string());
        }
        let head = Head { lines: Some(n), last: sha256_hex(lines.last().unwrap().as_bytes()), lost: None };
        (lines, head)
    }

    fn text(lines: &[String]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn an_untouched_trail_verifies() {
        let (lines, head) = trail(4);
        let verified = verify(&text(&lines), Some(&head), None).unwrap();
        assert_eq!(verified, Verified { chained: 4, head: Some(head.last.clone()) });
        assert_eq!(verify("", None, None).unwrap(), Verified { chained: 0, head: None }, "no trail yet");
    }

    #[test]
    fn a_changed_line_is_named() {
        let (mut lines, head) = trail(5);
        lines[1] = lines[1].replace("execute-tool", "list-connections");
        assert_eq!(verify(&text(&lines), Some(&head), None).unwrap_err().line, 2);
    }

    #[test]
    fn a_removed_line_is_found_after_the_line_before_it() {
        let (mut lines, head) = trail(5);
        lines.remove(2);
        assert_eq!(verify(&text(&lines), Some(&head), None).unwrap_err().line, 2);
        let (mut lines, head) = trail(3);
        lines.remove(0);
        assert_eq!(verify(&text(&lines), Some(&head), None).unwrap_err().line, 1);
    }

    #[test]
    fn the_end_is_checked_against_the_head() {
        let (mut lines, head) = trail(3);
        lines.pop();
        let broken = verify(&text(&lines), Some(&head), None).unwrap_err();
        assert_eq!(broken.line, 2, "{}", broken.why);
        assert!(broken.why.contains("head says 3"), "{}", broken.why);
        assert!(verify("", Some(&head), None).is_err());
        // Cut, and the head rewritten by someone who did not know it counts lines.
        let digest_only = Head { lines: None, last: sha256_hex(lines[1].as_bytes()), lost: None };
        let broken = verify(&text(&lines), Some(&digest_only), None).unwrap_err();
        assert!(broken.why.contains("no line count"), "{}", broken.why);
        let recounted = Head { lines: Some(3), last: digest_only.last.clone(), lost: None };
        assert!(verify(&text(&lines), Some(&recounted), None).is_err(), "the count no longer matches");
    }

    #[test]
    fn a_missing_head_or_an_unchained_line_is_a_failure() {
        let (lines, _) = trail(3);
        let broken = verify(&text(&lines), None, None).unwrap_err();
        assert!(broken.why.contains("no head file"), "{}", broken.why);
        let old = serde_json::json!({"operation": "get-token"}).to_string();
        let head = Head { lines: Some(1), last: sha256_hex(old.as_bytes()), lost: None };
        assert_eq!(verify(&text(&[old]), Some(&head), None).unwrap_err().line, 1, "a line from before the chain");
    }

    #[test]
    fn a_recomputed_chain_is_caught_by_a_digest_kept_elsewhere() {
        let (lines, head) = trail(4);
        let kept = sha256_hex(lines[2].as_bytes());
        assert!(verify(&text(&lines), Some(&head), Some(&kept)).is_ok());
        // Line 2 changed and every digest after it recomputed, the head too: the chain holds.
        let mut forged: Vec<String> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let mut entry: Map<String, Value> = serde_json::from_str(line).unwrap();
            if i == 1 {
                entry.insert("operation".into(), "list-connections".into());
            }
            entry.insert(PREV.into(), forged.last().map_or(Value::Null, |l| sha256_hex(l.as_bytes()).into()));
            forged.push(Value::Object(entry).to_string());
        }
        let forged_head = Head { lines: Some(4), last: sha256_hex(forged[3].as_bytes()), lost: None };
        assert!(verify(&text(&forged), Some(&forged_head), None).is_ok(), "without a kept digest it passes");
        let broken = verify(&text(&forged), Some(&forged_head), Some(&kept)).unwrap_err();
        assert!(broken.why.contains("kept elsewhere"), "{}", broken.why);
    }

    #[test]
    fn a_torn_line_is_not_an_entry() {
        let (lines, head) = trail(2);
        let torn = format!("{}\n{}\n", lines[0], &lines[1][..10]);
        assert_eq!(verify(&torn, Some(&head), None).unwrap_err().line, 2);
    }

    #[test]
    fn the_head_reads_every_form_and_lines_are_counted() {
        assert_eq!(Head::parse("3 ab12\n"), Head { lines: Some(3), last: "ab12".into(), lost: None });
        assert_eq!(Head::parse("ab12\n"), Head { lines: None, last: "ab12".into(), lost: None });
        assert_eq!(Head::parse("9 ab12 lost 4\n"), Head { lines: Some(9), last: "ab12".into(), lost: Some(4) });
        assert_eq!(Head::parse("9 ab12 lost 4").to_string(), "9 ab12 lost 4");
        let path = std::env::temp_dir().join(format!("chain-count-{}", std::process::id()));
        std::fs::write(&path, "a\nb\nc").unwrap();
        assert_eq!(count_lines(&mut std::fs::File::open(&path).unwrap()).unwrap(), 3);
        let last = last_lines(&mut std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(last, (Some("b".into()), Some("c".into()), true), "a torn last line");
        std::fs::write(&path, "only\n").unwrap();
        assert_eq!(last_lines(&mut std::fs::File::open(&path).unwrap()).unwrap(), (None, Some("only".into()), false));
        let _ = std::fs::remove_file(&path);
    }
}
