//! The component's connection settings (client id and secret, environment URL, MCP URL and token)
//! and the identifier: from the runner's environment, or from a `.env`, never a mix.
//!
//! A secret travels only where its own source sends it. The client secret and the URL it is sent
//! to come from one place, and so do an MCP URL and the credentials it would replace: a planted
//! `.env` cannot send the operator's secret, or an agent's tool inputs, to a server of its own. A
//! setting the environment gives (under either of its names) is never taken from the `.env`, and
//! the identifier is taken from a `.env` only with the credentials it goes with (a planted file
//! does not choose whom the operator's credentials act for). The `.env` supplies nothing else:
//! any other line there is ignored with a warning that names its key when it is one of the
//! runner's settings, else its line (a file that is not a `.env` at all may hold a secret there).

use std::path::Path;

use agent_auth_contract::code::Code;
use agent_auth_contract::variables::{
    CLIENT_ID, CLIENT_SECRET, ENV_URL, IDENTIFIER, MCP_TOKEN, MCP_URL, SETTINGS, Setting,
};

use crate::env_file::EnvFile;
use crate::error::RunnerError;
use crate::settings::Settings;

/// The settings that decide where a credential goes; all that are set come from one place.
const CONNECTION: [Setting; 5] = [CLIENT_ID, CLIENT_SECRET, ENV_URL, MCP_URL, MCP_TOKEN];

/// Where a setting was found.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    /// The runner's own environment.
    Environment,
    /// The `.env` file.
    File,
}

/// The settings for the component, each under the one name it was found under.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credentials {
    /// `(name, value)` pairs, at most one per setting.
    pub vars: Vec<(String, String)>,
    /// The lines of the `.env` that were ignored, by name, and why.
    pub warnings: Vec<String>,
}

/// One setting's value, the name it was found under, and where.
struct Found {
    setting: Setting,
    name: &'static str,
    value: String,
    source: Source,
}

/// The first of `setting`'s names `get` finds set and not blank.
fn first(setting: Setting, get: impl Fn(&str) -> Option<String>) -> Option<(&'static str, String)> {
    setting.names().find_map(|name| Some((name, get(name)?.trim().to_owned())).filter(|(_, v)| !v.is_empty()))
}

/// The `.env` to read: `--env-file`'s (`named`, which must be there), else the working folder's,
/// if any.
fn env_file(named: Option<&Path>, cwd: &Path) -> Result<Option<EnvFile>, RunnerError> {
    let (path, required) = match named {
        Some(p) => (cwd.join(p), true),
        None => (cwd.join(".env"), false),
    };
    let unreadable = |why: String| {
        RunnerError::new(
            Code::EnvFileUnreadable,
            format!("cannot use {} as a .env: {why}", path.display()),
            "Fix the file (KEY=value lines) or pass another with --env-file.",
        )
    };
    match EnvFile::read(&path) {
        Ok(None) if required => Err(unreadable("it does not exist".into())),
        Ok(found) => Ok(found),
        Err(e) => Err(unreadable(e.to_string())),
    }
}

impl Credentials {
    /// The credentials of one call: from the runner's environment, or from the `.env` in `cwd`
    /// (or the one `--env-file` names), never a mix.
    pub fn of_call(env_file_named: Option<&Path>, cwd: &Path) -> Result<Credentials, RunnerError> {
        Credentials::gather(|name| std::env::var(name).ok(), env_file(env_file_named, cwd)?.as_ref())
    }

    /// The settings of the runner's environment (`process`) and of `file`, or `CONFIG_INVALID`
    /// when the connection settings come from both, or the identifier from `file` beside
    /// connection settings from the environment.
    pub fn gather(
        process: impl Fn(&str) -> Option<String>,
        file: Option<&EnvFile>,
    ) -> Result<Credentials, RunnerError> {
        let mut found = Vec::new();
        let mut warnings = Vec::new();
        let shown = |file: &EnvFile| file.path.display().to_string();
        for setting in SETTINGS {
            let in_file = file.and_then(|f| first(setting, |name| f.get(name).map(str::to_owned)));
            match (first(setting, &process), in_file) {
                (Some((name, value)), shadowed) => {
                    if let (Some((ignored, _)), Some(file)) = (shadowed, file) {
                        warnings.push(format!("{ignored} in {} is ignored: the environment sets {name}", shown(file)));
                    }
                    found.push(Found { setting, name, value, source: Source::Environment });
                }
                (None, Some((name, value))) => found.push(Found { setting, name, value, source: Source::File }),
                (None, None) => {}
            }
        }
        if let Some(file) = file {
            for entry in &file.entries {
                if SETTINGS.iter().any(|s| s.names().any(|n| n == entry.key)) {
                    continue;
                }
                warnings.push(match Settings::is_setting(&entry.key) {
                    true => format!(
                        "{} in {} is ignored: the runner's settings come from its own environment only",
                        entry.key,
                        shown(file)
                    ),
                    false => format!(
                        "line {} of {} is ignored: a .env supplies only the credentials and the identifier (TOOL_*, SCALEKIT_*)",
                        entry.line,
                        shown(file)
                    ),
                });
            }
        }
        let mut connection = found.iter().filter(|f| CONNECTION.contains(&f.setting));
        let first = connection.next();
        let mixed = first.and_then(|one| connection.find(|f| f.source != one.source).map(|other| (one, other)));
        // The identifier from the file, the credentials from the environment: the file would
        // choose whom they act for.
        let planted = found.iter().find(|f| f.setting == IDENTIFIER && f.source == Source::File);
        let chosen = planted.zip(first.filter(|one| one.source == Source::Environment)).map(|(id, one)| (one, id));
        if let Some((one, other)) = mixed.or(chosen) {
            let place = |f: &Found| match (f.source, file) {
                (Source::File, Some(file)) => shown(file),
                _ => "the runner's environment".to_owned(),
            };
            return Err(RunnerError::new(
                Code::ConfigInvalid,
                format!("{} comes from {} but {} from {}", one.name, place(one), other.name, place(other)),
                "Give the client credentials, the environment URL, any MCP URL and the identifier in one place: \
                 all in the environment, or all in one .env (a secret is sent only where its own source says).",
            ));
        }
        Ok(Credentials { vars: found.into_iter().map(|f| (f.name.to_owned(), f.value)).collect(), warnings })
    }

