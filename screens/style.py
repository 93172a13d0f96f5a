"""Shared styling: severity badges and process state colours."""
from __future__ import annotations

from rich.text import Text

BADGE = {"critical": "bold white on red", "warning": "bold black on yellow", "info": "black on cyan"}
STATE = {"Z": "bold red", "D": "bold magenta", "T": "bold red", "t": "bold red", "R": "green"}


def badge_text(findings: list) -> Text:
    t = Text()
    for f in findings:
        t.append(f" {f.cls} ", style=BADGE.get(f.severity, ""))
        t.append(" ")
    return t
