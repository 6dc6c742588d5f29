//! agent-auth's own folders, which the runner creates and grants the component, and the files the
//! component keeps in them.

/// The variable naming the config folder (default: the user's config folder + `agent-auth`).
pub const CONFIG_DIR_VAR: &str = "AGENT_AUTH_CONFIG_DIR";
/// The variable naming the state folder (default: the user's state folder + `agent-auth`).
pub const STATE_DIR_VAR: &str = "AGENT_AUTH_STATE_DIR";
/// In the config folder: service names mapped to connections, for `--get-token` (owner-only, 0600).
pub const CONNECTIONS_FILE: &str = "connections.json";
/// In the state folder: the audit trail, one JSON line per audited call.
pub const AUDIT_FILE: &str = "audit.jsonl";
/// In the state folder: the start of the names of the Scalekit access-token cache files
/// (`<prefix><key>.json`), which the runner makes readable by their owner only.
pub const TOKEN_CACHE_PREFIX: &str = "scalekit-token-";
/// In the state folder: the start of the names of the files that remember an environment's
/// connections, tool listings and active accounts between calls (`<prefix><key>.json`).
pub const MEMORY_PREFIX: &str = "scalekit-memory-";
/// In the state folder: results too large for stdout (`--max-output-bytes`), one file each,
/// readable by their owner only and removed after a day.
pub const RESULTS_DIR: &str = "results";
/// How long a result file is kept, in seconds.
pub const RESULT_KEPT_FOR: i64 = 24 * 60 * 60;
