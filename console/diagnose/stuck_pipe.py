"""A, general form: a container process blocked writing a full pipe whose only reader is a
shim that is not reading (a stalled `docker exec` or `docker logs -f` client does this)."""
from __future__ import annotations

from .. import model as m
from .. import provenance as pv
from . import evidence as ev
from .finding import WARNING, Finding
from .history import History
from .pipes_common import blocked_writes
from .pipes_common import evidence as pipe_evidence

CLASS = "stuck-pipe"


def detect(h: History) -> list[Finding]:
    snap = h.latest
    shims = {p.pid for p in snap.processes if p.role in m.SHIM_ROLES}
    by_container: dict[str, list] = {}
    for p in snap.processes:
        if not p.container_id or p.role in (m.RUNC_INIT, m.RUNC) or p.role in m.SHIM_ROLES:
            continue
        for bw in blocked_writes(h, p):
            readers = {e.pid for e in bw.pipe.readers}
            if readers and readers <= shims:
                by_container.setdefault(p.container_id, []).append(bw)
    out = []
    for cid, bws in by_container.items():
        bw = bws[0]
        p = bw.proc
        reader = ", ".join(str(e.pid) for e in bw.pipe.readers)
        out.append(Finding(
            cls=CLASS, severity=WARNING, container=cid, pids=[b.proc.pid for b in bws],
            stuck_for=bw.stuck_for, playbook=CLASS,
            summary=(f"{p.comm} {p.pid} has been blocked {ev.at_least(bw.stuck_for, p)} writing fd {bw.fd.num}: "
                     f"pipe:[{bw.pipe.inode}] is full ({pv.mark(bw.pipe, 'queued', 'capacity')}{bw.pipe.queued}/{bw.pipe.capacity}) and "
                     f"its only reader, shim {reader}, is not reading (stalled exec/logs client?)"),
            evidence=pipe_evidence(snap, bw, cid, also_blocked=[
                {"pid": b.proc.pid, "comm": b.proc.comm, "fd": b.fd.num, "inode": b.pipe.inode}
                for b in bws[1:]])))
    return out
