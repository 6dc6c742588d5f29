// What the plugin shares with the agent-auth runner: the variables it sets, the flags it passes,
// the `_meta` key of a call's requester. tests/openclaw.rs checks each against the runner's own
// definitions (plugin/contract, host-harness/src/settings.rs), so neither side drifts.

/** The variables of a runner's environment that the plugin sets from its config. */
export const VARIABLES = {
  clientId: "TOOL_CLIENT_ID",
  clientSecret: "TOOL_CLIENT_SECRET",
  environmentUrl: "TOOL_ENV_URL",
  mcpUrl: "TOOL_MCP_URL",
  verification: "AGENT_AUTH_USER_VERIFICATION",
  verifyUrl: "AGENT_AUTH_VERIFY_URL",
  stateDir: "AGENT_AUTH_STATE_DIR",
  configDir: "AGENT_AUTH_CONFIG_DIR",
  cacheDir: "AGENT_AUTH_CACHE_DIR",
  requester: "AGENT_AUTH_REQUESTER",
};

/** The value of `VARIABLES.verification` for Scalekit's custom user verification. */
export const CUSTOM_VERIFICATION = "custom";

/**
 * The operator's settings a runner takes from the Gateway's own environment, as the runner reads
 * them from its own: the programs' folders, home, proxies, TLS, limits, the proxy policy, the
 * files allowed, another component, the compile cache.
 */
export const OPERATOR_VARIABLES = [
  "PATH", "HOME", "NO_COLOR",
  "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
  "SSL_CERT_FILE", "AGENT_AUTH_TIMEOUT", "AGENT_AUTH_COMPONENT", "AGENT_AUTH_CACHE_DIR", "AGENT_AUTH_NO_CACHE",
  "AGENT_AUTH_PROXY_POLICY", "AGENT_AUTH_ALLOW_FILES",
];

/** The runner's flags the plugin passes (always as `--flag=value`, so no value reads as a flag). */
export const FLAGS = {
  listTools: "--list-tools",
  envFile: "--env-file",
  identifier: "--identifier",
  files: "--files",
  verifyUser: "--verify-user",
  authRequestId: "--auth-request-id",
  state: "--state",
};

/** The `_meta` key of a `tools/call` naming its requester, for the runner's audit trail. */
export const REQUESTER_META = "agent-auth/requester";

/** `--flag=value`. */
export function flag(name, value) {
  return `${name}=${value}`;
}
