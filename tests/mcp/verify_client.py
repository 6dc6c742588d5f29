"""A session with `agent-auth mcp` in custom user verification, through the Python `mcp` package's
stdio client. Run by tests/mcp.rs: argv is the runner and the loopback verify URL the runner
serves (the environment, in custom mode, sends the browser there after consent). Prints one line
per step, and the seconds from approval to an ACTIVE account; any failed expectation raises."""

import asyncio
import os
import sys
import time
import urllib.error
import urllib.request

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from steps import step

RUNNER, VERIFY_URL = sys.argv[1], sys.argv[2]


class Stay(urllib.request.HTTPRedirectHandler):
    """A browser that shows each redirect instead of following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def answer(url, method="GET"):
    """(status, Location) of one request, redirects not followed."""
    opener = urllib.request.build_opener(Stay)
    data = b"" if method == "POST" else None
    try:
        with opener.open(urllib.request.Request(url, data=data, method=method), timeout=30) as r:
            return r.status, r.headers.get("location")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("location")


async def session():
    env = dict(os.environ, AGENT_AUTH_USER_VERIFICATION="custom", AGENT_AUTH_VERIFY_URL=VERIFY_URL)
    params = StdioServerParameters(command=RUNNER, args=["mcp"], env=env)
    async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        needs = await s.call_tool("authorize", {"connection_name": "gmail"})
        link = needs.structured_content["action_required"]["link"]
        step("authorize gives a link", needs.is_error and needs.structured_content["error"]["code"] == "AUTHORIZATION_REQUIRED", needs)

        # The person approves; Scalekit sends their browser to the server's verify route.
        started = time.monotonic()
        status, callback = await asyncio.to_thread(answer, link, "POST")
        step("consent sends the browser to the verify route", status == 302 and callback.startswith(VERIFY_URL + "?"), (status, callback))
        pending = await s.call_tool("execute_tool", {"tool_name": "gmail_fetch_mails", "input": {}})
        step("approved, not yet verified", pending.is_error
             and pending.structured_content["error"]["code"] == "VERIFICATION_PENDING", pending)

        forged = callback.split("state=")[0] + "state=forged"
        status, _ = await asyncio.to_thread(answer, forged)
        step("a forged state is refused", status == 403, status)

        status, onward = await asyncio.to_thread(answer, callback)
        verified_in = time.monotonic() - started
        step("the route verifies and sends the browser on", status == 303 and "/connect/success" in onward, (status, onward))
        status, _ = await asyncio.to_thread(answer, callback)
        step("the same callback again is refused", status == 403, status)

        mails = await s.call_tool("execute_tool", {"tool_name": "gmail_fetch_mails", "input": {}})
        step("the tool runs once verified", not mails.is_error, mails)
        print(f"approval to ACTIVE: {verified_in:.3f} s (including two refused callbacks and one tool call)", flush=True)
    print("session done", flush=True)


asyncio.run(session())
