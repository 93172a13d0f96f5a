"""Go goroutine dumps: read them as a stream, group identical stacks, say what they show.

Reads what the daemons and the host actually hand over: runtime.Stack / SIGQUIT / crash
tracebacks of any Go version (Go 1.23+ `gp= m=` headers, named wait states), pprof
debug=1 and debug=2 profiles, containerd's BEGIN/END blocks in logrus lines, and all of
these read back from the journal or syslog (line prefixes, `#011` tabs). See docs/stacks.md.
"""
from __future__ import annotations

from .locks import LockLink
from .model import Dump, Frame, Group, boring
from .reader import Cancelled, Reader, scanner
from .summary import Summary, hints as _hints, holder_text, lock_chain, longest, order, render, state

__all__ = ["Cancelled", "Dump", "Frame", "Group", "LockLink", "Reader", "StackError", "Summary",
           "boring", "hints", "holder_text", "load", "lock_chain", "render", "scanner", "state", "summarise",
           "summarise_text", "summary"]


class StackError(ValueError):
    """Not a goroutine dump."""


def _summary(r: Reader) -> Summary:
    if not r.dumps:
        raise StackError("no goroutines found: not a Go stack dump")
    groups = sorted(r.groups, key=order)
    links = r.locks.links(groups)
    examples = {why: f"{f}:{n}: {text}" for why, (f, n, text) in r.examples.items()}
    return Summary(list(r.dumps), groups, links, longest(groups), dict(r.skipped), examples,
                   _hints(groups, links, r.dumps),
                   "too many distinct addresses: lock holders may be missing" if r.locks.full else "",
                   _read_by(r.read_by))


def _read_by(read_by: dict[str, list[str]]) -> str:
    if len(read_by) == 1:
        return next(iter(read_by))
    return ", ".join(f"{how} ({', '.join(files)})" for how, files in read_by.items())


def summarise(paths: list[str] | str, progress=None, cancelled=None, parallel: bool = False,
              c: bool | None = None) -> Summary:
    """Read each file as a stream; PROGRESS(file_index, done_bytes, total_bytes) as it goes;
    CANCELLED() -> True stops it with Cancelled. PARALLEL: a big plain dump is read in two
    processes (fork: only where the caller has no other threads). C: see Reader (None: the C
    scanner if it is built). Raises OSError, StackError."""
    r = Reader(c)
    for i, p in enumerate([paths] if isinstance(paths, str) else paths):
        r.feed_file(p, (lambda d, t, i=i: progress(i, d, t)) if progress else None, cancelled, parallel)
    return _summary(r)


def summarise_text(text: str, name: str = "<text>", c: bool | None = None) -> Summary:
    r = Reader(c)
    r.feed_text(text, name)
    return _summary(r)


def load(text: str) -> list[Group]:
    """Groups of every dump in TEXT, biggest first."""
    return summarise_text(text).groups


def hints(groups: list[Group]) -> list[str]:
    """What GROUPS point at, without lock-holder links (those need summarise())."""
    return _hints(groups, None)


def summary(groups: list[Group] | Summary, limit: int = 10) -> str:
    if isinstance(groups, Summary):
        return render(groups, limit)
    total = sum(g.count for g in groups)
    lines = [f"{total} goroutines in {len(groups)} distinct stacks"]
    for g in groups[:limit]:
        wait = f", up to {g.max_wait} min" if g.max_wait else ""
        lines.append(f"{g.count:>8}  [{g.state}{wait}]  {g.top}")
    lines += [f"hint: {h}" for h in hints(groups)]
    return "\n".join(lines)
