"""The kubelet's log lines that say it gave up on the runtime (`PLEG is not healthy`,
`container runtime is down`, `skipping pod synchronization`, inspect timeouts): from a file,
or from the journal, re-read every 30 s on a thread of its own so a snapshot never waits."""
from __future__ import annotations

import re
import shutil
import subprocess
import threading

from ..model import KernelLogLine

_KINDS = [
    ("kubelet-runtime-down", re.compile(r"container runtime is down")),
    ("kubelet-pleg", re.compile(r"PLEG is not healthy")),
    ("kubelet-skipping-sync", re.compile(r"skipping pod synchronization")),
    ("kubelet-runtime-error", re.compile(r"(ContainerInspect|inspect container).*(deadline|timeout|timed out)", re.I)),
]
KEEP = 50
REFRESH = 30.0


def classify(line: str) -> str | None:
    for kind, rx in _KINDS:
        if rx.search(line):
            return kind
    return None


def parse(text: str) -> list[KernelLogLine]:
    """Matching lines, the last KEEP, as log lines (uptime unknown: 0)."""
    out = []
    for line in text.splitlines():
        if (kind := classify(line)):
            out.append(KernelLogLine(uptime=0.0, kind=kind, text=line.strip()[:300]))
    return out[-KEEP:]


def read_file(path: str) -> list[KernelLogLine]:
    with open(path, errors="replace") as f:
        return parse(f.read())


def read_journal(timeout: float = 3.0) -> list[KernelLogLine]:
    """The kubelet unit's last lines from the journal, with a deadline; [] without one."""
    exe = shutil.which("journalctl")
    if not exe:
        return []
    try:
        r = subprocess.run([exe, "-u", "kubelet", "-n", "3000", "--no-pager", "-o", "short-iso"],
                           capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse(r.stdout) if r.returncode == 0 else []


class KubeletLog:
    """The journal's kubelet lines, refreshed every REFRESH seconds off the caller's thread."""

    def __init__(self, refresh: float = REFRESH):
        self._lines: list[KernelLogLine] = []
        self._stop = threading.Event()
        self._thread = None
        if shutil.which("journalctl"):
            self._thread = threading.Thread(target=self._run, args=(refresh,), daemon=True,
                                            name="hangconsole-kubelet-log")
            self._thread.start()

    def _run(self, refresh: float) -> None:
        while not self._stop.is_set():
            self._lines = read_journal()
            self._stop.wait(refresh)

    def lines(self) -> list[KernelLogLine]:
        return list(self._lines)

    def close(self) -> None:
        self._stop.set()
