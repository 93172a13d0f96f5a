"""The incremental scan's bookkeeping (collect/scan_cache.py), on crafted records: which pids
are read in full, and how a short record is completed. The real-process proof is
tests/integration/test_incremental_scan.py."""
from __future__ import annotations

from hangconsole.collect.scan_cache import PEERS, ROTATION, SLOW_ROTATION, ScanCache


def rec(pid, ppid=1, state="S", start=100, pipes=(), role=None, threads=1):
    fds = [(i, f"pipe:[{ino}]", "pipe", ino, "w", None, None) for i, ino in enumerate(pipes)]
    return (pid, "sleep", state, ppid, threads, start, 0, fds, ["sleep", "60"], role)


def first(cache, recs):
    cache.plan([r[0] for r in recs])
    return cache.update(recs)


def test_everything_is_read_in_full_first_then_only_checked():
    c = ScanCache()
    first(c, [rec(1, ppid=0), rec(10), rec(11)])
    known = c.plan([1, 10, 11])
    due_now = {pid for pid in (1, 10, 11) if c.due[pid] <= c.refresh}
    assert set(known) == {1, 10, 11} - due_now
    assert all(k == (100, "S", None) for k in known.values())


def test_a_short_record_keeps_its_fds_and_takes_its_fresh_state():
    c = ScanCache()
    first(c, [rec(1, ppid=0), rec(10, pipes=[7])])
    c.plan([1, 10])
    out = {r[0]: r for r in c.update([rec(1, ppid=0), (10, "sleep", "S", 1, 3, 100, "hrtimer_nanosleep", b"5 6 7")])}
    assert out[10][4] == 3 and out[10][7] == rec(10, pipes=[7])[7]
    c.plan([1, 10])
    out = {r[0]: r for r in c.update([rec(1, ppid=0), (10, b"5 6 7")])}        # it did not run: as it was
    assert out[10][4] == 3 and 10 not in c.fresh


def test_hot_processes_and_their_few_peers_are_read_every_time_a_crowd_pipe_pulls_nobody():
    c = ScanCache(rotation=1000)
    crowd = [rec(100 + i, pipes=[9]) for i in range(PEERS + 5)]           # a crowd sharing stderr
    recs = [rec(1, ppid=0), rec(2, role=("shim-v2", None, None, None), pipes=[5, 9]), rec(3, pipes=[5]), *crowd]
    first(c, recs)
    c.keep_hot([2])
    known = c.plan([r[0] for r in recs])
    assert 2 not in known and 3 not in known                              # the shim, and its pipe's peer
    assert all(r[0] in known for r in crowd if c.due[r[0]] > c.refresh)   # not the crowd on pipe 9


def test_a_pipe_wait_stays_hot_and_a_reparented_pid_is_read():
    c = ScanCache(rotation=1000)
    first(c, [rec(1, ppid=0), rec(5), rec(6, ppid=5), rec(7)])
    c.plan([1, 5, 6, 7])
    c.update([rec(1, ppid=0), rec(5), rec(6, ppid=5), rec(7) + ("pipe_write",)])
    assert 7 in c.waiting
    known = c.plan([1, 6, 7])                     # 5 exited: 6 is an orphan, 7 still waits
    assert 6 not in known and 7 not in known


def _read_within(c, pids, refreshes, threads=1):
    """The pids of PIDS read in full over REFRESHES refreshes (their parent, pid 1, lives)."""
    read = set()
    for _ in range(refreshes):
        known = c.plan([1] + pids)
        read |= set(pids) - set(known)
        c.update([rec(1, ppid=0)] + [rec(p, threads=threads) if p not in known else (p, b"1 2 3") for p in pids])
    return read


def test_every_process_comes_due_within_the_rotation():
    """Multi-threaded: within ROTATION refreshes (a thread other than the leader can change
    what the leader's schedstat does not show); single-threaded: within SLOW_ROTATION."""
    many = list(range(1000, 1200))
    c = ScanCache()
    first(c, [rec(1, ppid=0)] + [rec(p, threads=4) for p in many])
    assert _read_within(c, many, ROTATION, threads=4) == set(many)
    one = list(range(2000, 2200))
    c = ScanCache()
    first(c, [rec(1, ppid=0)] + [rec(p) for p in one])
    early = _read_within(c, one, ROTATION)
    assert early and early != set(one)                          # a third of them: the slow rotation
    assert early | _read_within(c, one, SLOW_ROTATION - ROTATION) == set(one)


def test_a_process_that_starts_threads_takes_the_short_rotation():
    pid = SLOW_ROTATION * 100 + SLOW_ROTATION - 1            # its first turn as late as a turn comes
    c = ScanCache()
    first(c, [rec(pid)])
    far = c.due[pid]
    c.plan([pid])
    c.update([(pid, "sleep", "S", 1, 3, 100, "futex_wait", b"9 9 9")])      # it ran and has 3 threads now
    assert c.due[pid] == c.refresh + ROTATION < far


