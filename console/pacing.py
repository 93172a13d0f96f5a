"""How often a live console refreshes on a host that may be short of CPU. The base interval
holds while a refresh costs well under it and the run queue is short. When a refresh takes
longer than a third of the interval, or the 1-minute load is over twice the CPUs, the next
wait grows (to three times the cost, at most MAX); it comes back down step by step when the
host recovers. One refresh at a time: the wait starts when the last one ended, so refreshes
never queue."""
from __future__ import annotations

import os

MAX = 30.0


def load_per_cpu() -> float | None:
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        return None


def next_wait(base: float, current: float, cost: float, load: float | None) -> tuple[float, str | None]:
    """(seconds until the next refresh, why it is longer than BASE or None). COST: seconds the
    last refresh took; LOAD: 1-minute load per CPU (None: unknown)."""
    reasons = []
    want = base
    if cost > base / 3:
        want = max(want, 3 * cost)
        reasons.append(f"a refresh took {cost:.1f}s")
    if load is not None and load > 2.0:
        want = max(want, base * min(load, 8.0))
        reasons.append(f"load {load:.1f} per CPU")
    if want <= base and current > base:          # recovering: halve the extra each time
        want = max(base, base + (current - base) / 2)
    want = min(MAX, want)
    if want <= base + 0.05:
        return base, None
    return want, "; ".join(reasons) or "coming back down after load"
