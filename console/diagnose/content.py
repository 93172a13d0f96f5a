"""What the bytes a blocked writer could not write say: read from a full pipe's head (tee(2),
not consumed) or from a drained file. Usually the writer's own error, and the key to the
root cause (seed 000: runc init's Go abort after an OOM, on fd 2)."""
from __future__ import annotations

import re

# (kind, pattern, what it means); first match of each kind counts, in this order
_RULES = [
    ("go-abort", re.compile(r"runtime/cgo: pthread_create failed: ?(.*)"),
     "Go runtime abort: pthread_create failed ({0}): the process could not start a thread"),
    ("go-fatal", re.compile(r"^fatal error: (.+)$", re.M), "Go fatal error: {0}"),
    ("sigabrt", re.compile(r"^SIGABRT: abort", re.M), "SIGABRT: the Go runtime aborted"),
    ("panic", re.compile(r"^panic: (.+)$", re.M), "Go panic: {0}"),
    ("goroutines", re.compile(r"^goroutine \d+ \[[^\]]+\]:", re.M), "goroutine traces"),
    ("runc-start", re.compile(r"container_linux\.go:\d+: (starting container process caused[^\n]*)"),
     "runc: {0}"),
    ("runc-init-p", re.compile(r"read init-p: ([^\n\"]+)"),
     "runc: read init-p: {0} (runc init died before it reported back)"),
    ("fork-eagain", re.compile(r"fork/exec ([^:\n]+): resource temporarily unavailable", re.I),
     "fork/exec {0}: resource temporarily unavailable (EAGAIN: a pids limit or memory)"),
]


def recognise(text: str | bytes | None) -> list[dict]:
    """Every recognised kind in TEXT: {"kind", "line" (the matching line), "means"}."""
    if not text:
        return []
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    out = []
    for kind, rx, means in _RULES:
        mt = rx.search(text)
        if mt:
            line = text[text.rfind("\n", 0, mt.start()) + 1:].split("\n", 1)[0].strip()
            out.append({"kind": kind, "line": line[:200],
                        "means": means.format(*(g.strip() for g in mt.groups()))})
    return out


def headline(found: list[dict]) -> str:
    """One line: the Go abort first, then what runc said."""
    kinds = {f["kind"]: f for f in found}
    parts = []
    if "go-abort" in kinds:
        parts.append(kinds["go-abort"]["line"])
    elif "go-fatal" in kinds or "panic" in kinds:
        parts.append((kinds.get("go-fatal") or kinds["panic"])["line"])
    elif "sigabrt" in kinds:
        parts.append("SIGABRT")
    for k in ("runc-init-p", "fork-eagain", "runc-start"):
        if k in kinds:
            parts.append(kinds[k]["means"])
            break
    if "goroutines" in kinds and parts:
        parts[0] += " (with goroutine traces)"
    return "; ".join(parts) if parts else found[0]["means"] if found else ""


def is_go_abort(found: list[dict]) -> bool:
    return any(f["kind"] in ("go-abort", "go-fatal", "sigabrt", "panic") for f in found)


def read_edges(path: str, edge: int = 1 << 20) -> bytes:
    """The first and last EDGE bytes of a (possibly huge) drained file: an error is usually
    at the start (what the writer said first) or at the end (what it said last)."""
    import os
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(edge)
        if size <= 2 * edge:
            return head + f.read()
        f.seek(size - edge)
        return head + b"\n" + f.read()
