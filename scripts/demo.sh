#!/usr/bin/env bash
# The main job, from a fresh clone: install (pnpm included), build, then run the keyvalue demo —
# a server in the background, the guide's client against it, and the server stopped. It says what
# it is doing on stderr: on a cold machine the install and build take a minute or more.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "demo: installing pnpm and the workspace (a minute or more on the first run)..." >&2
started=$SECONDS
source scripts/bootstrap.sh
echo "demo: installed in $((SECONDS - started)) s; building the packages the demo needs..." >&2
started=$SECONDS
pnpm turbo run build --filter=@tchannel-examples/keyvalue... --output-logs=errors-only >&2
echo "demo: built in $((SECONDS - started)) s; running the keyvalue server and client" >&2
node apps/keyvalue/dist/demo-main.js
