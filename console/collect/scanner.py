"""The per-process /proc scan, run in helper processes.

Why processes: a full scan is ~20 syscalls a process, mostly kernel time; Python threads
serialise on the GIL, helper processes use every core. And a helper blocked in a read that
cannot return (argv of a process stuck in exec, runc#1432) can be SIGKILLed and replaced,
where a thread could only be abandoned.

Protocol (parent <-> helper, over the helper's stdin/stdout): each message is a 4-byte length
and a marshal payload. Request: (proc, pids, skip_argv, known). Reply: a list of records, one
per pid still alive. KNOWN maps a pid the parent scanned before to (start ticks, state): that
pid is only checked (check_one: its schedstat, then stat and wchan if it ran) and comes back as
a short record, unless it changed or waits on a pipe, when it is scanned in full
(scan_cache.py says why). Before scanning pid number i the helper writes i into a shared memfd, so
the parent can tell which read a silent helper is stuck in.
"""
from __future__ import annotations

import fcntl
import marshal
import mmap
import os
import select
import struct
import subprocess
import sys
import time
import weakref

from .. import selfexec

from .guarded import read_file
from .pipes import measure
from .procfs import fd_kind, parse_argv, parse_stat
from .runtime import classify

_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_O_RD = os.O_RDONLY | os.O_CLOEXEC

# record: (pid, comm, state, ppid, nthreads, start_ticks, uid, fds, argv, role)
#   fds:  None (unreadable) or [(num, target, kind, inode, mode, queued, capacity)]
#   argv: None (unread: stuck, skipped or zombie) or a list of str
#   role: None or (role, container_id, verb, exec_id) from runtime.classify
# Parsing happens here, in parallel, so the parent only builds model objects.


def scan_one(pid: int, proc: str, read_argv: bool, measured: set[int]):
    try:
        d = os.open(f"{proc}/{pid}", _O_DIR)
    except OSError:
        return None                                   # gone: normal
    try:
        raw = read_file("stat", d)
        st = parse_stat(raw) if raw else None
        if st is None:
            return None
        uid = os.fstat(d).st_uid
        zombie = st.state == "Z"
        fds = [] if zombie else _fds(d, measured)
        argv = parse_argv(read_file("cmdline", d)) if read_argv and not zombie else None
    except OSError:
        return None
    finally:
        os.close(d)
    info = classify(argv, st.comm)
    role = (info.role, info.container_id, info.verb, info.exec_id) if info else None
    return (pid, st.comm, st.state, st.ppid, st.nthreads, st.start_ticks, uid, fds, argv, role)


# A task asleep in one of these waits on a pipe or a FIFO: its fd table and pipes are read
# in full whatever the cache holds (/proc/PID/wchan names the kernel function).
PIPE_WAITS = frozenset((b"pipe_read", b"pipe_write", b"anon_pipe_read", b"anon_pipe_write", b"pipe_wait",
                        b"pipe_wait_readable", b"pipe_wait_writable", b"fifo_open", b"wait_for_partner"))


def _small(path: str, size: int) -> bytes | None:
    try:
        fd = os.open(path, _O_RD)
    except OSError:
        return None
    try:
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


def check_one(pid: int, proc: str, known: tuple, read_argv: bool, measured: set[int]):
    """For a pid whose full record the parent holds, KNOWN = (start ticks, state, schedstat
    line or None), the least that says whether it changed (this runs for nearly every
    process at every refresh):
    - (pid, schedstat): it has not run since (its schedstat line is the same), so its state,
      wchan and fds cannot have changed;
    - (pid, comm, state, ppid, nthreads, start_ticks, wchan, schedstat): it ran, but is the
      same process in the same state and not in a pipe wait;
    - its full record (scan_one), with its wchan appended when that is a pipe wait;
    - None when it is gone."""
    start, state, sched_then = known
    sched = _small(f"{proc}/{pid}/schedstat", 128)      # run time, wait time, slices: moves whenever it runs
    if sched is not None and sched == sched_then:
        return (pid, sched)
    raw = _small(f"{proc}/{pid}/stat", 1024)
    st = parse_stat(raw) if raw else None
    if st is None:
        return None
    if st.start_ticks != start or st.state != state:
        return scan_one(pid, proc, read_argv, measured)
    wchan = _small(f"{proc}/{pid}/wchan", 256) or b""
    if wchan in PIPE_WAITS:
        rec = scan_one(pid, proc, read_argv, measured)
        return rec + (wchan.decode(),) if rec else rec
    return (pid, st.comm, st.state, st.ppid, st.nthreads, st.start_ticks, wchan.decode("ascii", "replace"), sched)


