"""F: the daemon itself does not answer `GET /_ping` or `/containers/json` while dockerd
lives (seed 003: `docker ps` hangs on the daemon lock). Goroutine dumps (SIGUSR1 to dockerd
and containerd) say which lock and which call."""
from __future__ import annotations

from .. import model as m
from .. import provenance as pv
from . import evidence as ev
from . import scope
from .finding import CRITICAL, Finding
from .history import STUCK_AFTER, History

CLASS = "daemon-unresponsive"
SEVERITY = CRITICAL          # its highest: the fleet metrics count the class at this one


def detect(h: History) -> list[Finding]:
    snap = h.latest
    d = snap.docker
    if d is None or d.reachable is None:
        return []
    stuck = [p for p in d.probes if p.call in ("ping", "list") and p.target is None
             and p.status == "pending" and p.seconds >= STUCK_AFTER]
    daemons = [p for p in scope.suspects(snap) if p.role in (m.DOCKERD, m.CONTAINERD)]
    if not stuck or not any(p.role == m.DOCKERD for p in daemons):
        return []
    worst = max(stuck, key=lambda p: p.seconds)
    what = "docker ps (GET /containers/json)" if worst.call == "list" else "GET /_ping"
    behind = behind_socket(snap, d.host)
    age = f"{pv.mark(worst, 'seconds')}{worst.seconds:.0f}s"
    if behind is not None and behind.state in ("T", "t"):      # the root: it cannot run at all
        stopped = h.steady(behind, lambda s, q: q.state in ("T", "t") or None)
        summary = (f"{what} has not returned after {age}: dockerd {behind.pid} behind {d.host} is stopped "
                   f"(state {behind.state}) for at least {ev.fmt_age(max(stopped, worst.seconds))}; a stopped "
                   f"process answers nothing, and SIGCONT resumes it")
    elif behind is not None and behind.state == "D":
        summary = (f"{what} has not returned after {age}: dockerd {behind.pid} behind {d.host} is in "
                   f"uninterruptible sleep (D, wchan {behind.threads[0].wchan if behind.threads else '?'})")
    else:
        who = f"dockerd {behind.pid} behind {d.host}" if behind is not None else "dockerd"
        summary = f"{what} has not returned after {age} while {who} is running"
    pids = ([behind.pid] if behind is not None else []) + [p.pid for p in daemons if behind is None or p.pid != behind.pid]
    return [Finding(
        cls=CLASS, severity=SEVERITY, container=None, pids=pids,
        stuck_for=worst.seconds, playbook=CLASS, summary=summary,
        evidence={"pending_calls": ev.probes(snap),
                  "dockerd": ev.proc(behind) if behind is not None else None,
                  "daemons": [ev.proc(p) for p in daemons]})]


def behind_socket(snap: m.HostSnapshot, host: str | None) -> m.Process | None:
    """The dockerd that serves HOST (unix://PATH), by the -H/--host it was started with, or
    the only dockerd on the host; None when that cannot be told."""
    sock = (host or "").removeprefix("unix://")
    cands = [p for p in scope.suspects(snap) if p.role == m.DOCKERD and not p.zombie]
    for p in cands:
        argv = p.argv or []
        for i, a in enumerate(argv):
            val = a.split("=", 1)[1] if a.startswith(("-H=", "--host=")) else (
                argv[i + 1] if a in ("-H", "--host") and i + 1 < len(argv) else None)
            if val is not None and val.removeprefix("unix://") == sock:
                return p
    default = sock in ("/var/run/docker.sock", "/run/docker.sock")
    plain = [p for p in cands if not any(a in ("-H", "--host") or a.startswith(("-H=", "--host=")) for a in p.argv or [])]
    if default and len(plain) == 1:
        return plain[0]
    return cands[0] if len(cands) == 1 else None
