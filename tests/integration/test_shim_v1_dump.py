"""Seed 001's dead end, on a real v1 shim: Debian's containerd-shim, started as containerd
starts it (its listening socket on fd 3) with stdin, stdout and stderr on /dev/null. Its
SIGUSR1 dump is written and thrown away; the console reads it from the shim's write() calls
with strace attached while the signal is sent, and the shim runs on afterwards. Needs root
(ptrace, and the shim's own signal rules) and strace; skips outside CI otherwise."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from hangconsole import model as m
from hangconsole.actions import dump
from hangconsole.actions.incident import Incident
from hangconsole.collect.live import LiveSource
from tests.conftest import need


@pytest.fixture
def shim_v1(root, tmp_path):
    need(bool(shutil.which("containerd-shim")), "needs Debian's containerd (containerd-shim, v1)")
    need(bool(shutil.which("strace")), "needs strace")
    work = tmp_path / "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    work.mkdir()
    s = socket.socket(socket.AF_UNIX)
    s.bind(f"\0hc-shim-v1-test-{os.getpid()}")
    s.listen(8)
    argv = ["containerd-shim", "-namespace", "moby", "-workdir", str(work), "-address", str(tmp_path / "none.sock"),
            "-containerd-binary", "/usr/bin/containerd", "-runtime-root", str(tmp_path / "rr")]
    launch = f"import os, sys; os.dup2({s.fileno()}, 3); os.execvp(sys.argv[1], sys.argv[1:])"
    p = subprocess.Popen([sys.executable, "-c", launch, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, pass_fds=(s.fileno(),), start_new_session=True, cwd=str(work))
    s.close()
    time.sleep(0.5)
    assert p.poll() is None, "the shim did not start"
    yield p
    p.kill()
    p.wait()


def test_a_v1_shim_writing_to_dev_null_is_dumped_through_strace(shim_v1, tmp_path):
    src = LiveSource(docker=False)
    try:
        snap = src.snapshot()
    finally:
        src.close()
    p = snap.proc(shim_v1.pid)
    assert p is not None and p.role == m.SHIM_V1, p
    assert os.readlink(f"/proc/{p.pid}/fd/2") == "/dev/null"
    assert dump.cannot_dump(p, snap) is None
    inc = Incident(str(tmp_path / "inc"))
    d = dump.dump_stacks(p, snap, inc)
    assert d.path, d.note
    text = open(d.path).read()
    assert "goroutine stack dump" in text and "main.dumpStacks" in text and "containerd-shim" in text
    assert d.groups, "the captured dump parses as goroutine stacks"
    assert "strace" in d.source and "/dev/null" in d.source
    acts = [(a["action"], a["result"]) for a in inc.audit_lines()]
    assert ("SIGUSR1", "sent") in acts and any(a == "stack-dump" for a, _ in acts)
    time.sleep(0.3)
    assert shim_v1.poll() is None, "the shim runs on"
    with open(f"/proc/{p.pid}/status") as f:
        assert "TracerPid:\t0" in f.read(), "strace detached"
