"""What holds a runtime process or a container task where it is: the freezer cgroup that froze
it (its own or any ancestor, v1 and v2), the signals already pending on it (a SIGKILL that
has not landed), and the head of a full pipe's bytes, copied with tee(2) so nothing is
consumed (the bytes a blocked writer is trying to write are usually its error message)."""
from __future__ import annotations

import ctypes
import os

from .. import model as m
from ..runtime_clients import streaming_words
from . import cgroups, procfs
from .guarded import read_file

PEEK = 4096
SIGKILL_BIT = 1 << 8


def mark_frozen(procs: list[m.Process], mnt: dict, proc: str = "/proc") -> None:
    """Set freezer/frozen_by on runtime processes and container tasks; one freezer walk per
    distinct cgroup path."""
    if "freezer" not in mnt and "" not in mnt:
        return
    seen: dict[tuple, tuple | None] = {}
    for p in procs:
        if p.zombie or not (p.role in m.RUNTIME_ROLES or p.container_id):
            continue
        paths = procfs.parse_cgroup(read_file(f"{proc}/{p.pid}/cgroup"))
        key = (paths.get("freezer"), paths.get(""))
        if key not in seen:
            seen[key] = cgroups.frozen_by(paths, mnt)
        got = seen[key]
        if got:
            p.freezer, p.frozen_by = got[0], list(got[1])


def parse_pending(status: bytes | None) -> int | None:
    if not status:
        return None
    mask = None
    for line in status.splitlines():
        if line.startswith((b"SigPnd:", b"ShdPnd:")):
            mask = (mask or 0) | int(line.split()[1], 16)
    return mask


def mark_pending(procs: list[m.Process], proc: str = "/proc") -> None:
    """Pending signals of tasks that cannot run them now (frozen, D, stopped)."""
    for p in procs:
        if p.freezer or p.state in ("D", "T", "t") or any(t.state == "D" for t in p.threads):
            p.sig_pending = parse_pending(read_file(f"{proc}/{p.pid}/status"))


def kill_pending(p: m.Process) -> bool:
    return bool(p.sig_pending and p.sig_pending & SIGKILL_BIT)


_libc = None


def _tee():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.tee.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_uint]
        _libc.tee.restype = ctypes.c_ssize_t
    return _libc.tee


def peek(pid: int, fd: int, proc: str = "/proc", limit: int = PEEK) -> bytes | None:
    """Up to LIMIT bytes at the head of the pipe behind /proc/PID/fd/FD, duplicated with
    tee(2) into a private pipe: the queue itself is left exactly as it was."""
    try:
        src = os.open(f"{proc}/{pid}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    r = w = -1
    try:
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        n = _tee()(src, w, limit, 2)            # SPLICE_F_NONBLOCK
        if n <= 0:
            return None
        return os.read(r, n)
    except (OSError, AttributeError):
        return None
    finally:
        for x in (src, r, w):
            if x >= 0:
                os.close(x)


def peek_full_pipes(snap: m.HostSnapshot, proc: str = "/proc") -> None:
    """The head of every full anonymous pipe with a writer in the runtime scope or a runtime
    client (`docker exec` writing its stdout)."""
    for pp in snap.pipes:
        if pp.kind != "pipe" or not pp.full or not pp.writers:
            continue
        for e in pp.writers:
            p = snap.proc(e.pid)
            if p is not None and (p.role in m.RUNTIME_ROLES or p.container_id or streaming_words(p.argv or [])):
                data = peek(e.pid, e.fd, proc)
                if data:
                    pp.peek = data.decode("utf-8", "replace")
                    break