    /// The value of `setting`, when set.
    pub fn get(&self, setting: Setting) -> Option<&str> {
        self.vars.iter().find(|(k, _)| setting.names().any(|n| n == k)).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::env_file::Entry;

    fn file(lines: &[(&str, &str)]) -> EnvFile {
        let entry =
            |(i, (k, v)): (usize, &(&str, &str))| Entry { key: k.to_string(), value: v.to_string(), line: i + 1 };
        EnvFile { path: PathBuf::from("/work/repo/.env"), entries: lines.iter().enumerate().map(entry).collect() }
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn one_source_is_used_whole() {
        let dotenv = file(&[("TOOL_CLIENT_ID", "skc_1"), ("TOOL_CLIENT_SECRET", "s"), ("TOOL_ENV_URL", "https://a.b")]);
        let creds = Credentials::gather(env(&[("TOOL_IDENTIFIER", "alice")]), Some(&dotenv)).unwrap();
        assert_eq!(creds.get(CLIENT_SECRET), Some("s"));
        assert_eq!(creds.get(IDENTIFIER), Some("alice"), "the operator's identifier with the file's credentials");
        assert!(creds.warnings.is_empty());
    }

    #[test]
    fn a_planted_identifier_never_chooses_whom_the_environment_s_credentials_act_for() {
        const PROCESS: &[(&str, &str)] = &[("TOOL_CLIENT_ID", "skc_1"), ("TOOL_CLIENT_SECRET", "s")];
        let planted = file(&[("TOOL_IDENTIFIER", "admin@corp")]);
        let err = Credentials::gather(env(PROCESS), Some(&planted)).unwrap_err();
        assert_eq!(err.code, Code::ConfigInvalid);
        assert!(err.message.contains("TOOL_IDENTIFIER from /work/repo/.env"), "{}", err.message);
    }

    #[test]
    fn the_environment_s_setting_wins_under_either_name_and_the_file_s_is_named() {
        const PROCESS: &[(&str, &str)] = &[
            ("SCALEKIT_CLIENT_ID", "skc_1"),
            ("SCALEKIT_CLIENT_SECRET", "s"),
            ("SCALEKIT_ENV_URL", "https://acme.scalekit.cloud"),
        ];
        let planted = file(&[("TOOL_ENV_URL", "http://127.0.0.1:9/steal")]);
        let creds = Credentials::gather(env(PROCESS), Some(&planted)).unwrap();
        assert_eq!(creds.get(ENV_URL), Some("https://acme.scalekit.cloud"));
        assert!(!creds.vars.iter().any(|(k, _)| k == "TOOL_ENV_URL"), "one name per setting: {:?}", creds.vars);
        assert_eq!(
            creds.warnings,
            ["TOOL_ENV_URL in /work/repo/.env is ignored: the environment sets SCALEKIT_ENV_URL"]
        );
    }

    #[test]
    fn a_mix_is_refused_naming_both_places() {
        const PROCESS: &[(&str, &str)] = &[("TOOL_CLIENT_ID", "skc_1"), ("TOOL_CLIENT_SECRET", "s")];
        for planted in
            [file(&[("TOOL_ENV_URL", "http://127.0.0.1:9")]), file(&[("TOOL_MCP_URL", "http://127.0.0.1:9/mcp")])]
        {
            let err = Credentials::gather(env(PROCESS), Some(&planted)).unwrap_err();
            assert_eq!(err.code, Code::ConfigInvalid);
            assert!(
                err.message.contains("the runner's environment") && err.message.contains("/work/repo/.env"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn lines_that_are_not_credentials_are_ignored_by_name() {
        let planted = file(&[
            ("AGENT_AUTH_COMPONENT", "/tmp/evil.wasm"),
            ("HTTPS_PROXY", "http://127.0.0.1:9"),
            ("AWS_SECRET_ACCESS_KEY", "AKIA-not-shown"),
        ]);
        let creds = Credentials::gather(env(&[]), Some(&planted)).unwrap();
        assert!(creds.vars.is_empty());
        assert_eq!(creds.warnings.len(), 3);
        assert!(
            creds.warnings[0].starts_with("AGENT_AUTH_COMPONENT in /work/repo/.env is ignored: the runner's settings")
        );
        assert!(creds.warnings[2].starts_with("line 3 of /work/repo/.env is ignored"), "{}", creds.warnings[2]);
        assert!(creds.warnings.iter().all(|w| !w.contains("evil") && !w.contains("AKIA")), "{:?}", creds.warnings);
        // A file that is not a .env: its keys are not named (a key may be the secret itself).
        let key = file(&[("LPvqHn0eT2bm8yWsqP9Q6xYz3kR", "")]);
        let creds = Credentials::gather(env(&[]), Some(&key)).unwrap();
        assert!(!creds.warnings[0].contains("LPvq"), "{}", creds.warnings[0]);
    }

    #[test]
    fn a_missing_env_file_is_an_error_only_when_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(env_file(None, dir.path()).unwrap(), None);
        assert_eq!(env_file(Some(Path::new("gone.env")), dir.path()).unwrap_err().code, Code::EnvFileUnreadable);
    }
}
