"""E: shared PID namespace kill hang (seed 004; moby#38978, containerd PR #3149). With a
joined pid namespace containerd does not kill all on task delete; leftovers keep the task
alive and `docker restart/inspect/logs` hang. The fix kills that container cgroup's
leftover pids only, never by namespace (that would hit pause and the siblings)."""
from __future__ import annotations

from .. import provenance as pv
from . import evidence as ev
from .finding import CRITICAL, WARNING, Finding
from .history import STUCK_AFTER, History

CLASS = "pidns-linger"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")


def _init_dead(snap, c) -> bool:
    if not c.init_pid:
        return False
    p = snap.proc(c.init_pid)
    return p is None or p.zombie


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    for c in snap.containers:
        if not c.pidns_path or not c.cgroup or not c.cgroup.procs or not _init_dead(snap, c):
            continue
        first = snap.uptime
        for s in reversed(h.snaps[:-1]):
            sc = s.container(c.id)
            if sc is None or not sc.cgroup or not sc.cgroup.procs or not _init_dead(s, sc):
                break
            first = s.uptime
        lasting = snap.uptime - first
        if lasting < STUCK_AFTER:
            continue
        left = [snap.proc(pid) for pid in c.cgroup.procs]
        left = [p for p in left if p is not None and not p.zombie]
        if not left:
            continue
        pending = ev.probes(snap, c.id)
        out.append(Finding(
            cls=CLASS, severity=CRITICAL if pending else WARNING, container=c.id,
            pids=[p.pid for p in left], stuck_for=lasting, playbook=CLASS,
            summary=(f"{c.name} joined pid namespace {pv.mark(c, 'pidns_path')}{c.pidns_path}; its init "
                     f"{pv.mark(c, 'init_pid')}{c.init_pid} is gone "
                     f"but {len(left)} process(es) linger in its cgroup for {lasting:.0f}s+, "
                     f"so the task does not exit while they live"),
            evidence={"pid_namespace": c.pidns_path, "init_pid": c.init_pid,
                      "leftovers": [ev.proc(p) for p in left], "cgroup_procs": c.cgroup.procs,
                      "pending_calls": pending,
                      **ev.reconstructed({"pid_namespace": (c, "pidns_path"), "init_pid": (c, "init_pid"),
                                          "cgroup_procs": (c.cgroup, "procs")})}))
    return out


def links(h: History, f: Finding, c, others: dict, extra) -> list[dict]:
    """The leftovers in the cgroup, and why containerd does not kill them."""
    left = ", ".join(f"{x['comm']} {x['pid']}" for x in f.evidence.get("leftovers", [])[:4])
    return [ev.link(f"init {f.evidence.get('init_pid')} of the container is gone, but {left} linger in its "
                    f"cgroup (shared pid namespace {f.evidence.get('pid_namespace')})", "cgroup.procs, /proc",
                    {"leftovers": f.evidence.get("leftovers")}, key="init-outlived"),
            ev.link("containerd does not kill the leftovers of a task in a joined pid namespace, so the task "
                    "does not exit while they live (containerd PR #2597, fixed by #3149)", "containerd source",
                    kind="inferred")]
