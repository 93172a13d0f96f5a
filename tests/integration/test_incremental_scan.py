"""The incremental collection (collect/scan_cache.py) against a full one, on real processes
and real pipes: what the full path sees, the incremental path sees, and a pipe that appears
where no cheap read can notice it is still found within the rotation (docs/collector.md)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from hangconsole.collect.live import LiveSource
from hangconsole.collect.scan_cache import ROTATION


def _crowd(n: int) -> list[subprocess.Popen]:
    """N sleeps in pairs joined by a pipe, every other pipe holding 4 KiB."""
    out = []
    for i in range(0, n, 2):
        r, w = os.pipe()
        if i % 4 == 0:
            os.write(w, b"x" * 4096)
        out.append(subprocess.Popen(["sleep", "600"], stdout=w, stdin=subprocess.DEVNULL, close_fds=True))
        out.append(subprocess.Popen(["sleep", "600"], stdin=r, stdout=subprocess.DEVNULL, close_fds=True))
        os.close(r)
        os.close(w)
    return out


def _view(snap, pids: set[int]):
    """What a panel shows of PIDS: each process's state and fds, and each of their pipes'
    ends and queue."""
    procs = {p.pid: (p.comm, p.state, p.ppid, tuple((f.num, f.kind, f.target, f.mode) for f in p.fds or ()))
             for p in snap.processes if p.pid in pids}
    pipes = {pp.inode: (pp.queued, pp.capacity, sorted((e.pid, e.fd) for e in pp.readers),
                        sorted((e.pid, e.fd) for e in pp.writers))
             for pp in snap.pipes if any(e.pid in pids for e in pp.readers + pp.writers)}
    return procs, pipes


@pytest.fixture
def crowd():
    procs = _crowd(200)
    time.sleep(0.3)
    yield procs
    for p in procs:
        p.kill()
        p.wait()


def _kill(p: subprocess.Popen) -> None:
    p.kill()
    p.wait()


def test_a_new_blocked_writer_is_seen_as_the_full_scan_sees_it(crowd):
    """A crowd sampled until cached; then a process already cached starts writing into a pipe
    nobody reads and blocks: the next incremental sample shows its pipe as the full one does."""
    inc = LiveSource(docker=False)
    full = LiveSource(docker=False, incremental=False)
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, sys, time
        r, w = os.pipe()
        sys.stdin.readline()                   # cached first: this process is old news
        os.write(w, b"y" * (1 << 20))          # blocks once 64 KiB are queued
        """)], stdin=subprocess.PIPE, close_fds=True)
    try:
        for _ in range(3):
            inc.snapshot()
        assert len(inc.cache.fresh) < len(inc.cache.now) / 2, "the cache is not being used"
        writer.stdin.write(b"go\n")
        writer.stdin.close()                   # its stdin then leads nowhere hot
        time.sleep(1.0)
        pids = {p.pid for p in crowd} | {writer.pid}
        a = _view(inc.snapshot(), pids)
        b = _view(full.snapshot(), pids)
        assert a == b
        mine = [q for q in a[1].values() if any(w[0] == writer.pid for w in q[3])]
        assert any(q[0] == q[1] == 65536 for q in mine), mine       # its full pipe, seen at once
        assert writer.pid in inc.cache.waiting                        # and read in full from now on
    finally:
        _kill(writer)
        inc.close()
        full.close()


def test_a_pipe_no_cheap_read_can_see_is_found_within_the_rotation():
    """The worst case: a thread other than the leader makes a pipe and blocks writing to it,
    while the leader sleeps in join() and never runs. The leader's schedstat, state and wchan
    do not move, and it shares no pipe with a busy process (its stdout and stderr go to
    /dev/null), so only the rotation reads its fd table again: within ROTATION samples."""
    inc = LiveSource(docker=False)
    p = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, sys, threading
        def block():
            sys.stdin.readline()
            r, w = os.pipe()
            os.write(w, b"z" * (1 << 20))
        t = threading.Thread(target=block)
        t.start()
        t.join()
        """)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
    try:
        time.sleep(1.0)                        # settled: asleep in join(), not starting up
        for _ in range(2):
            inc.snapshot()
        before = {f.inode for f in inc.snapshot().proc(p.pid).fds if f.kind == "pipe"}
        due = inc.cache.due[p.pid]              # the refresh at which the rotation reads it again
        p.stdin.write(b"go\n")
        p.stdin.close()                        # so no process this test runs leads to it
        time.sleep(0.5)
        for n in range(1, 2 * ROTATION + 1):
            snap = inc.snapshot()
            new = [pp for pp in snap.pipes if pp.inode not in before
                   and any(w.pid == p.pid for w in pp.writers) and pp.queued == pp.capacity]
            if new:
                break
        assert new, f"not found in {2 * ROTATION} samples"
        assert n <= ROTATION + 1, n
        assert inc.cache.refresh == due, "found by the rotation, when it came, not before"
    finally:
        _kill(p)
        inc.close()


def test_the_cache_follows_a_reused_pid_and_a_reparented_child(crowd):
    """A process that exits leaves the cache; an orphan's new parent is read at once."""
    inc = LiveSource(docker=False)
    parent = subprocess.Popen(["sh", "-c", "sleep 600 & echo $!; wait"], stdout=subprocess.PIPE, close_fds=True)
    child = int(parent.stdout.readline())
    try:
        for _ in range(3):
            inc.snapshot()
        assert inc.snapshot().proc(child).ppid == parent.pid
        _kill(parent)
        time.sleep(0.3)
        snap = inc.snapshot()
        assert snap.proc(parent.pid) is None and parent.pid not in inc.cache.full
        assert snap.proc(child).ppid != parent.pid          # reparented, though the child never ran
    finally:
        os.kill(child, 9)
        inc.close()
