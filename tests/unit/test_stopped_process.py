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


def _with_worker(t: float, main: str, worker: str, **kw) -> m.HostSnapshot:
    s = _snap(t, main, zombie=False)
    s.processes.append(m.Process(pid=103, ppid=101, start_ticks=4, comm="nginx", state=worker, uid=0, age=t,
                                 container_id=CID, **kw))
    return s


def test_a_stopped_worker_is_named_with_its_running_parent():
    [f] = _found(_with_worker(0, "S", "T"), _with_worker(6, "S", "T"))
    assert f.pids == [103] and f.evidence["main_stopped"] is False
    assert f.summary.startswith("nginx 103, a process of the container, has been stopped at least 6s")
    assert "; its parent sh 101 is not stopped (state S); the runtime still says running" in f.summary and "SIGCONT 103 resumes it" in f.summary
    assert "docker stop" not in f.summary        # the main process runs: a stop is not held up


def test_a_parent_waiting_for_the_stopped_worker_is_said_to_wait_not_to_run():
    snaps = [_with_worker(t, "S", "T") for t in (0, 6)]
    for s in snaps:
        s.proc(101).threads = [m.Thread(tid=101, state="S", wchan="do_wait")]
    [f] = _found(*snaps)
    assert "; its parent sh 101 waits for it (wait), so the parent's work waits too; the runtime" in f.summary


def test_main_and_worker_stopped_are_one_finding_main_first():
    [f] = _found(_with_worker(0, "T", "T"), _with_worker(6, "T", "T"))
    assert f.pids == [101, 103] and f.evidence["main_stopped"] is True
    assert "sh 101, the container's main process" in f.summary and "nginx 103 of the container is stopped too" in f.summary
    assert "SIGCONT 101 103" in f.summary


def test_a_job_its_shell_stopped_at_a_terminal_is_not_named():
    """Ctrl-Z in `docker exec -it C sh`: the job has a terminal and is outside its foreground
    group; the shell's `fg` resumes it. Not a hang."""
    assert _found(_with_worker(0, "S", "T", terminal_job=True), _with_worker(6, "S", "T", terminal_job=True)) == []


def test_the_playbook_conditions_follow_every_process_named():
    from types import SimpleNamespace

    from hangconsole.diagnose import stopped_process as sp
    [f] = _found(_with_worker(0, "T", "T"), _with_worker(6, "T", "T"))
    now = _with_worker(9, "S", "T")
    ctx = SimpleNamespace(finding=f, proc=now.proc)
    assert sp.still_stopped(ctx) == (True, "nginx 103 in state T")
    held, text = sp.all_run(ctx)
    assert not held and text.endswith("send SIGCONT 103")
    now = _with_worker(12, "S", "S")
    assert sp.all_run(SimpleNamespace(finding=f, proc=now.proc)) == (True, "sh 101 runs (state S), nginx 103 runs (state S)")
    done = _with_worker(12, "S", "S")
    done.processes = [p for p in done.processes if p.pid != 103]     # the worker ran on and exited
    assert sp.all_run(SimpleNamespace(finding=f, proc=done.proc)) == (True, "sh 101 runs (state S), 103 ran on and has exited")
    gone = _with_worker(12, "S", "S")
    gone.processes = [p for p in gone.processes if p.pid != 101]
    held, text = sp.all_run(SimpleNamespace(finding=f, proc=gone.proc))
    assert not held and "the container's main process exited" in text
