"""Diagnosis looks only at the processes some class can name (diagnose/scope.py): the pick must
never change a finding. Every bundled incident and lab capture (and a real drill's recording),
at every frame, is diagnosed through the pick and with every process picked: the findings are
the same, byte for byte."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hangconsole import model as m
from hangconsole.diagnose import report, scope
from hangconsole.diagnose.history import History
from hangconsole.incidents import catalog
from hangconsole.record.fileformat import Recording

DRILL = Path(__file__).parents[1] / "data" / "drill" / "drill.hcrec"
PATHS = {i.name: i.path for i in catalog()} | {"drill": DRILL}
for i in catalog():          # the settled hosts training shows after a fix
    after = Path(str(i.path).removesuffix(".hcrec") + ".after.hcrec")
    if after.exists():
        PATHS[f"{i.name}.after"] = after


def every_frame(path: Path, monkeypatch, pick_all: bool) -> list[str]:
    if pick_all:
        monkeypatch.setattr(scope, "named", lambda p: True)
    rec = Recording(path)
    extra, _ = report.gather_extra([], None, [], path)
    out = []
    for i in range(len(rec)):
        h = History([rec.frame(j) for j in range(max(0, i - 3), i + 1)])
        out.append(json.dumps([f.to_json() for f in report.diagnose(h, extra)], sort_keys=True))
    return out


@pytest.mark.parametrize("name", sorted(PATHS))
def test_the_pick_changes_no_finding(name, monkeypatch):
    picked = every_frame(PATHS[name], monkeypatch, pick_all=False)
    everyone = every_frame(PATHS[name], monkeypatch, pick_all=True)
    assert picked == everyone
    assert any(f != "[]" for f in picked) or name.endswith(".after") or name == "lab-paused"


def _proc(pid, **kw) -> m.Process:
    return m.Process(pid, 1, 100 + pid, kw.pop("comm", "worker"), kw.pop("state", "S"), 0, 60.0, **kw)


def test_the_crowd_is_left_out_and_what_a_class_can_name_is_kept():
    crowd = [_proc(1000 + i, argv=["worker", str(i)]) for i in range(500)]
    keep = [
        _proc(10, role=m.SHIM_V2, argv=["containerd-shim-runc-v2"]),
        _proc(11, container_id="c" * 64, argv=["sh"]),
        _proc(12, state="D", argv=["dd"]),
        _proc(13, state="T", argv=["sleep", "9"]),
        _proc(14, state="Z"),
        _proc(15, argv=["/usr/bin/docker", "exec", "web", "cat"]),
        _proc(16, argv=["tee"], threads=[m.Thread(tid=16, state="S", wchan="pipe_write")]),
    ]
    snap = m.HostSnapshot(taken_at=0, uptime=100, hostname="h", kernel="6", arch="x86_64",
                          processes=sorted(crowd + keep, key=lambda p: p.pid))
    assert [p.pid for p in scope.suspects(snap)] == [10, 11, 12, 13, 14, 15, 16]
    snap.processes = [p for p in snap.processes if p.pid != 13]     # a simulation's new list
    assert 13 not in [p.pid for p in scope.suspects(snap)]
