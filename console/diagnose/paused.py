"""A deliberate `docker pause` is not a hang: info only, so nobody "fixes" it."""
from __future__ import annotations

from .finding import INFO, Finding
from .history import History

CLASS = "paused"


def detect(h: History) -> list[Finding]:
    out = []
    for c in h.latest.containers:
        if c.docker and (c.docker.paused or c.docker.state == "paused"):
            out.append(Finding(
                cls=CLASS, severity=INFO, container=c.id,
                summary=f"{c.name} is paused (docker pause): deliberate, not a hang",
                evidence={"freezer": c.cgroup.freezer if c.cgroup else None,
                          "docker_state": c.docker.state}))
    return out
