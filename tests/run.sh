#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run the whole suite
# against what users install: a wheel built from this checkout, installed (not editable)
# in a fresh virtualenv. Needs root for the apt step (and for the root/engine tests, which
# skip outside CI otherwise). Extra arguments go to pytest, e.g.  bash tests/run.sh -k pipe
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc: test helper binary; lsof/procps: benchmark peers; docker.io + busybox-static: the lab
# engine and its image; strace: playbook terminal steps; containerd + runc: the Docker-less
# Kubernetes-shaped lab (tests/integration/test_containerd_lab.py); podman + conmon: CRI-O's
# monitor on a real conmon (tests/integration/test_podman_lab.py).
pkgs=(gcc lsof procps docker.io busybox-static strace golang-go prometheus-node-exporter prometheus containerd runc podman conmon)
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

# The wheel, built from a copy of the checkout's sources (never a stale build/ folder).
venv=${HANGCONSOLE_TEST_VENV:-/tmp/hangconsole-test-venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
cp -r pyproject.toml setup.py README.md console screens playbooks "$work/src/"
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
find "$work/src" -name '*.so' -delete          # the C scanner is built by the wheel, never copied in
python3 -m pip wheel -q --disable-pip-version-check --no-deps -w "$work" "$work/src" </dev/null
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$(ls "$work"/hangconsole-*.whl)[test]" </dev/null

export PATH="$venv/bin:$PATH" TZ=UTC TEXTUAL_ANIMATIONS=none HANGCONSOLE_TEST_INSTALLED=1
"$venv/bin/python" -m pytest -p no:cacheprovider "$@"
