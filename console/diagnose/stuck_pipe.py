"""A, general form: a container process blocked writing a full pipe whose only reader is a
shim that is not reading. The shim forwards the pipe to a client (`docker exec`, `docker
attach`, `kubectl exec`); when that client is on this host and is itself blocked writing a full
pipe nobody reads, the finding is rooted there, at the reader that stopped, and the drain
binds to the client's pipe: draining the far end lets every hop move again."""
from __future__ import annotations

from .. import model as m
from .. import provenance as pv
from ..runtime_clients import streaming_words
from . import clients, scope
from . import evidence as ev
from .finding import WARNING, Finding
from .history import History
from .pipes_common import BlockedWrite, blocked_writes
from .pipes_common import evidence as pipe_evidence
from .pipes_common import links as pipe_links

CLASS = "stuck-pipe"
SEVERITY = WARNING          # its highest: the fleet metrics count the class at this one
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")
_STREAM = {0: "stdin", 1: "stdout", 2: "stderr"}


def detect(h: History) -> list[Finding]:
    snap = h.latest
    shims = {p.pid for p in scope.suspects(snap) if p.role in m.SHIM_ROLES}
    by_container: dict[str, list] = {}
    for p in scope.suspects(snap):
        if not p.container_id or p.role in (m.RUNC_INIT, m.RUNC) or p.role in m.SHIM_ROLES:
            continue
        for bw in blocked_writes(h, p):
            readers = {e.pid for e in bw.pipe.readers}
            if readers and readers <= shims:
                by_container.setdefault(p.container_id, []).append(bw)
    out = []
    cands = clients.candidates(snap)
    for c in snap.containers:
        bws, stalled = by_container.get(c.id, []), clients.stalled(h, c, cands)
        if stalled:
            out.append(_client_finding(snap, c, stalled[0], bws))
        elif bws:
            out.append(_shim_finding(snap, c, bws, cands))
    return out


def _shim_finding(snap: m.HostSnapshot, c: m.Container, bws: list[BlockedWrite],
                  cands: list[m.Process]) -> Finding:
    bw = bws[0]
    p = bw.proc
    reader = ", ".join(str(e.pid) for e in bw.pipe.readers)
    stopped = clients.stopped_clients(snap, c, cands)
    why = (f"its client {client_text(stopped[0])} is stopped (state {stopped[0].state}: Ctrl-Z or SIGSTOP) "
           f"and reads nothing until it is continued (SIGCONT {stopped[0].pid})" if stopped else
           "no client of it on this host is seen blocked: a stalled exec/attach client elsewhere?")
    extra = {"stopped_clients": [ev.proc(q) for q in stopped]} if stopped else {}
    return Finding(
        cls=CLASS, severity=SEVERITY, container=c.id, pids=[b.proc.pid for b in bws] + [q.pid for q in stopped],
        stuck_for=bw.stuck_for, playbook=CLASS,
        summary=(f"{p.comm} {p.pid} has been blocked {ev.at_least(bw.stuck_for, p)} writing fd {bw.fd.num}: "
                 f"pipe:[{bw.pipe.inode}] is full ({pv.mark(bw.pipe, 'queued', 'capacity')}{bw.pipe.queued}/{bw.pipe.capacity}) and "
                 f"its only reader, shim {reader}, is not reading ({why})"),
        evidence=pipe_evidence(snap, bw, c.id, also_blocked=_also(bws[1:]), **extra))


def _also(bws: list[BlockedWrite]) -> list[dict]:
    return [{"pid": b.proc.pid, "comm": b.proc.comm, "fd": b.fd.num, "inode": b.pipe.inode} for b in bws]


def client_text(p: m.Process, width: int = 60) -> str:
    line = " ".join(p.argv or [p.comm])
    return f"{p.comm} {p.pid} (`{line[:width]}{'…' if len(line) > width else ''}`)"


def readers_text(snap: m.HostSnapshot, pp: m.Pipe) -> str:
    return ", ".join(f"{(q.comm if (q := snap.proc(e.pid)) else e.comm)} {e.pid}" for e in pp.readers) or "nobody"


