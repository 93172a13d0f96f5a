"""What the commands share: the live source from the options, recordings by path or name,
the not-root warning, the app's exit code."""
from __future__ import annotations

import os
import sys

from ..errors import DataError

EXIT_DATA = DataError.code   # a run that found unusable input (verify-incident)


def _live_source(args):
    from ..collect.engines_options import EngineAddresses
    return EngineAddresses.from_args(args).source()


def _resolve(path: str) -> str:
    """A file, a capture's incident directory (its recording.hcrec), or the name of a bundled
    incident (seed-000, lab-stuck-pipe)."""
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "recording.hcrec")):
        return os.path.join(path, "recording.hcrec")
    if os.path.exists(path):
        return path
    from ..incidents import find
    inc = find(path)
    return inc.path if inc else path


def _open_recording(path: str, salvage: bool = False):
    from ..record.fileformat import Recording, RecordingError
    path = _resolve(path)
    try:
        return Recording(path, salvage=salvage)
    except RecordingError as e:
        raise DataError(str(e)) from None


def _warn_degraded() -> None:
    if os.geteuid() != 0:
        print("hangconsole: not root: other users' fds, syscalls and kernel stacks are hidden; "
              "running degraded (no actions)", file=sys.stderr)


def _stack_files(source) -> list[str]:
    """Goroutine dumps that belong to a bundled incident (seed-000-dockerd-goroutines.txt...)."""
    name = (getattr(source, "recording", None) and source.recording.header.get("incident")) or ""
    if not name:
        return []
    from ..incidents import HERE
    return sorted(os.path.join(HERE, f) for f in os.listdir(HERE)
                  if f.startswith(name + "-") and f.endswith((".txt", ".log")))


def _after_app(app) -> int:
    """The terminal is restored by now: a crash is one line, with where its report is."""
    if app.crash is None:
        return app.return_code or 0
    from ..crash import EXIT_CRASH
    error, path = app.crash
    print(f"hangconsole: the console failed ({type(error).__name__}: {str(error)[:200]}); "
          f"crash report: {path or 'could not be saved'}", file=sys.stderr)
    return EXIT_CRASH
