"""Read goroutine dumps as a stream and group them while reading.

Memory grows with the number of distinct stacks, not of goroutines: a goroutine is counted
into its group (keyed by state and call sites) and forgotten; its frames are parsed only
when it opens a new group. A plain dump is read in chunks and cut at "\\ngoroutine ": a
goroutine whose lines alternate function / tab-indented location (nearly all of them) is
grouped from its location lines alone; anything else goes through the line-by-line state
machine, which knows every form (journal, syslog, logrus, pprof debug=1, crash tracebacks).

The same plain-dump loop exists twice: here in Python (the reference, and the fallback), and
in C (`_scan.c`, built with the package when a compiler is there), which runs the fast path
on the file's bytes and hands every block it does not take to the same Python methods, so
the two give the same result (tests/unit/test_stacks.py runs both on every dump the tests
make). HANGCONSOLE_STACKS_PYTHON=1, or Reader(c=False), reads with Python alone.
"""
from __future__ import annotations

import codecs
import importlib
import os

from . import lines as L
from .machine import Group, LineMachine, _Goroutine, _Ids

CHUNK = 1 << 20
STALL = 4           # chunks without a goroutine header before their lines are read anyway

try:
    _scan = importlib.import_module(__package__ + "._scan")
    _WHY_NOT = ""
except ModuleNotFoundError:         # no compiler when the package was built: Python alone
    _scan, _WHY_NOT = None, "the C scanner is not built"
except ImportError as e:            # built for another Python, or broken
    _scan, _WHY_NOT = None, f"the C scanner does not load: {e}"

C_SCANNER = "the C scanner"


def scanner() -> str:
    """Which path reads a plain dump here: "the C scanner", or "Python (why)"."""
    if _scan is None:
        return f"Python ({_WHY_NOT})"
    if os.environ.get("HANGCONSOLE_STACKS_PYTHON"):
        return "Python (HANGCONSOLE_STACKS_PYTHON is set)"
    return C_SCANNER


def byte_chunks(f, left: int | None = None):
    """F's bytes in CHUNK pieces (all full but the last: both paths cut at the same places),
    up to LEFT bytes. One buffer, reused: a consumer uses each piece before the next."""
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while left is None or left > 0:
        want = CHUNK if left is None else min(CHUNK, left)
        n = f.readinto(view[:want])
        if not n:
            return
        if left is not None:
            left -= n
        yield view[:n]


def decoded(chunks):
    """Byte CHUNKS as text, one piece per chunk (the last one decoded as final), so the
    Python path cuts where the C scanner does."""
    dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
    prev = None
    for b in chunks:
        if prev is not None:
            yield prev
        prev = dec.decode(b)
    tail = dec.decode(b"", final=True)
    if prev is not None or tail:
        yield (prev or "") + tail


class Cancelled(Exception):
    """The reader was told to stop (the viewer closed while it was reading)."""


