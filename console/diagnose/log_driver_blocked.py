"""H: a container's log driver stops taking its logs. Docker's network log drivers (fluentd,
gelf over TCP, syslog over TCP, splunk) in blocking mode, Docker's default, send each line
before dockerd reads the next from the container's FIFO. An endpoint that accepts and then
stops reading fills the connection's queues; dockerd's copier waits; the shim's copy into the
FIFO waits; the container's stdout pipe fills and its process blocks in write(1). Once the
container stops, dockerd closes the driver holding the container's lock and the close flushes
into the same connection: `docker stop`, `restart` and `inspect` of it then hang too.

The proof is in the kernel's queues (/proc/PID/net/tcp): dockerd's connection to the endpoint
holds bytes not acknowledged, unchanged across samples, and a local endpoint holds bytes
received and never read. Draining the container's pipe would hide this and lose nothing the
endpoint wanted: the fix is at the endpoint (make it read, or restart it), or the container's
log options (mode=non-blocking drops lines instead of blocking).

This module owns the class: detection, evidence, chain links, severity, what it explains and
supersedes, and its playbook's conditions."""
from __future__ import annotations

from .. import model as m
from ..collect.sockets import NOT_LISTENING, endpoint
from . import evidence as ev
from . import scope
from .finding import INFO, WARNING, Finding
from .history import STUCK_AFTER, History
from .pipes_common import ROOM_WAITS, blocked_writes, stream_name
from .pipes_common import evidence as pipe_evidence

CLASS = "log-driver-blocked"
SEVERITY = WARNING                  # the container blocks; the daemon answers
EXPLAINS = ("runtime-call-hung", "zombies-under-shim")   # on the same container
SUPERSEDES = ("stuck-pipe",)        # the same blocked writer: its drain would hide the cause
NETWORK_DRIVERS = ("fluentd", "gelf", "syslog", "splunk")


def blocking(info: m.DockerInfo | None) -> bool:
    """A network log driver that blocks the container when its endpoint does not take lines."""
    return bool(info and info.log_driver in NETWORK_DRIVERS
                and (info.log_opts or {}).get("mode", "blocking") != "non-blocking"
                and (info.log_opts or {}).get("fluentd-async", "false") != "true")


def _steady_for(h: History, s: m.Socket) -> float:
    """Seconds dockerd's connection S has held the same unsent bytes, across the samples."""
    since = h.latest.uptime
    for snap in reversed(h.snaps[:-1]):
        q = next((x for x in (snap.sockets or ()) if x.inode == s.inode), None)
        if q is None or q.send_queue != s.send_queue:
            break
        since = snap.uptime
    return h.latest.uptime - since


def _stalled(h: History, endpoint: str) -> list[tuple[m.Socket, m.Socket | None, float]]:
    """dockerd's connections to ENDPOINT with unsent bytes unchanged across samples, each with
    its local far end (None when the endpoint is elsewhere) and how long it has held."""
    snap = h.latest
    out = []
    for s in (snap.sockets or ()):
        if s.endpoint != endpoint or not any(e.comm == "dockerd" for e in s.holders) or not s.send_queue:
            continue
        steady = _steady_for(h, s)
        if steady >= STUCK_AFTER:
            far = next((x for x in (snap.sockets or ()) if x.inode == s.peer), None)
            out.append((s, far, steady))
    return out


def _holder(snap: m.HostSnapshot, s: m.Socket | None) -> m.Process | None:
    return next((p for e in (s.holders if s else []) if (p := snap.proc(e.pid))), None)


def _sock(s: m.Socket) -> dict:
    return {"inode": s.inode, "local": s.local, "remote": s.remote, "state": s.state,
            "send_queue": s.send_queue, "recv_queue": s.recv_queue,
            "holders": [{"pid": e.pid, "comm": e.comm, "fd": e.fd} for e in s.holders]}


def _endpoint_text(snap: m.HostSnapshot, far: m.Socket | None) -> str:
    p = _holder(snap, far)
    if far is None:
        return "the endpoint is not on this host (its side is not seen)"
    who = f"{p.comm} {p.pid}" if p else "a process this scan did not see"
    stopped = f", stopped (state {p.state}: SIGCONT {p.pid} lets it read)" if p and p.state in ("T", "t") else ""
    return f"the endpoint, {who}{stopped}, has left {far.recv_queue:,} received bytes unread"


