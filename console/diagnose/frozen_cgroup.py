"""G: a frozen cgroup. Tasks sit in D under a FROZEN/FREEZING freezer. A `docker pause` is
deliberate and is reported by paused.py instead."""
from __future__ import annotations

from . import evidence as ev
from .finding import CRITICAL, WARNING, Finding
from .history import History

CLASS = "frozen-cgroup"


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    for c in snap.containers:
        st = c.cgroup.freezer if c.cgroup else None
        if st not in ("FROZEN", "FREEZING"):
            continue
        if c.docker and (c.docker.paused or c.docker.state == "paused"):
            continue
        members = [p for p in snap.processes if p.container_id == c.id]
        known = c.docker is not None
        out.append(Finding(
            cls=CLASS, severity=CRITICAL if known else WARNING, container=c.id,
            pids=[p.pid for p in members], playbook=CLASS,
            summary=(f"cgroup of {c.name} is {st} but Docker does not say it is paused"
                     if known else f"cgroup of {c.name} is {st} (Docker unknown: deliberate pause?)"),
            evidence={"freezer": st, "tasks": [{**ev.proc(p), "wchan": p.threads[0].wchan if p.threads else None}
                                               for p in members][:20]}))
    return out
