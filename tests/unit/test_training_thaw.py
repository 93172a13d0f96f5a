"""Training on a frozen shim: the thaw is simulated on the recording's cgroups (not looked up
on this host), and what the freezer held runs again, so the dump and the kill that follow
behave as they would after a real thaw."""
from __future__ import annotations

import tempfile

from hangconsole.actions.incident import Incident
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from hangconsole.incidents import find
from hangconsole.playbook.context import RunContext
from hangconsole.playbook.runner import Walk
from hangconsole.playbook.schema import load_all
from hangconsole.record.fileformat import Recording

FREEZER = "/hc-held-out-freezer"


def frozen_seed_001():
    rec = Recording(find("seed-001").path)
    frames = [rec.frame(i) for i in range(len(rec))]
    shim_pid = frames[-1].containers[0].shim_pid
    for snap in frames:                          # the held-out case: a shim in __refrigerator
        shim = snap.proc(shim_pid)
        shim.state, shim.freezer, shim.frozen_by = "D", "FROZEN", [FREEZER]
        for th in shim.threads:
            th.state, th.wchan = "D", "__refrigerator"
    return frames, shim_pid


def test_a_frozen_shim_is_thawed_in_simulation_before_the_dump_and_kill():
    frames, shim_pid = frozen_seed_001()
    finding = next(f for f in diagnose(History(frames)) if f.cls == "shim-unresponsive")
    pb = load_all()[0]["shim-unresponsive"]
    asked = []
    ctx = RunContext(finding=finding, snapshot=frames[-1], incident=Incident(tempfile.mkdtemp()),
                     take_snapshot=lambda: frames[-1], simulate=True, say=lambda _: None,
                     confirm=lambda q, typed: asked.append(q) or True, notes={"incident_name": "seed-001"})
    walk = Walk(pb, ctx)
    results = []
    while walk.step is not None:
        results.append(walk.next())
    thaw = next(r for r in results if r.step.action == "thaw")
    assert thaw.status == "ok" and FREEZER in thaw.text and "1 process(es) run again" in thaw.text
    assert asked and FREEZER in asked[0], "the thaw is asked for first"
    kill = next(r for r in results if r.step.action == "kill-shim")
    assert kill.status == "ok" and ctx.snapshot.proc(shim_pid) is None