def detect(h: History) -> list[Finding]:
    snap = h.latest
    out = []
    shims = {p.pid for p in scope.suspects(snap) if p.role in m.SHIM_ROLES}
    for c in snap.containers:
        if not blocking(c.docker):
            continue
        ep = endpoint(c.docker.log_driver, c.docker.log_opts)
        stalled = _stalled(h, ep[0]) if ep else []
        main = _main_tree(snap, c)          # the container's own output goes to the driver; an exec's does not
        bws = [bw for p in scope.suspects(snap) if p.pid in main
               for bw in blocked_writes(h, p) if bw.fd.num in (1, 2)
               and {e.pid for e in bw.pipe.readers} and {e.pid for e in bw.pipe.readers} <= shims]
        pending = [pr for pr in (snap.docker.probes if snap.docker else [])
                   if pr.status == "pending" and pr.target == c.id]
        absent = ep is not None and any(x.endpoint == ep[0] and x.state == NOT_LISTENING for x in (snap.sockets or ()))
        if bws and ep and not stalled and not absent and (moved := _moved(h, ep[0]) or _keeps_up(h, ep[0], bws)):
            out.append(_throttled(snap, c, ep[0], bws, moved))     # slow, not stuck: said, never drained
            continue
        if not (stalled or absent) or not (bws or pending):
            continue        # a driver keeping up, or a queue that moves: a busy container, not a hang
        out.append(_finding(h, c, ep[0], stalled, bws, pending))
    return out


def _main_tree(snap: m.HostSnapshot, c: m.Container) -> set[int]:
    """The container's main process and its descendants (not its execs)."""
    root = c.init_pid or (c.docker.pid if c.docker else None)
    if root is None:
        return set()
    out, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.add(pid)
            todo += [k.pid for k in snap.children(pid)]
    return out


def _moved(h: History, endpoint: str) -> tuple[int, int] | None:
    """(bytes queued first, now) on dockerd's connections to ENDPOINT when their queues changed
    across the samples (the driver sends, slowly); None when they did not or are not seen."""
    def mine(snap):
        return [x for x in (snap.sockets or ()) if x.endpoint == endpoint and x.state == "ESTABLISHED"]
    first, last = mine(h.snaps[0]), mine(h.latest)
    key = lambda xs: {(x.inode, x.send_queue, x.recv_queue) for x in xs}       # noqa: E731
    if len(h.snaps) < 2 or not last or key(first) == key(last):
        return None
    queued = lambda xs: sum(x.send_queue for x in xs if any(e.comm == "dockerd" for e in x.holders))  # noqa: E731
    return queued(first), queued(last)


KEEPS_UP_FOR = 60.0     # past this, a writer held by an empty connection is not called throttled


def _keeps_up(h: History, endpoint: str, bws) -> str | None:
    """"empty" when dockerd's connections to ENDPOINT held nothing unsent at every sample and the
    endpoint (when on this host) left nothing unread, while the writer has waited less than
    KEEPS_UP_FOR: the endpoint takes every line, and the copier is slow (dockerd busy encoding
    them), not stopped. None otherwise: a wait that long with an empty connection is not the
    endpoint's doing, and is left to the other classes."""
    if len(h.snaps) < 2 or max(bw.stuck_for for bw in bws) >= KEEPS_UP_FOR:
        return None
    for snap in h.snaps:
        conns = [x for x in (snap.sockets or ()) if x.endpoint == endpoint and x.state == "ESTABLISHED"
                 and any(e.comm == "dockerd" for e in x.holders)]
        peers = {x.peer for x in conns}
        fars = [x for x in (snap.sockets or ()) if x.inode in peers]
        if not conns or any(x.send_queue for x in conns) or any(x.recv_queue for x in fars):
            return None
    return "empty"


def _throttled(snap: m.HostSnapshot, c: m.Container, ep: str, bws, moved: tuple[int, int] | str) -> Finding:
    bw = bws[0]
    p = bw.proc
    stream = stream_name(pipe_evidence(snap, bw, c.id))
    return Finding(
        cls=CLASS, severity=INFO, container=c.id, pids=[b.proc.pid for b in bws], playbook=None,
        summary=(f"{p.comm} {p.pid} waits to write its {stream}: its {c.docker.log_driver} log driver ({ep}) sends "
                 f"slower than it writes, and " + (
                     f"dockerd's connection to the endpoint moved meanwhile ({moved[0]:,} then {moved[1]:,} bytes queued)"
                     if moved != "empty" else
                     "dockerd's connection to the endpoint held nothing unsent at every sample (the endpoint takes "
                     "every line; dockerd's copier is the slow part)") +
                 ". Throttled, not stuck: nothing to drain or kill; "
                 f"--log-opt mode=non-blocking trades lines for speed"),
        evidence={"log_driver": c.docker.log_driver, "log_endpoint": ep, "throttled": True,
                  "queued_then_now": [0, 0] if moved == "empty" else list(moved), "fd": {"pid": p.pid, "fd": bw.fd.num, "target": bw.fd.target}})


