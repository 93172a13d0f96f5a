"""F: the daemon itself does not answer `GET /_ping` or `/containers/json` while dockerd
lives (seed 003: `docker ps` hangs on the daemon lock). Goroutine dumps (SIGUSR1 to dockerd
and containerd) say which lock and which call."""
from __future__ import annotations

from .. import model as m
from .. import provenance as pv
from . import evidence as ev
from .finding import CRITICAL, Finding
from .history import STUCK_AFTER, History

CLASS = "daemon-unresponsive"


def detect(h: History) -> list[Finding]:
    snap = h.latest
    d = snap.docker
    if d is None or d.reachable is None:
        return []
    stuck = [p for p in d.probes if p.call in ("ping", "list") and p.target is None
             and p.status == "pending" and p.seconds >= STUCK_AFTER]
    daemons = [p for p in snap.processes if p.role in (m.DOCKERD, m.CONTAINERD)]
    if not stuck or not any(p.role == m.DOCKERD for p in daemons):
        return []
    worst = max(stuck, key=lambda p: p.seconds)
    what = "docker ps (GET /containers/json)" if worst.call == "list" else "GET /_ping"
    return [Finding(
        cls=CLASS, severity=CRITICAL, container=None, pids=[p.pid for p in daemons],
        stuck_for=worst.seconds, playbook=CLASS,
        summary=f"{what} has not returned after {pv.mark(worst, 'seconds')}{worst.seconds:.0f}s while dockerd is running",
        evidence={"pending_calls": ev.probes(snap), "daemons": [ev.proc(p) for p in daemons]})]
