#!/usr/bin/env bash
# Installs what the workspace needs on a machine that has only some Node and npm (meant to be
# sourced: it leaves the shell with a supported Node and pnpm first on PATH):
# - Node: the one on PATH if it is a supported line (22, 24, 26); otherwise the pinned Node 24,
#   installed into .tools/ by scripts/install-node.sh (npm registry), and says so.
#   TCHANNEL_NODE=<major> picks that pinned line instead of the one on PATH.
# - pnpm 12.21.0 (into .tools/, unless the right version is already on PATH), then the workspace.
# - TCHANNEL_TEST_NODE = `node --version`: turbo.json hashes it into every test task, because
#   turbo does not hash the Node version itself and would replay one line's results on another.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SUPPORTED_NODE_LINES="22 24 26"
DEFAULT_NODE_LINE=24
PNPM_VERSION=12.21.0

node_on_path="$(node --version 2>/dev/null || echo none)"
node_line="${node_on_path#v}"
node_line="${node_line%%.*}"
if [ -n "${TCHANNEL_NODE:-}" ]; then
  export PATH="$(bash scripts/install-node.sh "$TCHANNEL_NODE"):$PATH"
elif [[ " $SUPPORTED_NODE_LINES " != *" $node_line "* ]]; then
  export PATH="$(bash scripts/install-node.sh "$DEFAULT_NODE_LINE"):$PATH"
  echo "bootstrap: Node $node_on_path on PATH is not a supported line ($SUPPORTED_NODE_LINES); using the pinned Node $(node --version) from $(dirname "$(command -v node)")" >&2
fi
export TCHANNEL_TEST_NODE="$(node --version)"

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ ! -x .tools/node_modules/.bin/pnpm ] || [ "$(.tools/node_modules/.bin/pnpm --version)" != "$PNPM_VERSION" ]; then
    npm install --silent --no-save --prefix .tools "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# node-gyp (any native addon an npm/pnpm install builds) gets the headers of the Node that runs:
# /usr for the system Node, .tools/node-<version> for a pinned one (both have include/node).
node_prefix="$(cd "$(dirname "$(command -v node)")/.." && pwd)"
if [ -f "$node_prefix/include/node/node_api.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi
pnpm install --frozen-lockfile --reporter=append-only >/dev/null
# PyYAML for the VCR's tchannel-python compatibility tests (apt-get, only when missing).
bash scripts/ensure-system-packages.sh
