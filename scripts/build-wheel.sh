#!/usr/bin/env bash
# Builds the `agent-auth` runner as a Python wheel (maturin, `bindings = "bin"`: the wheel carries
# only the native binary) into target/wheels/. `uv tool install <wheel>` or `pip install <wheel>`
# then puts `agent-auth` on PATH; published to PyPI, it is what the skill's `kind: uv` installer runs.
# maturin (and uv, used by scripts/test-install.sh) come from PyPI, pinned, into target/tools/py
# (nothing is installed system-wide).
set -euo pipefail
cd "$(dirname "$0")/.."

tools=target/tools/py
if ! "$tools/bin/maturin" --version 2>/dev/null | grep -qx 'maturin 1.16.0' || ! "$tools/bin/uv" --version 2>/dev/null | grep -q '^uv 0.13.8 '; then
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 uv==0.13.8
fi
rustup toolchain install >/dev/null
rm -f target/wheels/agent_auth-*.whl   # only this build's wheel is left to pick
"$tools/bin/maturin" build --release --locked --manifest-path host-harness/Cargo.toml --out target/wheels >&2
ls -t target/wheels/agent_auth-*.whl | head -n 1
