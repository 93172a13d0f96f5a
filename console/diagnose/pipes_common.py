"""A thread blocked writing a full pipe: shared by the exec-pipe-deadlock and stuck-pipe
detectors, with the chain links of that pipe."""
from __future__ import annotations

from dataclasses import dataclass

from .. import model as m
from . import evidence as ev
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


def _client_links(f, c: m.Container | None) -> list[dict]:
    """The far end, root first: the client's reader that stopped, the client blocked writing
    to it, and the daemon between the client and the shim."""
    e = f.evidence
    cl, pp, bt = e["client"], e["pipe"], e["blocked_thread"]
    who = f"{cl['comm']} {cl['pid']}"
    out = [ev.link(f"{cl['readers']} holds the only read end of {who}'s {cl['stream']} (pipe:[{pp['inode']}], "
                   f"full {pp['queued']}/{pp['capacity']} bytes) and does not read it",
                   "/proc fdinfo + FIONREAD", {"pipe": pp}, key="client-not-reading"),
           ev.link(f"{who} (`{(cl.get('argv') or '')[:80]}`) blocked in "
                   f"{bt['syscall'] or 'write'} {ev.at_least(f.stuck_for or 0)}: it reads no more of the "
                   f"container's output", "/proc syscall, wchan", {"thread": bt, "client": cl}, age=f.stuck_for,
                   key="client-not-reading")]
    if c is not None and c.docker is not None and cl["comm"].startswith("docker"):
        out.append(ev.link("dockerd stops reading the shim when its client stops reading, and closes an exec's "
                           "streams only once they are taken: once the exec has ended, the container's later exec exits wait behind it "
                           "(moby: ProcessEvent -> CloseStreams -> broadcaster.Clean)"
                           if cl.get("call", "exec") == "exec" else
                           "dockerd copies the container's output to its log and to every attached client in "
                           "turn (moby: broadcaster.Write); one client that does not read stops the copy, the "
                           "shim, the container's stdout and the log",
                           "moby source; seen in dockerd 20.10", kind="inferred"))
    return out


def links(h: History, f, c: m.Container | None, exec_deadlock: bool) -> list[dict]:
    """The full pipe's part of a chain, root first: a client that stopped reading (when the
    finding is rooted there), the pipe, its blocked writer, and the runtime processes between
    the writer and the reader (EXEC_DEADLOCK: the shim waits for runc exec, containerd#4434)."""
    snap = h.latest
    e = f.evidence
    out = []
    if "client" in e:               # rooted at the client's reader; then the container's side
        out += _client_links(f, c)
        if not (e := e.get("exec_side")):
            return out
    pp, fd, bt = e["pipe"], e["fd"], e["blocked_thread"]
    readers = ", ".join(f"{r['comm']} {r['pid']}" for r in pp["readers"]) or "nobody"
    chain = e.get("chain") or []
    writer = chain[-1] if chain else {"comm": "?", "pid": fd["pid"], "role": None}
    out.append(ev.link(f"{stream_name(e)} pipe full ({ev.count_mark(pp)}{pp['queued']}/{pp['capacity']} bytes, "
                       f"pipe:[{pp['inode']}]), read only by {readers}", "/proc fdinfo + FIONREAD", {"pipe": pp},
                       key="pipe-full"))
    stuck = bt.get("stuck_for", f.stuck_for) or 0
    out.append(ev.link(f"{ev.proc_name(writer)} blocked in {bt['syscall'] or 'write'} "
                       f"{ev.at_least(stuck, snap.proc(fd['pid']))}", "/proc syscall, wchan", {"thread": bt}, age=stuck,
                       key="runc-init-write" if writer.get("role") == m.RUNC_INIT else "app-write-blocked"))
    for d in reversed(chain[:-1]):
        if d.get("role") == m.RUNC:
            out.append(ev.link(f"runc exec {d['pid']} waits for {ev.proc_name(writer)}", "/proc process tree",
                               {"pid": d["pid"], "argv": d["argv"]}, key="exec-never-ends"))
        elif d.get("role") in m.SHIM_ROLES:
            out.append(ev.link(f"shim {d['pid']} waits for runc exec: it copies the exec's stdio only after runc "
                               f"exec returns (containerd#4434)" if exec_deadlock
                               else f"shim {d['pid']} holds the read end but its client does not read",
                               "/proc process tree; containerd source", {"pid": d["pid"]}, kind="inferred",
                               key="exec-never-ends"))
    return out
