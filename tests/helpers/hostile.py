"""Host text written by someone hostile (or just odd): markup, escape sequences that retitle
the terminal, clear it, write the clipboard or plant links, bidi overrides, C1 controls, lone
surrogates (bytes that were not UTF-8), and very long values. taint() puts them into every
text field of a snapshot that comes from the host, so every face can be tried on them."""
from __future__ import annotations

import dataclasses

from hangconsole import model as m

TITLE = "\x1b]0;PWNED\x07"                       # retitles the terminal
HOSTILE = [
    "[/]",                                          # closes a tag that is not open: MarkupError
    "[b]bold[/b] [link=http://evil]x[/link] [@click=app.quit]q[/]",
    TITLE,
    "\x1b[2J\x1b[H",                                # clears the screen
    "\x1b]52;c;cHduZWQ=\x07",                       # sets the clipboard (OSC 52)
    "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",  # a hyperlink
    "\u202egnp.exe",                                # right-to-left override
    "\x9b31mred",                                   # C1 CSI
    "tab\there\rcr\x00nul\x7fdel",
    "\udcff\udcfe",                                 # not UTF-8 (surrogateescape)
    "\u2066iso\u2069\u200bzw",
]
BAD = ("\x1b", "\x07", "\x9b", "\u202e", "\x00", "\x7f", "\u2066", "\u200b", "\r")
SUFFIX = "".join(HOSTILE)

# fields whose text comes from the host, by dataclass
TEXT = {m.Process: ("comm", "argv", "cgroup", "frozen_by"), m.Thread: ("wchan", "stack"),
        m.Fd: ("target",), m.Syscall: ("fd_target", "argtext"), m.PipeEnd: ("comm",),
        m.Pipe: ("path", "peek"), m.CgroupLevel: ("path",), m.Container: ("bundle", "image"),
        m.DockerInfo: ("name", "image", "status"), m.PodInfo: ("name", "namespace", "container"),
        m.KernelLogLine: ("text",), m.Probe: ("error", "said"), m.HostSnapshot: ("hostname", "kernel", "degraded")}


def _t(v, long: bool):
    if isinstance(v, str):
        return v + SUFFIX + ("x" * 200_000 if long else "")
    if isinstance(v, list):
        return [_t(x, long) for x in v] if v and isinstance(v[0], str) else v
    return v


def taint(obj, long: bool = False):
    """OBJ (a snapshot) with the hostile suffix on every host text field, in place; LONG adds
    200,000 characters to each."""
    if isinstance(obj, list):
        for x in obj:
            taint(x, long)
        return obj
    if not dataclasses.is_dataclass(obj):
        return obj
    names = TEXT.get(type(obj), ())
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if f.name in names and v is not None:
            setattr(obj, f.name, _t(v, long))
        elif dataclasses.is_dataclass(v) or isinstance(v, list):
            taint(v, long)
        elif isinstance(v, dict) and f.name == "labels":
            setattr(obj, f.name, {k + SUFFIX: _t(x, long) for k, x in v.items()})
    return obj


def hostile_recording(src: str, dst: str, long: bool = False) -> str:
    """The recording SRC rewritten to DST with every frame tainted."""
    from hangconsole.record.fileformat import Recording, RecordingWriter
    rec = Recording(src)
    with RecordingWriter(dst, redacted=False) as w:
        for i in range(len(rec)):
            w.write(taint(rec.frame(i), long))
    return dst


def raw_controls(text: str) -> list[str]:
    """The characters of TEXT a terminal would act on (newline and tab aside)."""
    return sorted({c for c in text if c in BAD or 0x80 <= ord(c) <= 0x9f or 0xd800 <= ord(c) <= 0xdfff})