class Reader(LineMachine):
    """Feed it files (or text); it keeps dumps, groups, skipped-line counts and lock data.
    C: read plain dumps with the C scanner (None: when it is built and
    HANGCONSOLE_STACKS_PYTHON is not set; False: Python alone)."""

    def __init__(self, c: bool | None = None):
        super().__init__()
        if c is None:
            c = scanner() == C_SCANNER
        elif c and _scan is None:
            raise RuntimeError(_WHY_NOT)
        self.c = c
        self.read_by: dict[str, list[str]] = {}     # how a plain dump was read -> its files

    # ---- input ------------------------------------------------------------------------------

    def feed_file(self, path: str, progress=None, cancelled=None, parallel: bool = False) -> None:
        """Stream PATH. PROGRESS(done_bytes, total_bytes) after each chunk; CANCELLED() -> True
        stops with Cancelled. PARALLEL: a big plain dump is read in two halves at once (fork:
        only from a process with no other threads, as the command line is)."""
        total = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(CHUNK)
            self._start_file(os.path.basename(path))
            if L.prefixed(head.decode("utf-8", "replace").splitlines()[:200]):
                self._read_by("Python (journal/syslog lines, line by line)")
                with open(path, encoding="utf-8", errors="replace", newline="") as t:
                    done = 0
                    for n, line in enumerate(t):
                        done += len(line)
                        self._prefixed_line(line)
                        if n & 0xffff == 0xffff:
                            self._tick(progress, cancelled, done, total)
            elif parallel and self._parallel(path, total, progress, cancelled):
                return
            else:
                self._plain_range(f, 0, None, progress, cancelled, total)
        self._end_file()

    def feed_text(self, text: str, name: str = "<text>") -> None:
        self._start_file(name)
        sample = text[:CHUNK].splitlines()[:200]
        if L.prefixed(sample):
            self._read_by("Python (journal/syslog lines, line by line)")
            for line in text.splitlines():
                self._prefixed_line(line)
        else:
            data = None
            if self.c:
                try:
                    data = text.encode("utf-8")      # lone surrogates: only Python reads them as they are
                except UnicodeEncodeError:
                    pass
            if data is None:
                self._read_by("Python (lone surrogates in the text)" if self.c else self._python_why())
                self._plain([text], None, None, len(text))
            else:
                self._read_by(C_SCANNER)
                sc = _scan.Scanner(self)
                sc.feed(data)
                sc.finish()
        self._end_file()

    def _read_by(self, how: str) -> None:
        files = self.read_by.setdefault(how, [])
        if self._file not in files:
            files.append(self._file)

    def _python_why(self) -> str:
        how = scanner()
        return "Python (asked for)" if how == C_SCANNER else how

    def _plain_range(self, f, start: int, end: int | None, progress, cancelled, total, done: int = 0,
                     header_next: bool = False) -> None:
        """A plain dump in the binary file F from START to END (None: its end), in CHUNK
        pieces: by the C scanner, or decoded and read by _plain. HEADER_NEXT: a goroutine
        header follows END (see _plain)."""
        if not self.c:
            self._read_by(self._python_why())
            f.seek(start)
            self._plain(decoded(byte_chunks(f, None if end is None else end - start)),
                        progress, cancelled, total, done, header_next)
            return
        self._read_by(C_SCANNER)
        sc = _scan.Scanner(self)
        fd, off = f.fileno(), start
        while end is None or off < end:
            n = sc.read(fd, off, CHUNK if end is None else min(CHUNK, end - off))
            if not n:
                break
            off += n
            done += n
            self._tick(progress, cancelled, done, total)
        sc.finish(header_next)

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

    def _plain(self, chunks, progress, cancelled, total, done: int = 0, header_next: bool = False) -> None:
        """CHUNKS (str) cut just before a "goroutine " line; each piece into goroutine blocks.
        HEADER_NEXT: the text was cut just before a goroutine header (the first half of a file read
        in two): its last newline ends its last block as that header would, so the lines
        counted are its newlines. _scan.c's Scanner.feed/finish is this loop in C, step for
        step."""
        pending = ""
        stalled = 0
        chunks = iter(chunks)
        chunk = next(chunks, "")
        while True:
            pending += chunk
            done += len(chunk)
            chunk = next(chunks, "")
            if chunk:
                cut = pending.rfind("\ngoroutine ")
                if cut < 0:
                    stalled += 1
                    if stalled >= STALL:        # no goroutine for a long way: its lines now
                        cut = pending.rfind("\n")
                        if cut < 0:             # a line this long is read in pieces
                            cut = len(pending)
                        self._lines(pending[:cut])
                        pending = pending[cut + 1:]
                        stalled = 0
                        self._tick(progress, cancelled, done, total)
                    continue
                stalled = 0
                ready, pending = pending[:cut + 1], pending[cut + 1:]
            else:
                ready, pending = pending, ""
                if header_next and ready.endswith("\n"):
                    ready = ready[:-1]
                else:
                    header_next = False
            parts = ("\n" + ready).split("\ngoroutine ")
            if parts[0]:
                self._lines(parts[0][1:])
            last = len(parts) - 2 + (header_next and not chunk)
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
        hdr = ls[0] if ls else ""                   # "goroutine " and nothing after it
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
                if gid.isdecimal() and b > 0:           # what int() reads (not "²")
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
        grp = self._by.get((st[0], locs)) or self._fast_group(gid, st, ls, locs)
        grp.count += 1
        self._dump.goroutines += 1
        if st[1] > grp.max_wait:
            grp.max_wait = st[1]
        if len(grp.ids) < 20:
            grp.ids.append(gid)
        if grp.track:
            self.locks.goroutine(grp, gid, ls[1::2], st[1])

    def _fast_group(self, gid: int, st: tuple[str, int], ls: list[str], locs: str | None = None) -> Group:
        """The group of a simple goroutine (LS: its lines) that no goroutine before it in this
        dump opened as far as the caller knows: found by its key, else made from its frames.
        The C scanner calls it for a stack it has not seen (its bytes may differ, and decode
        the same)."""
        if locs is None:
            locs = "\n".join(ls[2::2])
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
        return grp

    def _state_of(self, text: str) -> tuple[str, int]:
        return self._states.get(text) or self._state(text)

    # ---- two halves at once --------------------------------------------------------------

    def _parallel(self, path: str, total: int, progress, cancelled) -> bool:
        from .parallel import read_halves
        return read_halves(self, path, total, progress, cancelled)

    def merge(self, other: "Reader", lines: int, base: int = 0) -> None:
        """Add OTHER, which read the rest of this file from where this reader stopped, BASE
        lines in (OTHER counted from 0 there, up to LINES). Its first dump continues this
        one's open dump unless something started a new dump there (a marker, or a goroutine
        id this dump already has)."""
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
            d.line += base
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
        for k, (f, n, text) in other.examples.items():
            self.examples.setdefault(k, (f, n + base, text))
        for how, files in other.read_by.items():
            mine = self.read_by.setdefault(how, [])
            mine += [f for f in files if f not in mine]
        self._dump, self._by, self._seen = None, {}, _Ids()
        self._line = base + lines
