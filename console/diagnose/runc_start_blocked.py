"""C: exec.fifo race / runc init OOM-killed during start (seed 003; containerd#1882, runc
PR #1698). `runc start` opens exec.fifo read-only and blocks until runc init opens the write
end; if init died first it blocks forever, and `docker ps` hangs on the daemon lock.
Mirror case: runc init waiting to open exec.fifo for write with no `runc start` (created,
never started; runc PR #3590)."""
from __future__ import annotations

import re

from .. import model as m
from . import evidence as ev
from .finding import CRITICAL, Finding
from .history import History, thread_sig
from ..collect.syscalls import open_mode

CLASS = "runc-start-blocked"
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


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    live_inits = {p.container_id for p in snap.processes if p.role == m.RUNC_INIT and not p.zombie}
    for p in snap.processes:
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
                cls=CLASS, severity=CRITICAL, container=cid, pids=[p.pid],
                stuck_for=max(stuck, p.age), playbook=CLASS,
                summary=(f"runc start {p.pid} has waited {ev.fmt_age(p.age)} opening exec.fifo "
                         f"for reading and no runc init of {(cid or '?')[:12]} is alive ({why}): "
                         f"it will never return"),
                evidence={"chain": ev.chain(snap, p), "blocked_thread": ev.thread(t, stuck),
                          "kernel_log": kills, "memory_oom_kill": oom,
                          "pending_calls": ev.probes(snap)}))
        elif p.role == m.RUNC_INIT and p.age >= INIT_AGE:
            t = _opening(p, "w")
            starters = [q for q in snap.processes if q.role == m.RUNC and q.runtime_verb == "start"
                        and q.container_id == p.container_id]
            if t is None or starters:
                continue
            out.append(Finding(
                cls=CLASS, severity=CRITICAL, container=p.container_id, pids=[p.pid],
                stuck_for=p.age, playbook=CLASS,
                summary=(f"runc init {p.pid} has waited {ev.fmt_age(p.age)} to open exec.fifo and "
                         f"no runc start is running: the container was created, never started"),
                evidence={"chain": ev.chain(snap, p), "blocked_thread": ev.thread(t)}))
    return out
