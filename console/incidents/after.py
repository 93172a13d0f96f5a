"""After-frames of a lab incident: the host recorded after the real fix ran on the lab
(`hangconsole fix CLASS --yes`, capture.py), beside the incident as lab-FAULT.after.hcrec.

Training uses them instead of the simulation where the trainee does what the real fix did:
the same action on the same process (pid and start time). The frame is the host as the
real fix left it and the text is what the real action reported (its audit line). Seeds have
none: their hosts are gone, and the simulation stands in (playbook/simulate.py)."""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field

from .. import model as m
from . import HERE

READ_ONLY = ("dump-stacks",)                  # acts that leave the host as it was


@dataclass
class After:
    path: str
    fix: dict                                 # class, command, exit, output (its last lines)
    acts: list[dict] = field(default_factory=list)   # the fix's acts: action, status, text, targets
    frames: list[m.HostSnapshot] = field(default_factory=list)

    def act(self, action: str, targets: list[dict]) -> dict | None:
        """The real fix's act that did ACTION to the same processes (pid + start time), or None."""
        want = {(t.get("pid"), t.get("start_ticks")) for t in targets}
        for a in self.acts:
            got = {(t.get("pid"), t.get("start_ticks")) for t in a.get("targets") or []}
            if a.get("action") == action and a.get("status") == "ok" and got == want:
                return a
        return None

    def last(self, a: dict) -> bool:
        """Whether A is the fix's last act that changed the host: the after-frames show its result."""
        changing = [x for x in self.acts if x.get("status") == "ok" and x.get("action") not in READ_ONLY]
        return bool(changing) and changing[-1] is a

    def host(self) -> m.HostSnapshot:
        snap = copy.deepcopy(self.frames[-1])  # the settled host, the trainee's copy
        snap._index = None
        return snap


def path_of(name: str) -> str:
    return os.path.join(HERE, f"{name}.after.hcrec")


def load(name: str) -> After | None:
    """The after-frames of incident NAME, or None (seeds, live hosts, an unreadable file)."""
    p = path_of(name) if name else ""
    if not p or not os.path.exists(p):
        return None
    from ..record.fileformat import Recording, RecordingError
    try:
        rec = Recording(p)
        frames = [rec.frame(i) for i in range(len(rec))]
    except RecordingError:
        return None
    fix = rec.header.get("fix") or {}
    return After(p, fix, list(fix.get("acts") or []), frames)
