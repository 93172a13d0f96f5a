"""Redaction of secret-looking argv values before a snapshot is written to a recording.

Environment variables are never collected at all. In argv: values of options whose name
looks secret (`--password x`, `--token=x`), secret-looking KEY=VALUE pairs (`-e
DB_PASSWORD=x`), credentials in URLs, and well-known token shapes.
"""
from __future__ import annotations

import copy
import re

from ..model import HostSnapshot

MASK = "<redacted>"
_SECRET = re.compile(r"pass(word|wd)?|pwd|secret|token|api[-_]?key|credential|auth|"
                     r"private[-_]?key|access[-_]?key|session[-_]?key|cookie", re.I)
_URL_CRED = re.compile(r"(\w+://[^/\s:@]+:)([^@\s/]+)(@)")
_TOKENS = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*|gh[pousr]_[A-Za-z0-9]{20,}|"
                     r"AKIA[0-9A-Z]{16}|xox[abp]-[\w-]{10,}|glpat-[\w-]{20,}")


def redact_argv(argv: list[str] | None) -> list[str] | None:
    if not argv:
        return argv
    out: list[str] = []
    hide_next = False
    for i, a in enumerate(argv):
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        if i > 0 and a.startswith("-") and "=" not in a and _SECRET.search(a):
            out.append(a)
            hide_next = True
            continue
        if "=" in a:
            key, val = a.split("=", 1)
            if _SECRET.search(key.lstrip("-")) and val:
                a = f"{key}={MASK}"
        a = _URL_CRED.sub(lambda mt: mt.group(1) + MASK + mt.group(3), a)
        a = _TOKENS.sub(MASK, a)
        out.append(a)
    return out


def redact(snap: HostSnapshot) -> HostSnapshot:
    """A redacted copy; the live snapshot is left as it was."""
    snap = copy.copy(snap)
    snap.processes = [copy.copy(p) for p in snap.processes]
    for p in snap.processes:
        p.argv = redact_argv(p.argv)
    snap._index = None
    return snap
