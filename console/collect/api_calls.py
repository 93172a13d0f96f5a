"""Runtime API calls that never block the collector (the rule of docker_probe, for any API).

Each call runs on its own daemon thread. A sample waits at most its deadline; a call still
running then is reported "pending" at every sample until it returns, and is never issued again
meanwhile. When it returns, its latency is reported once and the next sample issues it afresh.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..model import Probe
from .docker_probe import _Call, _short_error

CALL_TIMEOUT = 600.0        # a call pending this long is given up by its client library


class Calls:
    def __init__(self, name: str, clock: Callable[[], float] = time.time):
        self.name = name
        self.clock = clock
        self._calls: dict[tuple[str, str | None], _Call] = {}
        self._lock = threading.Lock()

    def issue(self, call: str, target: str | None, fn: Callable[[], object]) -> _Call | None:
        """Start FN on its own thread unless the same call is still pending (then None)."""
        key = (call, target)
        with self._lock:
            old = self._calls.get(key)
            if old and not old.done.is_set():
                return None
            c = self._calls[key] = _Call(call, target, started_wall=self.clock())

        def run() -> None:
            try:
                c.result = fn()
            except BaseException as e:      # reported, never raised
                c.error = _short_error(getattr(e, "details", lambda: None)() or e)
            c.ended = time.monotonic()
            c.done.set()
        threading.Thread(target=run, daemon=True, name=f"hangconsole-{self.name}-{call}").start()
        return c

    def get(self, call: str, target: str | None = None) -> _Call | None:
        return self._calls.get((call, target))

    @staticmethod
    def wait(calls, end: float) -> None:
        for c in calls:
            if c is not None:
                c.done.wait(max(0.0, end - time.monotonic()))

    def report(self, keep: Callable[[_Call], bool] = lambda c: True) -> list[Probe]:
        """Every call as a Probe: pending ones always, finished ones when KEEP says so."""
        now = time.monotonic()
        with self._lock:
            calls = sorted(self._calls.values(), key=lambda c: (c.call, c.target or ""))
        out = []
        for c in calls:
            if not c.done.is_set():
                out.append(Probe(c.call, c.target, "pending", c.started_wall, now - c.started))
            elif keep(c):
                secs = (c.ended or now) - c.started
                out.append(Probe(c.call, c.target, "error" if c.error else "ok", c.started_wall,
                                 secs, c.error))
        return out
