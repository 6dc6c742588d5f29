#!/usr/bin/env bash
# Runs every suite (unit, conformance, end-to-end, README, browser) from a fresh clone.
# Idempotent and non-interactive: it first installs what the suites need and is missing:
#   - the pinned Rust toolchain and its wasm32-wasip2 target (rust-toolchain.toml);
#   - Debian's Chromium (/usr/bin/chromium), for tests/browser.rs;
#   - tests/browser/node_modules (playwright-core, from package-lock.json; it never downloads a browser).
# Extra arguments go to `cargo test` (e.g. scripts/test.sh -p agent-auth --test browser).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'scripts/test.sh: %s\n' "$*" >&2; }

# Rust: the toolchain and the wasm32-wasip2 target come from rust-toolchain.toml.
rustup toolchain install
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

# Chromium, from Debian's packages.
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo -n)
    else
        say "/usr/bin/chromium is missing and installing it needs root (apt-get install chromium)"
        exit 1
    fi
    say "installing Debian's chromium"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

# playwright-core for the browser driver, exactly as package-lock.json pins it.
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is missing: the browser test needs Node.js 20 or later"; exit 1; }
done
browser=tests/browser
installed="$browser/node_modules/.package-lock.json"   # written by npm on every install
if [ ! -f "$installed" ] || [ "$browser/package-lock.json" -nt "$installed" ] || [ "$browser/package.json" -nt "$installed" ]; then
    say "npm ci in $browser"
    (cd "$browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

cargo test --workspace "$@"
