"""CRI-O's goroutine dump as the stack action takes it: SIGUSR1 to crio, a new
/tmp/crio-goroutine-stacks-<time>.log, saved to the incident and summarised. CRI-O is not
packaged in Debian, so a real Go program named crio that dumps as crio does stands in
(tests/helpers/goprogs/crio); classification, the signal, the file watch and the parse are
the product's own."""
from __future__ import annotations

import glob
import os
import subprocess

import pytest

from tests.conftest import need
from tests.helpers import goprogs


@pytest.fixture
def crio(tmp_path):
    go = goprogs.debian_go()
    need(go is not None, "needs Debian's golang-go (tests/run.sh installs it)")
    binary = goprogs.build(go, str(tmp_path / "bin"), name="crio")
    before = set(glob.glob("/tmp/crio-goroutine-stacks-*.log"))
    p = subprocess.Popen([binary, "--log-level", "info"], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    yield p
    p.kill()
    p.wait()
    for f in set(glob.glob("/tmp/crio-goroutine-stacks-*.log")) - before:
        os.unlink(f)


def test_crio_dump_is_found_saved_and_summarised(crio, tmp_path):
    from hangconsole import model as m
    from hangconsole.actions.dump import dump_stacks
    from hangconsole.actions.incident import Incident
    from hangconsole.collect.live import LiveSource
    src = LiveSource(docker=False, containerd=False)
    try:
        snap = src.snapshot()
    finally:
        src.close()
    p = snap.proc(crio.pid)
    assert p is not None and p.role == m.CRIO
    inc = Incident(str(tmp_path / "inc"))
    d = dump_stacks(p, snap, inc)
    assert d.source and d.source.startswith("/tmp/crio-goroutine-stacks-") and d.source.endswith(".log"), d.note
    assert d.path and os.path.dirname(d.path).startswith(str(tmp_path / "inc"))
    waiters = [g for g in d.groups if "main.listContainers" in g.funcs]
    assert sum(g.count for g in waiters) == 3, [(g.count, g.top) for g in d.groups]
    with open(inc.file("audit.log")) as f:
        assert "SIGUSR1" in f.read()
