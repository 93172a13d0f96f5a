#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run the suite against
# what users install: a wheel built from this checkout, installed (not editable) in a
# virtualenv. Needs root for the apt step (and for the root/engine tests, which skip outside
# CI otherwise). Extra arguments go to pytest, e.g.  bash tests/run.sh -k pipe
#
#   bash tests/run.sh            the whole suite (what CI and the README run)
#   bash tests/run.sh --quick    the quick tier: tests/unit and tests/ui (parsing, detectors,
#                                recordings, UI and snapshots); no engine, no root, no Go
#                                toolchain, no apt; run it before every commit
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi

# gcc: test helper binary; lsof/procps: benchmark peers; docker.io + busybox-static: the lab
# engine and its image; strace: playbook terminal steps; containerd + runc: the Docker-less
# Kubernetes-shaped lab (tests/integration/test_containerd_lab.py); podman + conmon: CRI-O's
# monitor on a real conmon (tests/integration/test_podman_lab.py); tmux: the console in a real
# terminal (tests/integration/test_hostile_lab.py).
pkgs=(gcc lsof procps docker.io busybox-static strace golang-go prometheus-node-exporter prometheus containerd runc podman conmon tmux)
missing=()
((quick)) || for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
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
# The virtualenv is made again only when what it depends on changed (the declared
# dependencies, the Python); the wheel itself is reinstalled on every run.
key=$( (cat pyproject.toml setup.py; python3 --version) | sha256sum | cut -c1-16)
wheel=$(ls "$work"/hangconsole-*.whl)
if [ "$(cat "$venv/.deps-key" 2>/dev/null)" = "$key" ] && [ -x "$venv/bin/python" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel" </dev/null
else
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel[test]" </dev/null
  echo "$key" > "$venv/.deps-key"
fi

export PATH="$venv/bin:$PATH" TZ=UTC TEXTUAL_ANIMATIONS=none HANGCONSOLE_TEST_INSTALLED=1
if ((quick)); then
  # two workers, one test file each at a time (the snapshot tests share a fixed incident path)
  "$venv/bin/python" -m pytest -p no:cacheprovider -m "not engine and not root and not toolchain" \
    -n 2 --dist loadfile tests/unit tests/ui "$@"
  exit
fi
# The whole suite in two phases: what needs no engine on both cores (one test file per worker
# at a time), then the engine tests one at a time (they share the host's cgroups and /proc).
set +e
"$venv/bin/python" -m pytest -p no:cacheprovider -m "not engine" -n 2 --dist loadfile "$@"
r1=$?
"$venv/bin/python" -m pytest -p no:cacheprovider -m engine "$@"
r2=$?
set -e
# 5 is "no test selected": a -k or a path can name tests of one phase only
if [ $r1 = 5 ] && [ $r2 = 5 ]; then exit 5; fi
[ $r1 = 5 ] && r1=0
[ $r2 = 5 ] && r2=0
exit $((r1 ? r1 : r2))
