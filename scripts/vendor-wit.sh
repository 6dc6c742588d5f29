#!/usr/bin/env bash
# Refresh wit/deps/ from the WASI 0.2 WIT shipped by the pinned wasmtime-wasi-http crate, so the
# guest's bindings and the host's bindings describe exactly the interfaces the host implements.
# Usage: scripts/vendor-wit.sh          (copy)
#        scripts/vendor-wit.sh --check  (exit 1 when wit/deps/ differs; the test suite runs this check too)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
manifest=$(cargo metadata --format-version 1 --locked \
  | grep -o '"manifest_path":"[^"]*/wasmtime-wasi-http-[0-9][^"/]*/Cargo.toml"' | head -n 1 | cut -d'"' -f4)
[ -n "$manifest" ] || { echo "wasmtime-wasi-http not found in cargo metadata" >&2; exit 1; }
src="$(dirname "$manifest")/wit/deps"
if [ "${1:-}" = "--check" ]; then
  diff -r "$src" wit/deps && echo "wit/deps matches $(basename "$(dirname "$manifest")")"
else
  rm -rf wit/deps && mkdir -p wit/deps && cp "$src"/*.wit wit/deps/
  echo "vendored $(ls wit/deps | wc -l) WIT packages from $(basename "$(dirname "$manifest")")"
fi
