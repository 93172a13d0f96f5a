"""A big plain dump read in two halves at once, on two cores: this process reads the first
half, a forked child the second, cut just before a goroutine header; the child sends back
its reader (groups, dumps, skipped lines, lock data: kilobytes) and it is merged in.

fork, not a process pool: nothing to import again, nothing to pickle on the way in, and the
command line that uses it has no other threads. The viewer reads in a thread worker and
does not use it."""
from __future__ import annotations

import gc
import marshal
import os
import pickle
import signal

MIN_BYTES = 64 << 20          # below this a second process costs more than it saves


def _split(path: str, size: int) -> int | None:
    """The offset of a goroutine header near the middle of PATH."""
    with open(path, "rb") as f:
        f.seek(size // 2)
        buf = f.read(4 << 20)
    i = buf.find(b"\ngoroutine ")
    return size // 2 + i + 1 if i >= 0 else None


def _read(reader, path: str, start: int, end: int, progress, cancelled, total: int,
          header_next: bool = False) -> None:
    """PATH's bytes START..END into READER, as a plain dump (HEADER_NEXT: a goroutine header at END)."""
    with open(path, "rb") as f:
        reader._plain_range(f, start, end, progress, cancelled, total, start, header_next)


def read_halves(reader, path: str, total: int, progress, cancelled) -> bool:
    """Read PATH into READER in two processes; False (nothing read) when it cannot be split."""
    if total < MIN_BYTES or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return False
    cut = _split(path, total)
    if cut is None:
        return False
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:                                        # the child: the second half
        code = 1
        try:
            os.close(rfd)
            child = type(reader)(reader.c)          # a fresh reader of the same kind
            child._start_file(os.path.basename(path))       # its lines counted from 0 at the cut
            _read(child, path, cut, total, None, None, total)
            child._end_file()
            # the lock search's addresses (up to 200,000 lists) by marshal: a tenth of pickle's time
            holders, child.locks.holders = child.locks.holders, {}
            with os.fdopen(wfd, "wb") as w:
                pickle.dump((child, child._line, marshal.dumps(holders)), w, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    r = os.fdopen(rfd, "rb")
    try:
        with r:
            _read(reader, path, 0, cut, progress, cancelled, total, header_next=True)
            data = r.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    if status != 0 or not data:                         # the child died: read its half here
        _read(reader, path, cut, total, progress, cancelled, total)
        reader._end_file()
        return True
    gc_was = gc.isenabled()
    gc.disable()                # no cycles in it: 200,000 lock addresses load in a third of the time
    try:
        child, lines, holders = pickle.loads(data)
        child.locks.holders = marshal.loads(holders)
        reader.merge(child, lines, reader._line)   # the newlines before the cut
    finally:
        if gc_was:
            gc.enable()
    reader._end_file()
    if progress is not None:
        progress(total, total)
    return True
