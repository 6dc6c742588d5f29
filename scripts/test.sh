#!/usr/bin/env bash
# Runs every suite (unit, conformance, end-to-end, README, browser, skill) from a fresh clone, then
# the install checks (scripts/test-install.sh). .ci/run runs exactly this.
# It first installs what the suites need and is missing (scripts/setup.sh), then runs the format
# and lint gates, then the tests.
# Extra arguments go to `cargo test` (e.g. scripts/test.sh -p agent-auth --test browser), and then
# the install checks are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo test --workspace "$@"
if [ $# -eq 0 ]; then
    scripts/test-install.sh
fi
