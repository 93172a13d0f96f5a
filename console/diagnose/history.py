"""The last few snapshots of one host, oldest first. A task is "stuck" only when it is seen
unchanged across samples; the time it has been unchanged is measured on the host's clock
(uptime), so replayed recordings give the same answers as the live host did."""
from __future__ import annotations

from collections.abc import Callable

from .. import model as m


class History:
    def __init__(self, snapshots: list[m.HostSnapshot]):
        if not snapshots:
            raise ValueError("a history needs at least one snapshot")
        self.snaps = snapshots

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
        for snap in reversed(self.snaps[:-1]):
            q = self.same_process(snap, p)
            if q is None or sig(snap, q) != want:
                break
            since = snap.uptime
        return self.latest.uptime - since

    def series(self, fn: Callable[[m.HostSnapshot], object]) -> list:
        return [fn(s) for s in self.snaps]


def thread_sig(tid: int, inode: int | None = None):
    """Signature of one thread's blocked state: (state, syscall nr, first arg, wchan), and the
    bytes queued in pipe INODE when given (a writer that moves the queue is not stuck)."""
    def sig(snap: m.HostSnapshot, p: m.Process):
        for t in p.threads:
            if t.tid == tid:
                sc = t.syscall
                base = (t.state, sc.nr if sc else None, sc.args[0] if sc and sc.args else None,
                        t.wchan)
                if inode is not None:
                    pp = snap.pipe(inode)
                    base += (pp.queued if pp else None,)
                return base
        return None
    return sig


STUCK_AFTER = 5.0      # two samples at least this far apart, unchanged, make "stuck"