def _finding(h: History, c: m.Container, ep: str, stalled, bws, pending) -> Finding:
    snap = h.latest
    driver = f"its {c.docker.log_driver} log driver ({ep}, blocking mode)"
    if stalled:
        s, far, steady = stalled[0]
        d = _holder(snap, s)
        unsent = sum(x[0].send_queue for x in stalled)
        conns = f"dockerd {d.pid if d else '?'}'s connection to it has" if len(stalled) == 1 else \
            f"dockerd's {len(stalled)} connections to it have"
        tail = f"{conns} {unsent:,} bytes unsent, unchanged {ev.at_least(steady)}, and {_endpoint_text(snap, far)}"
    else:
        far, steady, unsent = None, 0.0, 0
        tail = (f"nothing on this host listens at {ep}, and the driver keeps retrying the connection "
                f"instead of giving up")
    endpoint_proc = _holder(snap, far)
    stopped = [endpoint_proc] if endpoint_proc and endpoint_proc.state in ("T", "t") else []
    evidence = {"log_driver": c.docker.log_driver, "log_endpoint": ep, "log_opts": c.docker.log_opts,
                "endpoint_listening": bool(stalled) or None,
                "connections": [_sock(x[0]) for x in stalled], "unsent": unsent,
                "endpoint_side": _sock(far) if far else None,
                "endpoint_proc": ev.proc(endpoint_proc) if endpoint_proc else None,
                "stopped_clients": [ev.proc(p) for p in stopped], "steady_for": round(steady, 1)}
    if bws:
        bw = bws[0]
        p = bw.proc
        evidence.update(pipe_evidence(snap, bw, c.id))
        stream = stream_name(evidence)
        summary = (f"{p.comm} {p.pid} has been blocked {ev.at_least(bw.stuck_for, p)} writing its {stream}: "
                   f"{driver} takes no more of its logs: {tail}; so dockerd stops reading the container's output "
                   f"and pipe:[{bw.pipe.inode}] is full ({bw.pipe.queued}/{bw.pipe.capacity}). Draining the pipe "
                   f"would hide this: the endpoint is what stopped")
        evidence["writer_wchar"] = bw.thread.wchar if bw.thread.wchar is not None else p.wchar
        pids, stuck = [b.proc.pid for b in bws], bw.stuck_for
    else:
        calls = ", ".join(sorted({f"docker {pr.call}" for pr in pending}))
        alive = [p for p in scope.suspects(snap) if p.container_id == c.id and not p.zombie]
        summary = (f"{calls} of {c.name} waits on {driver}: {tail}. "
                   + ("The container's processes have exited; dockerd" if not alive else "dockerd")
                   + " closes the driver holding the container's lock, and the close waits to flush: stop, "
                     "restart and inspect of the container hang until the endpoint takes the bytes again "
                     "(an endpoint that is gone keeps them hanging)")
        evidence["container_processes"] = len(alive)
        evidence["pending_calls"] = ev.probes(snap, c.id)
        pids, stuck = [], steady
    return Finding(cls=CLASS, severity=SEVERITY, container=c.id, summary=summary, playbook=CLASS,
                   pids=pids + [p.pid for p in stopped], stuck_for=stuck, evidence=evidence)


