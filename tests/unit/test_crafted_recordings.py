"""Crafted recordings never crash `--replay`: huge strings in every host text field, a process
tree thousands deep, values no collector writes (unknown roles, states, fd kinds, probe
statuses). Each is replayed by the installed command (snapshot, diagnose) and opened in the
console; every face answers, none prints a traceback."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess

import pytest

from hangconsole import model as m
from hangconsole.incidents import find
from hangconsole.record.fileformat import Recording, RecordingWriter
from tests.helpers.hostile import raw_controls, taint

EXE = shutil.which("hangconsole") or "hangconsole"


def _write(path, frames) -> str:
    with RecordingWriter(str(path), redacted=False) as w:
        for f in frames:
            w.write(f)
    return str(path)


def _frames(name="lab-stuck-pipe"):
    rec = Recording(find(name).path)
    return [rec.frame(i) for i in range(len(rec))]


def huge(tmp_path):
    return _write(tmp_path / "huge.hcrec", [taint(f, long=True) for f in _frames()])


def deep(tmp_path):
    frames = _frames()
    for f in frames:
        c = f.containers[0]
        base = max(p.pid for p in f.processes) + 1
        parent = c.shim_pid or c.init_pid
        for i in range(5000):                       # a fork chain 5,000 deep in the container
            f.processes.append(m.Process(base + i, parent, 1000 + i, "sh", "S", 0, 1.0, argv=["sh"],
                                         cgroup=f.proc(parent).cgroup if f.proc(parent) else None,
                                         container_id=c.id))
            parent = base + i
        f._index = None
    return _write(tmp_path / "deep.hcrec", frames)


def odd(tmp_path):
    frames = _frames("lab-stopped-shim")
    for f in frames:
        for p in f.processes[:5]:
            p.role, p.state = "a-role-from-the-future", "Q"
            for fd in p.fds or []:
                fd.kind = "weird"
        for pr in (f.docker.probes if f.docker else []):
            pr.status = "unheard-of"
        for c in f.containers:
            c.runtime = "unknown-runtime"
        f._index = None
    return _write(tmp_path / "odd.hcrec", frames)


@pytest.fixture(params=[huge, deep, odd], ids=["huge-strings", "deep-tree", "unknown-values"])
def crafted(request, tmp_path):
    return request.param(tmp_path)


def test_the_cli_replays_crafted_recordings(crafted):
    for args in (["snapshot", "--replay", crafted], ["diagnose", "--replay", crafted],
                 ["diagnose", "--json", "--replay", crafted]):
        r = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300)
        assert "Traceback" not in r.stderr and r.returncode in (0, 1, 2, 3), (args, r.returncode, r.stderr[-2000:])
        assert raw_controls(r.stdout) == [] and raw_controls(r.stderr) == []
        if "--json" in args:
            json.loads(r.stdout)
        else:
            assert max(len(line) for line in r.stdout.splitlines()) < 20_000, "a huge value is cut for display"


async def test_the_console_opens_crafted_recordings(crafted):
    from hangconsole.screens.app import HangConsoleApp
    from hangconsole.sources import ReplaySource
    from tests.ui.test_hostile_text import visit
    app = HangConsoleApp(ReplaySource(Recording(crafted)))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(40):
            await pilot.pause(0.1)
            if app.snapshot is not None:
                break
        await visit(pilot)
        await visit(pilot, "enter", "tab", "tab")
        await visit(pilot, "escape", "f", "escape", "k", "escape")
