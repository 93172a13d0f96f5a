"""A symptom: a Docker call about one container has not returned while the daemon answers
pings (`docker ps` works, `docker inspect` of that container hangs). The engine links it to
the root-cause finding on the same container when there is one."""
from __future__ import annotations

from .. import provenance as pv
from . import evidence as ev
from .finding import WARNING, Finding
from .history import STUCK_AFTER, History

CLASS = "runtime-call-hung"
SEVERITY = WARNING          # its highest: the fleet metrics count the class at this one
TAKES_ROOT_PLAYBOOK = True         # a cause found on its container brings its own playbook


def detect(h: History) -> list[Finding]:
    snap = h.latest
    d = snap.docker
    if d is None or not d.probes:
        return []
    # the daemon answers: its ping did, or (a report may show only that) `docker ps` did
    ping = next((p for p in d.probes if p.call == "ping"), None)
    listed = any(p.call == "list" and p.target is None and p.status == "ok" for p in d.probes)
    if (ping.status != "ok") if ping is not None else not listed:
        return []                          # the whole daemon is stuck: daemon-unresponsive
    out = []
    by_target: dict[str, list] = {}               # one finding per container, however many calls hang
    for pr in d.probes:
        if pr.status == "pending" and pr.target is not None and pr.seconds >= STUCK_AFTER:
            by_target.setdefault(pr.target, []).append(pr)
    for target, calls in by_target.items():
        pr = max(calls, key=lambda p: p.seconds)
        c = snap.container(target)
        name = c.name if c else target[:12]
        also = f" ({', '.join(p.call for p in calls if p is not pr)} too)" if len(calls) > 1 else ""
        out.append(Finding(
            cls=CLASS, severity=SEVERITY, container=target, pids=[], stuck_for=pr.seconds,
            summary=f"docker {pr.call} of {name} has not returned after {pv.mark(pr, 'seconds')}{pr.seconds:.0f}s{also} "
                    f"(the daemon still answers {'ping' if ping is not None else 'docker ps'})",
            evidence={"pending_calls": ev.probes(snap, target)}))
    return out