def _fds(d: int, measured: set[int]):
    try:
        fdd = os.open("fd", _O_DIR, dir_fd=d)
    except OSError:
        return None
    out = []
    try:
        for n in os.listdir(fdd):
            try:
                target = os.readlink(n, dir_fd=fdd)
            except OSError:
                continue                              # closed between listdir and readlink
            mode = q = cap = None
            kind, inode = fd_kind(target)
            if kind == "pipe":
                try:
                    lm = os.lstat(n, dir_fd=fdd).st_mode   # link bits mirror f_mode
                except OSError:
                    continue
                mode = "rw" if lm & 0o600 == 0o600 else "r" if lm & 0o400 else "w" if lm & 0o200 else None
                if inode not in measured:             # measure each pipe once
                    measured.add(inode)
                    got = measure(n, fdd)
                    if got:
                        q, cap = got
            out.append((int(n), target, kind, inode, mode, q, cap))
    except OSError:
        return None
    finally:
        os.close(fdd)
    return out


# --- helper process side ----------------------------------------------------------------
def _send(fd: int, obj) -> None:
    data = marshal.dumps(obj)
    data = struct.pack("<I", len(data)) + data
    while data:
        n = os.write(fd, data)
        data = data[n:]


def _recv(fd: int):
    head = _read_exact(fd, 4)
    if head is None:
        return None
    body = _read_exact(fd, struct.unpack("<I", head)[0])
    return None if body is None else marshal.loads(body)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, n - got)
        if not b:
            return None
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def helper_main(progress_fd: int) -> None:
    progress = mmap.mmap(progress_fd, 8)
    while (req := _recv(0)) is not None:
        proc, pids, skip, known = req
        skip = set(skip)
        measured: set[int] = set()
        out = []
        for i, pid in enumerate(pids):
            struct.pack_into("<q", progress, 0, i)
            k = known.get(pid)
            rec = scan_one(pid, proc, pid not in skip, measured) if k is None else \
                check_one(pid, proc, k, pid not in skip, measured)
            if rec is not None:
                out.append(rec)
        struct.pack_into("<q", progress, 0, len(pids))
        _send(1, out)


