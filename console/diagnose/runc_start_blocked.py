"""C: exec.fifo race / runc init OOM-killed during start (seed 003; containerd#1882, runc
PR #1698). `runc start` opens exec.fifo read-only and blocks until runc init opens the write
end; if init died first it blocks forever, and `docker ps` hangs on the daemon lock.
Mirror case: runc init waiting to open exec.fifo for write with no `runc start` (created,
never started; runc PR #3590).

Without the blocked thread to see (seed 003's report shows no process state at all), the
class is inferred from what is shown: the kernel OOM-killed a runc:[2:INIT], the daemon's
`docker ps` does not return, and the recorded containerd is older than 1.0.2, the release
that took the exec.fifo fix (the report's own reading, containerd#1882). A runc start whose
threads were not read is named as the one to kill; the summary says it is inferred."""
from __future__ import annotations

import re

from .. import model as m
from .. import provenance as pv
from ..collect.syscalls import open_mode
from . import evidence as ev
from . import scope
from .finding import CRITICAL, Finding
from .history import STUCK_AFTER, History, thread_sig

CLASS = "runc-start-blocked"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")
EXPLAINS_DAEMON = True
START_AGE = 30.0
INIT_AGE = 60.0
_FIFO_WAIT = re.compile(r"wait_for_partner|fifo_open")


def _opening(p: m.Process, mode: str) -> m.Thread | None:
    for t in p.threads:
        sc = t.syscall
        if sc and sc.name in ("openat", "open") and open_mode(sc) == mode:
            if t.wchan is None or _FIFO_WAIT.search(t.wchan):
                return t
    return None


FIXED_IN = (1, 0, 2)        # containerd: the exec.fifo race fixed (containerd#1882, runc PR #1698)


def _version(text: str | None) -> tuple[int, ...] | None:
    mt = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(x) for x in mt.groups()) if mt else None


def _inferred(h: History) -> list[Finding]:
    snap = h.latest
    kills = ev.kernel_lines(snap, ("oom-kill", "oom"), lambda k: "runc:[2:INIT]" in k.text)
    hung = [d for d in ev.probes(snap) if d["call"] in ("list", "ping") and not d.get("engine")
            and d["seconds"] >= STUCK_AFTER]
    ver = _version(snap.versions.get("containerd"))
    if not kills or not hung or ver is None or ver >= FIXED_IN:
        return []
    starts = [p for p in scope.suspects(snap) if p.role == m.RUNC and p.runtime_verb == "start" and not p.threads]
    p = starts[0] if starts else None
    cid = p.container_id if p is not None and snap.container(p.container_id or "") else None
    who = (f"runc start {pv.mark(p)}{p.pid} (its threads not read)" if p is not None
           else "a runc start (no process of it in this data)")
    return [Finding(
        cls=CLASS, severity=SEVERITY, container=cid, pids=[p.pid] if p is not None else [],
        stuck_for=hung[0]["seconds"], playbook=CLASS,
        summary=(f"inferred: a runc:[2:INIT] was OOM-killed and docker ps has not returned for "
                 f"{'≈' if (hung[0].get('reconstructed') or {}).get('seconds') else ''}"
                 f"{hung[0]['seconds']:.0f}s on containerd {snap.versions['containerd'].split()[0]}, "
                 f"which predates the exec.fifo fix (1.0.2, containerd#1882): {who} waits on "
                 f"exec.fifo forever"),
        evidence={"kernel_log": kills, "versions": dict(snap.versions),
                  "runc_start": ev.proc(p) if p is not None else None, "pending_calls": hung})]


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    live_inits = {p.container_id for p in scope.suspects(snap) if p.role == m.RUNC_INIT and not p.zombie}
    for p in scope.suspects(snap):
        if p.role == m.RUNC and p.runtime_verb == "start" and p.age >= START_AGE:
            t = _opening(p, "r")
            if t is None or p.container_id in live_inits:
                continue
            cid = p.container_id
            kills = ev.kernel_lines(snap, ("oom-kill", "oom"), lambda k: "runc:[2:INIT]" in k.text)
            c = snap.container(cid) if cid else None
            oom = max((lv.mem_oom_kill or 0 for lv in (c.cgroup.levels if c and c.cgroup else [])), default=0)
            stuck = h.steady(p, thread_sig(t.tid))
            why = "runc init was OOM-killed" if kills or oom else "runc init is gone"
            out.append(Finding(
                cls=CLASS, severity=SEVERITY, container=cid, pids=[p.pid],
                stuck_for=max(stuck, p.age), playbook=CLASS,
                summary=(f"runc start {p.pid} has waited {ev.fmt_age(p.age)} opening exec.fifo "
                         f"for reading and no runc init of {(cid or '?')[:12]} is alive ({why}): "
                         f"it will never return"),
                evidence={"chain": ev.chain(snap, p), "blocked_thread": ev.thread(t, stuck),
                          "kernel_log": kills, "memory_oom_kill": oom, "init_gone": why,
                          "pending_calls": ev.probes(snap)}))
        elif p.role == m.RUNC_INIT and p.age >= INIT_AGE:
            t = _opening(p, "w")
            starters = [q for q in scope.suspects(snap) if q.role == m.RUNC and q.runtime_verb == "start"
                        and q.container_id == p.container_id]
            if t is None or starters:
                continue
            out.append(Finding(
                cls=CLASS, severity=SEVERITY, container=p.container_id, pids=[p.pid],
                stuck_for=p.age, playbook=CLASS,
                summary=(f"runc init {p.pid} has waited {ev.fmt_age(p.age)} to open exec.fifo and "
                         f"no runc start is running: the container was created, never started"),
                evidence={"chain": ev.chain(snap, p), "blocked_thread": ev.thread(t)}))
    if not out:
        out = _inferred(h)
    return out


def links(h: History, f: Finding, c: m.Container | None, others: dict, extra) -> list[dict]:
    """runc start on exec.fifo: seen (its thread, no runc init), or inferred from the versions."""
    if "versions" in f.evidence:                   # inferred: no thread of it seen
        ver = (f.evidence["versions"].get("containerd") or "?").split()[0]
        out = [ev.link(f"containerd {ver} predates the exec.fifo fix (1.0.2): when runc init dies before it "
                       f"opens exec.fifo, runc start blocks opening it forever (containerd#1882, runc PR #1698)",
                       "recorded versions; containerd/runc source", {"versions": f.evidence["versions"]},
                       kind="inferred")]
        if (rs := f.evidence.get("runc_start")):
            out.append(ev.link(f"runc start {rs['pid']} waits on exec.fifo (its threads were not read)",
                               "process list", {"runc_start": rs}, kind="inferred", key="fifo-open-blocks"))
        return out
    return [ev.link(f"no runc init of the container is alive: {f.evidence.get('init_gone') or 'runc init is gone'}",
                    "/proc", {}, kind="observed", key="fifo-open-blocks"),
            ev.link(f"runc start {f.pids[0]} blocked opening exec.fifo for {ev.fmt_age(f.stuck_for or 0)}: "
                    f"it will never return", "/proc syscall, wchan",
                    {"thread": f.evidence.get("blocked_thread")}, age=f.stuck_for, key="fifo-open-blocks")]
