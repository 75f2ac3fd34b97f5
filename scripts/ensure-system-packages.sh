#!/usr/bin/env bash
# System packages the tests need that npm cannot provide: PyYAML (Debian's python3-yaml), with
# which the VCR's tests check that tchannel-python can read the cassettes we write. Idempotent:
# does nothing when `python3 -c 'import yaml'` works; otherwise installs with apt-get (as root, or
# through sudo). Where that is impossible it says so and goes on: the PyYAML test then fails with
# the reason (TCHANNEL_SKIP_PYYAML=1 skips it on purpose).
set -uo pipefail
if python3 -c 'import yaml' >/dev/null 2>&1 || /usr/bin/python3 -c 'import yaml' >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-system-packages: PyYAML is missing and there is no apt-get; install python3-yaml (or pip install pyyaml)" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-system-packages: PyYAML is missing and apt-get needs root; run: apt-get install python3-yaml" >&2
    exit 0
  fi
fi
echo "ensure-system-packages: installing python3-yaml with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null ||
  echo "ensure-system-packages: apt-get install python3-yaml failed" >&2
exit 0
