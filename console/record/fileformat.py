"""The recording file: one gzip stream of JSON lines (see docs/recording-format.md).

    {"format": "hangconsole-recording", "version": 1, ...}     header
    {"frame": 0, "t": <epoch>, "snapshot": {...}}               one line per frame
    {"end": true, "frames": N}                                  footer

Each frame is flushed (Z_SYNC_FLUSH) as it is written, so a recorder killed mid-way loses
only the frame it was writing; the reader says so (and `--salvage` replays what is whole).
"""
from __future__ import annotations

import json
import os
import re
import threading
import zlib
from collections import OrderedDict

from .. import __version__
from ..model import HostSnapshot
from . import codec
from .redact import redact

FORMAT = "hangconsole-recording"
_FRAME = re.compile(rb'^\{"frame":\d+,"t":(-?[0-9][0-9.eE+-]*),"snapshot":\{')
VERSION = 1


class RecordingError(Exception):
    """A recording that cannot be read; str() is the one-line message for the operator."""


class RecordingWriter:
    def __init__(self, path: str, *, redacted: bool = True, note: str | None = None,
                 meta: dict | None = None):
        self.path = path
        self.redacted = redacted
        self.frames = 0
        self._f = open(path, "wb")
        self._z = zlib.compressobj(6, zlib.DEFLATED, 31)   # wbits 31: a gzip stream
        header = {"format": FORMAT, "version": VERSION, "hangconsole": __version__,
                  "redacted": redacted, "note": note, **(meta or {})}
        self._line(header)

    def _line(self, obj) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
        self._f.write(self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH))
        self._f.flush()

    def write(self, snap: HostSnapshot) -> None:
        if self.redacted:
            snap = redact(snap)
        self._line({"frame": self.frames, "t": snap.taken_at, "snapshot": codec.encode(snap)})
        self.frames += 1

    def close(self) -> None:
        if self._f.closed:
            return
        self._line({"end": True, "frames": self.frames})
        self._f.write(self._z.flush(zlib.Z_FINISH))
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _lines(path: str) -> tuple[list[bytes], str | None]:
    """The JSON lines of the stream, and a reason if the stream ends early or is damaged."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise RecordingError(f"cannot read {path}: {e.strerror}") from None
    if not raw:
        raise RecordingError(f"{path}: empty file, not a hangconsole recording")
    if raw[:2] != b"\x1f\x8b":
        raise RecordingError(f"{path}: not a hangconsole recording (not gzip-compressed)")
    d = zlib.decompressobj(31)
    try:
        data = d.decompress(raw)
    except zlib.error as e:
        # keep whatever decompressed before the damage
        return _split(_partial(raw)), f"corrupt ({e})"
    if not d.eof:
        return _split(data), "truncated"
    return _split(data), None


def _partial(raw: bytes) -> bytes:
    d = zlib.decompressobj(31)
    out, step = [], 4096
    for i in range(0, len(raw), step):
        try:
            out.append(d.decompress(raw[i:i + step]))
        except zlib.error:
            break
    return b"".join(out)


def _split(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        lines.pop()               # a last line without its newline was cut mid-write
    return lines


class Recording:
    """A recording opened for replay. Frames are decoded on demand (a few kept)."""

    def __init__(self, path: str, *, salvage: bool = False):
        self.path = path
        lines, damage = _lines(path)
        if not lines:
            raise RecordingError(f"{path}: not a hangconsole recording (no header)")
        try:
            self.header = json.loads(lines[0])
        except ValueError:
            raise RecordingError(f"{path}: not a hangconsole recording (bad header)") from None
        if not isinstance(self.header, dict) or self.header.get("format") != FORMAT:
            raise RecordingError(f"{path}: not a hangconsole recording (gzip file of another kind)")
        version = self.header.get("version")
        if not isinstance(version, int) or version < 1:
            raise RecordingError(f"{path}: recording has no valid format version")
        if version > VERSION:
            raise RecordingError(f"{path}: recording format version {version} is newer than this "
                                 f"hangconsole reads ({VERSION}); upgrade hangconsole")
        self._raw: list[bytes] = []
        self.times: list[float] = []
        footer = None
        for n, line in enumerate(lines[1:], start=1):
            fast = _FRAME.match(line)        # frames are validated by shape here, decoded later
            if fast and line.endswith(b"}}"):
                self._raw.append(zlib.compress(line, 1))
                self.times.append(float(fast.group(1)))
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                damage = damage or f"corrupt (line {n + 1} is not JSON)"
                break
            if isinstance(obj, dict) and obj.get("end"):
                footer = obj
                break
            if not isinstance(obj, dict) or not isinstance(obj.get("snapshot"), dict) \
                    or not isinstance(obj.get("t"), (int, float)):
                damage = damage or f"corrupt (line {n + 1} is not a frame)"
                break
            self._raw.append(zlib.compress(line, 1))
            self.times.append(float(obj["t"]))
        if footer is None and damage is None:
            damage = "truncated"
        if footer is not None and footer.get("frames") != len(self._raw):
            damage = damage or "corrupt (frame count does not match the footer)"
        self.damage = damage
        if damage and not salvage:
            raise RecordingError(f"{path}: {damage} recording: {len(self._raw)} complete frames "
                                 f"before the damage (--salvage replays them)")
        if not self._raw:
            raise RecordingError(f"{path}: recording holds no frames")
        self._cache: OrderedDict[int, HostSnapshot] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._raw)

    def frame(self, i: int) -> HostSnapshot:
        with self._lock:                     # the console's loader threads share the cache
            if i in self._cache:
                self._cache.move_to_end(i)
                return self._cache[i]
        try:
            obj = json.loads(zlib.decompress(self._raw[i]))
            snap = codec.decode(HostSnapshot, obj["snapshot"])
        except (ValueError, KeyError, TypeError, codec.FormatError) as e:
            raise RecordingError(f"{self.path}: frame {i} is damaged: {e}") from None
        with self._lock:
            self._cache[i] = snap
            if len(self._cache) > 8:
                self._cache.popitem(last=False)
        return snap

    def frames(self):
        for i in range(len(self)):
            yield self.frame(i)
