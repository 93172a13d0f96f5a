"""stopped-process on synthetic samples: a container's main process in state T across samples
is named with SIGCONT and its zombies; a moment's stop, a freezer, a pause or a debugger's
stop (t) is not; its chain link is typed."""
from __future__ import annotations

import pytest

from hangconsole import model as m
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History

CID = "7e1f" + "0" * 60


def _snap(t: float, state: str, *, zombie: bool = True, freezer: str | None = None,
          paused: bool = False) -> m.HostSnapshot:
    c = m.Container(id=CID, runtime=m.SHIM_V2, shim_pid=100, init_pid=101,
                    docker=m.DockerInfo(name="web", state="paused" if paused else "running", paused=paused, pid=101))
    procs = [m.Process(pid=100, ppid=1, start_ticks=1, comm="containerd-shim", state="S", uid=0, age=t,
                       role=m.SHIM_V2, container_id=CID),
             m.Process(pid=101, ppid=100, start_ticks=2, comm="sh", state=state, uid=0, age=t,
                       container_id=CID, freezer=freezer)]
    if zombie:
        procs.append(m.Process(pid=102, ppid=101, start_ticks=3, comm="sleep", state="Z", uid=0, age=t,
                               container_id=CID))
    return m.HostSnapshot(taken_at=1000.0 + t, uptime=500.0 + t, hostname="h", kernel="6.1", arch="x86_64",
                          processes=procs, containers=[c])


def _found(*snaps) -> list:
    return [f for f in diagnose(History(list(snaps))) if f.cls == "stopped-process"]


def test_a_stopped_main_process_is_named_with_sigcont_and_its_zombies():
    [f] = _found(_snap(0, "T"), _snap(6, "T"))
    assert f.container == CID and f.pids == [101, 102] and f.stuck_for == pytest.approx(6.0)
    assert "sh 101, the container's main process, has been stopped at least 6s" in f.summary
    assert "1 zombie waits on it" in f.summary and "SIGCONT 101" in f.summary
    assert "`docker stop web` would wait its whole grace period" in f.summary
    assert f.playbook == "stopped-process"
    keys = [c.get("key") for c in f.causes]
    assert "process-stopped" in keys, f.causes


@pytest.mark.parametrize("first, last, kw", [
    ("S", "T", {}),                      # stopped only at the last sample: not yet steady
    ("T", "T", {"freezer": "FROZEN"}),   # a freezer's: frozen-cgroup / paused say it
    ("T", "T", {"paused": True}),        # docker pause
    ("t", "t", {}),                      # a debugger's stop (ptrace), not a signal's
    ("S", "S", {}),                      # a sleeping init is healthy
])
def test_what_is_not_a_stopped_process(first, last, kw):
    assert _found(_snap(0, first, **kw), _snap(6, last, **kw)) == []


def test_an_oom_kill_on_the_same_container_is_not_called_its_cause():
    """The container's OOM kill is its own finding with its own chain; the stop's chain is the
    stop alone (a signal stopped it: no kernel line explains that)."""
    snaps = [_snap(0, "T"), _snap(6, "T")]
    for s in snaps:
        s.containers[0].cgroup = m.CgroupState(version=1, path="/x", levels=[
            m.CgroupLevel(path="/x", mem_limit=16 << 20, mem_oom_kill=1)])
    found = {f.cls: f for f in diagnose(History(snaps))}
    assert [c.get("key") for c in found["stopped-process"].causes] == ["process-stopped"]
    assert "process-stopped" not in [c.get("key") for c in found["oom-kill"].causes]
