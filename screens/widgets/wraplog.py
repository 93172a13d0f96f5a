"""A log that wraps to its width and re-wraps when resized. Textual's RichLog renders at
least `min_width` (78) columns and never re-wraps, so in a narrower panel its lines were
cut at the right edge ("exit 137; Docke")."""
from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import RichLog


class WrapLog(RichLog):
    def __init__(self, **kw):
        super().__init__(wrap=True, markup=False, min_width=8, **kw)
        self.history: list[Text | str] = []

    def add(self, line: Text | str) -> None:
        self.history.append(line)
        self.write(line, shrink=True)

    def on_resize(self, event: events.Resize) -> None:
        self.clear()
        for line in self.history:
            self.write(line, shrink=True)

    @property
    def plain(self) -> str:
        return "\n".join(x.plain if isinstance(x, Text) else x for x in self.history)