def _client_finding(snap: m.HostSnapshot, c: m.Container, cw: BlockedWrite, bws: list[BlockedWrite]) -> Finding:
    p = cw.proc
    stream = _STREAM.get(cw.fd.num, f"fd {cw.fd.num}")
    readers = readers_text(snap, cw.pipe)
    text = (f"{client_text(p)}, a client of this container, has been blocked {ev.at_least(cw.stuck_for, p)} "
            f"writing its {stream}: pipe:[{cw.pipe.inode}] is full ({cw.pipe.queued}/{cw.pipe.capacity}) and its "
            f"only reader, {readers}, is not reading")
    if bws:
        w = bws[0]
        text += (f"; so {w.proc.comm} {w.proc.pid} in the container is blocked writing fd {w.fd.num} "
                 f"(pipe:[{w.pipe.inode}] full, read by the shim)")
    call = (streaming_words(p.argv or []) or ("exec",))[0]
    held = None
    if (p.argv or [""])[0].endswith("docker") and c.docker is not None:
        if call == "exec":
            held = held_execs(snap, c)
            text += _exec_consequence(bool(bws), held)
        else:
            text += ("; until it reads, dockerd copies none of the container's output: the container "
                     "blocks writing it and its log stops")
    client = {**ev.proc(p), "fd": cw.fd.num, "stream": stream, "readers": readers, "call": call}
    extra = {"client": client}
    if held is not None:
        extra["held_execs"] = held
    if bws:            # the container's side of the chain: what frees once the client drains
        extra["exec_side"] = {k: v for k, v in pipe_evidence(snap, bws[0], c.id).items() if k != "pending_calls"}
        extra["also_blocked"] = _also(bws[1:])
    return Finding(
        cls=CLASS, severity=SEVERITY, container=c.id, pids=[p.pid] + [b.proc.pid for b in bws],
        stuck_for=cw.stuck_for, playbook=CLASS, summary=text,
        evidence=pipe_evidence(snap, cw, c.id, **extra))


def held_execs(snap: m.HostSnapshot, c: m.Container) -> dict | None:
    """How many execs dockerd still lists on C (inspect's ExecIDs) against how many exec
    processes run in it (the shim's children besides the container's main process). More
    listed than running: an ended exec dockerd has not closed, and the exits of later execs
    wait behind it (seen on dockerd 20.10: the next `docker exec` prints, then hangs)."""
    if c.docker is None or c.docker.exec_ids is None or c.shim_pid is None:
        return None
    init = c.init_pid or c.docker.pid
    running = sum(1 for q in scope.suspects(snap) if q.container_id == c.id and q.ppid == c.shim_pid
                  and q.pid != init and q.role not in (m.RUNC, m.RUNC_INIT))
    return {"listed": len(c.docker.exec_ids), "running": running}


def _exec_consequence(running_side_blocked: bool, held: dict | None) -> str:
    """What the stalled exec client does to the container's other execs, as far as it is seen."""
    if running_side_blocked:       # the exec still runs: it holds up nothing else yet (measured)
        return ("; until it reads, this exec cannot finish; new `docker exec` calls on the container "
                "still answer, but ending this one from inside first (killing or draining its writer) "
                "leaves dockerd unable to close it, and then every later attached exec hangs at its exit")
    if held is None:
        return ("; if its exec has ended, dockerd cannot close it until the client reads, and later "
                "attached `docker exec` calls on the container hang at their exit (not checked: no "
                "`docker inspect` answer)")
    if held["listed"] > held["running"]:
        return (f"; its exec has ended but dockerd cannot close it until the client reads "
                f"(dockerd lists {held['listed']} exec(s), {held['running']} running): new attached "
                f"`docker exec` calls on the container wait behind it")
    return (f"; dockerd holds no ended exec of this container (it lists {held['listed']}, "
            f"{held['running']} running): other execs on the container are not held up, the unread "
            f"output waits for this client alone")


def links(h: History, f: Finding, c: m.Container | None, others: dict, extra) -> list[dict]:
    """The client that stopped reading, the pipe, its blocked writer (said once: an exec
    deadlock on the same container says the pipe first)."""
    return [] if "exec-pipe-deadlock" in others else pipe_links(h, f, c, exec_deadlock=False)
