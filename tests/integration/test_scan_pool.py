"""The helper-process scan: a helper stuck in a read is killed and replaced, the stuck path
is named, and every other process is still returned; without helpers the scan still works."""
from __future__ import annotations

import os
import time

from hangconsole.collect import scanner
from hangconsole.collect.scanner import ScanPool


def fake_proc(root, pid: int, argv_fifo: bool = False) -> None:
    d = root / str(pid)
    (d / "fd").mkdir(parents=True)
    (d / "stat").write_text(f"{pid} (fake) S 1 {pid} {pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0\n")
    (d / "cgroup").write_text("0::/\n")
    if argv_fifo:
        os.mkfifo(d / "cmdline")     # open(O_RDONLY) blocks in the kernel: a stuck argv read
    else:
        (d / "cmdline").write_bytes(b"fake\0--flag\0")


def test_stuck_helper_is_replaced_and_the_path_named(tmp_path):
    for pid in range(100, 110):
        fake_proc(tmp_path, pid, argv_fifo=(pid == 104))
    pool = ScanPool(workers=1, per_read=0.3)
    try:
        t0 = time.monotonic()
        recs = pool.scan(list(range(100, 110)), str(tmp_path))
        assert time.monotonic() - t0 < 3
        by = {r[0]: r for r in recs}
        assert sorted(by) == list(range(100, 110)), "every process is still reported"
        assert by[104][8] is None and by[105][8] == ["fake", "--flag"]
        stuck = pool.stuck()
        assert list(stuck) == [f"{tmp_path}/104/cmdline"]
        # the next scan skips the stuck read instead of waiting on it again
        t1 = time.monotonic()
        again = pool.scan(list(range(100, 110)), str(tmp_path))
        assert time.monotonic() - t1 < 0.3 and len(again) == 10
        assert pool.stuck()[f"{tmp_path}/104/cmdline"] >= stuck[f"{tmp_path}/104/cmdline"]
    finally:
        pool.close()


def test_without_helpers_the_scan_runs_in_process(tmp_path, monkeypatch):
    for pid in (200, 201):
        fake_proc(tmp_path, pid)
    monkeypatch.setattr(scanner.sys, "executable", str(tmp_path / "no-such-python"))
    pool = ScanPool(workers=2)
    recs = pool.scan([200, 201], str(tmp_path))
    assert [r[0] for r in recs] == [200, 201] and recs[0][8] == ["fake", "--flag"]
    assert pool.fallback and "scanning in-process" in pool.fallback


def test_real_host_scan_matches_proc(tmp_path):
    pool = ScanPool()
    try:
        recs = pool.scan([os.getpid()])
        pid, comm, state, ppid, nthreads, start, uid, fds, argv, role = recs[0]
        assert (pid, ppid, uid) == (os.getpid(), os.getppid(), os.geteuid())
        assert argv and argv[0].endswith(("python", "python3")) or "python" in argv[0]
        assert any(num == 0 for num, *_ in fds) and role is None
    finally:
        pool.close()
