"""DataTable refills that render at the right widths.

A DataTable measures new rows when idle, but cells it rendered before that keep their old
width (Textual 8.2.8's cell cache key has no width), so a table refilled with the same row
keys can show values cut to the header's width. remeasure() drops its render caches once
the rows have been measured."""
from __future__ import annotations

from textual.widgets import DataTable


def remeasure(table: DataTable) -> None:
    table.call_after_refresh(table.notify_style_update)
