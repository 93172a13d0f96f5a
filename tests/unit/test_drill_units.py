"""The drill's parts that need no engine: pages that give nothing away, the lab-only scope,
risky acts read from an audit log, and a debrief that claims a fix only with victory."""
from __future__ import annotations

from hangconsole import model as m
from hangconsole.diagnose.registry import CLASSES
from hangconsole.drill import debrief, pages
from hangconsole.drill.scope import LabScope
from hangconsole.drill.victory import Check


def test_no_page_and_no_name_tells_the_fault():
    words = set(CLASSES) | {"stuck", "pipe", "shim", "zombie", "pids", "paused", "pause", "oom", "exhaust",
                            "frozen", "deadlock", "limit", "stopped", "sigstop", "hc-"}
    for fault, text in pages.PAGES.items():
        for w in words:
            assert w not in text.lower(), (fault, w)
    for name in pages.NAMES:
        assert not any(w in name for w in words), name
    assert pages.page([("stuck-pipe", "orders-api"), ("paused", "billing-cron")]).count("\n") == 0  # no herring


class FakeLab:
    ENGINE, dir, cgroup_parent = "docker", "/run/lab-x", "lab-x"

    def __init__(self, helpers=()):
        self.h = list(helpers)

    def _state(self):
        return {"helpers": [{"pid": p} for p in self.h]}

    def path(self, *parts):
        return "/nonexistent/" + "/".join(parts)


def proc(pid, ppid, cgroup="/user.slice", argv=("sleep",), cid=None):
    return m.Process(pid, ppid, 1, argv[0], "S", 0, 1.0, argv=list(argv), cgroup=cgroup, container_id=cid)


def test_the_scope_keeps_the_lab_and_drops_the_host():
    lab = FakeLab(helpers=[50])
    snap = m.HostSnapshot(taken_at=0, uptime=1000, hostname="h", kernel="k", arch="x86_64")
    snap.processes = [
        proc(10, 1, argv=("dockerd", "--data-root", "/run/lab-x/docker")),          # the lab's daemon
        proc(20, 1, cgroup="/lab-x/abc", cid="abc"),                                 # its container
        proc(30, 1, argv=("dockerd",)),                                              # the host's own
        proc(40, 1, cgroup="/docker/def", cid="def"),                                # the host's container
        proc(50, 1, argv=("sh", "-c", "docker exec x ... | sleep 1000000")),         # a lab helper
        proc(51, 50, argv=("docker", "exec", "x")), proc(52, 50),                    # and its children
    ]
    snap.pipes = [m.Pipe(7, readers=[m.PipeEnd(52, 1, "sleep", 0, "r"), m.PipeEnd(40, 1, "x", 0, "r")],
                         writers=[m.PipeEnd(51, 1, "docker", 1, "w")])]
    snap.containers = [m.Container(id="abc", runtime="shim-v2", cgroup_paths=["/lab-x/abc"]),
                       m.Container(id="def", runtime="shim-v2", cgroup_paths=["/docker/def"])]
    snap.kernel_log = [m.KernelLogLine(900, "pids-fork-rejected", "cgroup: fork rejected by pids controller in /lab-x/abc"),
                       m.KernelLogLine(990, "pids-fork-rejected", "cgroup: fork rejected by pids controller in /other-lab/abc"),
                       m.KernelLogLine(995, "pids-fork-rejected", "cgroup: fork rejected by pids controller in /lab-x/abc")]
    sc = LabScope(lab)
    sc.since = 950
    kept = snap.pipes[0]
    out = sc.filter(snap)
    assert [p.pid for p in out.processes] == [10, 20, 50, 51, 52]
    assert [c.id for c in out.containers] == ["abc"]
    assert [e.pid for e in out.pipes[0].readers] == [52]
    assert [e.pid for e in kept.readers] == [52, 40]          # the collector's own objects are left as they were
    assert [k.uptime for k in out.kernel_log] == [995]          # older than the drill, or another lab's: gone
    assert sc.path_ok("/sys/fs/cgroup/pids/lab-x/abc/pids.max") and not sc.path_ok("/sys/fs/cgroup/pids/docker/def")


HIDDEN = [{"fault": "stopped-shim", "cid": "c1" * 32, "name": "orders-api", "shim": 700, "shim_start": 5},
          {"fault": "paused", "cid": "c2" * 32, "name": "billing-cron"}]


def act(action, pid, cid=None, result="sent", t=100.0, **detail):
    return {"time": t, "action": action, "result": result, "target": {"pid": pid, "comm": "x", "container_id": cid},
            "dry_run": False, **({"detail": detail} if detail else {})}


def test_risky_acts_are_read_from_the_audit():
    assert debrief.risky(HIDDEN, [act("SIGCONT", 700)]) == []
    bad = debrief.risky(HIDDEN, [act("SIGKILL", 700), act("SIGKILL", 9, cid="c2" * 32),
                                 act("SIGKILL", 700, result="dry-run: would send"),
                                 act("SIGKILL", 33, why="operator, container view")])
    assert len(bad) == 3
    assert "where SIGCONT would do" in bad[0] and "paused on purpose" in bad[1] and "by hand" in bad[2]


def test_the_debrief_claims_a_fix_only_with_victory():
    d = {"engine": "docker", "lab_dir": "/run/lab-x", "hidden": HIDDEN, "page": "p", "started": 0.0, "ended": 120.0}
    audit = [act("SIGCONT", 700, t=40.0)]
    lost = debrief.lines(d, [Check("inspect answers", False, "timed out")], audit, None)
    assert "Victory: NO, the lab is not fixed" in lost and "Time to fix: - (not fixed)" in lost
    won = debrief.lines(d, [Check("inspect answers", True, "answered")], audit, "/x/drill.hcrec")
    assert "Time to fix: 40s (the last act that changed the lab)" in won
    assert any(x.startswith("  +40s SIGCONT x 700: sent") for x in won)
    assert "Risky acts: none" in won
    assert any("billing-cron" in x and "red herring" in x for x in won)
