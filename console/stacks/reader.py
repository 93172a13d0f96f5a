"""Read goroutine dumps as a stream and group them while reading.

Memory grows with the number of distinct stacks, not of goroutines: a goroutine is counted
into its group (keyed by state and call sites) and forgotten; its frames are parsed only
when it opens a new group. A plain dump is read in chunks and cut at "\\ngoroutine ": a
goroutine whose lines alternate function / tab-indented location (nearly all of them) is
grouped from its location lines alone; anything else goes through the line-by-line state
machine, which knows every form (journal, syslog, logrus, pprof debug=1, crash tracebacks).
"""
from __future__ import annotations

import functools
import itertools
import os

from . import lines as L
from .machine import Group, LineMachine, _Goroutine, _Ids

CHUNK = 1 << 20


class Cancelled(Exception):
    """The reader was told to stop (the viewer closed while it was reading)."""


class Reader(LineMachine):
    """Feed it files (or text); it keeps dumps, groups, skipped-line counts and lock data."""

    # ---- input ------------------------------------------------------------------------------

    def feed_file(self, path: str, progress=None, cancelled=None, parallel: bool = False) -> None:
        """Stream PATH. PROGRESS(done_bytes, total_bytes) after each chunk; CANCELLED() -> True
        stops with Cancelled. PARALLEL: a big plain dump is read in two halves at once (fork:
        only from a process with no other threads, as the command line is)."""
        total = os.path.getsize(path)
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            head = f.read(CHUNK)
            self._start_file(os.path.basename(path))
            if L.prefixed(head.splitlines()[:200]):
                f.seek(0)
                done = 0
                for n, line in enumerate(f):
                    done += len(line)
                    self._prefixed_line(line)
                    if n & 0xffff == 0xffff:
                        self._tick(progress, cancelled, done, total)
            elif parallel and self._parallel(path, total, progress, cancelled):
                return
            else:
                self._plain(itertools.chain([head], iter(functools.partial(f.read, CHUNK), "")),
                            progress, cancelled, total)
        self._end_file()

    def feed_text(self, text: str, name: str = "<text>") -> None:
        self._start_file(name)
        sample = text[:CHUNK].splitlines()[:200]
        if L.prefixed(sample):
            for line in text.splitlines():
                self._prefixed_line(line)
        else:
            self._plain([text], None, None, len(text))
        self._end_file()

    def _tick(self, progress, cancelled, done, total) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()
        if progress is not None:
            progress(done, total)

    def _start_file(self, name: str) -> None:
        self._file = name
        self._reset_file()

    def _end_file(self) -> None:
        self._finish()
        self._close_dump()

    def _plain(self, chunks, progress, cancelled, total, done: int = 0) -> None:
        """CHUNKS (str) cut just before a "goroutine " line; each piece into goroutine blocks."""
        pending = ""
        chunks = iter(chunks)
        chunk = next(chunks, "")
        while True:
            pending += chunk
            done += len(chunk)
            chunk = next(chunks, "")
            if chunk:
                cut = pending.rfind("\ngoroutine ")
                if cut < 0:
                    if len(pending) > 4 * CHUNK:    # no goroutine for a long way: its lines now
                        cut = pending.rfind("\n")
                        self._lines(pending[:cut])
                        pending = pending[cut + 1:]
                    continue
                ready, pending = pending[:cut + 1], pending[cut + 1:]
            else:
                ready, pending = pending, ""
            parts = ("\n" + ready).split("\ngoroutine ")
            if parts[0]:
                self._lines(parts[0][1:])
            last = len(parts) - 2
            for j, p in enumerate(parts[1:]):
                start = self._line
                self._block(p)
                # the "\n" cut off before the next "goroutine " ended this block's last line
                self._line = start + p.count("\n") + (j < last or not p.endswith("\n"))
            if not chunk:
                return
            self._tick(progress, cancelled, done, total)

    def _prefixed_line(self, raw: str) -> None:
        self._line += 1
        raw = raw.rstrip("\r\n")
        parts = L.strip(raw)
        if parts is None:
            self.line(raw)          # a line pasted without its prefix
            return
        time, tag, msg = parts
        if self._tag is not None and tag != self._tag and not msg.startswith(("goroutine ", L.BEGIN)) \
                and L.BEGIN not in msg:
            self._skip("a line from another process", raw)
            return
        self._time = time
        self.line(msg, tag)

    # ---- the fast path ----------------------------------------------------------------------

    def _block(self, p: str) -> None:
        """One goroutine's text after "goroutine " (possibly trailed by non-goroutine lines)."""
        if self._g is not None or self._pp is not None:
            self._finish()
        ls = p.split("\n")
        while ls and not ls[-1]:
            ls.pop()
        n = len(ls)
        hdr = ls[0]
        if n >= 3 and n & 1 and hdr[-2:] == "]:" and not self._closed:
            locs = ls[2::2]
            nl = len(locs)
            jl = "\n".join(locs)
            # every location slot tab-led and no function slot (so no "...elided...", ancestor
            # section, register or blank line shifted them); fp= differs per goroutine
            if jl[:1] == "\t" and jl.count("\n\t") == nl - 1 and p.count("\n\t") == nl and " fp=" not in jl:
                sp = hdr.find(" ")
                b = hdr.find("[", sp)
                gid = hdr[:sp]
                if gid.isdigit() and b > 0:
                    text = hdr[b + 1:-2]
                    st = self._states.get(text) or self._state(text)
                    self._line += 1                     # the header's line
                    self._fast(int(gid), st, jl, ls)
                    return
        self._lines("goroutine " + p)

    def _fast(self, gid: int, st: tuple[str, int], locs: str, ls: list[str]) -> None:
        """Count a simple goroutine (LS: its lines) into its group; parse it only if new."""
        if self._dump is None or self._dump.kind != "goroutines":
            self._new_dump("lazy" if self._dump is None else "")
        if self._seen.repeat(gid) and gid:                # a second dump in the same file
            self._new_dump("goroutine ids repeat")
            self._seen.repeat(gid)
        key = (st[0], locs)
        grp = self._by.get(key)
        if grp is None:
            funcs = ls[1::2]
            g = _Goroutine(gid, st[0], st[1])
            g.funcs = [f for f in funcs if not f.startswith("created by ")]
            g.locs = [x for f, x in zip(funcs, locs.split("\n")) if not f.startswith("created by ")]
            if funcs[-1].startswith("created by "):
                g.created_by = funcs[-1][11:].split(" in goroutine ")[0]
            grp = self._group(key, g)
        grp.count += 1
        self._dump.goroutines += 1
        if st[1] > grp.max_wait:
            grp.max_wait = st[1]
        if len(grp.ids) < 20:
            grp.ids.append(gid)
        if grp.track:
            self.locks.goroutine(grp, gid, ls[1::2], st[1])

    # ---- two halves at once --------------------------------------------------------------

    def _parallel(self, path: str, total: int, progress, cancelled) -> bool:
        from .parallel import read_halves
        return read_halves(self, path, total, progress, cancelled)

    def merge(self, other: "Reader", lines: int) -> None:
        """Add OTHER, which read the rest of this file from where this reader stopped (LINES
        lines in). Its first dump continues this one's open dump unless something started a
        new dump there (a marker, or a goroutine id this dump already has)."""
        self._finish()
        cont = self._dump is not None and other._first_lazy and other.dumps and \
            not self._seen.overlaps(other._first_ids)
        dmap: dict[int, int] = {}
        for ci, d in enumerate(other.dumps):
            if ci == 0 and cont:
                self._dump.goroutines += d.goroutines
                dmap[0] = len(self.dumps) - 1
                continue
            d.index = sum(1 for x in self.dumps if x.file == d.file)
            dmap[ci] = len(self.dumps)
            self.dumps.append(d)
        target: dict[int, Group] = {}
        for g in other.groups:
            t = self._by.get(g.key) if cont and g.dump == 0 else None
            if t is None:
                g.dump = dmap[g.dump]
                self.groups.append(g)
                t = g
            else:
                t.count += g.count
                t.max_wait = max(t.max_wait, g.max_wait)
                t.ids = (t.ids + g.ids)[:20]
                t.notes += [n for n in g.notes if n not in t.notes]
            target[id(g)] = t
        self.locks.merge(other.locks, {k: target[id(g)] for k, g in other.locks.groups.items()}, dmap)
        self.skipped.update(other.skipped)
        for k, v in other.examples.items():
            self.examples.setdefault(k, v)
        self._dump, self._by, self._seen = None, {}, _Ids()
        self._line = lines
