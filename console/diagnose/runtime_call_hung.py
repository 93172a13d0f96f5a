"""A symptom: a Docker call about one container has not returned while the daemon answers
pings (`docker ps` works, `docker inspect` of that container hangs). The engine links it to
the root-cause finding on the same container when there is one."""
from __future__ import annotations

from . import evidence as ev
from .finding import WARNING, Finding
from .history import STUCK_AFTER, History

CLASS = "runtime-call-hung"


def detect(h: History) -> list[Finding]:
    snap = h.latest
    d = snap.docker
    if d is None or not d.probes:
        return []
    ping = next((p for p in d.probes if p.call == "ping"), None)
    if ping is None or ping.status != "ok":
        return []                          # the whole daemon is stuck: daemon-unresponsive
    out = []
    for pr in d.probes:
        if pr.status != "pending" or pr.target is None or pr.seconds < STUCK_AFTER:
            continue
        c = snap.container(pr.target)
        name = c.name if c else pr.target[:12]
        out.append(Finding(
            cls=CLASS, severity=WARNING, container=pr.target, pids=[], stuck_for=pr.seconds,
            summary=f"docker {pr.call} of {name} has not returned after {pr.seconds:.0f}s "
                    f"(the daemon still answers ping)",
            evidence={"pending_calls": ev.probes(snap, pr.target)}))
    return out
