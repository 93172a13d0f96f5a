"""The kubelet's view of the runtime: its log (the journal, or a file given with
--kubelet-log) read for the lines that say it gave up on the runtime. Seed 000: a kubelet
restarted while one container's inspect hung never finished its start-up inspect, so the
node went NotReady with "container runtime is down"."""
from __future__ import annotations

import re
import shutil
import subprocess

from .. import model as m

_KINDS = [
    ("kubelet-runtime-down", re.compile(r"container runtime is down")),
    ("kubelet-pleg", re.compile(r"PLEG is not healthy")),
    ("kubelet-skipping-sync", re.compile(r"skipping pod synchronization")),
    ("kubelet-runtime-error", re.compile(r"(ContainerInspect|inspect container).*(deadline|timeout|timed out)", re.I)),
]
KEEP = 50


def classify(line: str) -> str | None:
    for kind, rx in _KINDS:
        if rx.search(line):
            return kind
    return None


def parse(text: str) -> list[m.KernelLogLine]:
    """Matching lines, the last KEEP, as log lines (uptime unknown: 0)."""
    out = []
    for line in text.splitlines():
        if (kind := classify(line)):
            out.append(m.KernelLogLine(uptime=0.0, kind=kind, text=line.strip()[:300]))
    return out[-KEEP:]


def read_file(path: str) -> list[m.KernelLogLine]:
    with open(path, errors="replace") as f:
        return parse(f.read())


def read_journal(timeout: float = 3.0) -> list[m.KernelLogLine]:
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


def link(lines: list[m.KernelLogLine]) -> dict | None:
    """One chain link: what the kubelet said about the runtime, the last line as evidence."""
    if not lines:
        return None
    kinds = {k.kind for k in lines}
    what = ("container runtime is down (node NotReady)" if "kubelet-runtime-down" in kinds
            else "PLEG is not healthy" if "kubelet-pleg" in kinds
            else "skipping pod synchronization" if "kubelet-skipping-sync" in kinds
            else "runtime calls time out")
    return {"text": f"kubelet: {what}, {len(lines)} line(s)", "kind": "observed", "source": "kubelet log",
            "age": None, "evidence": {"lines": [k.text for k in lines][-3:]}}
