"""`diagnose` and `stacks`."""
from __future__ import annotations

import os
import sys

from ..errors import DataError, Unknown
from ..safetext import json_dumps
from .common import _live_source, _resolve, _after_app


def cmd_diagnose(args) -> int:
    from ..diagnose import report
    from ..diagnose.history import History
    if (args.samples is not None and args.samples < 1) or args.interval < 0:
        raise Unknown("--samples must be at least 1 and --interval not negative")
    try:
        if args.replay:
            from ..record.fileformat import Recording, RecordingError
            try:
                rec = Recording(_resolve(args.replay), salvage=args.salvage)
                n = min(len(rec), args.samples or 10)
                history = History([rec.frame(i) for i in range(len(rec) - n, len(rec))])
            except RecordingError as e:
                raise Unknown(str(e)) from None
        else:
            src = _live_source(args)
            try:
                history = report.sample_live(src, args.samples or report.DEFAULT_SAMPLES, args.interval)
            finally:
                src.close()
    except OSError as e:
        raise Unknown(f"cannot sample the host: {e}") from None
    try:
        extra, notes = report.gather_extra(args.stacks, args.kubelet_log, args.drained,
                                           _resolve(args.replay) if args.replay else None)
    except OSError as e:
        raise Unknown(f"cannot read {e.filename}: {e.strerror}") from None
    history.latest.degraded.extend(notes)
    findings = report.diagnose(history, extra)
    status, code = report.verdict(findings)
    reason = report.unknown_reason(history)
    d = history.latest.docker
    named = not args.replay and not args.no_docker and (args.docker_host or os.environ.get("DOCKER_HOST"))
    if named and d is not None and d.reachable is None:      # a typo must not read as all-clear
        reason = f"the Docker daemon named ({d.host}) cannot be reached: {d.note or 'no socket'}"
    if reason and code < 2:
        status, code = "UNKNOWN", 3
    if args.json:
        print(json_dumps(report.as_json(history, findings, status, code, reason), indent=1))
    else:
        print(report.as_text(history, findings, status, reason))
    return code


def cmd_stacks(args) -> int:
    from .. import stacks
    tui = not args.text and sys.stdout.isatty()
    for path in args.files:
        try:
            if tui:                         # the viewer reads them, off its UI thread
                open(path, "rb").close()
            else:
                print(f"== {path}\n{stacks.render(stacks.summarise(path, parallel=True))}")
        except OSError as e:
            raise DataError(f"cannot read {path}: {e.strerror}") from None
        except stacks.StackError as e:
            raise DataError(f"{path}: {e}") from None
    if tui:
        from ..screens.stacks import StacksApp
        app = StacksApp(list(args.files))
        app.run()
        return _after_app(app)
    return 0
