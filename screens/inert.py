"""Host text into widgets as inert Text, never as markup (see hangconsole.safetext).

Textual parses a str given to a DataTable cell, a Static, a Tree label or a notification as
markup: a process named `[/]` raised MarkupError and took the console down. Everything that
came from the host goes through host() or cells(); guard() is the net under every panel:
whatever control character a Text still holds is replaced, one for one (so its styles stay
where they were), by its visible picture (ESC as ␛)."""
from __future__ import annotations

import re

from rich.text import Text

from hangconsole.safetext import LIMIT, _BAD_MULTILINE, visible, visible_lines

_PICTURE = {c: chr(0x2400 + c) for c in range(0x20)} | {0x7F: "\u2421"}


def _picture(m: re.Match) -> str:
    return _PICTURE.get(ord(m.group()), "\ufffd")


def host(value, style: str = "", limit: int | None = LIMIT) -> Text:
    """One host value (a name, an argv, a path, a label) as one inert line."""
    return Text(visible(value, limit), style=style, no_wrap=False)


def host_lines(value, style: str = "", limit: int | None = None) -> Text:
    """Host text that is lines (log lines, pipe bytes, dump text): newlines stay."""
    return Text(visible_lines(value, limit), style=style)


def guard(t: Text | str) -> Text:
    """T with any character a terminal could act on replaced one for one; a str is taken as
    plain text, never markup."""
    if not isinstance(t, Text):
        return host_lines(t)
    plain = t.plain
    if _BAD_MULTILINE.search(plain):
        t = t.copy()
        t.plain = _BAD_MULTILINE.sub(_picture, plain)
    return t


def cells(*values) -> list[Text]:
    """A DataTable row: every cell Text (a str cell would be parsed as markup)."""
    return [guard(v) if isinstance(v, Text) else host(v) for v in values]
