//! A `.env` file (the working folder's, or the one `--env-file` names): `KEY=value` lines, read
//! without trusting the file. Whoever wrote the working folder wrote it, so:
//! - it is opened once, and judged on what was opened: a regular file of at most [`MAX_BYTES`]
//!   (a FIFO, a device or a folder is refused, never waited on);
//! - values are taken as written: `${NAME}` is not replaced by the runner's variable of that name
//!   (which would hand a planted file any secret of the runner's environment);
//! - an error says which line is wrong, never what the file holds.
//!
//! The grammar is the common one: `# comments`, blank lines, an optional `export `, and a value
//! unquoted (up to a ` #` comment, trimmed), in single quotes (literal) or in double quotes (with
//! the escapes `\"`, `\\`, `\n`, `\r`, `\t` and `\$`).

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest `.env` read; a longer file is not a list of credentials.
pub const MAX_BYTES: u64 = 1 << 20;

/// The variables of one `.env` file, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its `KEY=value` lines (the first of a repeated key wins when looked up).
    pub entries: Vec<Entry>,
}

/// One `KEY=value` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// The value, as written (unquoted).
    pub value: String,
    /// Its line, from 1.
    pub line: usize,
}

/// Why a `.env` file cannot be used; none quotes the file.
#[derive(Debug, PartialEq)]
pub enum EnvFileError {
    /// It cannot be opened or read.
    Unreadable(std::io::ErrorKind),
    /// It is a folder, a FIFO, a device or a socket.
    NotAFile,
    /// It is larger than [`MAX_BYTES`].
    TooLarge,
    /// Its bytes are not UTF-8 text.
    NotText,
    /// The line (from 1) is not `KEY=value`.
    Line(usize),
}

impl std::fmt::Display for EnvFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvFileError::Unreadable(kind) => write!(f, "it cannot be read ({kind})"),
            EnvFileError::NotAFile => write!(f, "it is not a regular file"),
            EnvFileError::TooLarge => write!(f, "it is larger than {} KiB", MAX_BYTES >> 10),
            EnvFileError::NotText => write!(f, "it is not UTF-8 text"),
            EnvFileError::Line(n) => write!(f, "line {n} is not KEY=value"),
        }
    }
}

impl EnvFile {
    /// Reads the file at `path`, following a link to it; `Ok(None)` when nothing is there.
    pub fn read(path: &Path) -> Result<Option<EnvFile>, EnvFileError> {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking, so that opening a FIFO returns at once (and is then refused by type).
        let opened =
            std::fs::File::options().read(true).custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32).open(path);
        let file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(EnvFileError::Unreadable(e.kind())),
        };
        let meta = file.metadata().map_err(|e| EnvFileError::Unreadable(e.kind()))?;
        if !meta.is_file() {
            return Err(EnvFileError::NotAFile);
        }
        let mut bytes = Vec::new();
        file.take(MAX_BYTES + 1).read_to_end(&mut bytes).map_err(|e| EnvFileError::Unreadable(e.kind()))?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(EnvFileError::TooLarge);
        }
        let text = String::from_utf8(bytes).map_err(|_| EnvFileError::NotText)?;
        Ok(Some(EnvFile { path: path.to_path_buf(), entries: parse(&text)? }))
    }

    /// The value of `key`: its first line.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|e| e.key == key).map(|e| e.value.as_str())
    }
}

/// The `KEY=value` lines of `text`.
fn parse(text: &str) -> Result<Vec<Entry>, EnvFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = parse_line(line).ok_or(EnvFileError::Line(i + 1))?;
        entries.push(Entry { key, value, line: i + 1 });
    }
    Ok(entries)
}

/// One non-blank, non-comment line.
fn parse_line(line: &str) -> Option<(String, String)> {
    let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
    let (key, value) = line.split_once('=')?;
    let key = key.trim_end();
    let valid_key = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid_key {
        return None;
    }
    let value = value.trim_start();
    let (value, rest) = match value.chars().next() {
        Some('\'') => {
            let end = value[1..].find('\'')? + 1;
            (value[1..end].to_owned(), &value[end + 1..])
        }
        Some('"') => double_quoted(&value[1..])?,
        _ => (value.split(" #").next().unwrap_or_default().trim_end().to_owned(), ""),
    };
    let rest = rest.trim_start();
    (rest.is_empty() || rest.starts_with('#')).then(|| (key.to_owned(), value))
}

/// The value of a double-quoted string whose opening quote is gone, and what follows its end.
fn double_quoted(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                'r' => value.push('\r'),
                't' => value.push('\t'),
                other @ ('"' | '\\' | '$') => value.push(other),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            other => value.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap().into_iter().map(|e| (e.key, e.value)).collect()
    }

    #[test]
    fn the_common_grammar_is_read() {
        let text = "\u{feff}# a comment\n\nTOOL_CLIENT_ID=skc_1\nexport TOOL_ENV_URL = https://a.b # the env\n\
                    TOOL_CLIENT_SECRET='p#ss $HOME'\nTOOL_IDENTIFIER=\"al\\\"ice\" # who\nEMPTY=\r\n";
        let want = [
            ("TOOL_CLIENT_ID", "skc_1"),
            ("TOOL_ENV_URL", "https://a.b"),
            ("TOOL_CLIENT_SECRET", "p#ss $HOME"),
            ("TOOL_IDENTIFIER", "al\"ice"),
            ("EMPTY", ""),
        ];
        assert_eq!(pairs(text), want.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn names_of_variables_in_values_stay_as_written() {
        for value in ["${TOOL_CLIENT_SECRET}", "$TOOL_CLIENT_SECRET", "\"${HOME}\""] {
            let parsed = pairs(&format!("TOOL_IDENTIFIER={value}\n"));
            assert_eq!(parsed[0].1, value.trim_matches('"'), "{value}");
        }
    }

    #[test]
    fn a_bad_line_is_named_by_number_only() {
        for (text, line) in [("A=1\nhttps://user:ghp_token@github.com\n", 2), ("A='open\n", 1), ("1A=x\n", 1)] {
            let err = parse(text).unwrap_err();
            assert_eq!(err, EnvFileError::Line(line), "{text:?}");
            assert!(!err.to_string().contains("ghp_"), "{err}");
        }
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(EnvFile::read(&dir.path().join("absent")), Ok(None));
        assert_eq!(EnvFile::read(dir.path()), Err(EnvFileError::NotAFile));
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(EnvFile::read(&fifo), Err(EnvFileError::NotAFile), "a FIFO is refused, not waited on");
        let big = dir.path().join("big.env");
        std::fs::write(&big, vec![b'#'; MAX_BYTES as usize + 1]).unwrap();
        assert_eq!(EnvFile::read(&big), Err(EnvFileError::TooLarge));
        let good = dir.path().join(".env");
        std::fs::write(&good, "A=1\nA=2\n").unwrap();
        assert_eq!(EnvFile::read(&good).unwrap().unwrap().get("A"), Some("1"));
    }
}
