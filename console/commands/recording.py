"""`record` and `snapshot`."""
from __future__ import annotations

import signal
import sys
import time

from ..errors import CannotWrite, NoPermission, UsageError
from ..safetext import json_dumps
from .common import _live_source, _open_recording, _warn_degraded


def cmd_record(args) -> int:
    from ..record.fileformat import RecordingWriter
    if args.interval <= 0 or (args.frames is not None and args.frames < 1) or \
            (args.duration is not None and args.duration <= 0):
        raise UsageError("--interval, --frames and --duration must be positive")
    _warn_degraded()
    src = _live_source(args)
    try:
        writer = RecordingWriter(args.output, redacted=not args.no_redact, note=args.note)
    except OSError as e:
        raise (NoPermission if e.errno == 13 else CannotWrite)(f"cannot write {args.output}: {e.strerror}")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *a: stop.update(now=True))
    end = time.monotonic() + args.duration if args.duration else None
    try:
        while not stop["now"]:
            t0 = time.monotonic()
            writer.write(src.snapshot())
            print(f"\rframe {writer.frames}", end="", file=sys.stderr, flush=True)
            if args.frames and writer.frames >= args.frames:
                break
            if end and time.monotonic() >= end:
                break
            time.sleep(max(0.0, args.interval - (time.monotonic() - t0)))
    except KeyboardInterrupt:
        pass
    finally:
        writer.close()
        src.close()
    print(f"\rwrote {writer.frames} frames to {args.output}", file=sys.stderr)
    return 0


def cmd_snapshot(args) -> int:
    from ..record import codec
    from ..views import text_report
    if args.replay:
        rec = _open_recording(args.replay, args.salvage)
        if not 0 <= args.frame < len(rec):
            raise UsageError(f"--frame {args.frame}: the recording has frames 0..{len(rec) - 1}")
        snap = rec.frame(args.frame)
    else:
        _warn_degraded()
        src = _live_source(args)
        snap = src.snapshot()
        src.close()
    if args.json:
        print(json_dumps(codec.encode(snap), indent=1))
    else:
        print(text_report(snap))
    return 0
