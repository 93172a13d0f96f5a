#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run the whole suite.
# Needs root for the apt step (and for the root/engine tests, which skip outside CI otherwise).
# Extra arguments go to pytest, e.g.  bash tests/run.sh -k pipe
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc: test helper binary; lsof/procps: benchmark peers; docker.io + busybox-static: the lab
# engine and its image; strace: playbook terminal steps.
pkgs=(gcc lsof procps docker.io busybox-static strace)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  else
    echo "tests/run.sh: missing Debian packages ${missing[*]} (run as root to install them)" >&2
  fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]' </dev/null
export TZ=UTC TEXTUAL_ANIMATIONS=none
exec python3 -m pytest -p no:cacheprovider "$@"
