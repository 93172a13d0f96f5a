"""CRI-O's monitor, proven on a real conmon: Debian's podman runs each container under the
same conmon (-c/-u/-r/-b/-p/-P/-l). The tree (conmon -> container init -> processes), a stuck
exec pipe whose reader is the exec's conmon, and a stopped conmon are recognised by the
installed `hangconsole diagnose`. Needs root and Debian's podman; skips outside CI otherwise."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.conftest import LAB_DIR, need

EXE = shutil.which("hangconsole") or "hangconsole"


@pytest.fixture(scope="module")
def podman():
    from hangconsole.lab.podman_engine import PodmanLab
    need(os.geteuid() == 0, "the podman lab needs root")
    need(bool(shutil.which("podman")) and bool(shutil.which("conmon", path=os.environ["PATH"] + ":/usr/libexec/podman")),
         "needs Debian's podman and conmon")
    need(os.path.exists("/bin/busybox"), "needs busybox-static")
    lab = PodmanLab(LAB_DIR.rstrip("/") + "-podman")
    lab.down()
    lab.up()
    yield lab
    lab.down()
    assert lab.leftovers() == [], "podman lab down left something behind"


def diagnose() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    # two samples 5 s apart: what "stuck" needs; the defaults are proven in test_lab.py
    r = subprocess.run([EXE, "diagnose", "--json", "--no-docker", "--samples", "2", "--interval", "5"],
                       capture_output=True, text=True,
                       timeout=120, env=env)
    report = json.loads(r.stdout)
    assert r.returncode == report["exit"], r.stderr
    return report


def on(report: dict, cid: str) -> dict[str, dict]:
    return {f["class"]: f for f in report["findings"] if f["container"] == cid}


def test_conmon_tree(podman):
    from hangconsole.collect.live import LiveSource
    cid = podman.run("tree0", ["sh", "-c", "sleep 1000 & sleep 1001"])
    time.sleep(0.5)
    src = LiveSource(docker=False, containerd=False)
    try:
        snap = src.snapshot()
    finally:
        src.close()
    c = snap.container(cid)
    conmon = snap.proc(c.shim_pid)
    assert c.runtime == "conmon" and conmon.pid == podman.conmon_of(cid) and conmon.role == "conmon"
    init = snap.proc(c.init_pid)
    assert init.ppid == conmon.pid and init.container_id == cid
    kids = [p for p in snap.processes if p.ppid == init.pid]
    assert sorted(p.argv[-1] for p in kids) == ["1000"] and all(p.container_id == cid for p in kids)
    assert c.bundle.endswith(f"/{cid}/userdata")


def test_stuck_exec_pipe_read_by_exec_conmon(podman):
    cid = podman.run("pipe0", ["sleep", "100000"])
    podman.stuck_exec("pipe0")
    time.sleep(2)
    report = diagnose()
    f = on(report, cid)["stuck-pipe"]
    ev = f["evidence"]             # the `podman exec` client is named, and its reader that never reads
    assert ev["client"]["comm"] == "podman" and [r["comm"] for r in ev["pipe"]["readers"]] == ["sleep"]
    side = ev["exec_side"]
    assert side["pipe"]["queued"] == side["pipe"]["capacity"] > 0
    assert [r["comm"] for r in side["pipe"]["readers"]] == ["conmon"]
    assert f["stuck_for"] >= 5
    # the fix drains the client's pipe and proves it with a new `podman exec`, asked with the
    # podman options the container's conmon was given (its --exit-command)
    env = {k: v for k, v in podman.env().items() if k != "DOCKER_HOST"}
    r = subprocess.run([EXE, "fix", "stuck-pipe", "--container", cid, "--no-docker", "--yes", "--samples", "2",
                        "--interval", "5", "--incident-dir", os.path.join(podman.dir, "inc")],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "drained 50,000,000 bytes" in r.stdout
    assert f"[ok] verify: A new exec in the container returns: `podman exec {cid[:12]} true` returned" in r.stdout \
        or "[ok] verify: A new exec in the container returns: `podman exec pipe0 true` returned" in r.stdout, r.stdout
    assert podman.podman("exec", "pipe0", "echo", "hi", timeout=20).stdout == b"hi\n"


def test_stopped_conmon(podman):
    cid = podman.run("stop0", ["sleep", "100000"])
    conmon = podman.conmon_of(cid)
    os.kill(conmon, signal.SIGSTOP)
    try:
        report = diagnose()
    finally:
        os.kill(conmon, signal.SIGCONT)
    f = on(report, cid)["shim-unresponsive"]
    assert f["severity"] == "critical" and f["pids"] == [conmon]
    assert f["evidence"]["shim"]["state"] == "T"


def test_podman_pause_is_a_freeze_no_api_explains(podman):
    """`podman pause`: the freezer holds the container and, with no CRI-O to ask, no runtime
    API says it is deliberate: frozen-cgroup, a warning that asks the question, not critical."""
    cid = podman.run("pause0", ["sleep", "100000"])
    podman.podman("pause", "pause0", timeout=30)
    try:
        report = diagnose()
    finally:
        podman.podman("unpause", "pause0", timeout=30, check=False)
    f = on(report, cid)["frozen-cgroup"]
    assert f["severity"] == "warning" and f["evidence"]["freezer"] == "FROZEN"
    assert "no runtime API says it is paused" in f["summary"]
    assert "shim-unresponsive" not in on(report, cid)      # conmon itself is not frozen


def test_oom_kill_under_conmon(podman):
    from hangconsole.lab.faults import HOG, wait_oom_kill
    cid = podman.run("hog0", HOG, "--memory", "16m", "--memory-swap", "16m")
    assert wait_oom_kill(f"/{podman.cgroup_parent}/libpod-{cid}") == 1      # raises, saying why, if not
    f = on(diagnose(), cid)["oom-kill"]
    assert "memory limit 16 MiB" in f["summary"], f["summary"]
    assert f["evidence"]["memory"][0]["oom_kill"] >= 1
    assert not os.path.exists("oom"), "conmon's oom file landed in the caller's directory"


def test_hostile_container_text_stays_inert(podman):
    """The hostile fault under conmon: snapshot and diagnose show it literally and inertly."""
    from hangconsole.lab.engines import hostile_podman
    from tests.helpers.hostile import raw_controls
    cid = hostile_podman(podman)
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    snap = subprocess.run([EXE, "snapshot", "--no-docker"], capture_output=True, text=True, timeout=120, env=env)
    assert snap.returncode == 0 and raw_controls(snap.stdout) == [], raw_controls(snap.stdout)
    assert "[/]" in snap.stdout and "\\x1b]0;PWNED\\x07" in snap.stdout
    f = on(diagnose(), cid)["stuck-pipe"]
    assert "stderr" in " ".join(c["text"] for c in f["causes"]), f["causes"]
    text = subprocess.run([EXE, "diagnose", "--no-docker", "--samples", "2", "--interval", "5"],
                          capture_output=True, text=True, timeout=120, env=env).stdout
    assert raw_controls(text) == [] and "stuck-pipe" in text
