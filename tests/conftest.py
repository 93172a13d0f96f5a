"""Shared fixtures. Tests that need root or the engine skip outside CI, and fail in CI."""
from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI") == "true"


def need(condition: bool, reason: str) -> None:
    """Skip with REASON outside CI; in CI a missing prerequisite is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI prerequisite missing: {reason}")
    pytest.skip(reason)


# Tiers (`-m`): a test is marked by the fixtures it uses, so no test can forget its mark.
#   engine     a real container engine (the Docker, containerd or podman lab): root, minutes
#   root       root, but no engine (signals to other users' processes, cgroups, kprobes)
#   toolchain  builds Go programs (Go toolchains from Debian and PyPI, cached between runs)
# The quick tier (tests/run.sh --quick) is `not engine and not root and not toolchain`.
MARKS = {"lab": ("engine", "root"), "ctrd": ("engine", "root"), "podman": ("engine", "root"),
         "frozen_shim": ("engine", "root"), "root": ("root",), "go": ("toolchain",),
         "crio": ("toolchain",), "binary": ("engine", "root")}   # the static build: minutes, serial


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            for mark in MARKS.get(fixture, ()):
                item.add_marker(mark)


@pytest.fixture
def root():
    need(os.geteuid() == 0, "needs root (run as root, as CI does)")


# a separate directory (and so cgroup parent) lets parallel test runs keep their own engines
LAB_DIR = os.environ.get("HANGCONSOLE_TEST_LAB_DIR", "/run/hangconsole-lab-test")
TIMINGS: dict[str, float] = {}          # time to verdict per lab fault, written for the record


@pytest.fixture(scope="session")
def lab():
    """One private engine for the session's real-engine tests (root + Debian docker.io)."""
    import json
    import shutil

    from hangconsole.lab.engine import Lab
    need(os.geteuid() == 0, "the lab needs root")
    need(bool(shutil.which("dockerd", path=os.environ["PATH"] + ":/usr/sbin")), "needs Debian's docker.io")
    need(os.path.exists("/bin/busybox"), "needs busybox-static")
    lab = Lab(LAB_DIR)
    lab.down()
    lab.up()
    yield lab
    if TIMINGS:
        os.makedirs("bench/results", exist_ok=True)
        with open("bench/results/lab-verdicts.json", "w") as f:
            json.dump(TIMINGS, f, indent=1)
    lab.down()
    assert lab.leftovers() == [], "lab down left something behind"
