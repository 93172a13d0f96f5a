"""The fleet check's parts that need no engine: what makes a run take its second sample
(suspicious), what counts as first flagged (new_problems), and the capture directory's bounds
(prune: at most N captures and M MiB, the oldest removed first, never the newest)."""
from __future__ import annotations

import os

from hangconsole import model as m
from hangconsole.fleet import capture
from hangconsole.fleet.check import suspicious


def _snap(procs, probes=(), pipes=()):
    s = m.HostSnapshot(taken_at=0, uptime=100, hostname="h", kernel="6", arch="x86_64", processes=list(procs),
                       pipes=list(pipes))
    s.docker = m.DockerState(host="unix:///run/docker.sock", reachable=True, probes=list(probes))
    return s


def P(pid, state="S", role=None, start=1, ppid=1, cid=None):
    return m.Process(pid, ppid, start, "x", state, 0, 10.0, role=role, container_id=cid)


def test_a_healthy_node_has_nothing_to_confirm():
    prev = _snap([P(10, role=m.SHIM_V2), P(11, cid="c")])
    now = _snap([P(10, role=m.SHIM_V2), P(11, cid="c"), P(12, cid="c", start=5)])
    assert suspicious(prev, now) == []


def test_what_the_stored_sample_cannot_vouch_for():
    prev = _snap([P(10, role=m.SHIM_V2)])
    stopped = _snap([P(10, "T", role=m.SHIM_V2)])                       # stopped since the stored sample
    assert suspicious(prev, stopped) == ["x 10 T"]
    new_shim = _snap([P(10, role=m.SHIM_V2), P(20, "T", role=m.SHIM_V2, start=9)])
    assert suspicious(prev, new_shim) == ["x 20 T"]
    zombie = _snap([P(10, role=m.SHIM_V2), P(30, "Z", ppid=10, start=9)])
    assert suspicious(prev, zombie) == ["zombie 30 under shim 10"]
    pending = _snap([P(10, role=m.SHIM_V2)], probes=[m.Probe("inspect", "c" * 64, "pending", 0, 2.0)])
    assert suspicious(prev, pending) == ["inspect cccccccccccc pending"]
    pp = m.Pipe(7, writers=[m.PipeEnd(11, 1, "x", 1, "w")], queued=65536, capacity=65536)
    full = _snap([P(10, role=m.SHIM_V2), P(11, cid="c")], pipes=[pp])
    assert suspicious(prev, full) == ["pipe:[7] full"]
    # the same stopped shim in both samples: the stored one vouches for it (History measures it)
    assert suspicious(stopped, _snap([P(10, "T", role=m.SHIM_V2)])) == []


def test_first_flagged_only():
    prev = [{"class": "shim-unresponsive", "severity": "critical", "container": "a"},
            {"class": "oom-kill", "severity": "info", "container": "b"}]
    now = [{"class": "shim-unresponsive", "severity": "critical", "container": "a"},
           {"class": "zombies-under-shim", "severity": "warning", "container": "a"},   # the same incident
           {"class": "oom-kill", "severity": "warning", "container": "b"},
           {"class": "paused", "severity": "info", "container": "c"}]
    assert capture.new_problems(now, prev) == [now[2]]


def _cap(root, name, size):
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "recording.hcrec"), "wb") as f:
        f.write(b"x" * size)
    with open(os.path.join(d, "stacks-dockerd-1.log"), "wb") as f:
        f.write(b"y" * size)
    return d


def test_prune_keeps_the_newest_within_bounds(tmp_path):
    root = str(tmp_path)
    caps = [_cap(root, f"2026120{i}T000000Z-shim-unresponsive-c{i}", 1000) for i in range(1, 5)]
    assert capture.prune(root, keep=2, max_mb=1, protect=caps[-1]) == caps[:2]
    assert capture.captures(root) == caps[2:]
    big = _cap(root, "20261209T000000Z-d-state-io-host", 2 << 20)     # alone over 1 MiB
    capture.prune(root, keep=10, max_mb=1, protect=big)
    assert capture.captures(root) == [big], "the oldest go first"
    assert os.listdir(big) == ["recording.hcrec"], "the newest keeps its recording, loses its dumps"
    assert capture.stats(root)[0] == 1


def test_never_fills_the_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(capture, "free_mb", lambda path: 10.0)
    import pytest
    with pytest.raises(OSError, match="capture skipped: only 10 MiB free"):
        capture.take(str(tmp_path), object(), [{"class": "shim-unresponsive", "container": "c" * 64}])
    assert capture.captures(str(tmp_path)) == []
