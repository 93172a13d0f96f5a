"""The console itself, and `train`."""
from __future__ import annotations

import sys

from ..errors import UsageError
from .common import _live_source, _open_recording, _warn_degraded, _stack_files, _after_app


def cmd_console(args) -> int:
    if args.replay:
        from ..sources import ReplaySource
        source = ReplaySource(_open_recording(args.replay, args.salvage))
    else:
        if not sys.stdout.isatty():
            raise UsageError("the console needs a terminal; use `hangconsole snapshot` for text output")
        _warn_degraded()
        source = _live_source(args)
        source.prefetch()          # the first snapshot overlaps the UI's import
    if not sys.stdout.isatty():    # a replay needs a terminal too
        raise UsageError("the console needs a terminal; use `hangconsole snapshot --replay` for text output")
    from ..screens.app import HangConsoleApp
    app = HangConsoleApp(source, interval=args.interval, stack_files=_stack_files(source))
    app.run()
    source.close()
    return _after_app(app)


def cmd_train(args) -> int:
    from ..incidents import catalog, find
    if args.incident:
        inc = find(args.incident)
        if inc is None:
            raise UsageError(f"no incident {args.incident!r}: `hangconsole train` lists them")
    if args.list or not sys.stdout.isatty():
        from ..incidents import shown_name, symptom
        for i in ([inc] if args.incident else catalog()):      # a lab capture's name is its answer
            print(f"{shown_name(i, args.reveal):<22} {symptom(i)}"
                  + (f"   [{i.expect}: {i.title}]" if args.reveal else ""))
        return 0
    from ..screens.app import HangConsoleApp
    from ..screens.exercises import incident_dumps
    if not args.incident:
        app = HangConsoleApp(None, pick_incident=True, reveal=args.reveal)
        app.run()
        return _after_app(app)
    from ..sources import ReplaySource
    from ..training import TrainingSession
    src = ReplaySource(_open_recording(inc.path))
    app = HangConsoleApp(src, training=TrainingSession(inc), stack_files=incident_dumps(inc.name, training=True))
    app.run()
    return _after_app(app)
