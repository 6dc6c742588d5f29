"""The virtual Scalekit's hosted MCP server through the Python `mcp` package's streamable HTTP
client, as a Managed Agents host would use an instance URL. Run by tests/hosted_mcp.rs: argv is
the instance URL, the same URL with a forged token, and the server URL of a config of Exa alone
with a session token for it. Prints one line per step; any failed expectation raises."""

import asyncio
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from steps import approve, step

INSTANCE, FORGED, SERVER, TOKEN = sys.argv[1:5]
CONFIG_TOOLS = ["exa_search", "gmail_fetch_mails", "gmail_send_message", "notion_page_get"]


def text(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


async def instance():
    async with streamable_http_client(INSTANCE) as (r, w, *_), ClientSession(r, w) as s:
        init = await s.initialize()
        step("initialize", init.capabilities.tools is not None, init.protocol_version)

        listed = (await s.list_tools()).tools
        step("tools/list is the config's tools", [t.name for t in listed] == CONFIG_TOOLS, [t.name for t in listed])
        exa = next(t for t in listed if t.name == "exa_search")
        step("with their schemas", exa.input_schema.get("required") == ["query"], exa.input_schema)

        ran = await s.call_tool("exa_search", {"query": "wasm components"})
        step("tools/call runs the tool", not ran.is_error and "results" in (ran.structured_content or {}), ran)

        progress = []

        async def report(done, total, message):
            progress.append((done, total, message))

        ran = await s.call_tool("exa_search", {"query": "rust"}, progress_callback=report)
        step("a call with a progress token streams progress, then the result", not ran.is_error and progress, progress)

        refused = await s.call_tool("gmail_fetch_mails", {})
        said = text(refused)
        link = next((w for w in said.split() if w.startswith("http")), None)
        step("an unauthorized connection is an error result with a fresh link", refused.is_error and link, said)
        approve(link)
        ran = await s.call_tool("gmail_fetch_mails", {})
        step("once the person authorized, the same call runs", not ran.is_error, ran)

        outside = await s.call_tool("slack_send_message", {"channel": "#x", "text": "hi"})
        step("a tool outside the config is an error result", outside.is_error and "not on this MCP server" in text(outside), text(outside))


async def forged():
    statuses = []

    async def seen(response):
        statuses.append(response.status_code)

    client = create_mcp_http_client()
    client.event_hooks = {"response": [seen]}
    try:
        async with client, streamable_http_client(FORGED, http_client=client) as (r, w, *_), ClientSession(r, w) as s:
            await s.initialize()
    except BaseException as e:  # the SDK raises from its task group
        step("a forged instance token is refused with HTTP 401", statuses == [401], (statuses, repr(e)[:200]))
        return
    raise AssertionError("a forged token opened a session")


async def server():
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"})
    async with client, streamable_http_client(SERVER, http_client=client) as (r, w, *_), ClientSession(r, w) as s:
        await s.initialize()
        listed = (await s.list_tools()).tools
        step("a session token opens the config's server URL", [t.name for t in listed] == ["exa_search"], [t.name for t in listed])
        ran = await s.call_tool("exa_search", {"query": "mcp"})
        step("and runs its tools as the token's user", not ran.is_error, ran)


asyncio.run(instance())
asyncio.run(forged())
asyncio.run(server())
print("done", flush=True)
