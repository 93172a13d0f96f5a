"""When the console fails anyway: a crash report on disk (traceback, version, what it was
showing), its path printed after the terminal is restored, a non-zero exit."""
from __future__ import annotations

import os
import platform
import sys
import time
import traceback

from . import __version__

EXIT_CRASH = 70                      # sysexits EX_SOFTWARE


def crash_dir() -> str:
    """$HANGCONSOLE_CRASH_DIR, else /var/tmp/hangconsole (kept across reboots, unlike /tmp)."""
    return os.environ.get("HANGCONSOLE_CRASH_DIR") or "/var/tmp/hangconsole"


def save(error: BaseException, source: str = "") -> str | None:
    """Write the crash report; its path, or None when no directory would take it."""
    text = "".join([
        f"hangconsole {__version__} crashed at {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}\n",
        f"python {platform.python_version()} on {platform.platform()}\n",
        f"argv: {sys.argv!r}\n",
        f"showing: {source or 'the live host'}\n\n",
        *traceback.format_exception(type(error), error, error.__traceback__),
    ])
    stamp = f"crash-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    for directory in (crash_dir(), os.path.expanduser("~/.cache/hangconsole")):
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError:
            continue
        for n in range(100):                     # never overwrite another report
            path = os.path.join(directory, f"{stamp}{'-' + str(n) if n else ''}.txt")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError:
                break
            with os.fdopen(fd, "w") as f:
                f.write(text)
            return path
    return None
