"""Signals only to the process that was meant: pid + start time re-checked immediately
before the signal (pids are reused), and rules no action may break."""
from __future__ import annotations

import os
import signal
from dataclasses import asdict, dataclass

from .. import model as m
from .incident import Incident


class Refused(Exception):
    """An action hangconsole will not take; str() says why, in one line."""


@dataclass(frozen=True)
class Target:
    pid: int
    start_ticks: int
    comm: str
    role: str | None = None
    container_id: str | None = None

    @classmethod
    def of(cls, p: m.Process) -> "Target":
        return cls(p.pid, p.start_ticks, p.comm, p.role, p.container_id)

    def as_dict(self) -> dict:
        return asdict(self)


def start_ticks(pid: int, proc: str = "/proc") -> int | None:
    try:
        with open(f"{proc}/{pid}/stat", "rb") as f:
            data = f.read()
        return int(data[data.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def still_there(t: Target) -> bool:
    return start_ticks(t.pid) == t.start_ticks


_SCOPE = None          # a drill's lab (drill/scope.py): every act outside it is refused


def limit_to(scope) -> None:
    """From now on, act only on what SCOPE (pid_ok(pid), path_ok(path), what) says is its own:
    a drill acts on its lab, never on the host's own engines. None lifts it."""
    global _SCOPE
    _SCOPE = scope


def check_scope(pid: int | None = None, path: str | None = None) -> None:
    """Refused when a scope is set and PID (read live from /proc) or the cgroup PATH is not in it."""
    if _SCOPE is None:
        return
    if pid is not None and not _SCOPE.pid_ok(pid):
        raise Refused(f"pid {pid} is not part of {_SCOPE.what}: a drill acts on its lab only")
    if path is not None and not _SCOPE.path_ok(path):
        raise Refused(f"{path} is not part of {_SCOPE.what}: a drill acts on its lab only")


def check_rules(t: Target, sig: int) -> None:
    check_scope(t.pid)
    if t.pid <= 1:
        raise Refused(f"refusing to signal pid {t.pid}")
    if sig == signal.SIGUSR1 and (t.role in (m.RUNC, m.RUNC_INIT) or
                                  (t.container_id and t.role not in m.SHIM_ROLES)):
        # runc and container processes do not dump stacks on SIGUSR1: it kills or confuses them
        raise Refused(f"refusing SIGUSR1 to {t.comm} {t.pid}: only dockerd, containerd and shims dump stacks")


def send(t: Target, sig: int, incident: Incident, *, dry_run: bool, why: str) -> str:
    """Signal T after re-checking it is the same process; every outcome is audited."""
    name = signal.Signals(sig).name
    check_rules(t, sig)
    if dry_run:
        incident.audit(name, t.as_dict(), "dry-run: would send", dry_run=True, detail={"why": why})
        return f"dry run: would send {name} to {t.comm} {t.pid}"
    if not still_there(t):                        # the last check, right before the signal
        incident.audit(name, t.as_dict(), "refused: pid reused or gone")
        raise Refused(f"{t.comm} {t.pid} is gone or its pid was reused (start time changed): not signalled")
    try:
        os.kill(t.pid, sig)
    except ProcessLookupError:
        incident.audit(name, t.as_dict(), "failed: no such process")
        raise Refused(f"{t.comm} {t.pid} exited before the signal") from None
    except PermissionError:
        incident.audit(name, t.as_dict(), "failed: permission denied")
        raise Refused(f"no permission to signal {t.comm} {t.pid} (not root?)") from None
    incident.audit(name, t.as_dict(), "sent", detail={"why": why})
    return f"sent {name} to {t.comm} {t.pid}"
