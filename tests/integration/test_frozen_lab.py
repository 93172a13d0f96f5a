"""A shim frozen by a freezer cgroup on the real engine (cgroup v1 here): the freezer cgroup
is one this test creates above the shim's own (so the cgroup that froze it is an ancestor),
the shim is moved in, execs end as zombies it cannot reap, `docker inspect` hangs. diagnose
names the freezer cgroup; a SIGKILL sent meanwhile is reported pending; the shim-unresponsive
playbook thaws that cgroup (confirmed with --yes) before it dumps or kills, and recovers."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from hangconsole.actions.incident import Incident
from hangconsole.lab.engine import IMAGE
from hangconsole.lab.faults import shim_of
from tests.integration.test_fix_lab import alive, hc

FREEZER = "/sys/fs/cgroup/freezer"


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


@pytest.fixture
def frozen_shim(lab):
    """(container id, shim pid, the freezing cgroup's path) with the shim frozen; thawed and
    removed afterwards whatever happened."""
    if not os.path.isdir(FREEZER):
        pytest.skip("no cgroup v1 freezer hierarchy on this host")
    assert hc(lab, "lab", "clear", "--dir", lab.dir).returncode == 0
    name = "hc-frozen-shim"
    lab.docker("rm", "-f", name, check=False, timeout=30)
    cid = lab.docker("run", "-d", "--network", "none", "--name", name, IMAGE, "sleep", "1000000",
                     timeout=60).stdout.decode().strip()
    shim = None
    for _ in range(100):
        shim = shim_of(cid)
        if shim:
            break
        time.sleep(0.1)
    assert shim, "no shim"
    top = f"/hc-chain-freeze-{os.getpid()}"
    os.makedirs(f"{FREEZER}{top}/shim", exist_ok=True)
    for _ in range(3):
        lab.docker("exec", "-d", name, "sleep", "2")
    _write(f"{FREEZER}{top}/shim/cgroup.procs", str(shim))
    _write(f"{FREEZER}{top}/freezer.state", "FROZEN")          # the ancestor freezes the shim
    lab.spawn("pending-inspect", ["docker", "inspect", name])
    time.sleep(3)                                              # the sleeps exit: unreaped zombies
    try:
        yield cid, shim, top
    finally:
        _write(f"{FREEZER}{top}/freezer.state", "THAWED")
        for d in (f"{FREEZER}{top}/shim", f"{FREEZER}{top}"):
            for pid in open(f"{d}/cgroup.procs").read().split():
                try:
                    _write(f"{FREEZER}/cgroup.procs", pid)
                except OSError:
                    pass
        for d in (f"{FREEZER}{top}/shim", f"{FREEZER}{top}"):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.1)


def _diagnose(lab) -> dict:
    r = hc(lab, "diagnose", "--json")
    return json.loads(r.stdout)


def test_frozen_shim_named_with_the_cgroup_that_froze_it(lab, frozen_shim):
    cid, shim, top = frozen_shim
    with open(f"/proc/{shim}/status") as f:
        assert "State:\tD" in f.read()                         # D, not T
    report = _diagnose(lab)
    here = {f["class"]: f for f in report["findings"] if f["container"] == cid}
    fz = here["frozen-cgroup"]
    assert fz["evidence"]["frozen_by"] == [top] and fz["evidence"]["runtime"][0]["pid"] == shim
    assert f"frozen by freezer cgroup {top}" in fz["summary"] and fz["severity"] == "critical"
    su = here["shim-unresponsive"]
    assert su["root_cause"] == f"frozen-cgroup:{cid}" and su["evidence"]["frozen_by"] == [top]
    assert "paused" not in here


def test_a_kill_sent_to_a_frozen_shim_is_reported_pending(lab, frozen_shim):
    cid, shim, top = frozen_shim
    os.kill(shim, signal.SIGKILL)
    time.sleep(0.5)
    assert alive(shim)                                         # pending: frozen
    fz = {f["class"]: f for f in _diagnose(lab)["findings"] if f["container"] == cid}["frozen-cgroup"]
    assert f"SIGKILL is already pending on {shim}" in fz["summary"]
    assert fz["evidence"]["runtime"][0]["kill_pending"] is True


def test_playbook_thaws_the_freezing_cgroup_and_kills_nothing(lab, frozen_shim, tmp_path):
    """The shim-unresponsive playbook on a frozen shim: the thaw is the least harmful remedy;
    once the container's calls answer, nothing is dumped or killed."""
    cid, shim, top = frozen_shim
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "shim-unresponsive", "--container", cid[:12], "--incident-dir", str(inc), "--yes")
    out = r.stdout
    assert f"thawed {top}" in out, out
    acts = [a["action"] for a in Incident(str(inc)).audit_lines()]
    assert "thaw" in acts and "SIGKILL" not in acts and "SIGUSR1" not in acts, acts
    assert "[ok] verify: docker inspect of the container answers again after the thaw or SIGCONT" in out, out
    with open(f"{FREEZER}{top}/freezer.state") as f:
        assert f.read().strip() == "THAWED"
    assert r.returncode == 0, out + r.stderr
    assert alive(shim)


def test_frozen_cgroup_playbook_thaws_the_ancestor_not_the_container(lab, frozen_shim, tmp_path):
    cid, shim, top = frozen_shim
    inc = tmp_path / "inc"
    r = hc(lab, "fix", "frozen-cgroup", "--container", cid[:12], "--incident-dir", str(inc), "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"frozen by freezer cgroup {top}, not by docker pause" in r.stdout
    with open(f"{FREEZER}{top}/freezer.state") as f:
        assert f.read().strip() == "THAWED"
    thaws = [a for a in Incident(str(inc)).audit_lines() if a["action"] == "thaw"]
    assert thaws and thaws[0]["detail"]["paths"] == [top]
    assert alive(shim)                                         # thawed, not killed
