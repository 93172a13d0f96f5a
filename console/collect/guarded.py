"""Reads of /proc files that can block, each with a deadline.

`/proc/PID/cmdline`, `environ`, `syscall` and `stack` take the target's mmap or exec lock and
can block for as long as that process is stuck (runc#1432). They run here, on a worker thread,
in batches. When one read overruns its deadline the worker is abandoned where it stands (a
daemon thread blocked in read(2)), the path is remembered as stuck, and a fresh worker carries
on with the rest. A stuck path is not read again until the abandoned read returns; until then
it is reported, with how long it has been pending, at every sample.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable

Reader = Callable[[str], object]   # path -> result (None: unreadable)


def read_fd(fd: int) -> bytes:
    """A /proc or cgroup file's contents. seq_files hand out about a page per read(2), so a
    read of 2 KB or more is followed until EOF; a shorter first read is the whole file
    (single-record files such as stat come in one piece), which saves a syscall per file."""
    data = os.read(fd, 65536)
    if len(data) < 2048:
        return data
    chunks = [data]
    while b := os.read(fd, 65536):
        chunks.append(b)
    return b"".join(chunks)


def read_file(path: str, dir_fd: int | None = None) -> bytes | None:
    """Read a /proc or cgroup file (PATH relative to DIR_FD when given); None when it
    vanished or is not readable."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        return read_fd(fd)
    except OSError:
        return None
    finally:
        os.close(fd)


class _Worker(threading.Thread):
    def __init__(self, owner: GuardedReader, items: list[str], out: dict[str, object]):
        super().__init__(daemon=True, name="hangconsole-proc-reader")
        self.owner, self.items, self.out = owner, items, out
        self.current: str | None = None
        self.current_since = 0.0
        self.pos = 0
        self.abandoned = False
        self.done = threading.Event()

    def run(self) -> None:
        for i, path in enumerate(self.items):
            self.pos = i
            self.current, self.current_since = path, time.monotonic()
            data = self.owner.reader(path)
            if self.abandoned:          # the read returned after we gave up on it
                self.owner._unstick(path)
                return
            self.out[path] = data
        self.current = None
        self.pos = len(self.items)
        self.done.set()


class GuardedReader:
    def __init__(self, per_read: float = 0.5, reader: Reader = read_file):
        self.per_read = per_read
        self.reader = reader
        self._stuck: dict[str, float] = {}      # path -> monotonic time the read started
        self._lock = threading.Lock()

    def _unstick(self, path: str) -> None:
        with self._lock:
            self._stuck.pop(path, None)

    def stuck(self) -> dict[str, float]:
        """Paths whose read has not returned, with seconds pending."""
        now = time.monotonic()
        with self._lock:
            return {p: now - t for p, t in self._stuck.items()}

    def start(self, paths: Iterable[str]) -> "Batch":
        """Begin reading PATHS on a worker; the caller may do other work meanwhile."""
        with self._lock:
            todo = [p for p in paths if p not in self._stuck]
        return Batch(self, todo)

    def read_many(self, paths: Iterable[str], budget: float = 10.0) -> dict[str, object]:
        """Read every path that is not stuck. Missing keys: stuck, or over the budget."""
        return self.start(paths).collect(budget)


class Batch:
    def __init__(self, owner: GuardedReader, todo: list[str]):
        self.owner = owner
        self.out: dict[str, object] = {}
        self.worker = self._spawn(todo) if todo else None

    def _spawn(self, todo: list[str]) -> _Worker:
        w = _Worker(self.owner, todo, self.out)
        w.start()
        return w

    def collect(self, budget: float = 10.0) -> dict[str, object]:
        owner, end = self.owner, time.monotonic() + budget
        w = self.worker
        while w is not None:
            if w.done.wait(min(owner.per_read / 4, 0.05)):
                return self.out
            now = time.monotonic()
            cur = w.current
            if cur is not None and now - w.current_since > owner.per_read:
                w.abandoned = True           # leave it blocked; carry on with the rest
                with owner._lock:
                    owner._stuck[cur] = w.current_since
                rest = w.items[w.pos + 1:]
                w = self._spawn(rest) if rest and now < end else None
            elif now >= end:
                w.abandoned = True
                w = None
        return self.out
