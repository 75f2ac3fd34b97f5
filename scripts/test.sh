#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install, build, type-check, test every package,
# check the package dependency direction, then print one "N passed, N failed" line.
# Runs on the Node on PATH if it is a supported line (22, 24, 26); otherwise bootstrap.sh installs
# the pinned Node 24 into .tools/ and uses that (and says so). TCHANNEL_NODE=<major> picks a line.
# The interop peers (tchannel-node, Hyperbahn, Uber's tcurl) run on their own pinned Node whatever
# Node runs this (packages/interop/scripts/install-peers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
peers_node="$(bash packages/interop/scripts/install-peers.sh node)"
echo "test.sh: Node $(node --version) ($(command -v node)) runs build, typecheck and every package's tests; the interop peers run on Node $("$peers_node" --version)"
rm -f packages/*/.test-results.json apps/*/.test-results.json
pnpm turbo run build typecheck test --continue --concurrency=2
node scripts/check-deps.mjs
node scripts/test-summary.mjs
