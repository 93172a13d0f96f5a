"""The replay timeline: the recording's clock, where we are, playing or paused."""
from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static


class Timeline(Static):
    DEFAULT_CSS = """
    Timeline { height: 1; background: $panel; padding: 0 1; }
    """

    def show(self, pos: int, count: int, clock: float, playing: bool) -> None:
        width = max(10, self.size.width - 60) if self.size.width else 30
        mark = round((width - 1) * pos / max(1, count - 1))
        bar = "─" * mark + "●" + "─" * (width - 1 - mark)
        t = Text()
        t.append("▶ playing " if playing else "⏸ paused  ", style="bold")
        t.append(f"frame {pos + 1}/{count}  ")
        t.append(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(clock)), style="cyan")
        t.append(f"  {bar}  ")
        t.append("[ ] step  { } ±10  space play  < > first/last", style="dim")
        self.update(t)
