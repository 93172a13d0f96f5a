"""Record each lab fault as a bundled incident (root, docker.io):

    python -m hangconsole.incidents.capture [FAULT ...]

Each capture is three frames five seconds apart of a freshly cleared lab with one fault,
trimmed to the lab's own processes (its daemons, shims, containers and helper clients) so
nothing of the capturing machine is shipped."""
from __future__ import annotations

import os
import sys
import time

from .. import model as m
from ..collect.live import LiveSource
from ..lab.engine import Lab
from ..lab.faults import inject
from ..record.fileformat import RecordingWriter
from . import HERE, LAB


def trim(snap: m.HostSnapshot, lab: Lab) -> m.HostSnapshot:
    keep = {p.pid for p in snap.processes
            if lab.dir in " ".join(p.argv or []) or f"/{lab.cgroup_parent}/" in (p.cgroup or "")
            or "docker exec" in " ".join(p.argv or [])}
    grew = True
    while grew:                                  # and everything under them
        grew = False
        for p in snap.processes:
            if p.pid not in keep and p.ppid in keep:
                keep.add(p.pid)
                grew = True
    snap.processes = [p for p in snap.processes if p.pid in keep]
    ids = [c.id for c in snap.containers]        # kernel lines of this capture's containers only
    snap.kernel_log = [k for k in snap.kernel_log if any(i in k.text for i in ids)]
    snap.pipes = [pp for pp in snap.pipes if {e.pid for e in pp.readers + pp.writers} & keep]
    snap.hostname = "lab"
    snap.degraded = []
    snap._index = None
    return snap


def capture(lab: Lab, fault: str, frames: int = 3, interval: float = 5.0) -> str:
    lab.clear()
    inject(lab, fault)
    src = LiveSource(lab.docker_host)
    path = os.path.join(HERE, f"lab-{fault}.hcrec")
    try:
        with RecordingWriter(path, note=f"lab capture: {fault}",
                             meta={"incident": f"lab-{fault}", "expect": LAB[fault]}) as w:
            for i in range(frames):
                t0 = time.monotonic()
                w.write(trim(src.snapshot(), lab))
                if i + 1 < frames:
                    time.sleep(max(0.0, interval - (time.monotonic() - t0)))
    finally:
        src.close()
    return path


def main() -> int:
    lab = Lab()
    lab.up()
    try:
        for fault in sys.argv[1:] or list(LAB):
            print(capture(lab, fault))
    finally:
        lab.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
