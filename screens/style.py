"""Shared styling: severity badges and process state colours."""
from __future__ import annotations

from rich.text import Text

MARK_STYLE = "bold yellow"        # the provenance mark: reconstructed, not in the report
BADGE = {"critical": "bold white on red", "warning": "bold black on yellow", "info": "black on cyan"}
STATE = {"Z": "bold red", "D": "bold magenta", "T": "bold red", "t": "bold red", "R": "green"}


def badge_text(findings: list) -> Text:
    t = Text()
    for f in findings:
        t.append(f" {f.cls} ", style=BADGE.get(f.severity, ""))
        t.append(" ")
    return t


def mark(t: Text, item, *names: str) -> Text:
    """Append the provenance mark to T when ITEM (or NAMES of it) is reconstructed."""
    from hangconsole import provenance as pv
    if pv.marked(item, *names):
        t.append(pv.MARK, style=MARK_STYLE)
    return t


def legend() -> Text:
    from hangconsole import provenance as pv
    return Text(pv.LEGEND, style="dim")


def marked_text(t: Text, before: str, mk: str, after: str, style: str = "") -> Text:
    """Append BEFORE, MK (the provenance mark, if any) and AFTER in STYLE: one span when unmarked."""
    if not mk:
        return t.append(before + after, style=style)
    t.append(before, style=style)
    t.append(mk, style=MARK_STYLE)
    return t.append(after, style=style)
