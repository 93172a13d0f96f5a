"""pids-exhausted says what the counters say: "full" only at pids.max, "nearly full" with the
room left below it, and whether the refusal count (a count since the cgroup was made) still
grows. Measured on the lab's runc 1.1 (docs/hang-catalog.md): at 8/8 `docker exec C echo` runs
and `docker exec C sh -c ls` cannot fork, so "execs fail" is said only when one did."""
from __future__ import annotations

from hangconsole import model as m
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.finding import CRITICAL, WARNING
from hangconsole.diagnose.history import History

CID = "5a1d" + "0" * 60
PATH = f"/docker/{CID}"


def _snap(t: float, current: int, limit: int = 8, refused: int = 0) -> m.HostSnapshot:
    cg = m.CgroupState(version=2, path=PATH, levels=[
        m.CgroupLevel(PATH, pids_current=current, pids_max=limit, pids_events_max=refused),
        m.CgroupLevel("/docker", pids_current=current + 1)])
    c = m.Container(id=CID, runtime=m.SHIM_V2, shim_pid=100, init_pid=101, cgroup=cg,
                    docker=m.DockerInfo(name="api", state="running", pid=101))
    procs = [m.Process(pid=100, ppid=1, start_ticks=1, comm="containerd-shim", state="S", uid=0, age=t,
                       role=m.SHIM_V2, container_id=CID),
             m.Process(pid=101, ppid=100, start_ticks=2, comm="java", state="S", uid=0, age=t,
                       container_id=CID, nthreads=current)]
    return m.HostSnapshot(taken_at=1000.0 + t, uptime=500.0 + t, hostname="h", kernel="6.1", arch="x86_64",
                          processes=procs, containers=[c])


def _pids(*snaps):
    return [f for f in diagnose(History(list(snaps))) if f.cls == "pids-exhausted"]


def test_one_short_of_the_limit_is_nearly_full_with_its_room_not_full():
    [f] = _pids(_snap(0, 7), _snap(5, 7))
    assert "is nearly full: 7/8 tasks at the container's cgroup, room for 1 more; the forks past that fail" in f.summary
    assert "is full" not in f.summary and "exec" not in f.summary and f.severity == WARNING


def test_full_and_refusing_now_is_critical_and_says_how_many_since_the_first_sample():
    [f] = _pids(_snap(0, 8, refused=3), _snap(5, 8, refused=5))
    assert "is full: 8/8 tasks at the container's cgroup, 2 forks refused in the last 5s (5 in all)" in f.summary
    assert "no process in it can fork, and a command an exec starts cannot fork either" in f.summary
    assert f.severity == CRITICAL


def test_old_refusals_are_said_as_old():
    [f] = _pids(_snap(0, 8, refused=1), _snap(5, 8, refused=1))
    assert "1 fork refused before, none in the last 5s" in f.summary


def test_full_with_no_refusal_yet_is_a_warning():
    [f] = _pids(_snap(0, 8), _snap(5, 8))
    assert "is full: 8/8" in f.summary and "refused" not in f.summary and f.severity == WARNING


def test_room_again_after_refusals_says_so():
    [f] = _pids(_snap(0, 3, refused=4), _snap(5, 3, refused=4))
    assert f.summary.endswith("refused 4 forks at the container's cgroup (now 3/8); those forks failed; "
                              "there is room now, until it fills again") and f.severity == WARNING


def test_plenty_of_room_and_no_refusal_is_nothing():
    assert _pids(_snap(0, 5), _snap(5, 5)) == []


def test_a_pod_level_is_named_with_its_path():
    """Kubernetes' podPidsLimit sits on the pod cgroup: the level to raise is named."""
    pod = "/kubepods/burstable/pod64a6c0e7"
    snaps = [_snap(t, 3) for t in (0, 5)]
    for s in snaps:
        s.containers[0].cgroup.levels[1] = m.CgroupLevel(pod, pids_current=40, pids_max=40)
    [f] = _pids(*snaps)
    assert f"is full: 40/40 tasks at the pod cgroup {pod}; no process in it can fork" in f.summary


def test_nearly_full_after_refusals_is_critical():
    """A workload that already hit its limit (forks refused) and hovers within 2 of it: its
    next work fails (the containerd lab's pod: 7/8 after the forker was refused)."""
    [f] = _pids(_snap(0, 7, refused=1), _snap(5, 7, refused=1))
    assert "is nearly full: 7/8" in f.summary and "1 fork refused before" in f.summary
    assert f.severity == CRITICAL
