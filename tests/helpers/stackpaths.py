"""Both ways of reading a goroutine dump, compared: the C scanner and Python alone.

`both(monkeypatch)` makes every stacks.summarise / summarise_text (and so stacks.load) a
test calls read the input twice, once by each path, and fail unless the two summaries are
the same in every field but `read_by`: dumps, groups in order (counts, waits, ids, frames,
notes, creators, keys), lock links, the longest stuck, skipped lines and their examples,
hints, the rendered text. The C scanner's result is what the test then sees.
Without the C scanner built it does nothing (tests/unit/test_stacks.py says whether CI
built it)."""
from __future__ import annotations

import os

from hangconsole import stacks
from hangconsole.stacks import reader

C_BUILT = reader._scan is not None


def fingerprint(s: stacks.Summary):
    """Everything a summary says, groups by position (links point at them)."""
    pos = {id(g): i for i, g in enumerate(s.groups)}
    return {
        "dumps": [(d.file, d.index, d.kind, d.time, d.line, d.goroutines, d.declared, d.reason) for d in s.dumps],
        "groups": [(g.state, g.funcs, tuple(g.frames), g.count, g.max_wait, tuple(g.ids), g.created_by, g.dump,
                    tuple(g.notes), g.track, g.key) for g in s.groups],
        "links": [(pos[id(lk.waiters)], lk.count, lk.lock, lk.holder and pos[id(lk.holder)], lk.holder_id, lk.how,
                   lk.where, lk.detail) for lk in s.links],
        "longest": [pos[id(g)] for g in s.longest],
        "skipped": s.skipped, "examples": s.skipped_examples, "hints": s.hints, "incomplete": s.incomplete,
        "text": [line for line in stacks.render(s, limit=50).splitlines() if not line.startswith("read by ")],
    }


def _run(fn, *args, **kw):
    try:
        return fn(*args, **kw), None
    except (stacks.StackError, stacks.Cancelled) as e:
        return None, (type(e), str(e))


def same(fn, *args, **kw):
    """FN(*ARGS, **KW) by both paths: the C scanner's summary, checked against Python's
    (without the C scanner built: Python's)."""
    if not C_BUILT:
        return fn(*args, c=False, **kw)
    c, c_err = _run(fn, *args, c=True, **kw)
    py, py_err = _run(fn, *args, c=False, **dict(kw, progress=None) if kw.get("progress") else kw)
    assert c_err == py_err, (c_err, py_err)
    if c_err:
        raise c_err[0](c_err[1])
    fc, fp = fingerprint(c), fingerprint(py)
    for k in fc:
        assert fc[k] == fp[k], f"the C scanner and Python differ in {k}"
    assert "the C scanner" in c.read_by or c.read_by.startswith("Python (journal"), c.read_by
    assert "the C scanner" not in py.read_by, py.read_by
    return c


def both(monkeypatch) -> None:
    """Every summarise / summarise_text from here on runs both paths and compares them."""
    if not C_BUILT or os.environ.get("HANGCONSOLE_STACKS_PYTHON"):
        return
    real_s, real_t = stacks.summarise, stacks.summarise_text

    def summarise(*args, c=None, **kw):
        return real_s(*args, c=c, **kw) if c is not None else same(real_s, *args, **kw)

    def summarise_text(*args, c=None, **kw):
        return real_t(*args, c=c, **kw) if c is not None else same(real_t, *args, **kw)

    monkeypatch.setattr(stacks, "summarise", summarise)
    monkeypatch.setattr(stacks, "summarise_text", summarise_text)
