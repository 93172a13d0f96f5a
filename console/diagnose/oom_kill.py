"""The OOM killer killed a process in a container: the memory cgroup's oom_kill counter, or a
kernel log line that names the container. Usually the root cause behind a runc init that
died (seed 003) or a Go runtime abort trace on an exec's stderr (seed 000)."""
from __future__ import annotations

from . import evidence as ev
from . import kernel_causes
from .finding import WARNING, Finding
from .history import History

CLASS = "oom-kill"
SEVERITY = WARNING          # its highest: the fleet metrics count the class at this one


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    for c in snap.containers:
        levels = c.cgroup.levels if c.cgroup else []
        kills = levels[0].mem_oom_kill if levels and levels[0].mem_oom_kill else 0
        lines = [k.text for k in snap.kernel_log if k.kind in ("oom-kill", "oom") and kernel_causes.mentions(c, k.text)]
        if not kills and not lines:
            continue
        events = kernel_causes.oom_kills(snap, c)
        hit = events[-1] if events and events[-1].get("limit") else None
        lim = hit["limit"] if hit else next((lv.mem_limit for lv in levels if lv.mem_limit), None)
        where = f"{hit['level']} " if hit and hit.get("level") else ""
        limit = f"{where}memory limit {kernel_causes.fmt_limit(lim)}" if lim else "no memory limit"
        count = kills or sum(1 for k in snap.kernel_log if k.kind == "oom-kill" and kernel_causes.mentions(c, k.text)) or 1
        out.append(Finding(
            cls=CLASS, severity=SEVERITY, container=c.id, pids=[],
            summary=(f"the OOM killer killed {count} process(es) in {c.name} ({limit})"
                     + (f", last {ev.fmt_age(events[-1]['age'])} ago" if events else "")),
            evidence={"memory": [{k: v for k, v in lv.items() if k in ("path", "mem_usage", "mem_limit", "oom_kill")}
                                 for lv in ev.cgroup_levels(c)],
                      "kernel_log": lines or ev.kernel_lines(snap, ("oom-kill",))[-5:]}))
    return out
