"""Host text is data: the one boundary every face passes host-controlled text through.

Process names and argv, labels, paths, log lines, pipe bytes and goroutine dumps are written
by whoever runs a container. Shown raw, `\\x1b]0;...\\x07` retitles the operator's terminal,
`\\x1b]52;` writes their clipboard, U+202E reverses what they read, and a name like `[/]` is
markup to Textual. visible() makes every such code point visible as an escape (the way `ps`
shows `?`) and cuts what is too long to show, saying how long it was. It is idempotent:
what it returns passes through it unchanged (when not cut again)."""
from __future__ import annotations

import json
import re

LIMIT = 2000                    # characters shown of one value (a 1 MB argv is cut, its length said)

# C0 and C1 controls and DEL; format characters (bidi embeddings, overrides and isolates,
# zero-width joiners and spaces, invisible operators, tags, BOM, interlinear annotation);
# line and paragraph separators; lone surrogates (bytes decoded with surrogateescape).
# tests/unit/test_safetext.py checks this covers every Cc, Cf, Zl, Zp and Cs code point.
_INVISIBLE = ("\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
              "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
              "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
              "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\ud800-\udfff")
_BAD = re.compile(f"[{_INVISIBLE}]")
_BAD_MULTILINE = re.compile(f"[{_INVISIBLE.replace(chr(0) + '-' + chr(0x1f), chr(0) + '-' + chr(8) + chr(11) + '-' + chr(0x1f))}]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:           # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{c - 0xDC00:02x}"
    if c <= 0xFF:
        return f"\\x{c:02x}"
    return f"\\u{c:04x}" if c <= 0xFFFF else f"\\U{c:08x}"


def _fit(escaped: str, n: int, limit: int | None) -> str:
    """ESCAPED (the escaped head of a value N characters long) within LIMIT: a short field
    ends in an ellipsis, a long value says how long it was."""
    if limit is None or len(escaped) <= limit and n <= limit:
        return escaped
    if limit < 200:
        return escaped[:max(1, limit - 1)] + "…"
    return f"{escaped[:limit]}… [{n:,} characters, cut]"


def visible(s, limit: int | None = LIMIT) -> str:
    """S as one line of inert text: every control, format or separator character escaped
    (newlines and tabs too), cut at LIMIT characters with the whole length said."""
    if not isinstance(s, str):
        s = "" if s is None else str(s)
    head = s if limit is None else s[:limit]          # escaping only grows: never scan a 1 MB argv
    if _BAD.search(head):
        head = _BAD.sub(_escape, head)
    return _fit(head, len(s), limit)


def visible_lines(s, limit: int | None = None) -> str:
    """Like visible(), for text that is lines (logs, pipe bytes, dumps): newlines and tabs
    stay, everything else that a terminal would act on is escaped."""
    if not isinstance(s, str):
        s = "" if s is None else str(s)
    head = s if limit is None else s[:limit]
    if _BAD_MULTILINE.search(head):
        head = _BAD_MULTILINE.sub(_escape, head)
    return _fit(head, len(s), limit)


def decode(b: bytes, limit: int | None = None) -> str:
    """Bytes from the host (pipe contents, file heads) as inert lines: invalid UTF-8 as \\xNN."""
    return visible_lines(b.decode("utf-8", "surrogateescape"), limit)


def json_dumps(obj, **kw) -> str:
    """JSON that keeps every value exact but is inert on a terminal: json escapes C0 controls,
    not DEL, C1 controls, bidi overrides or separators; those are written as \\uXXXX (they can
    only stand inside strings, so the document means the same)."""
    text = json.dumps(obj, ensure_ascii=False, **kw)
    # newlines and tabs outside strings are the layout; inside strings json escaped them
    return _BAD_MULTILINE.sub(_json_escape, text)


def _json_escape(m: re.Match) -> str:
    c = ord(m.group())
    if c <= 0xFFFF:
        return f"\\u{c:04x}"
    c -= 0x10000                                 # beyond the BMP: JSON writes a surrogate pair
    return f"\\u{0xD800 + (c >> 10):04x}\\u{0xDC00 + (c & 0x3FF):04x}"


# what Markdown acts on inside a line (values never start a line: newlines are escaped);
# an underscore inside a word emphasises nothing (pthread_create stays readable)
_MD = re.compile(r"([\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def markdown(s, limit: int | None = LIMIT) -> str:
    """Host text inside Markdown prose: inert (visible()) and with Markdown's own characters
    escaped, so a container name cannot make a link, an image, a heading or HTML."""
    return _MD.sub(r"\\\1", visible(s, limit))


def markdown_code(s, limit: int | None = LIMIT) -> str:
    """Host text as a Markdown code span: fenced by more backticks than it holds in a row."""
    v = visible(s, limit)
    run = max((len(r) for r in re.findall("`+", v)), default=0)
    fence = "`" * (run + 1)
    pad = " " if v.startswith("`") or v.endswith("`") else ""
    return f"{fence}{pad}{v}{pad}{fence}"


def has_raw_control(s: str) -> bool:
    """True when S holds a character a terminal could act on, beyond newline and tab."""
    return bool(_BAD_MULTILINE.search(s))


class InertStream:
    """A text stream that passes everything through visible_lines(): the CLI's stdout and
    stderr, so no text output (snapshot, diagnose, stacks, fix, report, check) can write an
    escape sequence to the operator's terminal, whatever a face forgot. Carriage returns stay
    on stderr only (progress lines)."""

    def __init__(self, raw, keep_cr: bool = False):
        self._raw, self._keep_cr = raw, keep_cr

    def write(self, s: str) -> int:
        if self._keep_cr and "\r" in s:
            self._raw.write("\r".join(visible_lines(part) for part in s.split("\r")))
        else:
            self._raw.write(visible_lines(s))
        return len(s)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):                 # flush, fileno, isatty, encoding, buffer ...
        return getattr(self._raw, name)
