#!/usr/bin/env bash
# Rebuilds skill/agent-auth.wasm and skill/agent-auth.wasm.sha256 from source.
#
# The build is reproducible: host-harness/build.rs builds the guest with the pinned toolchain
# (rust-toolchain.toml), Cargo.lock (--locked) and the `guest` profile, and maps the checkout's
# and CARGO_HOME's paths to fixed prefixes, so any clone on any machine gets the same bytes.
# tests/skill.rs fails when the committed .wasm differs from what the source builds.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain install >/dev/null    # the pinned toolchain and its wasm32-wasip2 target
cargo build --locked --package agent-auth   # its build.rs builds the guest component

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
built="$target_dir/component/wasm32-wasip2/guest/agent_auth_plugin.wasm"

# Written to temporary names, then renamed: an interrupted run never leaves a half file.
trap 'rm -f skill/.agent-auth.wasm.tmp skill/.agent-auth.wasm.sha256.tmp' EXIT
cp "$built" skill/.agent-auth.wasm.tmp
if command -v sha256sum >/dev/null 2>&1; then digest=$(sha256sum < skill/.agent-auth.wasm.tmp); else digest=$(shasum -a 256 < skill/.agent-auth.wasm.tmp); fi
printf '%s  agent-auth.wasm\n' "${digest%% *}" > skill/.agent-auth.wasm.sha256.tmp
mv skill/.agent-auth.wasm.tmp skill/agent-auth.wasm
mv skill/.agent-auth.wasm.sha256.tmp skill/agent-auth.wasm.sha256
printf 'scripts/build-skill.sh: skill/agent-auth.wasm (%s bytes), sha256 %s\n' "$(wc -c < skill/agent-auth.wasm | tr -d ' ')" "${digest%% *}" >&2
