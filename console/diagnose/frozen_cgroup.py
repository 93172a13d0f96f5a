"""G: a freezer cgroup holds a container's tasks or a runtime process (dockerd, containerd, a
shim, conmon, runc, runc init). Frozen tasks sit in D (not T): they cannot run, answer, reap,
dump stacks or die; a signal, SIGKILL too, stays pending until the cgroup is thawed. The
cgroup that froze them is named: their own or an ancestor (v1 freezer.self_freezing, v2
cgroup.freeze). A pause the runtime reports (`docker pause`, `ctr task pause`) is deliberate and is reported
by paused.py instead."""
from __future__ import annotations

from .. import model as m
from . import evidence as ev
from . import scope
from .finding import CRITICAL, WARNING, Finding
from .history import History

CLASS = "frozen-cgroup"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim", "shim-unresponsive")
_NAMES = {m.DOCKERD: "dockerd", m.CONTAINERD: "containerd", m.SHIM_V2: "shim", m.SHIM_V1: "shim",
          m.SHIM_LEGACY: "shim", m.CONMON: "conmon", m.RUNC: "runc", m.RUNC_INIT: "runc init"}


def paused_by_runtime(c: m.Container | None) -> bool:
    """A pause the runtime itself reports (`docker pause`, containerd's PAUSED task state): deliberate."""
    return bool(c and ((c.docker and (c.docker.paused or c.docker.state == "paused"))
                       or c.task_state in ("paused", "pausing")))


def who(p: m.Process) -> str:
    name = _NAMES.get(p.role, p.comm)
    return f"{name} {p.runtime_verb} {p.pid}" if p.role == m.RUNC and p.runtime_verb else f"{name} {p.pid}"


def frozen_runtime(snap: m.HostSnapshot, cid: str | None) -> list[m.Process]:
    """Runtime processes of container CID (host-wide daemons for None) that a freezer holds."""
    c = snap.container(cid) if cid else None
    return [p for p in scope.suspects(snap) if p.freezer and p.role in m.RUNTIME_ROLES and
            (p.container_id == cid or (c is not None and p.pid == c.shim_pid))]


def _item(p: m.Process) -> dict:
    t = p.threads[0] if p.threads else None
    return {**ev.proc(p), "freezer": p.freezer, "frozen_by": p.frozen_by,
            "wchan": t.wchan if t else None, "kill_pending": ev.kill_pending(p)}


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    for cid in [c.id for c in snap.containers] + [None]:
        c = snap.container(cid) if cid else None
        runtime = frozen_runtime(snap, cid)
        st = c.cgroup.freezer if c and c.cgroup else None
        tasks = [p for p in scope.suspects(snap) if p.container_id == cid and p.role not in m.RUNTIME_ROLES
                 and (p.freezer or st in ("FROZEN", "FREEZING"))] if cid else []
        if paused_by_runtime(c):
            tasks = []                                  # deliberate: paused.py says so
        if not runtime and not tasks:
            continue
        cgs = sorted({g for p in runtime + tasks for g in (p.frozen_by or [])}
                     or ({c.cgroup.path} if c and c.cgroup and tasks else set()))
        state = next((p.freezer for p in runtime + tasks if p.freezer), st) or "FROZEN"
        where = ("freezer cgroup " + ", ".join(cgs)) if cgs else ev.frozen_by_text((runtime + tasks)[0])
        if runtime:
            names = ", ".join(who(p) for p in runtime[:4])
            pend = [p for p in runtime if ev.kill_pending(p)]
            summary = (f"{names} {'is' if len(runtime) == 1 else 'are'} frozen by {where} "
                       f"({state}{', not a pause its runtime made' if cid else ''}): in D, not T; it cannot run, answer, "
                       f"reap or dump stacks, and signals (SIGKILL too) stay pending until that cgroup is thawed"
                       + (f"; a SIGKILL is already pending on {', '.join(str(p.pid) for p in pend)}" if pend else ""))
        else:
            summary = (f"cgroup of {c.name} is {state} (frozen by {where}) but Docker does not say it is paused"
                       if c.docker else f"cgroup of {c.name} is {state} (frozen by {where}); no runtime API "
                                        f"says it is paused: a deliberate pause (podman pause) or a freeze?")
        severity = CRITICAL if runtime or (c and c.docker) else WARNING
        out.append(Finding(
            cls=CLASS, severity=severity, container=cid, pids=[p.pid for p in runtime + tasks], playbook=CLASS,
            summary=summary,
            evidence={"freezer": state, "frozen_by": cgs, "paused_by_runtime": paused_by_runtime(c),
                      "runtime": [_item(p) for p in runtime], "tasks": [_item(p) for p in tasks][:20]}))
    return out


def links(h: History, f: Finding, c: m.Container | None, others: dict, extra) -> list[dict]:
    """The freezer that holds it, and each runtime process it froze (D, not T)."""
    e = f.evidence
    by = e.get("frozen_by")
    out = [ev.link(f"freezer cgroup {', '.join(by)} is {e.get('freezer')} (not a pause the runtime made)" if by else
                   "a freezer cgroup froze it (not named in this data: threads in __refrigerator)",
                   "cgroup freezer files" if by else "/proc wchan", {"frozen_by": by},
                   kind="observed" if by else "inferred", key="shim-stopped")]
    for r in e.get("runtime") or []:
        out.append(ev.link(f"{ev.proc_name(r)} frozen: in D, not T; it cannot run, and signals stay pending"
                           + ("; a SIGKILL is pending" if r.get("kill_pending") else ""),
                           "/proc", {"pid": r["pid"], "state": r["state"], "wchan": r.get("wchan")}, key="shim-stopped"))
    return out
