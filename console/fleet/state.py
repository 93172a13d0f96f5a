"""The check's state between runs: the last sample, the verdict taken from it, when the last
good run was, run counts. One gzipped JSON file under the state directory, written to a
temporary name and renamed; a lock file serialises runs (NPD runs rules concurrently)."""
from __future__ import annotations

import errno
import fcntl
import gzip
import json
import os
import time

VERSION = 1
FILE = "check-state.json.gz"


def state_dir(explicit: str | None = None, env: dict[str, str] | None = None,
              euid: int | None = None) -> str:
    """--state-dir, else $HANGCONSOLE_STATE_DIR, else /var/lib/hangconsole for root, else
    $XDG_STATE_HOME/hangconsole (default ~/.local/state/hangconsole)."""
    env = os.environ if env is None else env
    if explicit:
        return explicit
    if env.get("HANGCONSOLE_STATE_DIR"):
        return env["HANGCONSOLE_STATE_DIR"]
    if (os.geteuid() if euid is None else euid) == 0:
        return "/var/lib/hangconsole"
    base = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"),
                                                     ".local", "state")
    return os.path.join(base, "hangconsole")


class Lock:
    """An flock on DIR/check.lock, waited for until a deadline (monotonic), never past it."""

    def __init__(self, directory: str):
        os.makedirs(directory, exist_ok=True)
        self.fd = os.open(os.path.join(directory, "check.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def acquire(self, deadline: float) -> bool:
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def release(self) -> None:
        os.close(self.fd)


def load(directory: str) -> dict | None:
    """The stored state, or None when absent, unreadable, damaged or of another version."""
    try:
        with gzip.open(os.path.join(directory, FILE), "rt") as f:
            data = json.load(f)
    except (OSError, EOFError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def save(directory: str, data: dict) -> None:
    os.makedirs(directory, exist_ok=True)
    data = dict(data, version=VERSION)
    tmp = os.path.join(directory, f".{FILE}.{os.getpid()}.tmp")
    with gzip.open(tmp, "wt", compresslevel=3) as f:
        json.dump(data, f, separators=(",", ":"))
    os.replace(tmp, os.path.join(directory, FILE))
