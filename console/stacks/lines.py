"""Lines as the journal, rsyslog and logrus hand them over, made into the runtime's own lines.

- journald/syslog: every line carries `Oct 27 15:20:23 host dockerd[1748]: ` (or an ISO
  timestamp); rsyslog also writes a tab as `#011`;
- logrus (containerd, a shim): the dump is one `msg="=== BEGIN goroutine stack dump ===\\n..."`
  with escaped newlines, or the same with real newlines across many lines.
"""
from __future__ import annotations

import re

PREFIX = re.compile(
    r"^(?P<time>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?)"
    r"|(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)) "
    r"(?P<host>\S+) (?P<tag>[^\s\[:]+(?:\[\d+\])?): ?")
BEGIN = "=== BEGIN goroutine stack dump ==="
END = "=== END goroutine stack dump ==="
_LOGRUS_TIME = re.compile(r'time="([^"]+)"')
_QUOTED = re.compile(r'((?:[^"\\]|\\.)*)(")?', re.S)


def prefixed(sample: list[str]) -> bool:
    """Whether most lines of SAMPLE carry a journal/syslog prefix."""
    lines = [s for s in sample if s.strip()]
    return bool(lines) and sum(1 for s in lines if PREFIX.match(s)) * 2 >= len(lines)


def strip(line: str) -> tuple[str, str, str] | None:
    """(time, tag, message) of a journal/syslog line, the message with #011 made a tab again."""
    m = PREFIX.match(line)
    if not m:
        return None
    msg = line[m.end():]
    if "#011" in msg:
        msg = msg.replace("#011", "\t")
    return m.group("time"), m.group("tag"), msg


def logrus_time(line: str) -> str:
    m = _LOGRUS_TIME.search(line)
    return m.group(1) if m else ""


def unescape(s: str) -> tuple[str, bool]:
    """A logrus quoted value from just after its opening quote: (value, closed). String
    operations, not a loop per character: the value can be a whole dump."""
    m = _QUOTED.match(s)
    body = m.group(1)
    if "\\" in body:
        body = (body.replace("\\\\", "\x00").replace("\\n", "\n").replace("\\t", "\t")
                .replace('\\"', '"').replace("\\r", "").replace("\x00", "\\"))
    return body, bool(m.group(2))