# --- parent side --------------------------------------------------------------------------
class _Helper:
    def __init__(self):
        self.mfd = os.memfd_create("hangconsole-progress", 0)
        os.ftruncate(self.mfd, 8)
        self.progress = mmap.mmap(self.mfd, 8)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        self.p = subprocess.Popen(
            selfexec.argv("hangconsole.collect.scanner", str(self.mfd)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(self.mfd,), env=env,
            close_fds=True, start_new_session=True)
        try:   # a large pipe lets the helper finish writing while the parent still works
            fcntl.fcntl(self.p.stdout.fileno(), 1031, 1 << 20)    # F_SETPIPE_SZ
        except OSError:
            pass

    def index(self) -> int:
        return struct.unpack_from("<q", self.progress, 0)[0]

    def kill(self) -> None:
        try:
            self.p.kill()          # a read in a killable wait ends now; a D-state one later
        except ProcessLookupError:
            pass
        for f in (self.p.stdin, self.p.stdout):
            f.close()
        self.progress.close()
        os.close(self.mfd)


def _close_all(helpers: list[_Helper]) -> None:
    for h in helpers:
        h.kill()
        h.p.wait()
    helpers.clear()


class ScanPool:
    """Scans pids with `workers` helper processes. stuck() lists argv reads that did not
    return, with seconds since they first stuck; those pids are scanned without argv until a
    backoff passes."""

    def __init__(self, workers: int | None = None, per_read: float = 0.5, argv_reader=None):
        self.workers = workers or max(1, min(2, os.cpu_count() or 1))
        self.per_read = per_read
        self.argv_reader = argv_reader      # a GuardedReader, for the in-process fallback
        self.fallback: str | None = None    # why helpers could not be used, if so
        self.helpers: list[_Helper] = []
        self._stuck: dict[str, tuple[float, float]] = {}     # path -> (first stuck, retry at)
        self._dying: list[subprocess.Popen] = []
        weakref.finalize(self, _close_all, self.helpers)

    def close(self) -> None:
        _close_all(self.helpers)

    def warm(self) -> None:
        """Start the helpers now (they take ~0.1 s to boot), so the first scan need not wait."""
        try:
            while len(self.helpers) < self.workers:
                self.helpers.append(_Helper())
        except OSError as e:
            self.fallback = f"helper processes unavailable ({e.strerror or e}): scanning in-process"

    def stuck(self) -> dict[str, float]:
        now = time.monotonic()
        return {p: now - first for p, (first, _) in self._stuck.items()}

    def _reap(self) -> None:
        self._dying = [p for p in self._dying if p.poll() is None]

    def scan(self, pids: list[int], proc: str = "/proc", meanwhile=None,
             known: dict[int, tuple] | None = None) -> list[tuple]:
        """Records for PIDS (see scan_one; check_one for a pid in KNOWN); pids gone meanwhile
        are simply absent. MEANWHILE, if given, is called while the helpers work."""
        known = known or {}
        self._reap()
        start = time.monotonic()
        retrying = {p for p, (_, retry) in self._stuck.items() if retry <= start}
        skip = [pid for pid in pids if (s := self._stuck.get(f"{proc}/{pid}/cmdline")) and s[1] > start]
        try:
            while len(self.helpers) < self.workers:
                self.helpers.append(_Helper())
        except OSError as e:        # no fork (pids exhausted) or no exec: scan here, slower
            self.fallback = f"helper processes unavailable ({e.strerror or e}): scanning in-process"
            if meanwhile:
                meanwhile()
            return self._scan_here(pids, proc)
        self.fallback = None
        jobs = []
        for h, part in zip(self.helpers, [pids[i::self.workers] for i in range(self.workers)]):
            jobs.append(self._start(h, proc, part, skip, known))
        if meanwhile:
            meanwhile()
        out: list[tuple] = []
        while jobs:
            fds = {j["h"].p.stdout.fileno(): j for j in jobs}
            ready, _, _ = select.select(list(fds), [], [], 0.05)
            for fd in ready:
                j = fds[fd]
                jobs.remove(j)
                got = _recv(fd)
                if got is not None:
                    out.extend(got)
                elif j["retries"] < 2:           # the helper died: rescan its part in a new one
                    nj = self._start(self._replace(j["h"]), proc, j["part"], skip, known)
                    nj["retries"] = j["retries"] + 1
                    jobs.append(nj)
            now = time.monotonic()
            for j in list(jobs):
                idx = j["h"].index()
                if idx != j["last"]:
                    j["last"], j["since"] = idx, now
                elif 0 <= idx < len(j["part"]) and now - j["since"] > self.per_read:
                    pid = j["part"][idx]            # stuck reading this pid's argv
                    path = f"{proc}/{pid}/cmdline"
                    first = self._stuck.get(path, (j["since"], 0.0))[0]
                    self._stuck[path] = (first, now + min(60.0, 5.0 + (now - first)))
                    retrying.discard(path)
                    jobs.remove(j)
                    skip = skip + [pid]
                    # a reply comes only at the end, so the whole part is scanned again
                    jobs.append(self._start(self._replace(j["h"]), proc, j["part"], skip, known))
        for path in retrying:                   # retried and returned this time: unstuck
            self._stuck.pop(path, None)
        return out

    def _scan_here(self, pids: list[int], proc: str) -> list[tuple]:
        from .guarded import GuardedReader
        reader = self.argv_reader or GuardedReader(self.per_read)
        measured: set[int] = set()
        recs = [r for pid in pids if (r := scan_one(pid, proc, False, measured)) is not None]
        argvs = reader.read_many(f"{proc}/{r[0]}/cmdline" for r in recs if r[2] != "Z")
        out = []
        for r in recs:
            argv = parse_argv(argvs.get(f"{proc}/{r[0]}/cmdline"))
            info = classify(argv, r[1])
            role = (info.role, info.container_id, info.verb, info.exec_id) if info else None
            out.append(r[:8] + (argv, role))
        return out

    def _start(self, h: _Helper, proc: str, part: list[int], skip: list[int], known: dict) -> dict:
        struct.pack_into("<q", h.progress, 0, -1)
        _send(h.p.stdin.fileno(), (proc, part, skip, {p: known[p] for p in part if p in known}))
        return {"h": h, "part": part, "last": -1, "since": time.monotonic(), "retries": 0}

    def _replace(self, h: _Helper) -> _Helper:
        h.kill()
        self._dying.append(h.p)
        nh = _Helper()
        self.helpers[self.helpers.index(h)] = nh
        return nh


if __name__ == "__main__":         # a helper: `python -m hangconsole.collect.scanner FD`
    helper_main(int(sys.argv[1]))
