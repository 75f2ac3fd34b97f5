#!/usr/bin/env bash
# Installs what the workspace needs on a machine that has only Node 20 and npm:
# pnpm 12.21.0 (into .tools/, unless the right version is already on PATH), then the workspace.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PNPM_VERSION=12.21.0
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ ! -x .tools/node_modules/.bin/pnpm ] || [ "$(.tools/node_modules/.bin/pnpm --version)" != "$PNPM_VERSION" ]; then
    npm install --silent --no-save --prefix .tools "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# pnpm's bundled node-gyp ignores ~/.npmrc nodedir; native addons of the interop peers need it.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
pnpm install --frozen-lockfile --reporter=append-only >/dev/null
# PyYAML for the VCR's tchannel-python compatibility tests (apt-get, only when missing).
bash scripts/ensure-system-packages.sh
