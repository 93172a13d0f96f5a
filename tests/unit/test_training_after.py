"""Lab incidents carry the host recorded after their real fix (incidents/after.py): in
training, the fix's last act on the same processes leaves the trainee with that recorded
host, and the playbook's verify steps judge it. Any other act stays simulated."""
from __future__ import annotations

import tempfile

import pytest

from hangconsole.actions.incident import Incident
from hangconsole.diagnose.engine import diagnose
from hangconsole.diagnose.history import History
from hangconsole.incidents import after, find
from hangconsole.playbook.context import RunContext
from hangconsole.playbook.runner import Walk
from hangconsole.playbook.schema import load_all
from hangconsole.record.fileformat import Recording


def walk(name: str, cls: str, playbook: str):
    rec = Recording(find(name).path)
    frames = [rec.frame(i) for i in range(len(rec))]
    finding = next(f for f in diagnose(History(frames)) if f.cls == cls)
    ctx = RunContext(finding=finding, snapshot=frames[-1], incident=Incident(tempfile.mkdtemp()),
                     take_snapshot=lambda: frames[-1], simulate=True, say=lambda _: None,
                     confirm=lambda q, typed: True, notes={"incident_name": name})
    w = Walk(load_all()[0][playbook], ctx)
    results = []
    while w.step is not None:
        results.append(w.next())
    return frames, ctx, results


@pytest.mark.parametrize("name, cls, playbook, act", [
    ("lab-stopped-shim", "shim-unresponsive", "shim-unresponsive", "resume"),
    ("lab-stuck-pipe", "stuck-pipe", "stuck-pipe", "drain-pipe"),
    ("lab-pids-exhausted", "pids-exhausted", "pids-exhausted", "raise-pids-max"),
])
def test_the_real_fix_leaves_the_recorded_host(name, cls, playbook, act):
    real = after.load(name)
    assert real is not None and real.fix["outcome"] == "done" and real.frames
    recorded = next(a for a in real.acts if a["action"] == act and a["status"] == "ok")
    frames, ctx, results = walk(name, cls, playbook)
    step = next(r for r in results if r.step.action == act)
    assert step.status == "ok" and "recorded after the real fix in the lab" in step.text
    assert {t["pid"] for t in step.targets} == {t["pid"] for t in recorded["targets"]}
    assert ctx.snapshot.taken_at == real.frames[-1].taken_at != frames[-1].taken_at
    assert not [f for f in diagnose(History([ctx.snapshot])) if f.cls == cls and f.severity == "critical"]
    verify = [r for r in results[results.index(step):] if r.step.kind == "verify"]
    assert verify and all(r.status == "ok" for r in verify), [r.text for r in verify]


def test_the_stopped_shim_runs_again_after_the_sigcont():
    """The least harmful remedy: the stopped shim is resumed, not killed; it reaps its
    zombies and the container keeps running (recorded in the lab after the real SIGCONT)."""
    real = after.load("lab-stopped-shim")
    frames, ctx, results = walk("lab-stopped-shim", "shim-unresponsive", "shim-unresponsive")
    shim = frames[-1].containers[0].shim_pid
    assert shim and frames[-1].proc(shim).state == "T"
    assert ctx.snapshot.proc(shim) is not None and ctx.snapshot.proc(shim).state != "T"
    assert real.frames[-1].proc(shim) is not None, "the real shim lives on"
    assert not [p for p in ctx.snapshot.processes if p.zombie], "the shim's zombies were reaped"
    ran = [r.step.action for r in results if r.step.kind == "act" and r.status == "ok"]
    assert "resume" in ran and "kill-shim" not in ran and "dump-stacks" not in ran, ran


def test_seeds_have_no_after_frames_and_stay_simulated():
    assert after.load("seed-001") is None
    _, _, results = walk("seed-001", "shim-unresponsive", "shim-unresponsive")
    kill = next(r for r in results if r.step.action == "kill-shim")
    assert kill.status == "ok" and "simulated" in kill.text and "real fix" not in kill.text


def test_seed_001_shim_dump_is_read_with_strace_and_a_kill_without_it_is_risky():
    """Seed 001: the shim writes its dump to /dev/null, so the playbook reads it from the shim's
    write() calls with strace (the report needed a kprobe) before the kill, which then warns of
    nothing; a kill without the shim's dump is still counted risky, as the incident's own
    'risky here' list says."""
    from hangconsole.training import TrainingSession
    _, ctx, results = walk("seed-001", "shim-unresponsive", "shim-unresponsive")
    shim_dump = next(r for r in results if r.step.action == "dump-stacks" and r.step.params.get("which") == "shim")
    assert "under strace" in shim_dump.text and "seed-001-shim-stacks.log" in shim_dump.text, shim_dump.text
    kill = next(r for r in results if r.step.action == "kill-shim")
    assert kill.status == "ok" and "NOT captured" not in kill.text, kill.text
    shim = {"comm": "docker-containe", "pid": 119820, "start_ticks": 1, "role": "shim-v1"}
    daemon = {"comm": "docker-containe", "pid": 3608, "start_ticks": 1, "role": "containerd"}
    t = TrainingSession(find("seed-001"))
    t.acts = [{"action": "dump-stacks", "container": None, "targets": [daemon]},
              {"action": "kill-shim", "container": None, "targets": [shim]}]
    assert [r for r in t.risky(None, {}) if r.startswith("kill-shim") and "capture first" in r]
    t.acts = [{"action": "dump-stacks", "container": None, "targets": [shim]},
              {"action": "kill-shim", "container": None, "targets": [shim]}]
    assert not [r for r in t.risky(None, {}) if r.startswith("kill-shim")]


def test_killing_a_stopped_shim_is_risky_dumps_or_not():
    """lab-stopped-shim: SIGCONT would do, so a kill of the shim is risky before the daemons'
    dumps and after them."""
    from hangconsole.training import TrainingSession
    shim = {"comm": "containerd-shim", "pid": 11079, "start_ticks": 1}
    daemons = [{"comm": "dockerd", "pid": 10263, "start_ticks": 1}]
    kill = {"action": "kill-shim", "container": None, "targets": [shim]}
    dump = {"action": "dump-stacks", "container": None, "targets": daemons}
    resume = {"action": "resume", "container": None, "targets": [shim]}
    t = TrainingSession(find("lab-stopped-shim"))
    for acts in ([kill, dump], [dump, kill]):
        t.acts = acts
        assert [r for r in t.risky(None, {}) if r.startswith("kill-shim") and "SIGCONT" in r]
    t.acts = [resume]
    assert t.risky(None, {}) == []


def test_the_drain_says_what_was_copied_and_what_the_real_drain_read():
    """The lab recording tee'd the pipe's first bytes only: the simulated drain saves those and
    says so, and names what the real drain in the lab read."""
    import re
    _, _, results = walk("lab-stuck-pipe", "stuck-pipe", "stuck-pipe")
    drain = next(r for r in results if r.step.action == "drain-pipe")
    assert re.search(r"copied only the first [\d,]+ of the 65,536 bytes queued", drain.text), drain.text
    assert re.search(r"the real drain in the lab: .*drained 50,000,000 bytes \(no writer left", drain.text), drain.text
