"""The last few snapshots of one host, oldest first. A task is "stuck" only when it is seen
unchanged across samples; the time it has been unchanged is measured on the host's clock
(uptime), so replayed recordings give the same answers as the live host did."""
from __future__ import annotations

from collections.abc import Callable

from .. import model as m


class History:
    def __init__(self, snapshots: list[m.HostSnapshot], since: dict | None = None):
        """SINCE: a memory kept by a caller that samples on and on (the live console, a
        metrics loop) and keeps only its last few samples: when a state held through all of
        them, the time it was first seen is remembered there, so "stuck for" keeps growing
        past the window instead of stopping at its width."""
        if not snapshots:
            raise ValueError("a history needs at least one snapshot")
        self.snaps = snapshots
        self.since = since

    @property
    def latest(self) -> m.HostSnapshot:
        return self.snaps[-1]

    @property
    def span(self) -> float:
        """Seconds covered by the samples."""
        return max(0.0, self.latest.uptime - self.snaps[0].uptime)

    def same_process(self, snap: m.HostSnapshot, p: m.Process) -> m.Process | None:
        q = snap.proc(p.pid)
        return q if q is not None and q.start_ticks == p.start_ticks else None

    def steady(self, p: m.Process, sig: Callable[[m.HostSnapshot, m.Process], object]) -> float:
        """Seconds that SIG(snap, p) has held, counting back from the latest sample through
        earlier samples of the same process (pid + start time). 0.0 if seen once."""
        want = sig(self.latest, p)
        if want is None:
            return 0.0
        since = self.latest.uptime
        held = True                               # through every sample kept
        for snap in reversed(self.snaps[:-1]):
            q = self.same_process(snap, p)
            if q is None or sig(snap, q) != want:
                held = False
                break
            since = snap.uptime
        if self.since is not None:
            key = (p.pid, p.start_ticks, want)
            if held:
                since = min(since, self.since.get(key, (since, 0.0))[0])
            self.since[key] = (since, self.latest.uptime)
            if len(self.since) > 50_000:          # forget states not seen for ten minutes
                for k in [k for k, (_, last) in self.since.items() if self.latest.uptime - last > 600]:
                    del self.since[k]
        return self.latest.uptime - since

    def series(self, fn: Callable[[m.HostSnapshot], object]) -> list:
        return [fn(s) for s in self.snaps]


def thread_sig(tid: int, inode: int | None = None):
    """Signature of one thread's blocked state: (state, syscall nr, first arg, wchan), and, with
    pipe INODE, the bytes queued in it and the bytes the thread (else the process) has written
    (wchar): a writer that moves the queue or its own count is making progress, not stuck."""
    def sig(snap: m.HostSnapshot, p: m.Process):
        for t in p.threads:
            if t.tid == tid:
                sc = t.syscall
                base = (t.state, sc.nr if sc else None, sc.args[0] if sc and sc.args else None,
                        t.wchan)
                if inode is not None:      # and what it has written: a busy writer on a full
                    pp = snap.pipe(inode)  # pipe whose reader keeps up is not stuck
                    base += (pp.queued if pp else None, t.wchar if t.wchar is not None else p.wchar)
                return base
        return None
    return sig


STUCK_AFTER = 5.0      # two samples at least this far apart, unchanged, make "stuck"
