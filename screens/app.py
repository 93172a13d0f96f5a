"""The hangconsole Textual app: a source (live host or recording) shown on screens.

Refresh is a timer chain: one thread worker collects a snapshot; only when it has finished
is the next one scheduled, so polls never overlap and the UI thread never waits on /proc or
Docker. The clock and the source are injected so tests are deterministic.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from hangconsole.model import HostSnapshot

from .overview import OverviewScreen


class SnapshotReady(Message):
    def __init__(self, snapshot: HostSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class HangConsoleApp(App):
    TITLE = "hangconsole"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("r", "refresh_now", "Refresh", show=True),
        Binding("right_square_bracket", "step(1)", "Next frame", show=False),
        Binding("left_square_bracket", "step(-1)", "Prev frame", show=False),
    ]

    def __init__(self, source, *, interval: float = 2.0, clock: Callable[[], float] = time.time):
        super().__init__()
        self.source = source
        self.interval = interval
        self.clock = clock
        self.snapshot: HostSnapshot | None = None
        self._collecting = False

    def on_mount(self) -> None:
        if self.source.live:
            self.sub_title = "live"
            self.collect()
        else:
            self.show(self.source.snapshot())
        self.push_screen(OverviewScreen())

    # --- the timer chain ------------------------------------------------------------
    @work(thread=True, exclusive=True, group="collect", exit_on_error=False)
    def collect(self) -> None:
        self._collecting = True
        try:
            snap = self.source.snapshot()
        finally:
            self._collecting = False
        self.post_message(SnapshotReady(snap))

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        self.show(message.snapshot)
        self.set_timer(self.interval, self._next)

    def _next(self) -> None:
        if not self._collecting:
            self.collect()

    def show(self, snap: HostSnapshot) -> None:
        self.snapshot = snap
        if not self.source.live:
            self.sub_title = f"replay {self.source.recording.path}  frame {self.source.pos + 1}/{len(self.source)}"
        for screen in self.screen_stack:
            if isinstance(screen, OverviewScreen) and screen.is_mounted:
                screen.show(snap)

    # --- actions -------------------------------------------------------------------
    def action_refresh_now(self) -> None:
        if self.source.live:
            self._next()

    def action_step(self, delta: int) -> None:
        if not self.source.live:
            self.source.step(delta)
            self.show(self.source.snapshot())
