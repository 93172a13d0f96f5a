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


def join(processes: list[Process], measured: dict[int, tuple[int, int]] | None = None,
         proc: str = "/proc") -> list[Pipe]:
    """One Pipe per inode with its readers and writers. Queue figures come from MEASURED
    (inode -> (queued, capacity), taken by the scanner) or are measured here."""
    pipes: dict[int, Pipe] = {}
    link_of: dict[int, str] = {}
    for p in processes:
        for f in p.fds or ():
            if f.kind not in ("pipe", "fifo") or f.inode is None:
                continue
            pipe = pipes.get(f.inode)
            if pipe is None:
                pipe = pipes[f.inode] = Pipe(inode=f.inode, kind=f.kind,
                                             path=f.target if f.kind == "fifo" else None)
                if f.kind == "pipe":
                    link_of[f.inode] = f"{proc}/{p.pid}/fd/{f.num}"
            end = PipeEnd(pid=p.pid, start_ticks=p.start_ticks, comm=p.comm, fd=f.num, mode=f.mode)
            if f.mode in ("r", "rw"):
                pipe.readers.append(end)
            if f.mode in ("w", "rw"):
                pipe.writers.append(end)
    for inode, link in link_of.items():
        got = measured.get(inode) if measured is not None else measure(link)
        if got:
            pipes[inode].queued, pipes[inode].capacity = got
    return sorted(pipes.values(), key=lambda x: x.inode)
