"""Provenance marks: what in a rebuilt recording was reconstructed rather than shown by its
source (a field report). Items carry `recon` ({field: why}, or {"*": why} for the whole item;
see model.py); this module reads it for every view. Live data is never marked.

Shown as MARK (a dim "≈") next to each reconstructed value, with LEGEND once on the screen.
"""
from __future__ import annotations

from . import model as m

MARK = "≈"
LEGEND = "≈ reconstructed: not in the report"
SHORT_LEGEND = "≈ reconstructed"


def why(item, name: str | None = None) -> str | None:
    """Why NAME of ITEM (or, without NAME, anything in it) is reconstructed; None if it is not."""
    r = getattr(item, "recon", None)
    if not r:
        return None
    if m.WHOLE in r:
        return r[m.WHOLE]
    if name is None:
        return next(iter(r.values()))
    return r.get(name)


def marked(item, *names: str) -> bool:
    """Whether ITEM is reconstructed as a whole, or in any of NAMES (any field when none given)."""
    if not names:
        return bool(getattr(item, "recon", None))
    return any(why(item, n) is not None for n in names)


def mark(item, *names: str) -> str:
    """MARK if ITEM (or one of NAMES in it) is reconstructed, else ""."""
    return MARK if marked(item, *names) else ""


def notes(item) -> list[str]:
    """One line per reconstructed field: "field: why" (or just why, for the whole item)."""
    r = getattr(item, "recon", None) or {}
    if m.WHOLE in r:
        return [r[m.WHOLE]]
    out: dict[str, list[str]] = {}               # fields that share a reason, together
    for k, v in r.items():
        out.setdefault(v, []).append(k)
    return [f"{', '.join(ks)}: {v}" for v, ks in out.items()]


def short_id_mark(c: m.Container) -> str:
    """MARK for a container's short id when the short id itself is reconstructed: a report that
    prints 12 hex digits gives those (only the rest of the full id is made up)."""
    r = c.recon or {}
    return MARK if m.WHOLE in r or "short_id" in r else ""


def items(snap: m.HostSnapshot):
    """Every item of SNAP that can carry a mark, as (what, item)."""
    yield "host", snap
    for p in snap.processes:
        yield f"process {p.pid}", p
        for t in p.threads:
            yield f"thread {t.tid} of {p.pid}", t
        for f in p.fds or ():
            yield f"fd {f.num} of {p.pid}", f
    for pp in snap.pipes:
        yield f"pipe {pp.inode}", pp
    for c in snap.containers:
        yield f"container {c.short_id}", c
        if c.cgroup:
            yield f"cgroup of {c.short_id}", c.cgroup
            for lv in c.cgroup.levels:
                yield f"cgroup level {lv.path}", lv
    for name, lines in (("kernel", snap.kernel_log), ("kubelet", snap.kubelet_log), ("daemon", snap.daemon_log)):
        for k in lines:
            yield f"{name} log line", k
    for name, st in (("docker", snap.docker), ("containerd", snap.containerd), ("cri", snap.cri), ("runc", snap.runc)):
        if st:
            yield f"{name} state", st
            for pr in st.probes:
                yield f"{name} {pr.call}", pr


def has_reconstructed(snap: m.HostSnapshot | None) -> bool:
    """Whether anything in SNAP is marked (a rebuilt recording always marks its host)."""
    return snap is not None and bool(snap.recon)


def runtime_states(snap: m.HostSnapshot):
    """(engine, state) of every runtime API or CLI a snapshot holds calls of."""
    for name, st in (("docker", snap.docker), ("containerd", snap.containerd), ("cri", snap.cri), ("runc", snap.runc)):
        if st:
            yield name, st


def versions_text(snap: m.HostSnapshot) -> str:
    """'docker 18.06.3 · containerd ? · runc ?' for a recording that records versions; a
    component its source does not give is unknown, never guessed. "" when none recorded."""
    v = snap.versions
    if not v:
        return ""
    shown = [f"{k} {v.get(k) or '?'}" for k in ("docker", "containerd", "runc")]
    return " · ".join(shown + [f"{k} {x}" for k, x in v.items() if k not in ("docker", "containerd", "runc", "kernel")])
