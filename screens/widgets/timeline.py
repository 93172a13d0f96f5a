"""The replay timeline: the recording's clock, where we are, playing or paused."""
from __future__ import annotations

import time

from rich.text import Text
from textual import events
from textual.widgets import Static

from hangconsole import provenance as pv

from ..style import MARK_STYLE


class Timeline(Static):
    DEFAULT_CSS = """
    Timeline { height: 1; background: $panel; padding: 0 1; }
    """

    HINT = "[ ] step  { } ±10  space play  < > first/last"

    def show(self, pos: int, count: int, clock: float, playing: bool) -> None:
        head = Text()
        head.append("▶ playing " if playing else "⏸ paused  ", style="bold")
        head.append(f"frame {pos + 1}/{count}  ")
        head.append(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(clock)), style="cyan")
        room = (self.size.width or 80) - 2 - len(head.plain) - 4
        legend = ""                              # a rebuilt recording: what the mark means, always
        if pv.has_reconstructed(getattr(self.app, "snapshot", None)):
            legend = pv.LEGEND if room - len(pv.LEGEND) - 2 >= 10 else pv.SHORT_LEGEND
            room -= len(legend) + 2
        hint = self.HINT if room - len(self.HINT) >= 10 else ""
        width = max(5, room - len(hint))
        mark = round((width - 1) * pos / max(1, count - 1))
        self._bar = (1 + len(head.plain) + 2, width, count)      # for clicks: x, width, frames
        head.append("  " + "─" * mark + "●" + "─" * (width - 1 - mark) + "  ")
        if legend:
            head.append(legend[0], style=MARK_STYLE)
            head.append(legend[1:] + "  ", style="dim")
        head.append(hint, style="dim")
        self.update(head)

    def on_click(self, event: events.Click) -> None:
        """Seek: a click on the bar jumps to that point of the recording."""
        start, width, count = getattr(self, "_bar", (0, 0, 0))
        if width and start <= event.x < start + width:
            frame = round((event.x - start) / max(1, width - 1) * (count - 1))
            self.app.action_seek(frame)
