"""Drain a stuck pipe: non-blocking reads through /proc/W/fd/N, every byte appended and
fsynced to the incident directory before the next read (it is usually runc's own error and
the key to the root cause), with stop conditions."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from .guard import Refused, Target, check_scope, still_there
from .incident import Incident

CHUNK = 65536


@dataclass
class DrainResult:
    path: str
    bytes: int
    stopped: str            # why it stopped


def _writer_blocked(t: Target, fd: int) -> bool:
    """Is some thread of T still in a write-family syscall on FD (x86_64/aarch64)?"""
    from ..collect.syscalls import parse
    import platform
    arch = platform.machine()
    try:
        tids = os.listdir(f"/proc/{t.pid}/task")
    except OSError:
        return False
    for tid in tids:
        try:
            with open(f"/proc/{t.pid}/task/{tid}/syscall") as f:
                sc = parse(f.read(), arch)
        except OSError:
            continue
        if sc and sc.name in ("write", "writev", "pwrite64", "splice", "sendfile") and sc.fd == fd:
            return True
    return False


def drain(writer: Target, fd: int, inode: int, incident: Incident, *, dry_run: bool = False,
          max_bytes: int = 256 << 20, max_seconds: float = 120.0, idle_seconds: float = 2.0,
          progress: Callable[[int], None] | None = None,
          cancelled: Callable[[], bool] = lambda: False) -> DrainResult:
    check_scope(writer.pid)
    link = f"/proc/{writer.pid}/fd/{fd}"
    try:
        target = os.readlink(link)
    except OSError:
        raise Refused(f"{writer.comm} {writer.pid} has no fd {fd} any more") from None
    if target != f"pipe:[{inode}]":
        # only ever an anonymous pipe: opening a named FIFO (exec.fifo) changes what runc does
        raise Refused(f"fd {fd} of {writer.pid} is {target}, not pipe:[{inode}]: not draining")
    out = incident.file(f"drained-pid{writer.pid}-fd{fd}-pipe{inode}.bin")
    if dry_run:
        incident.audit("drain-pipe", writer.as_dict(), "dry-run: would drain", dry_run=True,
                       detail={"fd": fd, "inode": inode, "to": out})
        return DrainResult(out, 0, "dry run")
    if not still_there(writer):
        incident.audit("drain-pipe", writer.as_dict(), "refused: pid reused or gone")
        raise Refused(f"{writer.comm} {writer.pid} is gone or its pid was reused: not draining")
    src = os.open(link, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    dst = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    total, start, last_data = 0, time.monotonic(), time.monotonic()
    stopped = "?"
    try:
        while True:
            if cancelled():                                   # checked between reads only
                stopped = "stopped: the operator left"
                break
            try:
                data = os.read(src, CHUNK)
            except BlockingIOError:
                data = None
            if data:
                view = memoryview(data)
                while view:                                   # saved before the next read
                    view = view[os.write(dst, view):]
                os.fsync(dst)
                total += len(data)
                last_data = time.monotonic()
                if progress:
                    progress(total)
                if total >= max_bytes:
                    stopped = f"size cap {max_bytes} bytes"
                    break
                continue
            if data == b"":
                stopped = "no writer left (EOF)"
                break
            now = time.monotonic()
            if now - start >= max_seconds:
                stopped = f"time cap {max_seconds:.0f} s"
                break
            if now - last_data >= idle_seconds and not _writer_blocked(writer, fd):
                stopped = "the writer left write()"
                break
            time.sleep(0.02)
    finally:
        os.close(src)
        os.close(dst)
    incident.audit("drain-pipe", writer.as_dict(), f"drained {total} bytes ({stopped})",
                   detail={"fd": fd, "inode": inode, "to": out, "bytes": total})
    return DrainResult(out, total, stopped)


def preview(path: str, lines: int = 3, edge: int = 4096, width: int = 160) -> tuple[list[str], list[str]]:
    """The first and last few lines of what was drained, printable and bounded: in seed 000
    those bytes (runc init's Go abort) were the answer. The tail is empty when the head
    already shows everything."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(edge)
            f.seek(max(0, size - edge))
            tail = f.read(edge)
    except OSError:
        return [], []

    def clean(data: bytes) -> list[str]:
        text = data.decode("utf-8", errors="replace").replace("\t", "    ")
        out = ["".join(ch if ch.isprintable() else "·" for ch in ln)[:width] for ln in text.splitlines()]
        return [ln for ln in out if ln.strip()]
    first = clean(head)
    if size <= edge and len(first) <= 2 * lines:
        return first, []
    last = clean(tail)[1:] if size > edge else first   # the tail's first line may be cut
    return first[:lines], last[-lines:]