def links(h: History, f: Finding, c: m.Container | None, others: dict, extra) -> list[dict]:
    """This class's part of the causal chain, root first: the endpoint, dockerd's connection,
    the copier, then the container's side."""
    e = f.evidence
    if e.get("throttled"):
        return []                   # slow, not stuck: no chain to walk
    far, who = e.get("endpoint_side"), e.get("endpoint_proc")
    out = []
    if not e["connections"]:
        out.append(ev.link(f"nothing on this host listens at the log endpoint {e['log_endpoint']}",
                           "/proc/PID/net/tcp (no LISTEN socket)", {"endpoint": e["log_endpoint"]}, key="log-endpoint-gone"))
        out.append(ev.link(f"dockerd's {e['log_driver']} driver retries the connection and does not give up: "
                           f"the line it holds is never sent", "moby daemon/logger source; seen on docker 20.10",
                           {"log_opts": e.get("log_opts")}, kind="inferred", key="log-copier-blocked"))
    elif far:
        name = f"{who['comm']} {who['pid']}" if who else "a process not seen"
        state = f" (stopped, state {who['state']})" if who and who["state"] in ("T", "t") else ""
        out.append(ev.link(f"log endpoint {e['log_endpoint']}, {name}{state}, does not read: {far['recv_queue']:,} "
                           f"bytes received and unread on its connection", "/proc/net/tcp rx_queue",
                           {"endpoint": far, "process": who}, key="log-endpoint-deaf"))
    else:
        out.append(ev.link(f"log endpoint {e['log_endpoint']} (not on this host) takes nothing: no byte of "
                           f"dockerd's queue is acknowledged", "/proc/net/tcp tx_queue", {}, kind="inferred", key="log-endpoint-deaf"))
    if e["connections"]:
        out.append(ev.link(f"dockerd's connection to it holds {e['unsent']:,} unsent bytes, unchanged "
                           f"{ev.at_least(e['steady_for'])}", "/proc/PID/net/tcp tx_queue",
                           {"connections": e["connections"]}, age=e["steady_for"], key="log-copier-blocked"))
    out.append(ev.link(f"dockerd's {e['log_driver']} driver, in blocking mode, sends each line before the copier "
                       f"reads the next from the container's FIFO: the copier waits", "moby daemon/logger source",
                       {"log_opts": e.get("log_opts")}, kind="inferred", key="log-copier-blocked"))
    if "pipe" in e:
        pp, bt = e["pipe"], e["blocked_thread"]
        stream = stream_name(e)
        readers = ", ".join(f"{r['comm']} {r['pid']}" for r in pp["readers"])
        out.append(ev.link(f"{stream} pipe full ({ev.count_mark(pp)}{pp['queued']}/{pp['capacity']} bytes, pipe:[{pp['inode']}]), read "
                           f"by {readers}, whose copy into the FIFO dockerd reads is waiting",
                           "/proc fdinfo + FIONREAD", {"pipe": pp}, key="pipe-full"))
        out.append(ev.link(f"{e['chain'][-1]['comm']} {e['fd']['pid']} blocked in {bt['syscall'] or 'write'} "
                           f"{ev.at_least(f.stuck_for or 0)}", "/proc syscall, wchan", {"thread": bt},
                           age=f.stuck_for, key="app-write-blocked"))
    else:
        gone = "the container's processes have exited; " if not e.get("container_processes") else ""
        out.append(ev.link(f"{gone}dockerd closes its log driver holding the container's lock, and the close "
                           f"waits to flush", "moby source", {}, kind="inferred", key="daemon-lock"))
    return out


# --- the playbook's conditions ------------------------------------------------------------
def _now(ctx) -> list[tuple[m.Socket, m.Socket | None]]:
    e = ctx.finding.evidence
    by = {s.inode: s for s in (ctx.snapshot.sockets or ())}
    return [(s, by.get(s.peer)) for c in e.get("connections") or [] if (s := by.get(c["inode"]))]


def endpoint_stalled(ctx):
    """dockerd's connection to the log endpoint still holds the bytes it held."""
    was = {c["inode"]: c["send_queue"] for c in ctx.finding.evidence.get("connections") or []}
    now = _now(ctx)
    held = [s for s, _ in now if s.send_queue and s.send_queue >= was.get(s.inode, 0)]
    if held:
        return True, (f"dockerd's connection to {ctx.finding.evidence['log_endpoint']} still holds "
                      f"{sum(s.send_queue for s in held):,} unsent bytes")
    return False, "dockerd's connection to the log endpoint is gone or draining"


