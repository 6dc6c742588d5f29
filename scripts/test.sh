#!/usr/bin/env bash
# Runs every suite (unit, conformance, end-to-end, docs and their examples, browser, skill) from a fresh
# clone, then the install checks (scripts/test-install.sh). .ci/run runs exactly this.
#   1. scripts/setup.sh installs what the suites need and is missing;
#   2. scripts/lint.sh: cargo fmt --check, and clippy with warnings denied for the host and for
#      the guest (wasm32-wasip2);
#   3. cargo test --workspace;
#   4. scripts/test-install.sh.
# Extra arguments go to `cargo test` (e.g. scripts/test.sh -p agent-auth --test browser), and then
# the lints and the install checks are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
if [ $# -eq 0 ]; then
    scripts/lint.sh
fi
cargo test --workspace "$@"
if [ $# -eq 0 ]; then
    scripts/test-install.sh
fi
