"""What training's simulated acts do to a copied snapshot (never the real host), shared by the
actions' effects (playbook/simulate.py) and the classes' own (a class module's SIMULATED)."""
from __future__ import annotations

from .. import model as m


def drop(snap: m.HostSnapshot, pids: set[int]) -> None:
    """PIDS exit: gone from the process list and from every pipe's ends."""
    snap.processes = [p for p in snap.processes if p.pid not in pids]
    for pp in snap.pipes:
        pp.readers = [e for e in pp.readers if e.pid not in pids]
        pp.writers = [e for e in pp.writers if e.pid not in pids]
    snap._index = None


def answer_calls(snap: m.HostSnapshot, cid: str | None) -> None:
    """The Docker calls pending on container CID (on any, when None) return."""
    if snap.docker:
        for pr in snap.docker.probes:
            if pr.status == "pending" and (cid is None or pr.target == cid or pr.target is None):
                pr.status, pr.seconds = "ok", 0.01
        snap.docker.reachable = True