def endpoint_reads(ctx):
    """The log endpoint takes the container's logs again: dockerd's old connections to it are
    gone (it reconnected) or draining, something listens there, the writer wrote on since the
    finding, and no Docker call on the container is still pending."""
    e, snap = ctx.finding.evidence, ctx.snapshot
    was = {c["inode"]: c["send_queue"] for c in e["connections"]}
    held = [s for s, _ in _now(ctx) if s.send_queue and s.send_queue >= was.get(s.inode, 0)]
    absent = any(x.endpoint == e["log_endpoint"] and x.state == NOT_LISTENING for x in (snap.sockets or ()))
    w = e.get("fd") or {}
    p = ctx.proc(w.get("pid"))
    t = next((t for t in (p.threads if p else []) if t.tid == (e.get("blocked_thread") or {}).get("tid")), None)
    now = (t.wchar if t is not None and t.wchar is not None else p.wchar) if p else None
    stuck = p is not None and (now == e["writer_wchar"] if e.get("writer_wchar") is not None and now is not None
                               else any(t.syscall and t.syscall.fd == w.get("fd") and t.wchan in ROOM_WAITS
                                        for t in p.threads))
    pending = [pr.call for pr in (snap.docker.probes if snap.docker else [])
               if pr.status == "pending" and pr.target == ctx.finding.container]
    if held or absent or stuck or pending:
        return False, (f"the log endpoint {e['log_endpoint']} still takes nothing"
                       + (f" ({sum(s.send_queue for s in held):,} bytes unsent)" if held else "")
                       + ("; nothing listens there" if absent else "")
                       + (f"; {p.comm} {p.pid} has written nothing since" if stuck else "")
                       + (f"; docker {', '.join(pending)} still pending" if pending else "")
                       + ". Next: make the endpoint read (restart the log collector"
                       + (f", {e['endpoint_proc']['comm']} {e['endpoint_proc']['pid']}" if e.get("endpoint_proc") else "")
                       + "), or recreate the container with --log-opt mode=non-blocking")
    return True, (f"dockerd's log connection to {e['log_endpoint']} moves again"
                  + (f" and {p.comm} {p.pid} writes on" if p else ""))


def reads_after_resume(ctx):
    """After a SIGCONT to a stopped endpoint: it takes the logs again (skipped when nothing was
    resumed)."""
    if not ctx.notes.get("resumed"):
        return None, "nothing was resumed"
    ok, seen = endpoint_reads(ctx)
    return ok, seen + ("; resumed, fixed without a restart" if ok else "")


CONDITIONS = {"log-endpoint-stalled": endpoint_stalled, "log-endpoint-reads": endpoint_reads,
              "log-endpoint-reads-after-resume": reads_after_resume}


# --- the fix only the operator can make ----------------------------------------------------
def _restart_text(ctx) -> str:
    e = ctx.finding.evidence
    ep, who, far = e["log_endpoint"], e.get("endpoint_proc"), e.get("endpoint_side")
    if not e["connections"]:
        head = f"start the log collector at {ep} (nothing listens there)"
    elif who:
        head = (f"make the log collector at {ep} read again: restart or fix {who['comm']} {who['pid']}, "
                f"which holds its side ({far['recv_queue']:,} bytes unread)")
    else:
        head = f"make the log endpoint {ep} read again (it is not on this host)"
    lost = f"; the {e['unsent']:,} bytes queued on the old connection are lost if it breaks" if e.get("unsent") else ""
    return head + "; dockerd's driver reconnects by itself, within about a minute (its retry back-off)" + lost


def _simulate_restart(snap: m.HostSnapshot, f: Finding) -> str:
    """Training: the collector reads again; dockerd's queue drains, the writer writes on."""
    e = f.evidence
    for s in snap.sockets or ():
        if s.endpoint == e["log_endpoint"]:
            s.send_queue = s.recv_queue = 0
    w = e.get("fd") or {}
    p = snap.proc(w.get("pid"))
    for t in (p.threads if p else []):
        if t.syscall and t.syscall.fd == w.get("fd"):
            t.syscall, t.wchan, t.state = None, None, "R"
            t.wchar = (t.wchar or 0) + 65536         # it wrote on
    if p is not None and p.wchar is not None:
        p.wchar += 65536
    if (pp := snap.pipe((e.get("pipe") or {}).get("inode"))) is not None:
        pp.queued = 0
    for pr in (snap.docker.probes if snap.docker else []):
        if pr.status == "pending" and pr.target == f.container:
            pr.status, pr.seconds = "ok", 0.01
    return (f"the collector at {e['log_endpoint']} reads again; dockerd's queue drains"
            + (f" and {p.comm} {p.pid} writes on" if p else ""))


OPERATOR_TASKS = {"restart-log-endpoint": (_restart_text, _simulate_restart)}
