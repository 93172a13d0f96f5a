"""What the live collector keeps between samples, so a refresh reads in full only where a hang
can be (docs/collector.md, "Incremental collection").

A full record (scanner.scan_one: fd table, argv, uid, role, pipe queues) is kept per pid with
its start time. At each refresh a pid is read in full when it is:
- new, or a reused pid (another start time), or its state changed;
- asleep in a pipe or FIFO wait (its wchan says so: scanner.PIPE_WAITS);
- hot by what it is: a runtime process (daemon, shim, runc, conmon), a container's process,
  a task in D state;
- a peer: it holds a pipe that a process read in full holds, when at most PEERS processes
  hold that pipe (both ends of a pipe are read together, so a panel never shows one fresh
  end and one stale; a pipe every process of a crowd inherited as stderr would otherwise pull
  the whole crowd in at every refresh: its holders wait for the rotation);
- due in the rotation: every process is read in full at least once every ROTATION refreshes;
  a single-threaded one every SLOW_ROTATION (its schedstat is its only task's: a check sees
  every change it can make by running, so its rotation is only the backstop for what changes
  without it: the queue of a pipe it holds).
Every other pid is only checked (scanner.check_one), and keeps its last full record with its
fresh stat fields. The check reads /proc/PID/schedstat first: a task that has not run since
cannot have changed its state, its wait or its fds, so most sleeping processes cost one small
read. The two things that change without the task running are caught here: a pid whose
parent is gone (reparented) is read in full, and so is one whose last wchan was a pipe wait
(a writer blocked on a full pipe does not run).
"""
from __future__ import annotations

from collections import Counter

ROTATION = 10          # refreshes: the longest a cold multi-threaded process goes without a full read
SLOW_ROTATION = 30     # the same for a single-threaded one
PEERS = 8              # a pipe held by more processes than this brings no peers in

# record fields (scanner.scan_one): pid, comm, state, ppid, nthreads, start, uid, fds, argv, role
_STATE, _START, _FDS = 2, 5, 7


def _pipes(rec: tuple) -> frozenset[int]:
    return frozenset(f[3] for f in rec[_FDS] or () if f[2] == "pipe" and f[3] is not None)


class ScanCache:
    def __init__(self, rotation: int = ROTATION, slow_rotation: int = SLOW_ROTATION):
        self.rotation = max(1, rotation)
        self.slow = max(self.rotation, slow_rotation)
        self.full: dict[int, tuple] = {}       # pid -> its last full record
        self.pipes: dict[int, frozenset[int]] = {}   # pid -> the pipe inodes of that record
        self.sched: dict[int, bytes | None] = {}     # pid -> its schedstat line at its last check
        self.waiting: set[int] = set()               # its last wchan was a pipe wait
        self.last: dict[int, tuple] = {}             # the last refresh's records
        self.due: dict[int, int] = {}          # pid -> the refresh its rotation comes due
        self.hot: set[int] = set()             # hot by what it is, as the last refresh saw it
        self.refresh = 0
        self.fresh: set[int] = set()           # pids read in full at this refresh
        self.rotated: set[int] = set()         # of those, the ones read only because the rotation came
        self.now: dict[int, tuple] = {}        # this refresh's records, full or completed

    def plan(self, pids: list[int]) -> dict[int, tuple]:
        """The pids of PIDS to check only, each with its cached (start ticks, state, schedstat):
        the scan's KNOWN. Every other pid is read in full."""
        self.refresh += 1
        alive = set(pids)
        hot = {pid for pid in self.hot | self.waiting if pid in self.full}
        inodes = self._few_held(hot, self.full)
        known = {}
        self.rotated = set()
        for pid in pids:
            rec = self.full.get(pid)
            last = self.last.get(pid, rec)
            if rec is None or pid in hot or (last[3] and last[3] not in alive):
                continue
            if self.due.get(pid, 0) <= self.refresh:
                self.rotated.add(pid)
                continue
            if inodes and not inodes.isdisjoint(self.pipes[pid]):
                continue                       # a peer of a hot process
            known[pid] = (last[_START], last[_STATE], self.sched.get(pid))
        return known

    def update(self, recs: list[tuple], more: bool = False) -> list[tuple]:
        """Every pid's full record, from the scan's RECS: a full record replaces the cached
        one; a short one (scanner.check_one) takes the cached record with its own stat fields.
        MORE: RECS is a second read of some pids at the same refresh."""
        if not more:
            if self.now:
                self.last = self.now
            self.now, self.fresh = {}, set()
        for r in recs:
            pid = r[0]
            if len(r) in (2, 8):
                old = self.full.get(pid)
                if old is None:
                    continue                   # not cached (cannot happen: the plan checks only cached pids)
                if len(r) == 2:                # it has not run: as it was
                    self.now[pid] = self.last.get(pid, old)
                else:
                    self.now[pid] = r[:6] + old[6:]
                    self.sched[pid] = r[7]
                    if r[4] > 1:           # it started threads: the short rotation from now on
                        self.due[pid] = min(self.due.get(pid, self.refresh), self.refresh + self.rotation)
            else:
                if len(r) == 11:               # escalated by a pipe wait
                    self.waiting.add(pid)
                    r = r[:10]
                else:
                    self.waiting.discard(pid)
                self.sched[pid] = None
                self.full[pid] = self.now[pid] = r
                self.pipes[pid] = _pipes(r)
                self.fresh.add(pid)
                every = self.rotation if r[4] != 1 else self.slow
                self.due[pid] = self.refresh + (every if pid in self.due else 1 + pid % every)
        if not more:
            for pid in set(self.full) - set(self.now):
                del self.full[pid]
                self.due.pop(pid, None)
                self.pipes.pop(pid, None)
                self.sched.pop(pid, None)
                self.waiting.discard(pid)
        return list(self.now.values())

    def stale_peers(self) -> list[int]:
        """Pids only checked at this refresh that hold a pipe a pid read in full holds: read
        them in full too (a process that turned hot this refresh leads to them). The rotation's
        reads lead nowhere: they would double its cost, and their peers have their own turn."""
        inodes = self._few_held(self.fresh - self.rotated, self.now)
        if not inodes:
            return []
        return sorted(pid for pid in self.now if pid not in self.fresh and not inodes.isdisjoint(self.pipes[pid]))

    def _few_held(self, pids: set[int], among: dict) -> set[int]:
        """The pipes PIDS hold that at most PEERS of the processes AMONG hold."""
        mine = set().union(*(self.pipes[pid] for pid in pids if pid in self.pipes)) if pids else set()
        if not mine:
            return mine
        held = Counter(i for pid in among for i in self.pipes.get(pid, ()) if i in mine)
        return {i for i in mine if held[i] <= PEERS}

    def keep_hot(self, pids) -> None:
        """The pids hot by what they are (runtime, container, D state): read in full next time."""
        self.hot = set(pids)
