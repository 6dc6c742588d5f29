#!/usr/bin/env bash
# The format and lint gates: rustfmt (rustfmt.toml), and clippy with every warning an error, for
# the host (the workspace, natively) and for the guest (plugin/ and its contract crate, for
# wasm32-wasip2, the target it ships for), and the runner without the virtual Scalekit (its
# default feature). Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p agent-auth --no-default-features --all-targets --quiet -- -D warnings
cargo clippy -p agent-auth-plugin -p agent-auth-contract --target wasm32-wasip2 --all-targets --quiet -- -D warnings
