"""agent-auth from Python: a fresh provider token for a service, as the scalekit-auth helper's
``get_token`` gave it, fetched by the agent-auth runner this package installs.

    from agent_auth import get_token, AuthorizationError

    try:
        token = get_token("gmail")
    except AuthorizationError as e:
        print(e.link)  # show it to the person; call get_token again once they are done

Services are mapped with ``agent-auth --configure SERVICE --connection-name C``; the runner reads
``TOOL_CLIENT_ID``, ``TOOL_CLIENT_SECRET``, ``TOOL_ENV_URL`` and ``TOOL_IDENTIFIER`` as it always
does. Nothing here sees the client secret or keeps a token.
"""

import json
import os
import shutil
import subprocess
import sysconfig

__all__ = ["get_token", "AgentAuthError", "ConfigurationError", "AuthorizationError"]

# Exit codes of the runner (docs/cli.md, "Exit codes") that mean the set-up is wrong.
_CONFIGURATION_EXITS = (2, 3, 5)
_PERSON_MUST_ACT = 4


class AgentAuthError(Exception):
    """The runner could not hand out the token. ``code`` is its stable error code (for example
    ``TOOL_ERROR`` or ``TIMEOUT``), ``hint`` what to do, ``details`` the whole JSON error object."""

    def __init__(self, details, exit_code):
        error = details.get("error", {})
        self.code = error.get("code", "INTERNAL_ERROR")
        self.hint = error.get("hint", "")
        self.details = details
        self.exit_code = exit_code
        super().__init__(self._text(error.get("message", "agent-auth failed")))

    def _text(self, message):
        return f"{message} ({self.code}). {self.hint}".strip()


class ConfigurationError(AgentAuthError):
    """The set-up is wrong: variables, the service mapping, an unknown connection (exit 2, 3 or 5)."""


class AuthorizationError(AgentAuthError):
    """A person must act first. ``link`` is the authorization link to show them verbatim (None
    when they must finish the account in the Scalekit dashboard instead); ``expires_at`` its
    expiry. Call ``get_token`` again once they are done."""

    def __init__(self, details, exit_code):
        action = details.get("action_required") or {}
        self.link = action.get("link")
        self.expires_at = action.get("expires_at")
        self.action = action.get("message", "")
        super().__init__(details, exit_code)

    def _text(self, message):
        text = f"{message}. {self.action}"
        if self.link:
            text += f"\n\n{self.link}\n"
            if self.expires_at:
                text += f"(expires at {self.expires_at})"
        return text.strip()


def _runner():
    """The runner installed beside this package, else the one on PATH."""
    beside = os.path.join(sysconfig.get_path("scripts"), "agent-auth")
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which("agent-auth")
    if found:
        return found
    details = {
        "error": {
            "code": "RUNNER_NOT_FOUND",
            "message": "the agent-auth runner is not installed",
            "hint": "Install it with pip install agent-auth (or put agent-auth on PATH).",
        }
    }
    raise ConfigurationError(details, 3)


def get_token(service, *, identifier=None, include_static=False, timeout=None):
    """A fresh access token for ``service`` (a configured service or a connection name).

    ``identifier`` acts for that user instead of the mapping's or ``TOOL_IDENTIFIER``.
    ``include_static`` returns a non-OAuth account's only static field (an API key).
    Raises ``AuthorizationError`` (with the link) when a person must authorize first,
    ``ConfigurationError`` when the set-up is wrong, ``AgentAuthError`` otherwise.
    """
    command = [_runner(), "--get-token", service, "--raw"]
    if identifier is not None:
        command += ["--identifier", identifier]
    if include_static:
        command.append("--include-static")
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        details = {"error": {"code": "TIMEOUT", "message": f"agent-auth took longer than {timeout} s", "hint": "Retry later."}}
        raise AgentAuthError(details, 7) from None
    if done.returncode == 0:
        return done.stdout.rstrip("\n")
    try:
        # The JSON error is the last thing on stderr; a line before it (a note) is not part of it.
        details = json.loads(done.stderr[done.stderr.index("{") :])
    except ValueError:
        details = {"error": {"code": "INTERNAL_ERROR", "message": done.stderr.strip() or "agent-auth failed"}}
    if done.returncode == _PERSON_MUST_ACT:
        raise AuthorizationError(details, done.returncode)
    if done.returncode in _CONFIGURATION_EXITS:
        raise ConfigurationError(details, done.returncode)
    raise AgentAuthError(details, done.returncode)
