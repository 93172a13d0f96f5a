"""Live drills: the private lab engine broken with a hidden fault (two, or a red herring, on
request), the real console opened on it with only the page's text, and, when the trainee
quits the console, the condition of victory checked on the live lab (victory.py). The drill
is recorded (drill.hcrec: the lab before the console, every sample the console took, and the
lab after) and debriefed from its own audit log.

Every act is limited to the lab (scope.py): the console is shown the lab alone, and the
actions layer refuses any process or cgroup outside it."""
from __future__ import annotations

import json
import os
import random
import time

from ..actions import guard
from ..actions.incident import DEFAULT_ROOT, Incident
from ..lab.errors import LabError
from . import debrief, pages, victory
from .scope import LabScope, ScopedSource

BEFORE_FRAMES, FRAME_GAP = 3, 2.5     # the recording's frames before the console: 5 s, what "stuck" needs


class Drill:
    def __init__(self, lab, faults: list[str], *, red_herring: bool = False, directory: str | None = None,
                 seed: int | None = None, clock=time.time):
        engine = lab.ENGINE
        for f in faults:
            if f not in pages.DRILLABLE[engine]:
                raise LabError(f"{f} is not a drill on {engine}: one of {', '.join(pages.DRILLABLE[engine])}")
        if len(set(faults)) != len(faults):
            raise LabError(f"{faults[0]} twice: a second fault must be another one")
        if (len(faults) > 1 or red_herring) and engine not in pages.TWO_AT_ONCE:
            raise LabError(f"the {engine} lab starts each fault on a fresh engine: one fault at a time, "
                           f"no red herring (the Docker lab has both)")
        self.lab, self.faults, self.red_herring, self.clock = lab, list(faults), red_herring, clock
        self.rng = random.Random(seed)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock()))
        self.incident = Incident(directory or os.path.join(DEFAULT_ROOT, f"drill-{stamp}-{engine}"))
        self.scope = LabScope(lab)
        self.hidden: list[dict] = []
        self.page = ""
        self.started = 0.0
        self.writer = None

    @staticmethod
    def pick(engine: str, seed: int | None = None) -> str:
        return random.Random(seed).choice(pages.DRILLABLE[engine])

    # --- before the console ----------------------------------------------------------------
    def start(self, say=print) -> None:
        """Break the lab (quietly: what is injected is the drill's secret), record it, and
        limit every act from now on to the lab."""
        lab = self.lab
        if not lab.status():                   # "" when down (every lab's interface: lab/registry.py)
            say(f"starting the {lab.ENGINE} lab at {lab.dir} …")
        lab.up()                               # a lab that is up stays as it is
        say("preparing the drill (the lab is being broken; this takes up to a minute) …")
        lab.clear()
        with open("/proc/uptime") as f:        # the console shows the kernel lines of the drill only
            self.scope.since = float(f.read().split()[0])
        todo = self.faults + (["paused"] if self.red_herring else [])
        if lab.ENGINE in ("docker", "podman"):   # names that do not tell the fault (lab/faults.py)
            names = self.rng.sample(pages.NAMES, len(todo))
            lab.names = dict(zip(todo, names))
        for fault in todo:
            cid = lab.inject(fault)
            self.hidden.append({"fault": fault, "cid": cid, "name": self._name(fault, cid), **self._shim(fault, cid)})
        self.page = pages.page([(h["fault"], h["name"]) for h in self.hidden])
        self.started = self.clock()
        self._save()
        from ..record.fileformat import RecordingWriter
        self.writer = RecordingWriter(self.incident.file("drill.hcrec"), note=f"drill on the {lab.ENGINE} lab")
        self._record(BEFORE_FRAMES)
        guard.limit_to(self.scope)

    def _name(self, fault: str, cid: str) -> str:
        names = getattr(self.lab, "names", None) or {}
        if fault in names:
            return names[fault]
        return "the web pod" if fault == "stopped-shim" else "the web pod's app container"   # containerd's pod

    def _shim(self, fault: str, cid: str) -> dict:
        """The shim a stopped-shim drill stopped, with its start time (to know it again)."""
        if fault != "stopped-shim":
            return {}
        lab = self.lab
        if lab.ENGINE == "docker":
            pid = lab._state().get("stopped", [None])[-1]
        elif lab.ENGINE == "containerd":        # a stopped shim answers nothing: found by its state
            pid = next((p for p in lab.shims() if (st := victory._stat(p)) and st[0] in ("T", "t")), None)
        else:
            pid = lab.conmon_of(cid)
        st = victory._stat(pid) if pid else None
        return {"shim": pid, "shim_start": int(st[19]) if st else None}

    def source(self, record: bool = True):
        """The live source the drill's console watches: the lab's engine, the lab alone; every
        sample it takes goes into the drill's recording (RECORD)."""
        from ..collect.engines_options import EngineAddresses
        lab = self.lab
        if lab.ENGINE == "docker":
            addr = EngineAddresses(docker_host=lab.docker_host)
        else:
            addr = EngineAddresses(docker=False, containerd_address=getattr(lab, "sock", None)
                                   if lab.ENGINE == "containerd" else None)
        return ScopedSource(addr.source(), self.scope, tee=self.writer.write if record and self.writer else None)

    # --- after the console -----------------------------------------------------------------
    def check(self) -> tuple[bool, list[str]]:
        """Check victory on the live lab now (the console's `e`; the drill goes on if it is
        not won): (won, the debrief lines), the debrief saved as debrief.md."""
        audit = self.incident.audit_lines()
        checks = victory.check(self.lab, self.hidden, audit)
        won = bool(checks) and all(c.ok for c in checks)
        d = self._save(ended=self.clock(), won=won, checks=[c.__dict__ for c in checks])
        text = debrief.lines(d, checks, audit, self.incident.file("drill.hcrec"))
        with open(self.incident.file("debrief.md"), "w") as f:
            f.write("# Drill debrief\n\n" + "\n".join(text) + "\n")
        return won, text

    def finish(self) -> tuple[bool, list[str]]:
        """End the drill: lift the lab-only limit, check victory, record the lab as it was
        left and close the recording. (won, debrief lines)."""
        guard.limit_to(None)
        won, text = self.check()
        if self.writer is not None:
            self._record(1)
            self.writer.close()
        return won, text

    def _save(self, **more) -> dict:
        path = self.incident.file("drill.json")
        try:
            with open(path) as f:
                d = json.load(f)
        except (OSError, ValueError):
            d = {}
        d.update({"engine": self.lab.ENGINE, "lab_dir": self.lab.dir, "hidden": self.hidden, "page": self.page,
                  "started": self.started, **more})
        with open(path + ".part", "w") as f:
            json.dump(d, f, indent=1)
        os.replace(path + ".part", path)
        return d

    def _record(self, frames: int) -> None:
        """FRAMES samples of the lab into the drill's recording, FRAME_GAP apart."""
        src = self.source(record=False)
        try:
            for i in range(frames):
                if i:
                    time.sleep(FRAME_GAP)
                self.writer.write(src.snapshot())
        finally:
            src.close()
