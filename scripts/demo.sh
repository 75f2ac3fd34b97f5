#!/usr/bin/env bash
# The main job, from a fresh clone: install (pnpm included), build, then run the keyvalue demo —
# a server in the background, the guide's client against it, and the server stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
pnpm run --silent demo
