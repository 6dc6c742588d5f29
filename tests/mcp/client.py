"""A session with `agent-auth mcp` through the Python `mcp` package's stdio client, as an MCP
host would run it. Run by tests/mcp.rs: argv is the runner, a folder granted with --files, and
an unreachable environment URL. Prints one line per step; any failed expectation raises."""

import asyncio
import json
import os
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from steps import approve, step

RUNNER, GRANTED, UNREACHABLE = sys.argv[1], sys.argv[2], sys.argv[3]
PAGE = "59833787-2cf9-4fdf-8782-e53db20768a5"
TOOLS = ["list_connections", "search_tools", "get_tool_schema", "authorize", "wait_for_authorization",
         "execute_tool", "proxy_request"]


def server(env_url=None, extra=()):
    env = dict(os.environ)
    if env_url:
        env["TOOL_ENV_URL"] = env_url
    return StdioServerParameters(command=RUNNER, args=["mcp", "--files", GRANTED, *extra], env=env)


async def session():
    async with stdio_client(server()) as (r, w), ClientSession(r, w) as s:
        init = await s.initialize()
        step("initialize", init.server_info.name == "agent-auth", init)

        listed = (await s.list_tools()).tools
        step("tools/list in order", [t.name for t in listed] == TOOLS, [t.name for t in listed])
        hints = [t.annotations for t in listed]
        step("every tool annotated", all(h is not None and h.read_only_hint is not None and h.destructive_hint is not None
                                         and h.idempotent_hint is not None and h.open_world_hint is not None for h in hints), hints)

        found = await s.call_tool("search_tools", {"query": "read a notion page", "limit": 3})
        first = found.structured_content["tools"][0]
        step("search_tools", not found.is_error and first["name"] == "notion_page_get" and "input_schema" not in first, first)

        schema = await s.call_tool("get_tool_schema", {"tool_name": "notion_page_get"})
        step("get_tool_schema", schema.structured_content["tool"]["input_schema"]["required"] == ["page_id"], schema)

        page = await s.call_tool("execute_tool", {"tool_name": "notion_page_get", "input": {"page_id": PAGE}})
        step("execute_tool, OAuth", not page.is_error and page.structured_content["data"]["id"] == PAGE, page)
        text = json.loads(page.content[-1].text)
        step("the text block is the same object", text == page.structured_content, page.content)

        exa = await s.call_tool("execute_tool", {"tool_name": "exa_search", "input": {"query": "WebAssembly component model"}})
        step("execute_tool, API key", not exa.is_error and exa.structured_content["connection_name"] == "exa", exa)

        wrong = await s.call_tool("execute_tool", {"tool_name": "exa_search", "input": {"qeury": "wasm"}})
        step("invalid input", wrong.is_error and wrong.structured_content["error"]["code"] == "INVALID_TOOL_INPUT", wrong)

        missing = "00000000-0000-0000-0000-000000000000"
        failed = await s.call_tool("execute_tool", {"tool_name": "notion_page_get", "input": {"page_id": missing}})
        step("a tool error", failed.is_error and failed.structured_content["error"]["code"] == "TOOL_ERROR"
             and "Could not find page" in failed.content[0].text, failed)

        needs = await s.call_tool("execute_tool", {"tool_name": "gmail_fetch_mails", "input": {}})
        link = needs.structured_content["action_required"]["link"]
        readable = needs.content[0].text
        step("authorization required", needs.is_error and needs.structured_content["error"]["code"] == "AUTHORIZATION_REQUIRED"
             and link in readable and "again" in readable, needs)

        progress = []

        async def on_progress(value, total, message):
            progress.append(value)

        async def person():
            await asyncio.sleep(3)
            await asyncio.to_thread(approve, link)

        waited, _ = await asyncio.gather(
            s.call_tool("wait_for_authorization", {"connection_name": "gmail", "timeout_seconds": 60},
                        progress_callback=on_progress),
            person())
        step("wait_for_authorization, approved", not waited.is_error and waited.structured_content["active"] is True, waited)
        step("progress while waiting", len(progress) >= 1 and progress == sorted(progress), progress)

        mails = await s.call_tool("execute_tool", {"tool_name": "gmail_fetch_mails", "input": {}})
        step("the tool runs once authorized", not mails.is_error, mails)

        pending = await s.call_tool("authorize", {"provider": "LINEAR"})
        step("authorize by provider", pending.is_error and pending.structured_content["connection_name"] == "linear"
             and "link" in pending.structured_content["action_required"], pending)
        timed_out = await s.call_tool("wait_for_authorization", {"connection_name": "linear", "timeout_seconds": 2})
        step("wait_for_authorization, timed out", timed_out.is_error
             and timed_out.structured_content["error"]["code"] == "AUTHORIZATION_REQUIRED", timed_out)

        started = time.monotonic()
        try:
            await asyncio.wait_for(s.call_tool("wait_for_authorization", {"connection_name": "linear", "timeout_seconds": 120}), 2)
            step("cancellation", False, "the wait finished")
        except (asyncio.TimeoutError, TimeoutError):
            pass
        alive = await s.call_tool("list_connections", {"provider": "NOTION"})
        step("cancellation", time.monotonic() - started < 30 and not alive.is_error, alive)

        names = ["notion_page_get", "notion_page_search", "exa_search", "harvestapi_search_people",
                 "slack_send_message", "gmail_fetch_mails", "github_branches_list", "linear_issue_create"]
        answers = await asyncio.gather(*(s.call_tool("get_tool_schema", {"tool_name": n}) for n in names))
        got = [a.structured_content["tool"]["name"] for a in answers]
        step("8 calls at once, each answer to its own request", got == names, got)

        outside = await s.call_tool("proxy_request", {"connection_name": "notion-ijIQedmJ", "path": "/v1/users/me",
                                                      "output_file": "/etc/agent-auth-test-out.json"})
        step("a file outside --files", outside.is_error and outside.structured_content["error"]["code"] == "FILE_DENIED", outside)
        os.symlink("/etc", os.path.join(GRANTED, "etc-link"))
        for escape in [os.path.join(GRANTED, "..", "escape.json"), os.path.join(GRANTED, "etc-link", "x.json"), GRANTED]:
            denied = await s.call_tool("proxy_request", {"connection_name": "notion-ijIQedmJ", "path": "/v1/users/me",
                                                        "output_file": escape})
            step(f"refused: {escape}", denied.is_error and denied.structured_content["error"]["code"] == "FILE_DENIED", denied)
        denied = await s.call_tool("proxy_request", {"connection_name": "notion-ijIQedmJ", "path": "/v1/file_uploads",
                                                    "method": "POST", "input_file": "/etc/passwd"})
        step("refused: an input_file outside", denied.is_error and denied.structured_content["error"]["code"] == "FILE_DENIED", denied)
        flag = await s.call_tool("get_tool_schema", {"tool_name": "--get-token"})
        step("a value is never a flag", flag.is_error and flag.structured_content["error"]["code"] == "TOOL_NOT_FOUND", flag)
        forever = await s.call_tool("wait_for_authorization", {"connection_name": "linear", "timeout_seconds": 10**19})
        step("a wait longer than allowed", forever.is_error and forever.structured_content["error"]["code"] == "USAGE", forever)
        someone = await s.call_tool("proxy_request", {"connection_name": "notion-ijIQedmJ", "path": "/v1/users/me",
                                                      "headers": {"Connected-Account-Id": "ca_someone_else", "identifier": "mallory"}})
        dropped = " ".join(someone.structured_content["warnings"])
        step("routing headers are dropped", not someone.is_error and "Connected-Account-Id" in dropped and "identifier" in dropped, someone)

        inside = await s.call_tool("proxy_request", {"connection_name": "notion-ijIQedmJ", "path": "/v1/users/me",
                                                     "headers": {"Notion-Version": "2022-06-28"},
                                                     "output_file": os.path.join(GRANTED, "me.json")})
        saved = json.load(open(os.path.join(GRANTED, "me.json")))
        step("a file inside --files", not inside.is_error and saved["type"] == "bot", inside)

        other = await s.call_tool("execute_tool", {"tool_name": "notion_page_get", "input": {"page_id": PAGE},
                                                   "identifier": "mallory"})
        step("no tool takes an identifier", other.structured_content.get("identifier") == os.environ["TOOL_IDENTIFIER"], other)

    async with stdio_client(server(UNREACHABLE)) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        down = await s.call_tool("list_connections", {})
        step("a transport failure", down.is_error and down.structured_content["error"]["code"] == "TRANSPORT_ERROR", down)


    names = ["notion_page_get", "notion_page_search", "exa_search", "harvestapi_search_people",
             "slack_send_message", "gmail_fetch_mails", "github_branches_list", "linear_issue_create"]

    async def one_client(name):
        async with stdio_client(server()) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            schema = await s.call_tool("get_tool_schema", {"tool_name": name})
            page = await s.call_tool("execute_tool", {"tool_name": "notion_page_get", "input": {"page_id": PAGE}})
            return schema.structured_content["tool"]["name"], page.structured_content["data"]["id"]

    answers = await asyncio.gather(*(one_client(n) for n in names))
    step("8 clients at once, no cross-talk", [a[0] for a in answers] == names and all(a[1] == PAGE for a in answers), answers)

    typed = ("--expose", "notion-ijIQedmJ:notion_page_get,notion_page_search")
    async with stdio_client(server(extra=typed)) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        listed = {t.name: t for t in (await s.list_tools()).tools}
        step("--expose lists the tools after the server's own", list(listed)[7:] == ["notion_page_get", "notion_page_search"], list(listed))
        step("--expose keeps the tool's schema", listed["notion_page_get"].input_schema["required"] == ["page_id"], listed["notion_page_get"])
        typed_call = await s.call_tool("notion_page_get", {"page_id": PAGE})
        step("an exposed tool runs on its connection", not typed_call.is_error
             and typed_call.structured_content["connection_name"] == "notion-ijIQedmJ", typed_call)


asyncio.run(session())
print("session done", flush=True)
