"""Record each lab fault as a bundled incident (root, docker.io):

    python -m hangconsole.lab.capture [--out DIR] [FAULT ...]

Each capture is three frames five seconds apart of a freshly cleared lab with one fault,
trimmed to the lab's own processes (its daemons, shims, containers and helper clients) so
nothing of the capturing machine is shipped. The lab's container names tell the fault
(hc-stuck-pipe), so a capture renames them (NEUTRAL) for training.

Where the fault has a fix (FIX), the fix's playbook then runs for real on the lab, as
`hangconsole fix PLAYBOOK --container NAME --yes` would, and two more frames five seconds
apart go to lab-FAULT.after.hcrec with the fix's acts (incidents/after.py)."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from .. import model as m
from ..collect.live import LiveSource
from ..collect.sockets import NOT_LISTENING
from ..incidents import HERE, LAB
from ..incidents.after import path_of
from ..record import codec
from ..record.fileformat import RecordingWriter
from .engine import Lab
from .faults import inject

NEUTRAL = {"hc-stuck-pipe": "hc-reports", "hc-stopped-shim": "hc-api", "hc-pids-exhausted": "hc-worker",
           "hc-oom-kill": "hc-import", "hc-paused": "hc-cache", "hc-log-driver-blocked": "hc-ingest"}
ENDPOINT_SCRIPT = "hangconsole.lab.log_endpoint"
FIX = {"stuck-pipe": "stuck-pipe", "stopped-shim": "shim-unresponsive", "pids-exhausted": "pids-exhausted"}


def neutral(obj):
    """OBJ (a snapshot or plain data) with the lab's fault-telling names replaced."""
    text = json.dumps(codec.encode(obj) if isinstance(obj, m.HostSnapshot) else obj)
    for old, new in NEUTRAL.items():
        text = text.replace(old, new)
    data = json.loads(text)
    return codec.decode(m.HostSnapshot, data) if isinstance(obj, m.HostSnapshot) else data


def trim(snap: m.HostSnapshot, lab: Lab) -> m.HostSnapshot:
    keep = {p.pid for p in snap.processes
            if lab.dir in " ".join(p.argv or []) or f"/{lab.cgroup_parent}/" in (p.cgroup or "")
            or "docker exec" in " ".join(p.argv or []) or ENDPOINT_SCRIPT in (p.argv or [])}
    for p in snap.processes:
        if ENDPOINT_SCRIPT in (p.argv or []):     # the lab's endpoint, named as a collector would be
            port = p.argv[p.argv.index("--port") + 1] if "--port" in p.argv[:-1] else "?"
            p.argv = ["python3", "/opt/collector/forward.py", "--port", port]
            p.recon = {"argv": "renamed by the lab capture: the lab's endpoint script (it never reads)"}
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
    snap.sockets = [s for s in snap.sockets or () if {e.pid for e in s.holders} & keep
                    or s.state == NOT_LISTENING] or None
    snap.hostname = "lab"
    snap.degraded = []
    snap._index = None
    return snap


def _frames(w: RecordingWriter, src: LiveSource, lab: Lab, frames: int, interval: float) -> None:
    for i in range(frames):
        t0 = time.monotonic()
        w.write(neutral(trim(src.snapshot(), lab)))
        if i + 1 < frames:
            time.sleep(max(0.0, interval - (time.monotonic() - t0)))


def capture(lab: Lab, fault: str, frames: int = 3, interval: float = 5.0, out: str = HERE) -> str:
    lab.clear()
    cid = inject(lab, fault)
    src = LiveSource(lab.docker_host)
    path = os.path.join(out, f"lab-{fault}.hcrec")
    try:
        with RecordingWriter(path, note=f"lab capture: {fault}",
                             meta={"incident": f"lab-{fault}", "expect": LAB[fault]}) as w:
            _frames(w, src, lab, frames, interval)
        if fault in FIX:
            fix = neutral(run_fix(src, lab, FIX[fault], cid))
            with RecordingWriter(os.path.join(out, os.path.basename(path_of(f"lab-{fault}"))), note=f"lab capture: {fault}, after the real fix",
                                 meta={"incident": f"lab-{fault}", "fix": fix}) as w:
                _frames(w, src, lab, 2, interval)
    finally:
        src.close()
    return path


def run_fix(src: LiveSource, lab: Lab, playbook: str, cid: str) -> dict:
    """The playbook run for real on the lab, as `hangconsole fix PLAYBOOK --yes` runs it."""
    from ..actions.incident import Incident
    from ..diagnose import report as dreport
    from ..playbook.context import RunContext
    from ..playbook.runner import run
    from ..playbook.schema import load_all
    pb = load_all()[0][playbook]
    history = dreport.sample_live(src, 3, 5.0)          # as `fix` samples by default
    finding = next(f for f in dreport.diagnose(history) if f.container == cid and f.cls in pb.classes)
    ctx = RunContext(finding=finding, snapshot=history.latest, incident=Incident(tempfile.mkdtemp(prefix="hc-capture-")),
                     take_snapshot=src.snapshot, yes=True, docker_host=lab.docker_host, say=lambda _line: None)
    result = run(pb, ctx)
    name = history.latest.container(cid).name
    return {"class": finding.cls, "playbook": pb.id, "outcome": result.outcome,
            "command": f"hangconsole fix {pb.id} --container {name} --yes",
            "acts": [{"action": r.step.action, "status": r.status, "text": r.text, "targets": r.targets}
                     for r in result.steps if r.step.kind == "act"]}


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(prog="python -m hangconsole.lab.capture",
                                 description="Record lab faults as bundled incidents (root, docker.io).")
    ap.add_argument("faults", nargs="*", metavar="FAULT", help="any of " + ", ".join(LAB) + " (default: all)")
    ap.add_argument("--out", default=HERE, help="where the recordings go (default: the installed incidents)")
    ap.add_argument("--dir", default=None, help="lab directory (default: the lab's own)")
    args = ap.parse_args(argv)
    if unknown := [f for f in args.faults if f not in LAB]:
        ap.error(f"no lab fault {unknown[0]!r}: one of {', '.join(LAB)}")
    lab = Lab(args.dir) if args.dir else Lab()
    lab.up()
    try:
        for fault in args.faults or list(LAB):
            print(capture(lab, fault, out=args.out))
    finally:
        lab.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
