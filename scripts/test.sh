#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install, build, type-check, test every package,
# check the package dependency direction, then print one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
rm -f packages/*/.test-results.json apps/*/.test-results.json
pnpm turbo run build typecheck test --continue --concurrency=2
node scripts/check-deps.mjs
node scripts/test-summary.mjs
