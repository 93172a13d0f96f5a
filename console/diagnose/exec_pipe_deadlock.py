"""A: exec stdio pipe deadlock (seed 000; containerd#4434, runc#2530).

The shim copies an exec's stdio only after `runc exec --detach` returns; if runc init writes
more than the pipe holds first, it blocks in write, runc exec waits for it, the shim for runc
exec, and `docker exec`, then `docker inspect` of that container (container lock), hang.
"""
from __future__ import annotations

from .. import model as m
from .. import provenance as pv
from . import evidence as ev
from . import scope
from .finding import CRITICAL, Finding
from .history import History
from .pipes_common import blocked_writes
from .pipes_common import evidence as pipe_evidence
from .pipes_common import links as pipe_links
from .simulated import answer_calls, drop

CLASS = "exec-pipe-deadlock"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")   # on the same container
EXPLAINS_DAEMON = True
SUPERSEDES = ("stuck-pipe",)        # the same blocked writer, seen with its runc exec


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    for p in scope.suspects(snap):
        if p.role != m.RUNC_INIT:
            continue
        runc = snap.proc(p.ppid)
        if runc is None or runc.role != m.RUNC or runc.runtime_verb != "exec":
            continue
        shim = snap.proc(runc.ppid)
        if shim is None or shim.role not in m.SHIM_ROLES:
            continue
        for bw in blocked_writes(h, p):
            readers = {e.pid for e in bw.pipe.readers}
            if not readers or readers - {shim.pid, runc.pid, p.pid}:
                continue                  # somebody else could still drain it
            cid = runc.container_id or shim.container_id or p.container_id
            short = (cid or "?")[:12]
            out.append(Finding(
                cls=CLASS, severity=SEVERITY, container=cid, pids=[p.pid, runc.pid, shim.pid],
                stuck_for=bw.stuck_for, playbook=CLASS,
                summary=(f"runc init {p.pid} has been blocked {ev.at_least(bw.stuck_for, p)} writing fd "
                         f"{bw.fd.num} (pipe:[{bw.pipe.inode}] full, {pv.mark(bw.pipe, 'queued', 'capacity')}{bw.pipe.queued}/"
                         f"{bw.pipe.capacity} bytes); its only reader is shim {shim.pid}, which "
                         f"waits for runc exec {runc.pid}: exec and inspect of {short} hang"),
                evidence=pipe_evidence(snap, bw, cid, exec_id=runc.exec_id)))
            break
    return out


def _after_drain(snap: m.HostSnapshot, f: Finding) -> str:
    """Training: the drained runc init finishes its write and exits, so runc exec returns and
    the calls that waited on the exec answer."""
    execs = {p.pid for p in scope.suspects(snap) if p.role == m.RUNC and p.runtime_verb == "exec"}
    drop(snap, execs)
    answer_calls(snap, f.container)
    return f"runc exec returns ({len(execs)} exited) and the calls waiting on it answer"


SIMULATED = {"drain-pipe": _after_drain}


def links(h: History, f: Finding, c: m.Container | None, others: dict, extra) -> list[dict]:
    """The pipe, runc init blocked writing it, runc exec and the shim waiting on each other."""
    return pipe_links(h, f, c, exec_deadlock=True)
