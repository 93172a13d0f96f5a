"""A thread blocked writing a full pipe: shared by the exec-pipe-deadlock and stuck-pipe
detectors."""
from __future__ import annotations

from dataclasses import dataclass

from .. import model as m
from .history import STUCK_AFTER, History, thread_sig

WRITE_CALLS = ("write", "writev", "pwrite64", "splice", "sendfile")
ROOM_WAITS = ("anon_pipe_write", "pipe_write", "pipe_wait_writable", "pipe_wait")


def no_room(pp: m.Pipe, t: m.Thread | None = None) -> bool:
    """PP has no room for T's write: under a page free, or T is in the kernel waiting for room
    (a Go client writes 32 KiB at a time, and blocks with 5 KiB free)."""
    return pp.full or bool(t is not None and pp.queued and t.wchan in ROOM_WAITS)


@dataclass
class BlockedWrite:
    proc: m.Process
    thread: m.Thread
    fd: m.Fd
    pipe: m.Pipe
    stuck_for: float


def blocked_writes(h: History, p: m.Process) -> list[BlockedWrite]:
    """Threads of P in a write to a full pipe, unchanged for at least STUCK_AFTER seconds."""
    out = []
    snap = h.latest
    for t in p.threads:
        sc = t.syscall
        if not sc or sc.name not in WRITE_CALLS or sc.fd is None:
            continue
        f = p.fd(sc.fd)
        if f is None or f.kind != "pipe" or f.inode is None:
            continue
        pp = snap.pipe(f.inode)
        if pp is None or not no_room(pp, t):
            continue
        stuck = h.steady(p, thread_sig(t.tid, f.inode))
        if stuck >= STUCK_AFTER:
            out.append(BlockedWrite(p, t, f, pp, stuck))
    return out


def evidence(snap: m.HostSnapshot, bw: BlockedWrite, cid: str | None, **extra) -> dict:
    """What an operator needs to believe a blocked pipe write (and the drain binds to)."""
    from . import evidence as ev
    return {"chain": ev.chain(snap, bw.proc), "blocked_thread": ev.thread(bw.thread, bw.stuck_for),
            "fd": {"pid": bw.proc.pid, "fd": bw.fd.num, "target": bw.fd.target},
            "pipe": ev.pipe(bw.pipe), **extra, "pending_calls": ev.probes(snap, cid)}


def stream_name(e: dict) -> str:
    """The stream the full pipe of evidence E (evidence() above) is: the fd(s) the outermost
    process of the writer's chain holds it on, not the blocked writer's own (`head >&2`
    writes its fd 1 into the stream that is stderr)."""
    writers = e["pipe"].get("writers") or []
    fds = [e["fd"]["fd"]]
    for d in e.get("chain") or []:
        if d.get("role") in m.SHIM_ROLES or d.get("role") == m.RUNC:
            continue
        mine = sorted({w["fd"] for w in writers if w["pid"] == d["pid"]})
        if mine:
            fds = mine
            break
    return "+".join({0: "stdin", 1: "stdout", 2: "stderr"}.get(n, f"fd {n}") for n in fds)
