"""Kernel log lines that matter to a container hang: OOM kills, pids-controller fork
rejections, hung tasks. Read from /dev/kmsg (non-blocking), which needs root when
kernel.dmesg_restrict is set."""
from __future__ import annotations

import os
import re
from collections import deque

from ..model import KernelLogLine

_PATTERNS = [
    ("oom-kill", re.compile(r"Killed process (\d+) \(")),
    ("oom", re.compile(r"out of memory: Kill process (\d+) \(|invoked oom-killer|oom-kill:")),
    ("pids-fork-rejected", re.compile(r"fork rejected by pids controller in (\S+)")),
    ("hung-task", re.compile(r"INFO: task \S+:(\d+) blocked for more than \d+ seconds")),
]


def classify(text: str) -> tuple[str, int | None] | None:
    for kind, rx in _PATTERNS:
        mt = rx.search(text)
        if mt:
            g = mt.group(1) if mt.groups() else None
            return kind, int(g) if g and g.isdigit() else None
    return None


def parse_record(rec: bytes) -> tuple[float, str] | None:
    """One /dev/kmsg record: 'pri,seq,usec,flags;message\\n continuation...'."""
    head, sep, body = rec.partition(b";")
    if not sep:
        return None
    fields = head.split(b",")
    try:
        usec = int(fields[2])
    except (IndexError, ValueError):
        return None
    msg = body.split(b"\n", 1)[0].decode("utf-8", "replace")
    return usec / 1e6, msg


class KernelLog:
    """Keeps /dev/kmsg open across samples and accumulates the matching lines."""

    def __init__(self, path: str = "/dev/kmsg", keep: int = 200):
        self.path = path
        self.lines: deque[KernelLogLine] = deque(maxlen=keep)
        self.fd: int | None = None
        self.error: str | None = None
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as e:
            self.error = f"cannot read {path} ({e.strerror}): kernel log findings unavailable"

    def poll(self) -> list[KernelLogLine]:
        while self.fd is not None:
            try:
                rec = os.read(self.fd, 8192)
            except BlockingIOError:
                break
            except BrokenPipeError:      # overrun: records were lost, keep reading
                continue
            except OSError as e:
                self.error = f"reading {self.path} failed: {e.strerror}"
                break
            if not rec:
                break
            got = parse_record(rec)
            if got and (c := classify(got[1])):
                self.lines.append(KernelLogLine(uptime=got[0], kind=c[0], text=got[1], pid=c[1]))
        return list(self.lines)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
