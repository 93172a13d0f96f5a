"""A lab capture with its after-frames, made the way the bundled ones were: the fault on the
real engine, three frames, then the fault's playbook run for real (as `hangconsole fix
--yes`), two frames after it. The lab's fault-telling names are gone from both."""
from __future__ import annotations

import gzip

from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from hangconsole.lab.capture import NEUTRAL, capture
from hangconsole.record.fileformat import Recording


def test_stopped_shim_capture_and_the_host_after_its_real_fix(lab, tmp_path):
    path = capture(lab, "stopped-shim", interval=3.0, out=str(tmp_path))
    before = Recording(path)
    frames = [before.frame(i) for i in range(len(before))]
    finding = next(f for f in diagnose(History(frames)) if f.cls == "shim-unresponsive")
    shim = frames[-1].container(finding.container).shim_pid
    assert frames[-1].proc(shim).state == "T" and frames[-1].container(finding.container).name == "hc-api"

    rec = Recording(str(tmp_path / "lab-stopped-shim.after.hcrec"))
    fix = rec.header["fix"]
    assert fix["outcome"] == "done" and fix["command"] == "hangconsole fix shim-unresponsive --container hc-api --yes"
    resume = next(a for a in fix["acts"] if a["action"] == "resume")
    assert resume["status"] == "ok" and [t["pid"] for t in resume["targets"]] == [shim]
    assert not [a for a in fix["acts"] if a["action"] == "kill-shim" and a["status"] == "ok"], "SIGCONT did it"
    settled = rec.frame(len(rec) - 1)
    assert settled.proc(shim) is not None and settled.proc(shim).state != "T", "the shim runs again"
    assert not [f for f in diagnose(History([settled])) if f.cls == "shim-unresponsive"]
    for p in (path, str(tmp_path / "lab-stopped-shim.after.hcrec")):
        text = gzip.open(p, "rt").read()
        assert not [old for old in NEUTRAL if old in text], "a fault-telling name was recorded"
