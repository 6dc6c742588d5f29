"""What the MCP client scripts share: a checked step that prints what the server sent (so that
the test scans it for secrets), and a person approving an authorization link."""

import urllib.request


def step(name, ok, detail):
    if not ok:
        raise AssertionError(f"{name}: {detail}")
    print(f"ok {name}", flush=True)
    print(f"   {detail!r}", flush=True)


def approve(link):
    """What the person does: open the link and press Authorize (the page's form posts to it)."""
    urllib.request.urlopen(urllib.request.Request(link, data=b"", method="POST"), timeout=10).read()
