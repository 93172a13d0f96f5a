"""Pipes joined by inode across processes, with bytes queued and capacity.

Queue depth comes from opening /proc/PID/fd/N of an *anonymous* pipe with
O_RDONLY|O_NONBLOCK: FIONREAD gives the bytes queued, F_GETPIPE_SZ the capacity (read it
every time: when fs.pipe-user-pages-soft is exhausted new pipes get 1-2 pages, runc#2828).
A named FIFO is never opened: opening runc's exec.fifo is what `runc start` does.
"""
from __future__ import annotations

import array
import fcntl
import os
import termios

from ..model import Pipe, PipeEnd, Process

F_GETPIPE_SZ = 1032


def measure(link: str, dir_fd: int | None = None) -> tuple[int, int] | None:
    """(queued, capacity) of the anonymous pipe behind /proc/PID/fd/N (LINK relative to
    DIR_FD when given). Callers make sure it is an anonymous pipe, never a named FIFO."""
    try:
        fd = os.open(link, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        buf = array.array("i", [0])
        fcntl.ioctl(fd, termios.FIONREAD, buf)
        return buf[0], fcntl.fcntl(fd, F_GETPIPE_SZ)
    except OSError:
        return None
    finally:
        os.close(fd)


def _ends(p: Process, proc: str) -> list[tuple]:
    """P's pipe and FIFO fds as (inode, kind, path, link, end, reads, writes)."""
    out = []
    for f in p.fds or ():
        if f.kind not in ("pipe", "fifo") or f.inode is None:
            continue
        out.append((f.inode, f.kind, f.target if f.kind == "fifo" else None,
                    f"{proc}/{p.pid}/fd/{f.num}" if f.kind == "pipe" else None,
                    PipeEnd(pid=p.pid, start_ticks=p.start_ticks, comm=p.comm, fd=f.num, mode=f.mode),
                    f.mode in ("r", "rw"), f.mode in ("w", "rw")))
    return out


def join(processes: list[Process], measured: dict[int, tuple[int, int]] | None = None,
         proc: str = "/proc", kept: dict | None = None) -> list[Pipe]:
    """One Pipe per inode with its readers and writers. Queue figures come from MEASURED
    (inode -> (queued, capacity), taken by the scanner) or are measured here. KEPT, a dict
    the caller keeps between samples: a process whose fd list is the very one of the last
    sample (the live collector shares it when it did not read the fds again) reuses its ends."""
    pipes: dict[int, Pipe] = {}
    link_of: dict[int, str] = {}
    now = {} if kept is not None else None
    for p in processes:
        k = kept.get(p.pid) if kept is not None else None
        if k is not None and k[0] is p.fds and k[1] == p.comm:
            ends = k[2]
        else:
            ends = _ends(p, proc)
        if now is not None:
            now[p.pid] = (p.fds, p.comm, ends)
        for inode, kind, path, link, end, reads, writes in ends:
            pipe = pipes.get(inode)
            if pipe is None:
                pipe = pipes[inode] = Pipe(inode=inode, kind=kind, path=path)
                if link:
                    link_of[inode] = link
            if reads:
                pipe.readers.append(end)
            if writes:
                pipe.writers.append(end)
    if kept is not None:
        kept.clear()
        kept.update(now)
    for inode, link in link_of.items():
        got = measured.get(inode) if measured is not None else measure(link)
        if got:
            pipes[inode].queued, pipes[inode].capacity = got
    return sorted(pipes.values(), key=lambda x: x.inode)
