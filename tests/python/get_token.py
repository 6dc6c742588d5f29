"""The wheel's Python module as a script uses it: run by scripts/test-install.sh with the Python
of a venv the wheel was pip-installed into, against the in-process virtual Scalekit
(TOOL_ENV_URL=sandbox). Exits non-zero on the first broken promise."""

import subprocess
import sysconfig

from agent_auth import AgentAuthError, AuthorizationError, ConfigurationError, get_token

runner = sysconfig.get_path("scripts") + "/agent-auth"
subprocess.run([runner, "--configure", "notion", "--connection-name", "notion-ijIQedmJ"], capture_output=True, check=True)

# A mapped service with an ACTIVE account: the token itself.
assert get_token("notion") == "ya29.virtual-notion-access", "the notion token"

# A person must authorize: AuthorizationError carries the link, and its text shows it.
try:
    get_token("gmail")
    raise SystemExit("gmail is not authorized yet, get_token must raise")
except AuthorizationError as e:
    assert e.code == "AUTHORIZATION_REQUIRED" and e.exit_code == 4, e.code
    assert e.link and "/magic/" in e.link, e.link
    assert e.link in str(e), str(e)

# The set-up is wrong: ConfigurationError with the runner's code and hint.
try:
    get_token("no-such-service")
    raise SystemExit("an unknown service must raise")
except ConfigurationError as e:
    assert e.code == "SERVICE_NOT_CONFIGURED", e.code
    assert "--configure" in e.hint, e.hint

# Both are AgentAuthError, for callers that catch everything at once.
assert issubclass(AuthorizationError, AgentAuthError) and issubclass(ConfigurationError, AgentAuthError)
print("ok: from agent_auth import get_token: a token, AuthorizationError with the link, ConfigurationError")
